"""The demo city's applications: every stage, clocks true to the calendar, and the two
logins the browser tests apply with kept free of 开办餐饮店."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.db import make_engine
from citybrain.core.models import AuditEntry
from citybrain.core.workdays import calendar_for
from citybrain.identity.models import Account
from citybrain.servicehub import applications
from citybrain.servicehub.models import Application, ApplicationTask, Licence, Rating
from tests.live import LiveCity

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def city_db(demo_city: LiveCity) -> Iterator[Session]:
    """A read session on the served demo city's database."""
    engine = make_engine(demo_city.env["CITYBRAIN_DATABASE_URL"])
    with Session(engine) as session:
        yield session
    engine.dispose()


def _loaded_at(session: Session) -> datetime:
    """When ``demo load`` finished: later rows were added by other tests."""
    stamp = session.scalar(select(AuditEntry.occurred_at).where(AuditEntry.action == "demo.loaded"))
    assert stamp is not None
    return stamp


def _seeded(session: Session) -> list[Application]:
    loaded = _loaded_at(session)
    return list(session.scalars(select(Application).where(Application.submitted_at <= loaded)))


def test_applications_at_every_stage(city_db: Session) -> None:
    seeded = _seeded(city_db)
    assert 150 <= len(seeded) <= 400
    statuses = Counter(a.status for a in seeded)
    for status in ("submitted", "in_progress", "correcting", "completed", "withdrawn"):
        assert statuses[status] > 0, statuses
    tasks = Counter(t.status for a in seeded for t in a.tasks)
    for status in ("submitted", "accepted", "correcting", "granted", "denied", "refused"):
        assert tasks[status] > 0, tasks
    # bundles and single items, persons and enterprises
    assert any(len(a.tasks) == 1 for a in seeded) and any(len(a.tasks) > 1 for a in seeded)
    assert {a.applicant_kind for a in seeded} == {"person", "enterprise"}
    granted = [t for a in seeded for t in a.tasks if t.status == "granted" and t.licence_id]
    assert granted and all(city_db.get(Licence, t.licence_id) is not None for t in granted)
    ratings = city_db.scalars(select(Rating)).all()
    assert len({r.score for r in ratings}) >= 3 and any(r.comment for r in ratings)


def test_clocks_agree_with_the_calendar(city_db: Session) -> None:
    calendar = calendar_for(city_db)
    today = applications.local_today(calendar)
    loaded = _loaded_at(city_db)
    states: Counter[str] = Counter()
    for application in _seeded(city_db):
        assert application.submitted_at <= loaded
        if application.completed_at is not None:
            assert application.submitted_at <= application.completed_at <= loaded
        for task in application.tasks:
            clock = applications.task_clock(calendar, task, today)
            if task.status in applications.OPEN:
                states[clock.state] += 1
            if task.accepted_on is not None:
                accepted = task.accepted_on
                assert calendar.is_workday(accepted) and accepted <= today
                submitted = application.submitted_at.astimezone(calendar.zone).date()
                assert submitted <= accepted
                due = calendar.add_workdays(accepted, task.limit_days + task.paused_days).day
                assert clock.due_on == due
                if task.status in ("accepted", "suspended", "correcting"):
                    assert task.due_on is not None
            if clock.state == "overdue":  # really past its due date by the calendar
                assert clock.due_on is not None and clock.due_on < today
                assert clock.used_days > task.limit_days
            if task.decided_at is not None:
                assert task.decided_at <= loaded
                if task.status in ("granted", "denied"):
                    assert task.accepted_on is not None
                    assert task.decided_at.astimezone(calendar.zone).date() >= task.accepted_on
    assert states["overdue"] > 0 and states["warning"] > 0 and states["paused"] > 0
    assert states["on_time"] > states["overdue"] + states["warning"]


def test_demo_logins_have_applications_but_not_the_restaurant(city_db: Session) -> None:
    seeded = _seeded(city_db)
    accounts = {
        a.username: a
        for a in city_db.scalars(select(Account).where(Account.username.like("resident%")))
    }
    for username in ("resident01", "resident07"):
        mine = [a for a in seeded if a.person_id == accounts[username].person_id]
        assert mine, username
        assert "开办餐饮店" not in {a.title for a in mine}
    logged_in = {a.person_id for a in accounts.values()}
    assert logged_in <= {a.person_id for a in seeded}


def test_some_applications_arrived_today(city_db: Session) -> None:
    calendar = calendar_for(city_db)
    today = applications.local_today(calendar)
    seeded = _seeded(city_db)
    days = {a.submitted_at.astimezone(calendar.zone).date() for a in seeded}
    assert today in days
    assert (today - min(days)).days <= 35
    open_tasks = city_db.scalars(
        select(ApplicationTask).where(ApplicationTask.status.in_(applications.OPEN))
    ).all()
    assert len(open_tasks) > 20
