"""The demo sensors land in the hub inside the city."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain import demo
from citybrain.brain.models import NgsiEntity
from citybrain.regions import service as regions_service


def test_demo_sensors_are_placed_inside_the_city(city_session: Session) -> None:
    count = demo.load(city_session, seed=20201220)
    assert count == 12 + sum(demo.COUNTS.values())
    assert city_session.scalar(select(func.count()).select_from(NgsiEntity)) == count
    sensors = demo.sensors(city_session, seed=20201220)
    for entity in sensors[:40]:
        lon, lat = entity["location"]["value"]["coordinates"]
        assert regions_service.locate(city_session, lon=lon, lat=lat).division_code
    assert demo.load(city_session, seed=20201220) == count  # idempotent upsert
    assert city_session.scalar(select(func.count()).select_from(NgsiEntity)) == count
