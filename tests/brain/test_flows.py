"""Alerts into action: a waterlogging alert opens one governance case; a second joins it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.brain import flows
from citybrain.brain.ngsi import entities
from citybrain.brain.ngsi.context import core_context
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.governance.models import Case
from tests.factories.brain import underpass
from tests.factories.governance import city_points, make_departments

OPERATOR = Actor(kind=ActorKind.staff, id="1", name="值班员", role=Role.command_centre_operator)
CTX = core_context()


def _level(session: Session, entity_id: str, value: float) -> None:
    entities.update_attribute(
        session,
        entity_id=entity_id,
        attr="currentLevel",
        raw={"value": value},
        ctx=CTX,
        actor=OPERATOR,
    )


def test_waterlogging_alert_opens_one_case_and_the_next_joins_it(city_session: Session) -> None:
    session = city_session
    departments = make_departments(session)
    ((lon, lat),) = city_points(session, 1)
    sensor = underpass(1, level=0.02, lon=lon, lat=lat)
    entities.create_entity(session, raw=sensor, ctx=CTX, actor=OPERATOR)
    assert flows.open_cases_for_alerts(session).read == 0
    _level(session, sensor["id"], 0.25)  # two scenarios watch underpasses: two alerts
    stats = flows.open_cases_for_alerts(session)
    assert (stats.read, stats.opened, stats.joined) == (2, 1, 1)
    cases = session.scalars(select(Case).where(Case.channel == "sensor").order_by(Case.id)).all()
    first, second = cases
    assert first.category_code == flows.category_code("道路积水") == "EXXL06"
    assert first.department_id == departments["郑州市城市管理局"].id
    assert "道路积水" in first.description and sensor["id"] in first.description
    assert second.parent_id == first.id
    # the water recedes and rises again at the same underpass: the new alert joins too
    _level(session, sensor["id"], 0.01)
    _level(session, sensor["id"], 0.30)
    again = flows.open_cases_for_alerts(session)
    assert (again.read, again.opened, again.joined) == (2, 0, 2)
    open_cases = [
        c
        for c in session.scalars(select(Case).where(Case.channel == "sensor"))
        if c.parent_id is None
    ]
    assert open_cases == [first]
    assert flows.open_cases_for_alerts(session).read == 0  # the cursor moved


def test_alerts_without_a_case_category_are_skipped(city_session: Session) -> None:
    ((lon, lat),) = city_points(city_session, 1)
    gauge = {
        "id": "urn:ngsi-ld:WeatherObserved:rain-1",
        "type": "WeatherObserved",
        "precipitation": 3.5,
        "location": {"type": "Point", "coordinates": [lon, lat]},
    }
    entities.create_entity(city_session, raw=gauge, ctx=CTX, actor=OPERATOR)
    entities.update_attribute(
        city_session,
        entity_id=gauge["id"],
        attr="precipitation",
        raw={"value": 80},
        ctx=CTX,
        actor=OPERATOR,
    )
    stats = flows.open_cases_for_alerts(city_session)  # 雨量站网: an alert, no case category
    assert (stats.read, stats.opened, stats.joined, stats.skipped) == (1, 0, 0, 1)
    assert city_session.scalars(select(Case)).first() is None
