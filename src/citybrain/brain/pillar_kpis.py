"""Scenario KPIs from the other pillars (指标接入): applications, cases, code colours.

An outbox consumer (cursor ``brain.pillar_kpis``). When servicehub, governance or
citycode events arrive, the KPIs that pillar feeds are recomputed for their current
period (the city's local hour or day, as the scenario indicator's ``period`` says) per
county-level division, and written to the hub as one Smart Data Models
``KeyPerformanceIndicator`` entity per (KPI, division) through the batch upsert, as a
system actor: history, subscriptions and alert rules see them like any other write.

Each entity carries ``kpiCode`` (the scenario indicator it feeds), ``kpiValue``,
``calculationPeriod`` {from, to}, and a ``location`` inside its division so that the
brain's drill-down places it there. Rates and means also carry their parts,
``kpiNumerator`` and ``kpiDenominator`` (on time / decided, closed / due, Σ score /
ratings): ``brain.indicators`` adds the parts of the districts, so a city rate is the
pooled city-wide rate, not an average of district rates, and counts simply add.

Only changed entities are written; a round without events writes nothing unless a
period has rolled over (then every KPI of that period is restarted). Facts with no
county-level division (a case outside every district, an applicant without one) count
in no district and therefore not in the city figure either.

Figures no pillar service offers per district (applications, ratings, counts of cases,
code colours) are read here over those pillars' tables, like the cockpit's figures; they
should move behind pillar service functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiEntity
from citybrain.brain.ngsi import batch, store
from citybrain.brain.ngsi.attributes import format_datetime
from citybrain.brain.ngsi.context import core_context
from citybrain.citycode import events as citycode_events
from citybrain.citycode.models import PersonStatus
from citybrain.core import outbox
from citybrain.core.db import utcnow
from citybrain.core.security import Actor, ActorKind
from citybrain.core.workdays import calendar_for
from citybrain.governance import events as governance_events
from citybrain.governance import service as governance_service
from citybrain.governance.models import Case
from citybrain.identity.models import Enterprise, Person
from citybrain.regions import service as regions_service
from citybrain.regions.models import COUNTY_LEVELS
from citybrain.servicehub import applications as servicehub_applications
from citybrain.servicehub import events as servicehub_events
from citybrain.servicehub.models import Application, ApplicationTask, Bundle, Rating

CONSUMER: Final = "brain.pillar_kpis"
PUBLISHER: Final = Actor(kind=ActorKind.system, id="brain-kpis", name="城市大脑指标")
CITY_ZONE: Final = ZoneInfo("Asia/Shanghai")
KPI_TYPE: Final = "KeyPerformanceIndicator"
ID_PREFIX: Final = "urn:ngsi-ld:KeyPerformanceIndicator:"
READ_LIMIT: Final = 2_000
ONE_LICENCE_BUNDLE: Final = "一业一证"
GOOD_RATING_MIN: Final = 3
"""好差评: 非常满意/满意/基本满意 (3–5) are satisfied; 不满意/非常不满意 (1–2) are 差评."""

PILLAR_EVENTS: Final[dict[str, tuple[str, ...]]] = {
    "servicehub": (
        servicehub_events.ApplicationSubmitted.name,
        servicehub_events.TaskStepTaken.name,
        servicehub_events.ApplicationCompleted.name,
        servicehub_events.LicenceIssued.name,
    ),
    "governance": (
        governance_events.CaseAccepted.name,
        governance_events.CaseTransitioned.name,
        governance_events.CaseDispatched.name,
        governance_events.CaseMerged.name,
        governance_events.CaseClosed.name,
        governance_events.CaseEscalated.name,
    ),
    "citycode": (citycode_events.StatusChanged.name,),
}
EVENT_PILLAR: Final = {name: pillar for pillar, names in PILLAR_EVENTS.items() for name in names}

Part = tuple[int, int]
"""(numerator, denominator) of a rate or mean; (count, 1) of a count."""


@dataclass(frozen=True)
class Window:
    """The calculation period: the local hour or day that holds ``now``, up to ``now``."""

    start: datetime
    end: datetime
    now: datetime

    @property
    def until(self) -> datetime:
        return min(self.end, self.now)


@dataclass(frozen=True)
class Kpi:
    """One published KPI: the scenario indicator it feeds and how it is computed."""

    code: str  # the scenario indicator id, e.g. "city-management-01.3"
    name: str
    pillar: str
    period: str  # "hour" or "day"
    kind: str  # "count" (kpiValue = count), "rate" (fraction), "mean" (average)
    definition: str
    measure: Callable[[Session, Window], dict[str, Part]]
    organization: str


@dataclass
class PublishStats:
    events: int = 0
    recomputed: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def did_work(self) -> bool:
        return bool(self.recomputed)


# --- periods --------------------------------------------------------------------------------


def window_of(period: str, now: datetime) -> Window:
    """The city's local hour or day holding ``now`` (UTC bounds)."""
    local = now.astimezone(CITY_ZONE)
    if period == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
    else:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=1)).replace(hour=0)  # no DST in China; stays midnight
    utc = ZoneInfo("UTC")
    return Window(start.astimezone(utc), end.astimezone(utc), now)


