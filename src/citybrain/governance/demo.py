"""Demo cases for the demo city: a month of reports through every channel, at every stage.

Texts come from the same generator as the classifier's corpus; points are drawn
inside the districts' (synthetic) boundaries; each case goes through the real
intake and lifecycle with back-dated times, so clocks, overdue marks, escalations
and indicators all have something to show.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Final

import shapely
from shapely.geometry import shape
from sqlalchemy.orm import Session

from citybrain.core.db import utcnow
from citybrain.core.security import SYSTEM, Actor, ActorKind, Role
from citybrain.governance import corpus, intake, lifecycle, rules
from citybrain.regions import service as regions_service

DEMO_CASES: Final = 200
COUNTIES: Final = ("410102", "410103", "410104", "410105", "410108")
COMMON: Final = ("C0305", "E0110", "E0112", "C0118", "E0409", "E0406", "E0201", "C0102", "E01L06")
CHANNELS: Final = ("hotline", "hotline", "app", "app", "grid", "sensor")
STAGES: Final = (
    ("dispatched", 3),
    ("claimed", 4),
    ("handled", 2),
    ("closed", 6),
    ("late", 2),
    ("evaluated", 3),
    ("rework", 1),
)
WORKER: Final = Actor(
    kind=ActorKind.staff, id="demo-grid", name="演示网格员", role=Role.grid_worker
)


def _points(session: Session, rng: random.Random, count: int) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    polygons = [
        shape(regions_service.division_feature(session, code=code)["geometry"]) for code in COUNTIES
    ]
    while len(points) < count:
        polygon = rng.choice(polygons)
        minx, miny, maxx, maxy = polygon.bounds
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, lon, lat):
            points.append((round(lon, 6), round(lat, 6)))
    return points


def _stage(rng: random.Random) -> str:
    names = [name for name, weight in STAGES for _ in range(weight)]
    return rng.choice(names)


def _advance(session: Session, case_id: int, stage: str, start: datetime, now: datetime) -> None:
    Action = rules.Action
    case = lifecycle.get_case_or_raise(session, case_id)
    due = case.due_at or now
    span = max(due - start, timedelta(minutes=30))

    def at(share: float) -> datetime:
        return min(start + span * share, now)

    def step(action: rules.Action, when: datetime, **kw: object) -> None:
        lifecycle.apply(session, case_id=case_id, action=action, actor=SYSTEM, now=when, **kw)  # type: ignore[arg-type]

    if stage == "dispatched":
        return
    step(Action.claim, at(0.1))
    if stage == "claimed":
        return
    finish = at(1.3) if stage == "late" else at(0.6)
    step(Action.feedback, finish)
    if stage == "handled":
        return
    if stage == "rework":
        lifecycle.apply(
            session,
            case_id=case_id,
            action=Action.verify_fail,
            actor=WORKER,
            now=min(finish + timedelta(minutes=30), now),
            reason="现场核查仍未处置到位",
        )
        return
    lifecycle.apply(
        session,
        case_id=case_id,
        action=Action.verify_pass,
        actor=WORKER,
        now=min(finish + timedelta(minutes=30), now),
    )
    if stage == "evaluated":
        step(Action.rate, min(finish + timedelta(hours=2), now), rating=4 if case_id % 5 else 2)


def load(session: Session, *, seed: int, count: int = DEMO_CASES) -> int:
    """Create ``count`` demo cases; returns how many cases exist afterwards (merges kept)."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    categories = rules.categories()
    points = _points(session, rng, count)
    created = 0
    for n in range(count):
        code = rng.choice(COMMON) if rng.random() < 0.6 else rng.choice(list(categories))
        category = categories[code]
        accepted = now - timedelta(days=rng.uniform(0, 28), hours=rng.uniform(0, 8))
        channel = rng.choice(CHANNELS)
        lon, lat = points[n]
        report = intake.Report(
            channel=channel,
            description=corpus.describe(rng, category),
            category_code=None if channel in ("app", "hotline") and rng.random() < 0.5 else code,
            lon=lon,
            lat=lat,
            external_id=f"demo-sensor-{n:04d}" if channel == "sensor" else None,
            reporter=intake.Reporter(phone=f"1380000{n:04d}" if channel == "hotline" else ""),
        )
        result = intake.intake(session, report=report, actor=SYSTEM, now=accepted)
        created += 1
        case = result.case
        if case.status == rules.CaseStatus.dispatched.value:
            _advance(session, case.id, _stage(rng), accepted, now)
    lifecycle.escalate_overdue(session, actor=SYSTEM, now=now)
    session.flush()
    return created
