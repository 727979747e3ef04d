"""The demo city's codes: an outbreak's colours by the rules, scans that agree with them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode import status
from citybrain.citycode.models import PersonStatus, Scan, StatusChange, TraceQuery
from citybrain.core.db import make_engine, utcnow
from citybrain.core.models import AuditEntry
from citybrain.identity.models import Account, Person
from tests.live import LiveCity

pytestmark = [pytest.mark.slow]
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def city_db(demo_city: LiveCity) -> Iterator[Session]:
    """A read session on the served demo city's database."""
    engine = make_engine(demo_city.env["CITYBRAIN_DATABASE_URL"])
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_statuses_of_every_colour_with_their_rules(city_db: Session) -> None:
    colours = dict(
        city_db.execute(select(PersonStatus.colour, func.count()).group_by(PersonStatus.colour))
        .tuples()
        .all()
    )
    assert colours.get("green", 0) > colours.get("yellow", 0) > colours.get("red", 0) > 0
    assert colours["yellow"] >= 100 and colours["red"] >= 10
    rules_by_colour: dict[str, set[str]] = {}
    for colour, rule in city_db.execute(select(PersonStatus.colour, PersonStatus.rule_id)):
        rules_by_colour.setdefault(colour, set()).add(rule)
    assert rules_by_colour["red"] <= {"positive_test", "close_contact"}
    assert rules_by_colour["yellow"] <= {"fever_declared", "risk_area_trip"}
    assert rules_by_colour["green"] == {"default"}
    # colours only where the level is raised: everyone else keeps the normal-times code
    divisions = dict(
        city_db.execute(
            select(PersonStatus.person_id, Person.division_code).join(
                Person, Person.id == PersonStatus.person_id
            )
        )
        .tuples()
        .all()
    )
    for row in city_db.scalars(select(PersonStatus)):
        level = status.level_for(city_db, divisions[row.person_id])
        assert (row.colour == "none") == (level == 0), (row.person_id, row.colour, level)


def test_the_browser_logins_keep_the_normal_times_code(city_db: Session) -> None:
    for username in ("resident01", "resident07"):
        account = city_db.scalar(select(Account).where(Account.username == username))
        assert account is not None and account.person_id is not None
        person = city_db.get(Person, account.person_id)
        assert person is not None and status.level_for(city_db, person.division_code) == 0


def test_changes_are_dated_in_the_story_not_in_the_future(city_db: Session) -> None:
    loaded = city_db.scalar(
        select(AuditEntry.occurred_at).where(AuditEntry.action == "demo.loaded")
    )
    assert loaded is not None
    changes = city_db.scalars(select(StatusChange)).all()
    assert changes and all(c.changed_at <= loaded for c in changes)
    assert min(c.changed_at for c in changes) < loaded - timedelta(days=1)
    traces = city_db.scalars(select(TraceQuery)).all()
    assert traces and any(t.contacts for t in traces)


def test_scans_over_the_week_and_today(city_db: Session) -> None:
    now = utcnow()
    midnight = datetime.combine(now.astimezone(ZONE).date(), time(0), ZONE)
    today = city_db.scalar(select(func.count(Scan.id)).where(Scan.scanned_at >= midnight))
    assert today and today > 0
    week = city_db.scalars(select(Scan).where(Scan.scanned_at >= midnight - timedelta(days=7)))
    days = Counter(s.scanned_at.astimezone(ZONE).date() for s in week)
    assert len(days) == 7
    outcomes = Counter(city_db.scalars(select(Scan.outcome)))
    assert outcomes["pass"] > 10 * sum(n for o, n in outcomes.items() if o != "pass")
    assert {"not_registered", "no_valid_code"} <= set(outcomes)
    assert all(s.scanned_at <= now for s in city_db.scalars(select(Scan)))
