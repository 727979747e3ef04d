"""Department metrics (on-time rate, working days, 好差评) and applicant ratings."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import audit
from citybrain.core.errors import DomainError, forbidden
from citybrain.core.logging import mask_text
from citybrain.core.security import Actor, Role
from citybrain.core.workdays import WorkCalendar, calendar_for
from citybrain.identity import service as identity_service
from citybrain.identity.models import Department
from citybrain.servicehub import applications
from citybrain.servicehub.models import ApplicationTask, Rating

DECIDED = ("granted", "denied")
# Bodies that evaluate every department (好差评 and the data bureau's figures).
OVERSIGHT_DEPARTMENTS = ("郑州市大数据管理局", "郑州市政务服务办公室")
RECENT_COMMENTS = 3


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
    """One department's clock figures and 好差评 (open work, decided work, ratings)."""

    department_id: int
    department_name: str
    open_tasks: int
    overdue_tasks: int
    warning_tasks: int
    decided_tasks: int
    on_time_tasks: int
    on_time_rate: float | None
    average_working_days: float | None
    ratings: int
    average_rating: float | None
    poor_ratings: int  # 差评: 1 or 2
    score_counts: list[int]  # ratings with score 1, 2, 3, 4, 5
    recent_comments: list[str]


@dataclass
class _Ratings:
    scores: list[int] = field(default_factory=lambda: [0] * 5)
    comments: list[str] = field(default_factory=list)


def department_metrics(
    session: Session, *, actor: Actor, department_id: int, today: date | None = None
) -> DepartmentMetrics:
    """The department's clock figures and ratings (its head, clerks and the admin)."""
    actor.require_role(Role.department_head, Role.department_clerk)
    actor.require_department(department_id)
    department = identity_service.get_department_or_raise(session, department_id)
    return _metrics(session, [department], today)[0]


def all_department_metrics(
    session: Session, *, actor: Actor, today: date | None = None
) -> list[DepartmentMetrics]:
    """Every department's figures in one report: department heads and the oversight bodies."""
    require_city_report(session, actor)
    return _metrics(session, identity_service.list_departments(session), today)


def may_see_city_report(session: Session, actor: Actor) -> bool:
    """Department heads, clerks of the data bureau and 政务办 (who run 好差评), the admin."""
    if actor.is_admin or actor.role is Role.department_head:
        return True
    if actor.role is not Role.department_clerk or actor.department_id is None:
        return False
    department = session.get(Department, actor.department_id)
    return department is not None and department.name in OVERSIGHT_DEPARTMENTS


def require_city_report(session: Session, actor: Actor) -> None:
    actor.require_role(Role.department_head, Role.department_clerk)
    if not may_see_city_report(session, actor):
        raise forbidden("servicehub.city_report_not_allowed")


def _metrics(
    session: Session, departments: Sequence[Department], today: date | None
) -> list[DepartmentMetrics]:
    calendar = calendar_for(session)
    today = today or applications.local_today(calendar)
    ids = [d.id for d in departments]
    tasks = session.scalars(
        select(ApplicationTask).where(
            ApplicationTask.department_id.in_(ids),
            ApplicationTask.status.in_((*applications.OPEN, *DECIDED)),
        )
    ).all()
    by_department: dict[int, list[ApplicationTask]] = defaultdict(list)
    for task in tasks:
        by_department[task.department_id].append(task)
    ratings = _ratings(session, ids)
    return [
        _figures(calendar, d, by_department.get(d.id, []), ratings.get(d.id, _Ratings()), today)
        for d in departments
    ]


def _ratings(session: Session, department_ids: Sequence[int]) -> dict[int, _Ratings]:
    """Ratings of applications each department worked on (one per application and department)."""
    worked = (
        select(ApplicationTask.department_id, ApplicationTask.application_id)
        .where(ApplicationTask.department_id.in_(department_ids))
        .distinct()
        .subquery()
    )
    rows = session.execute(
        select(worked.c.department_id, Rating.score, Rating.comment)
        .join(Rating, Rating.application_id == worked.c.application_id)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
    )
    result: dict[int, _Ratings] = defaultdict(_Ratings)
    for department_id, score, comment in rows:
        found = result[department_id]
        found.scores[score - 1] += 1
        if comment and len(found.comments) < RECENT_COMMENTS:
            found.comments.append(comment)
    return result


def _figures(
    calendar: WorkCalendar,
    department: Department,
    tasks: Sequence[ApplicationTask],
    ratings: _Ratings,
    today: date,
) -> DepartmentMetrics:
    states = [applications.task_clock(calendar, t, today) for t in tasks]
    decided = [
        c
        for t, c in zip(tasks, states, strict=True)
        if t.status in DECIDED and t.accepted_on is not None
    ]
    open_states = [
        c.state for t, c in zip(tasks, states, strict=True) if t.status in applications.OPEN
    ]
    on_time = sum(1 for c in decided if c.within_limit)
    count = sum(ratings.scores)
    total = sum(score * n for score, n in enumerate(ratings.scores, start=1))
    return DepartmentMetrics(
        department_id=department.id,
        department_name=department.name,
        open_tasks=len(open_states),
        overdue_tasks=open_states.count("overdue"),
        warning_tasks=open_states.count("warning"),
        decided_tasks=len(decided),
        on_time_tasks=on_time,
        on_time_rate=round(on_time / len(decided), 3) if decided else None,
        average_working_days=round(sum(c.used_days for c in decided) / len(decided), 2)
        if decided
        else None,
        ratings=count,
        average_rating=round(total / count, 2) if count else None,
        poor_ratings=ratings.scores[0] + ratings.scores[1],
        score_counts=list(ratings.scores),
        recent_comments=list(ratings.comments),
    )


CSV_COLUMNS = (
    "department_id",
    "department_name",
    "open_tasks",
    "overdue_tasks",
    "warning_tasks",
    "decided_tasks",
    "on_time_tasks",
    "on_time_rate",
    "average_working_days",
    "ratings",
    "average_rating",
    "poor_ratings",
)


def metrics_csv(rows: Sequence[DepartmentMetrics]) -> str:
    """The department report as CSV (one row per department; scores 1–5 as columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_COLUMNS, *(f"score_{n}" for n in range(1, 6))])
    for row in rows:
        values = [getattr(row, column) for column in CSV_COLUMNS]
        writer.writerow(["" if v is None else v for v in values] + row.score_counts)
    return buffer.getvalue()
