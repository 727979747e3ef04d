"""Department metrics (on-time rate, working days, 好差评) and applicant ratings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core import audit
from citybrain.core.errors import DomainError, forbidden
from citybrain.core.logging import mask_text
from citybrain.core.security import Actor, Role
from citybrain.core.workdays import calendar_for
from citybrain.servicehub import applications
from citybrain.servicehub.models import ApplicationTask, Rating

DECIDED = ("granted", "denied")


def rate(
    session: Session, *, actor: Actor, application_id: int, score: int, comment: str = ""
) -> Rating:
    """One rating per finished application, by its applicant; the comment is masked."""
    application = applications.get_application_or_raise(session, application_id)
    if not applications.owns(actor, application):
        raise forbidden("servicehub.not_your_application")
    if application.status != "completed":
        raise DomainError(
            "servicehub.not_finished",
            "办结后才能评价",
            "Rate an application once it is finished",
            status=409,
        )
    if not 1 <= score <= 5:
        raise DomainError("servicehub.score", "评分应为1至5", "Score must be 1 to 5", status=422)
    if session.scalar(select(Rating.id).where(Rating.application_id == application.id)):
        raise DomainError(
            "servicehub.already_rated",
            "该办件已评价",
            "This application is already rated",
            status=409,
        )
    rating = Rating(application_id=application.id, score=score, comment=mask_text(comment)[:500])
    session.add(rating)
    session.flush()
    audit.record(
        session,
        actor,
        "servicehub.rated",
        entity_type="servicehub_application",
        entity_id=application.id,
        detail={"score": score},
    )
    return rating


@dataclass(frozen=True)
class DepartmentMetrics:
    department_id: int
    open_tasks: int
    overdue_tasks: int
    warning_tasks: int
    decided_tasks: int
    on_time_rate: float | None
    average_working_days: float | None
    ratings: int
    average_rating: float | None


def department_metrics(
    session: Session, *, actor: Actor, department_id: int, today: date | None = None
) -> DepartmentMetrics:
    """The department's clock figures and ratings (its head, clerks and the admin)."""
    actor.require_role(Role.department_head, Role.department_clerk)
    actor.require_department(department_id)
    calendar = calendar_for(session)
    today = today or applications.local_today(calendar)
    tasks = session.scalars(
        select(ApplicationTask).where(
            ApplicationTask.department_id == department_id,
            ApplicationTask.status.in_((*applications.OPEN, *DECIDED)),
        )
    ).all()
    states = [applications.task_clock(calendar, t, today) for t in tasks]
    decided = [
        (t, c)
        for t, c in zip(tasks, states, strict=True)
        if t.status in DECIDED and t.accepted_on is not None
    ]
    open_states = [
        c.state for t, c in zip(tasks, states, strict=True) if t.status in applications.OPEN
    ]
    on_time = sum(1 for _, c in decided if c.used_days <= c.limit_days)
    applications_of_department = select(ApplicationTask.application_id).where(
        ApplicationTask.department_id == department_id
    )
    count, average = session.execute(
        select(func.count(Rating.id), func.avg(Rating.score)).where(
            Rating.application_id.in_(applications_of_department)
        )
    ).one()
    return DepartmentMetrics(
        department_id=department_id,
        open_tasks=len(open_states),
        overdue_tasks=open_states.count("overdue"),
        warning_tasks=open_states.count("warning"),
        decided_tasks=len(decided),
        on_time_rate=round(on_time / len(decided), 3) if decided else None,
        average_working_days=round(sum(c.used_days for _, c in decided) / len(decided), 2)
        if decided
        else None,
        ratings=int(count or 0),
        average_rating=round(float(average), 2) if average is not None else None,
    )
