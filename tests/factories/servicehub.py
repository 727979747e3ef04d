"""servicehub test data: the demo departments and catalog, residents with e-licences."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from citybrain.core.security import Actor, ActorKind, Role
from citybrain.demo.loader import _load_departments
from citybrain.identity import service as identity_service
from citybrain.identity.models import Account, Department
from citybrain.servicehub import demo, licences
from citybrain.servicehub.models import Licence
from tests.factories.identity import ensure_city, make_resident, make_staff

ADMIN = Actor(kind=ActorKind.staff, id="test-admin", name="测试管理员", role=Role.admin)


def load_catalog(session: Session) -> dict[str, Department]:
    """The 51 demo departments, the 544-item catalog and the bundles."""
    ensure_city(session)
    departments = _load_departments(session)
    from citybrain.servicehub import catalog

    report = catalog.import_items(session, actor=ADMIN, rows=demo.catalog_rows(session))
    assert not report.rejected, report.rejected[:3]
    demo.load_bundles(session)
    return departments


def department(session: Session, name: str) -> Department:
    found = identity_service.get_department_by_name(session, name)
    assert found is not None, name
    return found


def clerk_of(session: Session, name: str, role: Role = Role.department_clerk) -> Account:
    return make_staff(session, role, department(session, name))


def resident_with_business_licence(session: Session, **overrides: Any) -> tuple[Account, Licence]:
    """A resident who already holds a valid (signed) business licence for a small shop."""
    account = make_resident(session, **overrides)
    assert account.person_id is not None
    market = department(session, "郑州市市场监督管理局")
    licence = licences.issue(
        session,
        actor=ADMIN,
        type_code="business_licence",
        issuer_department_id=market.id,
        person_id=account.person_id,
        holder_name="李记小吃店",
        issued_on=date(2025, 3, 1),
        detail={"business_name": "李记小吃店", "business_address": "郑州市金水区农业路8号"},
    )
    return account, licence


def restaurant_form() -> dict[str, Any]:
    return {
        "applicant_name": "李明",
        "contact_phone": "13800138000",
        "business_name": "李记小吃店",
        "business_address": "郑州市金水区农业路8号",
        "food_categories": "热食类制售",
        "business_area_m2": 80,
        "fire_safety_manager": "李明",
        "sign_location": "店门上方",
        "sign_area_m2": 6,
    }


RESTAURANT_ANSWERS = {"registration": "held", "need_1": "yes", "need_2": "yes", "need_3": "no"}
