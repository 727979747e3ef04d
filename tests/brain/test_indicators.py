"""Indicators with drill-down city → district → street → grid: the parts add up."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.brain import demo, indicators
from citybrain.core.errors import DomainError
from tests.factories.brain import reader_headers


@pytest.fixture
def sensors(city_session: Session) -> Session:
    demo.load(city_session, seed=11)
    return city_session


def test_parts_add_up_at_every_level(sensors: Session) -> None:
    city = indicators.compute(sensors, indicator_id="parking-01.1", level="division")
    assert city["value"] == demo.COUNTS["parking_spots"]
    assert sum(g["value"] for g in city["groups"]) == city["value"]
    district = max(city["groups"], key=lambda g: g["value"])
    streets = indicators.compute(
        sensors, indicator_id="parking-01.1", level="street", parent=district["code"]
    )
    assert streets["value"] == district["value"]
    assert sum(g["value"] for g in streets["groups"]) == district["value"]
    street = streets["groups"][0]
    cells = indicators.compute(
        sensors, indicator_id="parking-01.1", level="grid_cell", parent=street["code"]
    )
    assert sum(g["value"] for g in cells["groups"]) == street["value"]
    # ratios and averages stay consistent across levels too
    ratio = indicators.compute(sensors, indicator_id="parking-01.2", level="division")
    matching = sum(g["matching"] for g in ratio["groups"])
    assert ratio["value"] == pytest.approx(matching / ratio["entities"])
    speed = indicators.compute(sensors, indicator_id="traffic-10.1", level="division")
    assert speed["indicator"]["formula"]["attribute"] == "averageVehicleSpeed"
    assert speed["readings"] == demo.COUNTS["intersections"]
    weighted = sum(g["sum"] for g in speed["groups"]) / sum(g["readings"] for g in speed["groups"])
    assert speed["value"] == pytest.approx(weighted)
    assert 15 <= speed["value"] <= 55
    with pytest.raises(DomainError) as missing:
        indicators.compute(sensors, indicator_id="parking-01.99")
    assert missing.value.code == "brain.indicator_not_found"
    with pytest.raises(DomainError) as level:
        indicators.compute(sensors, indicator_id="parking-01.1", level="province")
    assert level.value.code == "brain.bad_level"


def test_indicator_api(client: TestClient, sensors: Session) -> None:
    headers = reader_headers(client, sensors)
    response = client.get(
        "/api/v1/brain/indicators/emergency-01.1", params={"level": "division"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["indicator"]["name"] == "易积水点数"
    assert body["value"] == 0  # no underpass is flooded in the demo's dry start
    assert client.get("/api/v1/brain/indicators/x-01.1", headers=headers).status_code == 404
