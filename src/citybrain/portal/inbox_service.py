"""One inbox across pillars for a department (staff console): servicehub tasks and
governance cases as one list of rows, each with its deadline, remaining working time
and warning level; filters, sorting, pages; bulk steps through the pillars' own
services, one transaction per row; and the head's figures.

Rows come from ``servicehub.applications.inbox`` and ``governance.service.list_cases``,
which both enforce the department; nothing here reads a pillar's tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from citybrain.core.db import transaction, utcnow
from citybrain.core.errors import DomainError
from citybrain.core.logging import mask_text
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.core.workdays import WorkCalendar, calendar_for
from citybrain.governance import lifecycle as governance_lifecycle
from citybrain.governance import rules as governance_rules
from citybrain.governance import service as governance_service
from citybrain.servicehub import applications as application_service
from citybrain.servicehub import metrics as servicehub_metrics
from citybrain.servicehub.models import ApplicationTask

PILLARS = ("servicehub", "governance")
LEVELS = ("overdue", "warning", "normal", "none")
SORTS = ("deadline", "received", "kind")
MAX_ROWS_PER_PILLAR = 2000
MAX_PAGE_SIZE = 100
MAX_BULK = 100
INDICATOR_DAYS = 30

LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "normal": ("正常", "On time"),
    "warning": ("即将到期", "Due soon"),
    "overdue": ("已超期", "Overdue"),
    "none": ("未计时", "No clock"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "application": ("办件", "Application"),
    "case": ("案件", "Case"),
}
TASK_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "submitted": ("待受理", "To accept"),
    "accepted": ("办理中", "In progress"),
    "correcting": ("待补正", "Correction requested"),
    "suspended": ("特别程序", "Special procedure"),
}
# Clock states of a servicehub task → the inbox's warning level (and its words).
_TASK_LEVELS: dict[str, tuple[str, str, str]] = {
    "on_time": ("normal", "正常", "On time"),
    "warning": ("warning", "即将到期", "Due soon"),
    "overdue": ("overdue", "已超期", "Overdue"),
    "not_started": ("none", "未受理，未起算", "Not started"),
    "paused": ("none", "暂停计时", "Paused"),
    "stopped": ("none", "已停止", "Stopped"),
}
# What may be done to many rows at once: safe, single-step, reason-free moves.
BULK_ACTIONS: dict[str, tuple[str, str]] = {
    "claim": ("governance", "dispatched"),  # 签收 dispatched cases
    "accept": ("servicehub", "submitted"),  # 受理 submitted tasks
}
BULK_LABELS: dict[str, tuple[str, str]] = {
    "claim": ("批量签收", "Sign for selected cases"),
    "accept": ("批量受理", "Accept selected applications"),
}


@dataclass(frozen=True)
class InboxRow:
    """One piece of work, whichever pillar it comes from, ready to show."""

    key: str  # "servicehub:<task id>" or "governance:<case id>"
    pillar: str
    kind: str  # application / case
    id: int
    ref: str
    title: str
    summary: str
    status: str
    status_label: str
    received_at: datetime | None
    deadline: datetime | None
    remaining: float | None
    remaining_unit: str | None  # workdays / workhours
    remaining_label: str
    remaining_label_en: str
    level: str
    level_label: str
    escalation_level: int
    href: str
    bulk_action: str | None


@dataclass(frozen=True)
class InboxQuery:
    pillar: str | None = None
    state: str | None = None
    level: str | None = None
    text: str = ""
    sort: str = "deadline"
    descending: bool = False
    page: int = 1
    page_size: int = 20


@dataclass
class InboxResult:
    rows: list[InboxRow]
    total: int
    page: int
    page_size: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)
    states: list[tuple[str, str]] = field(default_factory=list)
    # A pillar had more open work than the inbox reads (MAX_ROWS_PER_PILLAR, earliest
    # deadlines first): totals, counts and search cover only what was read.
    truncated: bool = False


@dataclass(frozen=True)
class BulkResult:
    key: str
    ok: bool
    status: str | None = None
    code: str | None = None
    message: str = ""
    message_en: str = ""


def require_department_staff(actor: Actor) -> int:
    """The inbox belongs to a department: its clerks and head (403 for anyone else)."""
    if actor.kind is not ActorKind.staff:
        raise DomainError("auth.staff_only", "仅限工作人员", "Staff only", status=403)
    actor.require_role(Role.department_clerk, Role.department_head)
    if actor.department_id is None:
        raise DomainError(
            "portal.department_required",
            "收件箱属于部门，请使用部门账号",
            "The inbox belongs to a department: use a department account",
            status=403,
        )
    return actor.department_id


def _hours_per_day(calendar: WorkCalendar) -> float:
    day = date(2000, 1, 3)
    return sum(
        (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() / 3600
        for start, end in calendar.periods
    )


def _remaining_labels(
    value: float | None, unit: str | None, hours_per_day: float = 0.0, *, overdue: bool = False
) -> tuple[str, str]:
    """(Chinese, English) words for the working time left or over."""
    if value is None or unit is None:
        return "—", ""
    amount = abs(value)
    if unit == "workdays":
        shown, shown_en = f"{amount:.0f} 个工作日", f"{amount:.0f} working days"
    else:
        shown, shown_en = f"{amount:.1f} 工作小时", f"{amount:.1f} working hours"
        if hours_per_day and amount >= hours_per_day:
            days = amount / hours_per_day
            shown += f"（约 {days:.1f} 个工作日）"
            shown_en += f" (about {days:.1f} working days)"
    if value < 0:
        return f"超期 {shown}", f"{shown_en} over"
    if overdue:  # past the deadline outside working hours: no working time over yet
        return "已过期限", "past the deadline"
    return f"剩余 {shown}", f"{shown_en} left"


def _task_rows(
    session: Session, actor: Actor, calendar: WorkCalendar, today: date, state: str | None
) -> list[InboxRow]:
    statuses: tuple[str, ...] = application_service.OPEN
    if state is not None:
        statuses = tuple(s for s in statuses if s == state)
        if not statuses:
            return []
    tasks = application_service.inbox(
        session, actor=actor, statuses=statuses, limit=MAX_ROWS_PER_PILLAR
    )
    return [_task_row(calendar, task, today) for task in tasks]


def _task_row(calendar: WorkCalendar, task: ApplicationTask, today: date) -> InboxRow:
    clock = application_service.task_clock(calendar, task, today)
    level, level_zh, level_en = _TASK_LEVELS.get(clock.state, ("none", clock.state, clock.state))
    deadline = calendar.end_of_day(clock.due_on) if clock.due_on else None
    remaining: float | None = None
    if clock.state in ("on_time", "warning", "overdue", "paused"):
        remaining = float(clock.limit_days - clock.used_days)
    status_zh, status_en = TASK_STATUS_LABELS.get(task.status, (task.status, task.status))
    unit = "workdays" if remaining is not None else None
    label, label_en = _remaining_labels(remaining, unit, overdue=level == "overdue")
    return InboxRow(
        key=f"servicehub:{task.id}",
        pillar="servicehub",
        kind="application",
        id=task.id,
        ref=task.application.number,
        title=task.item.name,
        summary=task.application.title,
        status=task.status,
        status_label=f"{status_zh} {status_en}",
        received_at=task.application.submitted_at,
        deadline=deadline,
        remaining=remaining,
        remaining_unit=unit,
        remaining_label=label,
        remaining_label_en=label_en,
        level=level,
        level_label=f"{level_zh} {level_en}",
        escalation_level=0,
        href=f"/services/applications/{task.application_id}",
        bulk_action="accept" if task.status == "submitted" else None,
    )


def _case_rows(
    session: Session, actor: Actor, calendar: WorkCalendar, now: datetime, state: str | None
) -> list[InboxRow]:
    cases, _total = governance_service.list_cases(
        session, actor=actor, status=state, open_only=True, limit=MAX_ROWS_PER_PILLAR
    )
    clocks = governance_service.clocks(session, cases, now)
    rows = []
    categories = governance_rules.categories()
    hours_per_day = _hours_per_day(calendar)
    for case in cases:
        clock = clocks[case.id]
        level = clock.state.value if clock.state else "none"
        remaining: float | None = None
        if clock.fraction is not None and case.clock_started_at and case.due_at:
            total = calendar.working_hours_between(case.clock_started_at, case.due_at)
            remaining = round(total * (1 - clock.fraction), 1)
        status = governance_rules.CaseStatus(case.status)
        status_zh, status_en = governance_rules.STATUS_LABELS[status]
        category = categories.get(case.category_code or "")
        level_zh, level_en = LEVEL_LABELS[level]
        if clock.percent is not None:
            level_zh = f"{level_zh} {clock.percent}%"
        unit = "workhours" if remaining is not None else None
        label, label_en = _remaining_labels(
            remaining, unit, hours_per_day, overdue=level == "overdue"
        )
        rows.append(
            InboxRow(
                key=f"governance:{case.id}",
                pillar="governance",
                kind="case",
                id=case.id,
                ref=f"#{case.id}",
                title=category.name if category else "待分类",
                summary=mask_text(case.description)[:80],
                status=case.status,
                status_label=f"{status_zh} {status_en}",
                received_at=case.dispatched_at or case.accepted_at,
                deadline=case.due_at,
                remaining=remaining,
                remaining_unit=unit,
                remaining_label=label,
                remaining_label_en=label_en,
                level=level,
                level_label=f"{level_zh} {level_en}",
                escalation_level=case.escalation_level,
                href=f"/governance/cases/{case.id}",
                bulk_action="claim" if case.status == "dispatched" else None,
            )
        )
    return rows


def all_rows(
    session: Session,
    *,
    actor: Actor,
    pillar: str | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> list[InboxRow]:
    """Every open piece of the actor's department's work, both pillars (or one)."""
    require_department_staff(actor)
    calendar = calendar_for(session)
    now = now or utcnow()
    today = now.astimezone(calendar.zone).date()
    rows: list[InboxRow] = []
    if pillar in (None, "servicehub"):
        rows += _task_rows(session, actor, calendar, today, state)
    if pillar in (None, "governance"):
        rows += _case_rows(session, actor, calendar, now, state)
    return rows


_FAR = datetime.max


def _naive(value: datetime | None) -> datetime:
    if value is None:
        return _FAR
    return value.replace(tzinfo=None) - (value.utcoffset() or timedelta(0))


def _sort_key(sort: str) -> Callable[[InboxRow], tuple[object, ...]]:
    if sort == "received":
        return lambda r: (_naive(r.received_at), r.key)
    if sort == "kind":
        return lambda r: (r.kind, _naive(r.deadline), r.key)
    return lambda r: (r.deadline is None, _naive(r.deadline), r.key)


def _matches(row: InboxRow, query: InboxQuery) -> bool:
    if query.level is not None and row.level != query.level:
        return False
    text = query.text.strip().lower()
    if text:
        haystack = f"{row.ref} {row.title} {row.summary} {row.status_label}".lower()
        return text in haystack
    return True


def check_query(query: InboxQuery) -> InboxQuery:
    """422 for a filter or sort the inbox does not know."""
    problems = []
    if query.pillar is not None and query.pillar not in PILLARS:
        problems.append("pillar")
    if query.level is not None and query.level not in LEVELS:
        problems.append("level")
    if query.sort not in SORTS:
        problems.append("sort")
    if problems:
        raise DomainError(
            "portal.bad_inbox_filter",
            "筛选或排序条件无效：" + "、".join(problems),
            "Unknown filter or sort: " + ", ".join(problems),
            status=422,
            fields=problems,
        )
    return replace(query, page=max(query.page, 1), page_size=min(max(query.page_size, 1), 100))


def inbox(
    session: Session, *, actor: Actor, query: InboxQuery, now: datetime | None = None
) -> InboxResult:
    """One page of the department's work across pillars, filtered and sorted."""
    query = check_query(query)
    rows = all_rows(session, actor=actor, pillar=query.pillar, state=query.state, now=now)
    truncated = any(
        sum(1 for r in rows if r.pillar == pillar) >= MAX_ROWS_PER_PILLAR for pillar in PILLARS
    )
    counts = {level: sum(1 for r in rows if r.level == level) for level in LEVELS}
    states = sorted({(r.status, r.status_label) for r in rows})
    chosen = sorted(
        (r for r in rows if _matches(r, query)),
        key=_sort_key(query.sort),
        reverse=query.descending,
    )
    if query.descending and query.sort == "deadline":
        # Latest deadline first, but work without a clock still goes last.
        chosen = [r for r in chosen if r.deadline] + [r for r in chosen if not r.deadline]
    pages = max(math.ceil(len(chosen) / query.page_size), 1)
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    return InboxResult(
        rows=chosen[start : start + query.page_size],
        total=len(chosen),
        page=page,
        page_size=query.page_size,
        pages=pages,
        counts=counts,
        states=states,
        truncated=truncated,
    )


