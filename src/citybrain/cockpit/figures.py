"""The pillars' headline figures and the daily trends.

Governance's closure rate comes from its own ``service.indicators``. The figures no pillar
service offers city-wide yet — applications today and the on-time rate of decided tasks
(servicehub), open and overdue cases and per-day counts (governance), scans today and
code colours (citycode) — are single aggregate queries here, each over an indexed time
column or a small table, so the whole summary stays a handful of queries.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode.models import PersonStatus, Scan
from citybrain.cockpit.schemas import Figure, Pillar, Trends
from citybrain.core.db import utcnow
from citybrain.core.workdays import calendar_for
from citybrain.governance import rules as governance_rules
from citybrain.governance import service as governance_service
from citybrain.governance.models import Case
from citybrain.servicehub import applications as servicehub_applications
from citybrain.servicehub.models import Application, ApplicationTask

CITY_ZONE: Final = ZoneInfo("Asia/Shanghai")
TREND_DAYS: Final = 14
RATE_DAYS: Final = 30
"""On-time and closure rates look back this many days."""

OPEN_CASE_STATUSES: Final = tuple(
    s.value for s in governance_rules.CaseStatus if s not in governance_rules.FINAL_STATUSES
)
COLOUR_LABELS: Final = {
    "green": ("绿码", "Green"),
    "yellow": ("黄码", "Yellow"),
    "red": ("红码", "Red"),
    "none": ("未赋码", "No code"),
}
DECIDED: Final = ("granted", "denied")


def local_midnight(now: datetime, days_back: int = 0) -> datetime:
    """The start of the city's local day ``days_back`` days before ``now``, in UTC."""
    day = now.astimezone(CITY_ZONE).date() - timedelta(days=days_back)
    return datetime.combine(day, time(0), CITY_ZONE).astimezone(ZoneInfo("UTC"))


def _count(value: Any) -> int:
    return int(value or 0)


def _percent(part: int, whole: int) -> tuple[float | None, str]:
    if not whole:
        return None, "—"
    value = round(part * 100 / whole, 1)
    return value, f"{value:.1f}%"


def _figure(key: str, label: str, label_en: str, value: int) -> Figure:
    return Figure(key=key, label=label, label_en=label_en, value=value, display=f"{value:,}")


def servicehub_figures(session: Session, *, now: datetime) -> Pillar:
    """一网通办: applications today, open tasks, on-time rate of tasks decided lately."""
    today = _count(
        session.scalar(
            select(func.count(Application.id)).where(
                Application.submitted_at >= local_midnight(now)
            )
        )
    )
    open_tasks = _count(
        session.scalar(
            select(func.count(ApplicationTask.id)).where(
                ApplicationTask.status.in_(servicehub_applications.OPEN)
            )
        )
    )
    decided = session.scalars(
        select(ApplicationTask).where(
            ApplicationTask.status.in_(DECIDED),
            ApplicationTask.accepted_on.is_not(None),
            ApplicationTask.decided_at >= now - timedelta(days=RATE_DAYS),
        )
    ).all()
    calendar = calendar_for(session)
    local_today = now.astimezone(CITY_ZONE).date()
    on_time = sum(
        1
        for task in decided
        if servicehub_applications.task_clock(calendar, task, local_today).within_limit
    )
    rate, rate_display = _percent(on_time, len(decided))
    return Pillar(
        code="servicehub",
        name="一网通办",
        name_en="Services",
        figures=[
            _figure("applications_today", "今日办件", "Applications today", today),
            _figure("open_tasks", "在办事项", "Open tasks", open_tasks),
            Figure(
                key="on_time_rate",
                label=f"按时办结率·{RATE_DAYS}天",
                label_en=f"On time, {RATE_DAYS} d",
                value=rate,
                display=rate_display,
            ),
        ],
    )


def governance_figures(session: Session, *, now: datetime) -> Pillar:
    """一网统管: open and overdue cases, the closure rate of cases due lately."""
    open_cases = _count(
        session.scalar(select(func.count(Case.id)).where(Case.status.in_(OPEN_CASE_STATUSES)))
    )
    running = [s.value for s in governance_rules.CLOCK_RUNNING]
    overdue = _count(
        session.scalar(
            select(func.count(Case.id)).where(Case.status.in_(running), Case.due_at < now)
        )
    )
    rates = governance_service.indicators(session, start=now - timedelta(days=RATE_DAYS), end=now)
    closure = rates.closure_rate
    return Pillar(
        code="governance",
        name="一网统管",
        name_en="Cases",
        figures=[
            _figure("cases_open", "在办案件", "Open cases", open_cases),
            _figure("cases_overdue", "超期案件", "Overdue", overdue),
            Figure(
                key="closure_rate",
                label=f"结案率·{RATE_DAYS}天",
                label_en=f"Closure rate, {RATE_DAYS} d",
                value=float(closure) if closure is not None else None,
                display=f"{closure}%" if closure is not None else "—",
            ),
        ],
    )


def citycode_figures(session: Session, *, now: datetime) -> Pillar:
    """一码通城: scans today and how many people hold each code colour."""
    scans = _count(
        session.scalar(select(func.count(Scan.id)).where(Scan.scanned_at >= local_midnight(now)))
    )
    colours = dict(
        session.execute(select(PersonStatus.colour, func.count()).group_by(PersonStatus.colour))
        .tuples()
        .all()
    )
    figures = [_figure("scans_today", "今日扫码", "Scans today", scans)]
    for colour, (label, label_en) in COLOUR_LABELS.items():
        figures.append(_figure(f"status_{colour}", label, label_en, _count(colours.get(colour))))
    return Pillar(code="citycode", name="一码通城", name_en="City code", figures=figures)


def _per_day(stamps: list[datetime], days: list[date]) -> list[int]:
    counted = Counter(stamp.astimezone(CITY_ZONE).date() for stamp in stamps)
    return [counted.get(day, 0) for day in days]


def trends(session: Session, *, now: datetime) -> Trends:
    """Cases opened and closed, and applications submitted, per local day."""
    since = local_midnight(now, TREND_DAYS - 1)
    today = now.astimezone(CITY_ZONE).date()
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    opened = list(session.scalars(select(Case.accepted_at).where(Case.accepted_at >= since)))
    closed = list(session.scalars(select(Case.closed_at).where(Case.closed_at >= since)))
    submitted = list(
        session.scalars(select(Application.submitted_at).where(Application.submitted_at >= since))
    )
    return Trends(
        days=[day.isoformat() for day in days],
        series=[
            {
                "key": "cases_opened",
                "label": "新增案件",
                "label_en": "Cases opened",
                "values": _per_day(opened, days),
            },
            {
                "key": "cases_closed",
                "label": "结案",
                "label_en": "Cases closed",
                "values": _per_day([c for c in closed if c is not None], days),
            },
            {
                "key": "applications",
                "label": "办件申请",
                "label_en": "Applications",
                "values": _per_day(submitted, days),
            },
        ],
    )


def pillar_figures(session: Session, *, now: datetime | None = None) -> list[Pillar]:
    now = now or utcnow()
    return [
        servicehub_figures(session, now=now),
        governance_figures(session, now=now),
        citycode_figures(session, now=now),
    ]
