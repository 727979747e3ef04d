"""KPIs from the pillars' events: per district, adding up to the city-wide figure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.brain import indicators, pillar_kpis
from citybrain.brain.ngsi import store
from citybrain.brain.ngsi.attributes import format_datetime
from citybrain.brain.ngsi.context import core_context
from citybrain.core import outbox
from citybrain.core.db import utcnow
from citybrain.core.models import OutboxEvent
from citybrain.governance.models import Case
from tests.factories.brain import reader_headers
from tests.factories.governance import make_case, make_departments


def _value(session: Session, code: str, division: str, name: str = "kpiValue") -> object:
    entity = store.load(session, [pillar_kpis.entity_id(code, division)])[
        pillar_kpis.entity_id(code, division)
    ]
    return entity.attrs[core_context().expand(name)].body["value"]


def _case(
    session: Session, point: tuple[float, float], *, now: datetime, closed: bool, on_time: bool
) -> Case:
    case = make_case(session, lon=point[0], lat=point[1])
    case.due_at = now - timedelta(seconds=30)  # due today, before now
    if closed:
        case.status, case.closed_at, case.closed_on_time = "closed", now, on_time
    session.flush()
    return case


@pytest.fixture
def two_districts(city_session: Session) -> tuple[Session, dict[str, Any]]:
    make_departments(city_session)
    points = pillar_kpis.division_points(city_session)
    first, second = sorted(points)[:2]
    return city_session, {"a": points[first], "b": points[second], "A": first, "B": second}


def test_publish_per_district_adds_up_to_the_city(
    two_districts: tuple[Session, dict[str, Any]], client: TestClient
) -> None:
    session, where = two_districts
    a, b = where["A"], where["B"]
    now = utcnow()
    # district A: 3 cases due, 2 closed (1 on time); district B: 1 due, closed on time
    _case(session, where["a"], now=now, closed=True, on_time=True)
    _case(session, where["a"], now=now, closed=True, on_time=False)
    _case(session, where["a"], now=now, closed=False, on_time=False)
    _case(session, where["b"], now=now, closed=True, on_time=True)
    assert {c.division_code for c in session.query(Case)} == {a, b}
    now = utcnow()  # after the cases were taken in

    stats = pillar_kpis.publish(session, now=now)
    assert set(stats.recomputed) == {k.code for k in pillar_kpis.KPIS}
    assert _value(session, "community-06.2", a) == pytest.approx(2 / 3, abs=1e-6)
    assert _value(session, "community-06.2", a, "kpiNumerator") == 2
    assert _value(session, "community-06.2", a, "kpiDenominator") == 3
    assert _value(session, "community-06.2", b) == 1.0
    assert _value(session, "city-management-01.2", a) == pytest.approx(1 / 3, abs=1e-6)
    assert _value(session, "community-06.1", a) == 3
    assert _value(session, "community-06.1", b) == 1

    # closure rate: the city value is 3 closed of 4 due, not the mean of 2/3 and 1
    closure = indicators.compute(session, indicator_id="community-06.2", level="division")
    groups = {g["code"]: g["value"] for g in closure["groups"] if g["value"] is not None}
    assert groups == {a: pytest.approx(0.666667), b: 1.0}
    assert closure["value"] == 0.75
    on_time = indicators.compute(session, indicator_id="city-management-04.2")
    assert on_time["value"] == 0.5  # 2 closed on time of 4 due
    found = indicators.compute(session, indicator_id="community-06.1")
    assert found["value"] == 4
    assert sum(g["value"] for g in found["groups"]) == 4
    assert {g["code"]: g["value"] for g in found["groups"]}[b] == 1

    headers = reader_headers(client, session)
    response = client.get(
        "/api/v1/brain/indicators/community-06.2", params={"level": "city"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["value"] == 0.75
    response = client.get(
        "/api/v1/brain/indicators/community-06.2", params={"level": "division"}, headers=headers
    )
    assert {g["code"]: g["value"] for g in response.json()["groups"]}[b] == 1.0

    # the cursor moved past the last event; a second run finds nothing to do
    last = session.query(OutboxEvent.id).order_by(OutboxEvent.id.desc()).first()
    assert last is not None
    assert outbox.position(session, pillar_kpis.CONSUMER) >= max(
        e.id for e in session.query(OutboxEvent).filter(OutboxEvent.name.like("governance.%"))
    )
    again = pillar_kpis.publish(session, now=utcnow())
    assert not again.did_work
    assert again.written == [] and again.events == 0

    # one new case in B: only B's counts change; A's entities and every rate stay
    make_case(session, lon=where["b"][0], lat=where["b"][1])
    later = pillar_kpis.publish(session, now=utcnow())
    assert later.events >= 1
    assert pillar_kpis.entity_id("community-06.1", b) in later.written
    assert all(entity.endswith(f":{b}") for entity in later.written), later.written
    assert all(
        pillar_kpis.kpi(entity.removeprefix(pillar_kpis.ID_PREFIX).rsplit(":", 1)[0]).kind
        == "count"
        for entity in later.written
    )
    assert _value(session, "community-06.1", b) == 2
    assert _value(session, "community-06.1", a) == 3
    assert indicators.compute(session, indicator_id="community-06.2")["value"] == 0.75


def test_a_new_period_restarts_the_kpis(
    two_districts: tuple[Session, dict[str, Any]],
) -> None:
    session, where = two_districts
    make_case(session, lon=where["a"][0], lat=where["a"][1])
    now = utcnow()
    pillar_kpis.publish(session, now=now)
    next_hour = now + timedelta(hours=1)
    rolled = pillar_kpis.publish(session, now=next_hour)
    assert rolled.events == 0
    hourly = {k.code for k in pillar_kpis.KPIS if k.period == "hour"}
    assert hourly <= set(rolled.recomputed)
    assert _value(session, "community-06.1", where["A"]) == 0
    period = _value(session, "community-06.1", where["A"], "calculationPeriod")
    assert isinstance(period, dict)
    assert period["from"] == format_datetime(pillar_kpis.window_of("hour", next_hour).start)


def test_window_of_uses_the_city_day() -> None:
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 on the 28th
    day = pillar_kpis.window_of("day", moment)
    assert day.start == datetime(2026, 11, 27, 16, 0, tzinfo=ZoneInfo("UTC"))
    assert day.end - day.start == timedelta(days=1)
    hour = pillar_kpis.window_of("hour", moment)
    assert hour.start == datetime(2026, 11, 27, 17, 0, tzinfo=ZoneInfo("UTC"))


def test_the_kpis_command_publishes_into_a_migrated_database(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from citybrain.cli import app
    from citybrain.core import migrate

    url = f"sqlite:///{tmp_path / 'city.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("CITYBRAIN_DATABASE_URL", url)
    monkeypatch.setenv("CITYBRAIN_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["brain", "kpis"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["events"] == 0 and report["written"] == 0
