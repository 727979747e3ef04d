"""Valid identity rows with overridable defaults."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core import ids
from citybrain.core.security import ActorKind, Role, hash_password
from citybrain.identity.models import Account, Department
from citybrain.regions.models import Division

_serial = itertools.count(1)
PASSWORD = "correct-horse-9"
_PASSWORD_HASH = hash_password(PASSWORD)


def ensure_city(session: Session) -> Division:
    city = session.get(Division, "410100")
    if city is None:
        city = Division(code="410100", name="郑州市", level="prefecture_city", parent_code=None)
        session.add(city)
        session.flush()
    return city


def make_department(session: Session, **overrides: Any) -> Department:
    ensure_city(session)
    n = next(_serial)
    values: dict[str, Any] = {
        "name": f"测试局{n}",
        "short_name": f"测试{n}",
        "kind": "组成部门",
        "division_code": "410100",
    }
    values.update(overrides)
    department = Department(**values)
    session.add(department)
    session.flush()
    return department


def make_staff(
    session: Session,
    role: Role = Role.department_clerk,
    department: Department | None = None,
    **overrides: Any,
) -> Account:
    n = next(_serial)
    if department is None and role is not Role.admin:
        department = make_department(session)
    values: dict[str, Any] = {
        "username": f"user{n}",
        "display_name": f"测试用户{n}",
        "password_hash": _PASSWORD_HASH,
        "kind": ActorKind.staff.value,
        "role": role.value,
        "department_id": department.id if department else None,
    }
    values.update(overrides)
    account = Account(**values)
    session.add(account)
    session.flush()
    return account


def valid_id_number(n: int) -> str:
    from datetime import date

    return ids.make_id_number("410105", date(1990, 1, 1 + n % 28), n % 1000)


def auth_headers(client: TestClient, account: Account, password: str = PASSWORD) -> dict[str, str]:
    """A bearer header for ``account``, through the real login route."""
    response = client.post(
        "/api/v1/auth/token", data={"username": account.username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_resident(session: Session, n: int | None = None, **overrides: Any) -> Account:
    """A resident with a valid, encrypted 身份证号 and a login."""
    from citybrain.identity import service as identity_service

    n = n if n is not None else next(_serial)
    person = identity_service.build_person(
        session,
        name=overrides.pop("name", f"居民{n}"),
        id_number=valid_id_number(n),
        phone=f"138{n:08d}"[-11:],
    )
    session.add(person)
    session.flush()
    values: dict[str, Any] = {
        "username": f"resident{n}x",
        "display_name": ids.mask_name(person.name),
        "password_hash": _PASSWORD_HASH,
        "kind": ActorKind.person.value,
        "person_id": person.id,
    }
    values.update(overrides)
    account = Account(**values)
    session.add(account)
    session.flush()
    return account
