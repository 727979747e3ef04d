"""Read-side use cases: case lists, the department inbox, a reporter's cases, the
clock of each case, notifications and evaluation indicators. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.core.workdays import WorkCalendar, calendar_for
from citybrain.governance import rules
from citybrain.governance.lifecycle import get_case_or_raise
from citybrain.governance.models import Case, CaseReporter, CaseTransition, Notification

__all__ = ["get_case_or_raise"]


@dataclass(frozen=True)
class Clock:
    """Where a case stands against its time limit."""

    fraction: float | None
    state: rules.ClockState | None

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else round(self.fraction * 100)


def clock_of(calendar: WorkCalendar, case: Case, now: datetime) -> Clock:
    if case.clock_started_at is None or case.due_at is None:
        return Clock(None, None)
    if rules.CaseStatus(case.status) not in rules.CLOCK_RUNNING:
        end = case.suspended_at or case.handled_at or case.closed_at
        if end is None:
            return Clock(None, None)
        now = end
    fraction = rules.elapsed_fraction(
        calendar, started=case.clock_started_at, due=case.due_at, now=now
    )
    return Clock(round(fraction, 4), rules.clock_state(fraction))


def clocks(session: Session, cases: list[Case], now: datetime | None = None) -> dict[int, Clock]:
    calendar = calendar_for(session)
    now = now or utcnow()
    return {c.id: clock_of(calendar, c, now) for c in cases}


# Staff who work across departments' cases; checkpoint and health staff do not.
CASE_WIDE_ROLES = {
    Role.admin,
    Role.call_centre_agent,
    Role.command_centre_operator,
    Role.grid_worker,
}


def can_see(actor: Actor, case: Case, reporter_accounts: set[int]) -> bool:
    if actor.kind is ActorKind.staff:
        if actor.role in (Role.department_clerk, Role.department_head):
            return case.department_id == actor.department_id
        return actor.role in CASE_WIDE_ROLES
    if actor.kind in (ActorKind.person, ActorKind.enterprise):
        return actor.id.isdigit() and int(actor.id) in reporter_accounts
    return actor.kind is ActorKind.system


def reporter_accounts(session: Session, case_id: int) -> set[int]:
    rows = session.scalars(
        select(CaseReporter.account_id).where(
            CaseReporter.case_id == case_id, CaseReporter.account_id.is_not(None)
        )
    )
    return {r for r in rows if r is not None}


def get_case_for(session: Session, *, case_id: int, actor: Actor) -> Case:
    """A case the actor may see: staff by role and department, residents their own."""
    case = get_case_or_raise(session, case_id)
    accounts = reporter_accounts(session, case_id)
    if case.parent_id is not None:
        accounts |= reporter_accounts(session, case.parent_id)
    if not can_see(actor, case, accounts):
        raise DomainError(
            "governance.case_forbidden", "无权查看该案件", "You may not see this case", status=403
        )
    return case


def transitions(session: Session, *, case_id: int) -> list[CaseTransition]:
    return list(
        session.scalars(
            select(CaseTransition)
            .where(CaseTransition.case_id == case_id)
            .order_by(CaseTransition.id)
        )
    )


def reporters(session: Session, *, case_id: int) -> list[CaseReporter]:
    return list(
        session.scalars(
            select(CaseReporter).where(CaseReporter.case_id == case_id).order_by(CaseReporter.id)
        )
    )


def list_cases(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    department_id: int | None = None,
    division_code: str | None = None,
    needs_triage: bool | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """Cases for staff; a clerk or head sees only their department's (the inbox)."""
    if actor.kind is not ActorKind.staff and actor.kind is not ActorKind.system:
        raise DomainError("auth.staff_only", "仅限工作人员", "Staff only", status=403)
    query: Select[Any] = select(Case).where(Case.parent_id.is_(None))
    if actor.role in (Role.department_clerk, Role.department_head):
        if department_id is not None and department_id != actor.department_id:
            actor.require_department(department_id)
        department_id = actor.department_id
    if department_id is not None:
        query = query.where(Case.department_id == department_id)
    if status is not None:
        query = query.where(Case.status == status)
    if division_code is not None:
        query = query.where(Case.division_code == division_code)
    if needs_triage is not None:
        query = query.where(Case.needs_triage.is_(needs_triage))
    if open_only:
        query = query.where(Case.status.not_in([s.value for s in rules.FINAL_STATUSES]))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Case.due_at.is_(None), Case.due_at, Case.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def cases_of_account(session: Session, *, account_id: int) -> list[Case]:
    """Cases an account reported, shown as the case now followed (the parent after 并单)."""
    ids = select(CaseReporter.case_id).where(CaseReporter.account_id == account_id)
    return list(session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id.desc())))


