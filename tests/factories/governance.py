"""Governance test data: the departments the categories name, points in the city, cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.security import SYSTEM, Actor
from citybrain.governance import intake, rules
from citybrain.governance.models import Case
from citybrain.identity.models import Department
from citybrain.regions.models import GridCell
from tests.factories.identity import make_department


def make_departments(session: Session) -> dict[str, Department]:
    """One department for every department name the category table uses, by name."""
    departments: dict[str, Department] = {}
    for category in rules.categories().values():
        name = category.department
        if name in departments:
            continue
        existing = session.scalar(select(Department).where(Department.name == name))
        departments[name] = existing or make_department(
            session, name=name, short_name=name.removeprefix("郑州市")[:32]
        )
    return departments


def city_points(session: Session, count: int = 1) -> list[tuple[float, float]]:
    """Centroids of the first grid cells (WGS-84): points certainly inside the city."""
    rows = session.execute(
        select(GridCell.centroid_lon, GridCell.centroid_lat).order_by(GridCell.id).limit(count)
    ).all()
    return [(float(lon), float(lat)) for lon, lat in rows]


def report(**overrides: Any) -> intake.Report:
    values: dict[str, Any] = {
        "channel": "hotline",
        "description": "垃圾箱满了溢出来，没人清理发臭，请尽快处理。",
        "category_code": "C0305",
    }
    values.update(overrides)
    return intake.Report(**values)


def make_case(
    session: Session, *, actor: Actor = SYSTEM, auto_merge: bool = False, **overrides: Any
) -> Case:
    """A case taken in through the real intake (registered and dispatched when it can be)."""
    result = intake.intake(session, report=report(**overrides), actor=actor, auto_merge=auto_merge)
    return result.case