# --- measures: per division, (numerator, denominator) ---------------------------------------


def _governance_rates(session: Session, window: Window, divisions: Iterable[str]) -> dict[str, Any]:
    return {
        code: governance_service.indicators(
            session, start=window.start, end=window.until, division_code=code
        )
        for code in divisions
    }


def _rate_of(attr: str) -> Callable[[Session, Window], dict[str, Part]]:
    """A governance rate over cases due in the period so far (governance's own definition)."""

    def measure(session: Session, window: Window) -> dict[str, Part]:
        rates = _governance_rates(session, window, county_divisions(session))
        return {code: (getattr(r, attr), r.due) for code, r in rates.items() if r.due}

    return measure


def _case_count(column: Any) -> Callable[[Session, Window], dict[str, Part]]:
    def measure(session: Session, window: Window) -> dict[str, Part]:
        rows = session.execute(
            select(Case.division_code, func.count())
            .where(
                column >= window.start,
                column < window.until,
                Case.parent_id.is_(None),
                Case.division_code.is_not(None),
            )
            .group_by(Case.division_code)
        )
        return {code: (int(n), 1) for code, n in rows}

    return measure


def _applicant_division() -> Any:
    """The applicant's division: the person's, or the enterprise's."""
    return func.coalesce(Person.division_code, Enterprise.division_code)


def _with_applicant(query: Any) -> Any:
    return query.outerjoin(Person, Person.id == Application.person_id).outerjoin(
        Enterprise, Enterprise.id == Application.enterprise_id
    )


def _tasks_on_time(session: Session, window: Window) -> dict[str, Part]:
    """Tasks decided in the period: used working days ≤ the limit (servicehub's clock)."""
    division = _applicant_division()
    rows = session.execute(
        _with_applicant(
            select(ApplicationTask, division).join(
                Application, Application.id == ApplicationTask.application_id
            )
        ).where(
            ApplicationTask.status.in_(("granted", "denied")),
            ApplicationTask.accepted_on.is_not(None),
            ApplicationTask.decided_at >= window.start,
            ApplicationTask.decided_at < window.until,
            division.is_not(None),
        )
    ).all()
    calendar = calendar_for(session)
    today = window.now.astimezone(calendar.zone).date()
    parts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for task, code in rows:
        clock = servicehub_applications.task_clock(calendar, task, today)
        parts[code][0] += 1 if clock.within_limit else 0
        parts[code][1] += 1
    return {code: (on_time, decided) for code, (on_time, decided) in parts.items()}


