"""People are registered with checked numbers, stored encrypted, shown masked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.models import AuditEntry
from citybrain.core.security import Role
from citybrain.identity.models import Enterprise, Person
from tests.factories.identity import make_staff
from tests.identity.test_auth import bearer

ID_NUMBER = "11010519491231002X"


def test_register_and_find_a_person(client: TestClient, session: Session) -> None:
    clerk = make_staff(session, Role.department_clerk)
    headers = bearer(client, clerk.username)
    created = client.post(
        "/api/v1/people",
        headers=headers,
        json={"name": "张三", "id_number": ID_NUMBER, "phone": "13812345678"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id_number_masked"] == "1101**********002X"
    assert body["phone_masked"] == "138****5678"
    assert ID_NUMBER not in created.text and "13812345678" not in created.text
    found = client.post(
        "/api/v1/people/search", json={"id_number": ID_NUMBER.lower()}, headers=headers
    )
    assert found.status_code == 200 and found.json()["id"] == body["id"]
    looked_up = session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "identity.person_looked_up",
            AuditEntry.entity_id == str(body["id"]),
        )
    )
    assert looked_up == 1
    stored = session.get(Person, body["id"])
    assert stored is not None and ID_NUMBER.encode() not in stored.id_number_ciphertext
    audited = session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "identity.person_registered",
            AuditEntry.entity_id == str(body["id"]),
        )
    )
    assert audited == 1


def test_bad_numbers_are_refused_and_nothing_is_stored(
    client: TestClient, session: Session
) -> None:
    clerk = make_staff(session, Role.department_clerk)
    headers = bearer(client, clerk.username)
    before = session.scalar(select(func.count(Person.id)))
    response = client.post(
        "/api/v1/people", headers=headers, json={"name": "李四", "id_number": "110105194912310021"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "ids.id_number_bad_check_digit"
    assert session.scalar(select(func.count(Person.id))) == before
    enterprise = client.post(
        "/api/v1/enterprises",
        headers=headers,
        json={"name": "测试公司", "credit_code": "91350100M000100Y44"},
    )
    assert enterprise.status_code == 422
    assert enterprise.json()["code"] == "ids.credit_code_bad_check_char"
    assert session.scalar(select(func.count(Enterprise.id))) == 0


def test_duplicate_person_is_409(client: TestClient, session: Session) -> None:
    clerk = make_staff(session, Role.department_clerk)
    headers = bearer(client, clerk.username)
    body = {"name": "王五", "id_number": "440524188001010014"}
    assert client.post("/api/v1/people", headers=headers, json=body).status_code == 201
    again = client.post("/api/v1/people", headers=headers, json=body)
    assert again.status_code == 409 and again.json()["code"] == "identity.person_exists"


def test_enterprise_round_trip(client: TestClient, session: Session) -> None:
    clerk = make_staff(session, Role.department_clerk)
    headers = bearer(client, clerk.username)
    created = client.post(
        "/api/v1/enterprises",
        headers=headers,
        json={"name": "福建测试公司", "credit_code": "91350100M000100Y43"},
    )
    assert created.status_code == 201
    found = client.get("/api/v1/enterprises/91350100M000100Y43", headers=headers)
    assert found.status_code == 200 and found.json()["name"] == "福建测试公司"
    missing = client.get("/api/v1/enterprises/91350100M000100Y4X", headers=headers)
    assert missing.status_code == 422
