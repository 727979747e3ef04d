"""Login, tokens, lock-out, and authorisation enforced in the services."""

from __future__ import annotations

from datetime import timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.config import Settings
from citybrain.core.db import utcnow
from citybrain.core.security import Role, issue_token
from citybrain.identity.models import Account
from tests.factories.identity import PASSWORD, make_department, make_staff


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return {"status": response.status_code, **response.json()}


def bearer(client: TestClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, username)['access_token']}"}


def test_password_login_returns_a_bearer_token_and_me(client: TestClient, session: Session) -> None:
    clerk = make_staff(session, Role.department_clerk)
    result = login(client, clerk.username)
    assert result["status"] == 200 and result["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "department_clerk"
    assert me.json()["department_id"] == clerk.department_id


def test_unknown_user_and_wrong_password_get_the_same_clear_401(
    client: TestClient, session: Session
) -> None:
    clerk = make_staff(session)
    for username, password in [("nobody", PASSWORD), (clerk.username, "wrong-password")]:
        result = login(client, username, password)
        assert result["status"] == 401
        assert result["code"] == "auth.invalid_credentials"
        assert result["message"] and result["message_en"]


def test_repeated_failures_lock_the_account(
    client: TestClient, session: Session, settings: Settings
) -> None:
    clerk = make_staff(session)
    for _ in range(settings.auth.max_failed_logins):
        assert login(client, clerk.username, "wrong-password")["status"] == 401
    locked = login(client, clerk.username)
    assert locked["status"] == 423 and locked["code"] == "auth.account_locked"
    account = session.get(Account, clerk.id)
    assert account is not None
    account.locked_until = utcnow() - timedelta(seconds=1)
    session.flush()
    assert login(client, clerk.username)["status"] == 200


def test_expired_and_forged_tokens_are_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    clerk = make_staff(session)
    secret = settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    expired = issue_token(secret, subject=str(clerk.id), ttl=timedelta(seconds=-5), claims={})
    forged = jwt.encode(
        {"sub": str(clerk.id), "aud": "citybrain", "exp": utcnow() + timedelta(hours=1)},
        "not-our-key",
        algorithm="HS256",
    )
    cases = [
        (expired, "auth.token_expired"),
        (forged, "auth.token_invalid"),
        ("garbage", "auth.token_invalid"),
    ]
    for token, code in cases:
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["code"] == code


def test_no_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.not_authenticated"


def test_only_admins_create_accounts(client: TestClient, session: Session) -> None:
    department = make_department(session)
    clerk = make_staff(session, department=department)
    admin = make_staff(session, Role.admin)
    body = {
        "username": "new.clerk",
        "display_name": "新人",
        "password": "long-enough-1",
        "role": "department_clerk",
        "department_id": department.id,
    }
    refused = client.post("/api/v1/accounts", json=body, headers=bearer(client, clerk.username))
    assert refused.status_code == 403 and refused.json()["code"] == "auth.role_required"
    created = client.post("/api/v1/accounts", json=body, headers=bearer(client, admin.username))
    assert created.status_code == 201
    again = client.post("/api/v1/accounts", json=body, headers=bearer(client, admin.username))
    assert again.status_code == 409 and again.json()["code"] == "identity.username_taken"


def test_api_keys_authenticate_with_scopes_and_can_be_revoked(
    client: TestClient, session: Session
) -> None:
    admin = make_staff(session, Role.admin)
    headers = bearer(client, admin.username)
    created = client.post(
        "/api/v1/api-keys", json={"name": "卡口设备1", "scopes": ["citycode:scan"]}, headers=headers
    )
    assert created.status_code == 201
    key = created.json()["key"]
    me = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 403 and me.json()["code"] == "auth.account_only"
    bad = client.get("/api/v1/me", headers={"X-API-Key": key[:-2] + "xx"})
    assert bad.status_code == 401 and bad.json()["code"] == "auth.api_key_invalid"
    revoked = client.post(f"/api/v1/api-keys/{created.json()['id']}/revoke", headers=headers)
    assert revoked.status_code == 200
    after = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert after.status_code == 403 and after.json()["code"] == "auth.api_key_revoked"


def test_clerks_only_touch_their_own_department() -> None:
    from citybrain.core.errors import DomainError
    from citybrain.core.security import Actor, ActorKind

    clerk = Actor(
        kind=ActorKind.staff, id="1", name="x", role=Role.department_clerk, department_id=7
    )
    clerk.require_department(7)
    try:
        clerk.require_department(8)
    except DomainError as error:
        assert error.status == 403 and error.code == "auth.other_department"
    else:  # pragma: no cover
        raise AssertionError("a clerk reached another department's work")