def _rating_satisfaction(session: Session, window: Window) -> dict[str, Part]:
    """好差评 given in the period: satisfied (3–5) over all ratings."""
    division = _applicant_division()
    good = func.sum(case((Rating.score >= GOOD_RATING_MIN, 1), else_=0))
    rows = session.execute(
        _with_applicant(
            select(division, good, func.count())
            .select_from(Rating)
            .join(Application, Application.id == Rating.application_id)
        )
        .where(
            Rating.created_at >= window.start,
            Rating.created_at < window.until,
            division.is_not(None),
        )
        .group_by(division)
    )
    return {code: (int(ok or 0), int(n)) for code, ok, n in rows}


def _one_licence_issued(session: Session, window: Window) -> dict[str, Part]:
    """一业一证 applications finished in the period with every task granted."""
    division = _applicant_division()
    denied = (
        select(ApplicationTask.id)
        .where(
            ApplicationTask.application_id == Application.id,
            ApplicationTask.status != "granted",
        )
        .exists()
    )
    rows = session.execute(
        _with_applicant(
            select(division, func.count())
            .select_from(Application)
            .join(Bundle, Bundle.id == Application.bundle_id)
        )
        .where(
            Bundle.name.startswith(ONE_LICENCE_BUNDLE),
            Application.status == "completed",
            Application.completed_at >= window.start,
            Application.completed_at < window.until,
            ~denied,
            division.is_not(None),
        )
        .group_by(division)
    )
    return {code: (int(n), 1) for code, n in rows}


def _risk_people(session: Session, window: Window) -> dict[str, Part]:
    """People holding a red or yellow code now, by their division of residence."""
    rows = session.execute(
        select(Person.division_code, func.count())
        .join(PersonStatus, PersonStatus.person_id == Person.id)
        .where(PersonStatus.colour.in_(("red", "yellow")), Person.division_code.is_not(None))
        .group_by(Person.division_code)
    )
    return {code: (int(n), 1) for code, n in rows}


GOVERNANCE_ORG: Final = "郑州市城市管理局（一网统管）"
SERVICEHUB_ORG: Final = "郑州市政务服务办公室（一网通办）"

KPIS: Final[tuple[Kpi, ...]] = (
    Kpi("city-management-01.1", "立案数", "governance", "hour", "count",
        "本小时立案的案件数（registered_at，不含合并件）", _case_count(Case.registered_at),
        GOVERNANCE_ORG),
    Kpi("city-management-01.2", "按期结案率", "governance", "day", "rate",
        "按期结案数 / 应结案数（今日到期的案件）", _rate_of("closed_on_time"), GOVERNANCE_ORG),
    Kpi("city-management-01.3", "结案率", "governance", "day", "rate",
        "结案数 / 应结案数（今日到期的案件）", _rate_of("closed"), GOVERNANCE_ORG),
    Kpi("city-management-01.4", "返工率", "governance", "day", "rate",
        "返工案件数 / 应结案数（今日到期的案件）", _rate_of("reworked"), GOVERNANCE_ORG),
    Kpi("city-management-04.1", "结案率", "governance", "day", "rate",
        "结案数 / 应结案数（今日到期的案件）", _rate_of("closed"), GOVERNANCE_ORG),
    Kpi("city-management-04.2", "按期结案率", "governance", "day", "rate",
        "按期结案数 / 应结案数（今日到期的案件）", _rate_of("closed_on_time"), GOVERNANCE_ORG),
    Kpi("city-management-04.3", "返工率", "governance", "day", "rate",
        "返工案件数 / 应结案数（今日到期的案件）", _rate_of("reworked"), GOVERNANCE_ORG),
    Kpi("city-management-04.4", "延期率", "governance", "day", "rate",
        "延期案件数 / 应结案数（今日到期的案件）", _rate_of("extended"), GOVERNANCE_ORG),
    Kpi("community-06.1", "事件发现数", "governance", "hour", "count",
        "本小时受理的事件数（accepted_at，不含合并件）", _case_count(Case.accepted_at),
        GOVERNANCE_ORG),
    Kpi("community-06.2", "结案率", "governance", "day", "rate",
        "结案数 / 应结案数（今日到期的案件）", _rate_of("closed"), GOVERNANCE_ORG),
    Kpi("government-services-05.2", "事件按期结案率", "governance", "day", "rate",
        "按期结案数 / 应结案数（今日到期的案件）", _rate_of("closed_on_time"), GOVERNANCE_ORG),
    Kpi("government-services-05.1", "办件按期办结率", "servicehub", "day", "rate",
        "今日办结的事项中用时不超过承诺时限的比例（按申请人所在区）", _tasks_on_time,
        SERVICEHUB_ORG),
    Kpi("government-services-01.4", "好差评满意度", "servicehub", "hour", "rate",
        "本小时好差评中 3–5 分（基本满意及以上）的比例（按申请人所在区）",
        _rating_satisfaction, SERVICEHUB_ORG),
    Kpi("market-supervision-01.1", "一业一证发证量", "servicehub", "hour", "count",
        "本小时办结且全部事项准予的一业一证办件数（按申请人所在区）", _one_licence_issued,
        "郑州市市场监督管理局"),
    Kpi("health-07.2", "风险人员数", "citycode", "hour", "count",
        "当前持红码、黄码的人数（按居住区）", _risk_people, "郑州市卫生健康委员会（一码通城）"),
)  # fmt: skip
# Indicators whose value is a fraction (0.93 = 93 %): pages show them as percentages.
RATE_CODES: Final[frozenset[str]] = frozenset(k.code for k in KPIS if k.kind == "rate")


