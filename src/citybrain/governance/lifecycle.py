"""The case lifecycle over a session: every transition checked, timed, attributed,
audited, notified and announced on the outbox.

受理 → 立案/不予立案 → 派遣 → 签收 → 处置 → 反馈 → 核查 → 结案 → 回访/评价, with 退单,
延期, 挂起, 返工 and 并单. The allowed moves are ``rules.TRANSITIONS``; the clock
starts at dispatch and counts working hours or days on the official calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybrain.core import audit, outbox
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, ActorKind
from citybrain.core.workdays import calendar_for
from citybrain.governance import rules
from citybrain.governance.events import (
    CaseClosed,
    CaseDispatched,
    CaseEscalated,
    CaseMerged,
    CaseTransitioned,
)
from citybrain.governance.models import Case, CaseReporter, CaseTransition, Notification
from citybrain.identity import service as identity_service
from citybrain.notifications import service as notifications_service

Action = rules.Action
Status = rules.CaseStatus


def get_case_or_raise(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise not_found("governance.case_not_found", "案件", "Case")
    return case


def _authorise(case: Case, action: Action, actor: Actor) -> None:
    if actor.kind is ActorKind.system:
        return
    if actor.kind is not ActorKind.staff:
        raise DomainError("auth.staff_only", "仅限工作人员", "Staff only", status=403)
    actor.require_role(*rules.ACTION_ROLES[action])
    if action in rules.DEPARTMENT_ACTIONS:
        actor.require_department(case.department_id)
    if action in {Action.approve_extension, Action.suspend, Action.resume} and (
        actor.role is not None and actor.role.value == "department_head"
    ):
        actor.require_department(case.department_id)


def _notify(session: Session, case: Case, message: str) -> None:
    """Tell every reporter: kept on the case, and live in the app for those with a login."""
    reporters = session.execute(
        select(CaseReporter.id, CaseReporter.person_id, CaseReporter.account_id).where(
            CaseReporter.case_id == case.id
        )
    ).all()
    session.add_all(
        Notification(case_id=case.id, reporter_id=rid, status=case.status, message=message[:300])
        for rid, _person, _account in reporters
    )
    told: set[tuple[int | None, int | None]] = set()
    for _rid, person_id, account_id in reporters:
        recipient = (person_id, None if person_id else account_id)
        if recipient in told or recipient == (None, None):
            continue
        told.add(recipient)
        notifications_service.send(
            session,
            topic="governance.case",
            title=f"案件 #{case.id}：{message}"[:200],
            title_en=f"Case #{case.id}: {case.status}",
            link=f"/governance/cases/{case.id}",
            person_id=recipient[0],
            account_id=recipient[1],
        )


def _record(
    session: Session,
    case: Case,
    *,
    action: str,
    from_status: str,
    actor: Actor,
    reason: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    case.updated_at = now
    session.add(
        CaseTransition(
            case_id=case.id,
            action=action,
            from_status=from_status,
            to_status=case.status,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor_name=actor.name,
            reason=reason[:500],
            occurred_at=now,
        )
    )
    audit.record(
        session,
        actor,
        f"governance.{action}",
        entity_type="governance_case",
        entity_id=case.id,
        reason=reason[:500],
        detail={"from": from_status, "to": case.status, **(detail or {})},
    )
    outbox.emit(
        session,
        CaseTransitioned(
            case_id=case.id,
            action=action,
            from_status=from_status,
            to_status=case.status,
            department_id=case.department_id,
        ),
    )


def _department_for(session: Session, case: Case, department_id: int | None) -> int:
    if department_id is not None:
        return identity_service.get_department_or_raise(session, department_id).id
    category = rules.categories()[case.category_code or rules.GENERAL_APPEAL]
    known: dict[str, int] = session.info.setdefault("governance.department_ids", {})
    if category.department in known:
        return known[category.department]
    department = identity_service.get_department_by_name(session, category.department)
    if department is None:
        raise DomainError(
            "governance.no_department",
            f"本市没有负责“{category.name}”的部门，请人工派遣",
            "No department in this city handles this category; dispatch by hand",
            status=409,
        )
    known[category.department] = department.id
    return department.id


def _need(value: Any, code: str, zh: str, en: str) -> Any:
    if value is None:
        raise DomainError(code, zh, en, status=422)
    return value


def apply(
    session: Session,
    *,
    case_id: int,
    action: Action,
    actor: Actor,
    reason: str = "",
    now: datetime | None = None,
    category_code: str | None = None,
    department_id: int | None = None,
    workdays: int | None = None,
    rating: int | None = None,
) -> Case:
    """Take ``action`` on a case: 409 when the move is not allowed from its status."""
    now = now or utcnow()
    case = get_case_or_raise(session, case_id)
    status = Status(case.status)
    target = rules.next_status(status, action)
    _authorise(case, action, actor)
    if action is Action.merge:
        raise DomainError(
            "governance.use_merge", "请使用并单操作", "Use the merge operation", status=409
        )
    calendar = calendar_for(session)
    detail: dict[str, Any] = {}
    message = f"您反映的问题{rules.STATUS_LABELS[target][0]}"
    if action is Action.register:
        code = category_code or case.category_code
        code = _need(code, "governance.category_required", "立案须确定类别", "A category is needed")
        category = rules.category_or_raise(code)
        case.category_code, case.needs_triage = category.code, False
        case.time_limit, case.time_unit = category.time_limit, category.time_unit.value
        case.registered_at = now
        detail["category"] = category.code
    elif action is Action.reject:
        _need(reason or None, "governance.reason_required", "须说明理由", "A reason is required")
        case.closed_at = now
    elif action is Action.dispatch:
        case.department_id = _department_for(session, case, department_id)
        case.dispatched_at = case.clock_started_at = now
        case.due_at = rules.due_at(
            calendar, now, limit=case.time_limit, unit=rules.TimeUnit(case.time_unit)
        )
        case.escalation_level = 0
        detail["department_id"] = case.department_id
    elif action is Action.return_case:
        _need(
            reason or None, "governance.reason_required", "退单须说明理由", "A reason is required"
        )
        started = case.dispatched_at or now
        used, _ = calendar.workdays_between(
            started.astimezone(calendar.zone).date(), now.astimezone(calendar.zone).date()
        )
        if used > rules.RETURN_WINDOW_WORKDAYS:
            raise DomainError(
                "governance.return_window_passed",
                "已超过 2 个工作日的退单时限",
                "A wrong dispatch must be returned within 2 working days",
                status=409,
            )
        case.return_count += 1
        detail["department_id"] = case.department_id
        case.department_id, case.due_at, case.clock_started_at = None, None, None
    elif action is Action.claim:
        case.claimed_at = now
    elif action is Action.request_extension:
        days = _need(workdays, "governance.workdays_required", "须填写延期天数", "Days needed")
        if days < 1 or case.extension_workdays + days > rules.MAX_EXTENSION_WORKDAYS:
            raise DomainError(
                "governance.extension_too_long",
                "延期累计不得超过 10 个工作日",
                "Extensions may total at most 10 working days",
                status=422,
            )
        case.extension_requested_workdays = days
        detail["workdays"] = days
    elif action is Action.approve_extension:
        days = case.extension_requested_workdays
        if days <= 0 or case.due_at is None:
            raise DomainError(
                "governance.no_extension_request",
                "没有待批准的延期申请",
                "There is no extension request to approve",
                status=409,
            )
        case.due_at = rules.extend_due(calendar, case.due_at, workdays=days)
        case.extension_workdays += days
        case.extension_requested_workdays = 0
        detail["workdays"] = days
    elif action is Action.suspend:
        _need(
            reason or None, "governance.reason_required", "挂起须说明理由", "A reason is required"
        )
        case.suspended_at = now
    elif action is Action.resume:
        if case.suspended_at is not None and case.due_at is not None:
            paused = calendar.working_hours_between(case.suspended_at, now)
            case.due_at = calendar.add_working_hours(case.due_at, paused).at
        case.suspended_at = None
    elif action is Action.feedback:
        case.handled_at = now
    elif action is Action.verify_pass:
        case.closed_at = now
        case.closed_on_time = bool(case.due_at is None or (case.handled_at or now) <= case.due_at)
    elif action is Action.verify_fail:
        _need(
            reason or None, "governance.reason_required", "返工须说明理由", "A reason is required"
        )
        case.rework_count += 1
        case.handled_at = None
        message = "您反映的问题经核查未处置到位，已返工"
    elif action is Action.rate:
        value = _need(rating, "governance.rating_required", "须填写评价", "A rating is needed")
        if not 1 <= value <= 5:
            raise DomainError(
                "governance.rating_invalid", "评价须为1至5分", "Rating must be 1 to 5", status=422
            )
        case.rating, case.rating_comment = value, reason[:500]
    from_status = case.status
    case.status = target.value
    _record(
        session,
        case,
        action=action.value,
        from_status=from_status,
        actor=actor,
        reason=reason,
        now=now,
        detail=detail,
    )
    if action is Action.dispatch and case.department_id is not None and case.due_at is not None:
        outbox.emit(
            session,
            CaseDispatched(
                case_id=case.id, department_id=case.department_id, due_at=case.due_at.isoformat()
            ),
        )
    if action is Action.verify_pass:
        outbox.emit(
            session,
            CaseClosed(
                case_id=case.id,
                department_id=case.department_id,
                on_time=bool(case.closed_on_time),
            ),
        )
    if from_status != case.status or action is Action.verify_fail:
        _notify(session, case, message)
    session.flush()
    return case


def merge(
    session: Session,
    *,
    case_id: int,
    parent_id: int,
    actor: Actor,
    automatic: bool = False,
    now: datetime | None = None,
) -> Case:
    """并单: close ``case_id`` into ``parent_id``; its reporters now follow the parent."""
    now = now or utcnow()
    if case_id == parent_id:
        raise DomainError(
            "governance.merge_into_self",
            "不能与自身并单",
            "A case cannot merge into itself",
            status=409,
        )
    case = get_case_or_raise(session, case_id)
    parent = get_case_or_raise(session, parent_id)
    target = rules.next_status(Status(case.status), Action.merge)
    _authorise(case, Action.merge, actor)
    if parent.parent_id is not None or Status(parent.status) in rules.FINAL_STATUSES:
        raise DomainError(
            "governance.parent_not_open",
            "目标案件已办结或已并入其他案件",
            "The parent case is closed or itself merged",
            status=409,
        )
    from_status = case.status
    case.status, case.parent_id, case.closed_at = target.value, parent.id, now
    session.execute(
        update(CaseReporter).where(CaseReporter.case_id == case.id).values(case_id=parent.id)
    )
    _record(
        session,
        case,
        action="merge",
        from_status=from_status,
        actor=actor,
        reason="自动并单" if automatic else "",
        now=now,
        detail={"parent_id": parent.id, "automatic": automatic},
    )
    outbox.emit(session, CaseMerged(case_id=case.id, parent_id=parent.id, automatic=automatic))
    parent.updated_at = now
    _notify(session, parent, f"您反映的问题与已受理的案件 #{parent.id} 为同一问题，已合并办理")
    session.flush()
    return parent


def escalate_overdue(session: Session, *, actor: Actor, now: datetime | None = None) -> list[Case]:
    """督办: raise the escalation level of running cases past their time limit.

    Level 1 (overdue) alerts the department head and the command centre; level 2
    (twice the time used) is the command centre's formal supervision.
    """
    now = now or utcnow()
    calendar = calendar_for(session)
    running = [s.value for s in rules.CLOCK_RUNNING]
    cases = session.scalars(
        select(Case).where(Case.status.in_(running), Case.due_at < now).order_by(Case.id)
    ).all()
    escalated = []
    for case in cases:
        if case.clock_started_at is None or case.due_at is None:
            continue
        fraction = rules.elapsed_fraction(
            calendar, started=case.clock_started_at, due=case.due_at, now=now
        )
        level = rules.escalation_level(fraction)
        if level <= case.escalation_level:
            continue
        case.escalation_level = level
        case.updated_at = now
        audit.record(
            session,
            actor,
            "governance.escalated",
            entity_type="governance_case",
            entity_id=case.id,
            detail={"level": level, "department_id": case.department_id},
        )
        outbox.emit(
            session, CaseEscalated(case_id=case.id, department_id=case.department_id, level=level)
        )
        escalated.append(case)
    session.flush()
    return escalated