def notifications_of_account(session: Session, *, account_id: int) -> list[Notification]:
    reporter_ids = select(CaseReporter.id).where(CaseReporter.account_id == account_id)
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.reporter_id.in_(reporter_ids))
            .order_by(Notification.id.desc())
            .limit(100)
        )
    )


# --- evaluation ---------------------------------------------------------------------------


def indicators(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    department_id: int | None = None,
    division_code: str | None = None,
    grid_cell_code: str | None = None,
) -> rules.Rates:
    """结案率, 按期结案率, 返工率, 延期率, 回访满意率 for cases due in [start, end).

    应结案数 counts registered, dispatched cases whose time limit ran out in the period
    (merged and rejected reports never count); 按期 means the department's last
    feedback came before the due time.
    """
    closed = Case.closed_at.is_not(None) & Case.status.in_(["closed", "evaluated"])
    query = select(
        func.count(),
        func.sum(case((closed, 1), else_=0)),
        func.sum(case((closed & Case.closed_on_time.is_(True), 1), else_=0)),
        func.sum(case((Case.rework_count > 0, 1), else_=0)),
        func.sum(case((Case.extension_workdays > 0, 1), else_=0)),
        func.sum(case((Case.rating.is_not(None), 1), else_=0)),
        func.sum(case((Case.rating >= rules.SATISFIED_MIN_RATING, 1), else_=0)),
    ).where(
        Case.due_at >= start,
        Case.due_at < end,
        Case.parent_id.is_(None),
        Case.status.not_in(["merged", "rejected"]),
    )
    if department_id is not None:
        query = query.where(Case.department_id == department_id)
    if division_code is not None:
        query = query.where(Case.division_code == division_code)
    if grid_cell_code is not None:
        query = query.where(Case.grid_cell_code == grid_cell_code)
    row = session.execute(query).one()
    due, closed_n, on_time, rework, extended, rated, satisfied = (int(v or 0) for v in row)
    return rules.Rates(due, closed_n, on_time, rework, extended, rated, satisfied)


def open_counts_by_division(session: Session) -> dict[str, dict[str, int]]:
    """Open cases per district and status (the command centre's map)."""
    open_statuses = [s.value for s in rules.CaseStatus if s not in rules.FINAL_STATUSES]
    rows = session.execute(
        select(Case.division_code, Case.status, func.count())
        .where(Case.status.in_(open_statuses), Case.division_code.is_not(None))
        .group_by(Case.division_code, Case.status)
    )
    result: dict[str, dict[str, int]] = {}
    for code, status, count in rows:
        result.setdefault(code, {})[status] = int(count)
    return result


def find_cases(
    session: Session,
    *,
    ids: list[int] | None = None,
    category_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    closed: bool | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Case]:
    """Cases for outside clients (Open311 GET requests): ids override every other filter."""
    query: Select[Any] = select(Case)
    if ids:
        query = query.where(Case.id.in_(ids))
    else:
        if category_codes:
            query = query.where(Case.category_code.in_(category_codes))
        if start is not None:
            query = query.where(Case.accepted_at >= start)
        if end is not None:
            query = query.where(Case.accepted_at <= end)
        if closed is not None:
            final = [s.value for s in rules.FINAL_STATUSES]
            query = query.where(Case.status.in_(final) if closed else Case.status.not_in(final))
    return list(session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)))


def find_case_by_token(session: Session, *, token: str) -> Case | None:
    return session.scalar(select(Case).where(Case.token == token))