def kpi(code: str) -> Kpi:
    return next(k for k in KPIS if k.code == code)


# --- divisions and their points -------------------------------------------------------------


def county_divisions(session: Session) -> dict[str, str]:
    """County-level divisions (districts, counties, county-level cities): code → name."""
    return {
        d.code: d.name
        for level in sorted(COUNTY_LEVELS)
        for d in regions_service.list_divisions(session, level=level)
    }


def division_points(session: Session) -> dict[str, tuple[float, float]]:
    """A point per division that the region index places in that very division."""
    candidates: list[tuple[str, float, float]] = []
    for code in county_divisions(session):
        for street in regions_service.list_streets(session, division_code=code):
            if street.boundary_wkt:
                point = shapely.from_wkt(street.boundary_wkt).representative_point()
                candidates.append((code, float(point.x), float(point.y)))
    if not candidates:
        return {}
    found = regions_service.locate_many(
        session, lons=[c[1] for c in candidates], lats=[c[2] for c in candidates]
    )
    points: dict[str, tuple[float, float]] = {}
    for (code, lon, lat), where in zip(candidates, found, strict=True):
        if where is not None and where.division_code == code and code not in points:
            points[code] = (lon, lat)
    return points


# --- entities -------------------------------------------------------------------------------


def entity_id(code: str, division: str) -> str:
    return f"{ID_PREFIX}{code}:{division}"