ROW_KEY = re.compile(rf"({'|'.join(PILLARS)}):([0-9]{{1,10}})")


def _parse_key(key: str) -> tuple[str, int] | None:
    """``pillar:id`` with an ASCII id in range (``isdigit`` also takes ``¹``, which int refuses)."""
    match = ROW_KEY.fullmatch(key)
    if match is None:
        return None
    row_id = int(match.group(2))
    return (match.group(1), row_id) if 0 < row_id <= 2_147_483_647 else None


def _one(session: Session, actor: Actor, action: str, pillar: str, row_id: int) -> str:
    if pillar == "governance":
        with transaction(session):
            case = governance_lifecycle.apply(
                session, case_id=row_id, action=governance_rules.Action.claim, actor=actor
            )
            return case.status
    with transaction(session):
        task = application_service.take_step(session, actor=actor, task_id=row_id, action="accept")
        return task.status


def bulk(session: Session, *, actor: Actor, action: str, keys: list[str]) -> list[BulkResult]:
    """The same safe step on many rows: each through its pillar's service (which checks
    role, department and status), each in its own transaction; one failure stops nothing.

    Commits per row (the one place in the portal that does): a bulk step is many use cases.
    """
    require_department_staff(actor)
    if action not in BULK_ACTIONS:
        raise DomainError(
            "portal.bulk_action_unknown",
            "不能批量执行该操作",
            "This action cannot be taken in bulk",
            status=422,
            allowed=sorted(BULK_ACTIONS),
        )
    if not keys or len(keys) > MAX_BULK:
        raise DomainError(
            "portal.bulk_size",
            f"请选择 1 至 {MAX_BULK} 项",
            f"Select between 1 and {MAX_BULK} rows",
            status=422,
        )
    wanted_pillar, _ = BULK_ACTIONS[action]
    results = []
    for key in dict.fromkeys(keys):  # each row once, in the order given
        parsed = _parse_key(key)
        if parsed is None or parsed[0] != wanted_pillar:
            results.append(
                BulkResult(
                    key=key,
                    ok=False,
                    code="portal.bulk_not_applicable",
                    message="该项不能执行此操作",
                    message_en="This action does not apply to this row",
                )
            )
            continue
        try:
            status = _one(session, actor, action, *parsed)
        except DomainError as error:
            results.append(
                BulkResult(key, False, None, error.code, error.message, error.message_en)
            )
            continue
        results.append(BulkResult(key=key, ok=True, status=status))
    return results


@dataclass(frozen=True)
class DepartmentFigures:
    """What a department head sees above the inbox."""

    services: servicehub_metrics.DepartmentMetrics
    cases: governance_rules.Rates
    cases_start: date
    cases_end: date
    overdue: list[InboxRow]


def head_figures(
    session: Session, *, actor: Actor, rows: list[InboxRow], now: datetime | None = None
) -> DepartmentFigures | None:
    """The department's figures and overdue work, for its head only (None for clerks)."""
    department_id = require_department_staff(actor)
    if actor.role is not Role.department_head:
        return None
    now = now or utcnow()
    calendar = calendar_for(session)
    start = now - timedelta(days=INDICATOR_DAYS)
    rates = governance_service.indicators(
        session, start=start, end=now, department_id=department_id
    )
    services = servicehub_metrics.department_metrics(
        session,
        actor=actor,
        department_id=department_id,
        today=now.astimezone(calendar.zone).date(),
    )
    overdue = sorted((r for r in rows if r.level == "overdue"), key=lambda r: _naive(r.deadline))
    return DepartmentFigures(
        services=services,
        cases=rates,
        cases_start=start.astimezone(calendar.zone).date(),
        cases_end=now.astimezone(calendar.zone).date(),
        overdue=overdue,
    )