def _prop(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def _entity(
    k: Kpi, division: str, name: str, point: tuple[float, float], part: Part | None, w: Window
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": entity_id(k.code, division),
        "type": KPI_TYPE,
        "kpiCode": _prop(k.code),
        "name": _prop(f"{k.name}·{name}"),
        "description": _prop(k.definition),
        "category": _prop(["quantitative"]),
        "calculationFrequency": _prop("hourly" if k.period == "hour" else "daily"),
        "calculationMethod": _prop("automatic"),
        "calculationPeriod": _prop(
            {"from": format_datetime(w.start), "to": format_datetime(w.end)}
        ),
        "organization": _prop({"name": k.organization}),
        "process": _prop(k.pillar),
        "area": _prop(name),
        "dateModified": _prop({"@type": "DateTime", "@value": format_datetime(w.now)}),
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": list(point)}},
    }
    if part is None:
        return body  # a rate with nothing to measure yet: no kpiValue
    numerator, denominator = part
    if k.kind == "count":
        body["kpiValue"] = _prop(numerator)
    else:
        body["kpiValue"] = _prop(round(numerator / denominator, 6))
        body["kpiNumerator"] = _prop(numerator)
        body["kpiDenominator"] = _prop(denominator)
    return body


_COMPARED: Final = ("kpiValue", "kpiNumerator", "kpiDenominator", "calculationPeriod", "location")


def _fingerprint(body: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(repr(body[name]["value"]) if name in body else None for name in _COMPARED)


def _stored_fingerprint(entity: store.StoredEntity) -> tuple[Any, ...]:
    ctx = core_context()
    values = []
    for name in _COMPARED:
        attr = entity.attrs.get(ctx.expand(name))
        values.append(None if attr is None else repr(_plain(attr.body.get("value"))))
    return tuple(values)


def _plain(value: Any) -> Any:
    """A stored value as written (expanded keys of a JSON value stay as they were)."""
    if isinstance(value, dict) and "@value" in value and len(value) <= 2:
        return value["@value"]
    return value


# --- the consumer ---------------------------------------------------------------------------


def _due_for_restart(session: Session, now: datetime) -> set[str]:
    """KPIs with an entity written before its current period began (or none at all)."""
    modified: dict[str, list[datetime]] = defaultdict(list)
    rows = session.execute(
        select(NgsiEntity.entity_id, NgsiEntity.modified_at).where(
            NgsiEntity.entity_id.startswith(ID_PREFIX)
        )
    )
    for found_id, modified_at in rows:
        code = found_id.removeprefix(ID_PREFIX).rsplit(":", 1)[0]
        modified[code].append(modified_at)
    due = set()
    for k in KPIS:
        start = window_of(k.period, now).start.replace(tzinfo=None)
        stamps = modified.get(k.code)
        if not stamps or min(_naive(s) for s in stamps) < start:
            due.add(k.code)
    return due


def _naive(moment: datetime) -> datetime:
    """Stored timestamps as naive UTC (SQLite returns them naive, PostgreSQL aware)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def recompute(
    session: Session, codes: Iterable[str], *, now: datetime, stats: PublishStats
) -> None:
    """Recompute these KPIs for their current period; write the entities that changed."""
    wanted = [k for k in KPIS if k.code in set(codes)]
    if not wanted:
        return
    names = county_divisions(session)
    points = division_points(session)
    bodies: list[dict[str, Any]] = []
    for k in wanted:
        window = window_of(k.period, now)
        parts = k.measure(session, window)
        stats.recomputed.append(k.code)
        for code, point in points.items():
            part = parts.get(code)
            if part is None and k.kind == "count":
                part = (0, 1)
            bodies.append(_entity(k, code, names[code], point, part, window))
    current = store.load(session, [body["id"] for body in bodies])
    changed = [
        body
        for body in bodies
        if body["id"] not in current
        or _stored_fingerprint(current[body["id"]]) != _fingerprint(body)
    ]
    stats.unchanged += len(bodies) - len(changed)
    for start in range(0, len(changed), 1_000):
        result = batch.upsert(
            session, raw=changed[start : start + 1_000], ctx=core_context(), actor=PUBLISHER
        )
        if result.errors:
            raise RuntimeError(f"KPI entities refused by the hub: {result.errors[:3]}")
        stats.written.extend(result.success)


def publish(session: Session, *, now: datetime | None = None) -> PublishStats:
    """Read the pillars' new events, recompute the KPIs they affect; no commit.

    Also restarts the KPIs whose period rolled over since they were last written. The
    cursor advances with the writes, so the caller commits both at once.
    """
    now = now or utcnow()
    stats = PublishStats()
    events = outbox.read(session, CONSUMER, names=list(EVENT_PILLAR), limit=READ_LIMIT)
    stats.events = len(events)
    pillars = {EVENT_PILLAR[event.name] for event in events}
    codes = {k.code for k in KPIS if k.pillar in pillars} | _due_for_restart(session, now)
    recompute(session, sorted(codes), now=now, stats=stats)
    if events:
        outbox.advance(session, CONSUMER, events[-1].id)
    return stats
