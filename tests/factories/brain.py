"""Builders for the brain's tests: Smart Data Models entities and hub users."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from tests.factories.identity import auth_headers, make_staff

# Zhengzhou's centre (二七广场) in WGS-84, and a few metres-per-degree at its latitude.
CENTRE = (113.6654, 34.7466)
LINK_CONTEXT = (
    "<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld>; "
    'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
)


def writer_headers(client: TestClient, session: Session) -> dict[str, str]:
    """A command-centre operator, who may write to the data hub."""
    return auth_headers(client, make_staff(session, Role.command_centre_operator))


def reader_headers(client: TestClient, session: Session) -> dict[str, str]:
    """A department clerk: reads the hub, may not write it."""
    return auth_headers(client, make_staff(session, Role.department_clerk))


def air_quality(
    n: int,
    *,
    pm25: float = 35.0,
    lon: float | None = None,
    lat: float | None = None,
    observed_at: str = "2026-11-27T08:00:00Z",
) -> dict[str, Any]:
    """An AirQualityObserved station (Smart Data Models dataModel.Environment)."""
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:zz-{n:04d}",
        "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": pm25, "unitCode": "GQ", "observedAt": observed_at},
        "pm10": {"type": "Property", "value": pm25 * 1.6, "unitCode": "GQ"},
        "stationName": {"type": "Property", "value": f"监测站{n}"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [lon or CENTRE[0], lat or CENTRE[1]]},
        },
    }


def underpass(
    n: int, *, level: float = 0.05, lon: float | None = None, lat: float | None = None
) -> dict[str, Any]:
    """A water-level sensor at an underpass (WaterObserved-style, metres of water)."""
    return {
        "id": f"urn:ngsi-ld:FloodMonitoring:underpass-{n:03d}",
        "type": "FloodMonitoring",
        "currentLevel": {"type": "Property", "value": level, "unitCode": "MTR"},
        "name": {"type": "Property", "value": f"下穿隧道{n}"},
        "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Device:wl-{n:03d}"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [lon or CENTRE[0], lat or CENTRE[1]]},
        },
    }


def traffic_flow(n: int, *, intensity: int = 400, lon: float, lat: float) -> dict[str, Any]:
    """A TrafficFlowObserved at an intersection (dataModel.Transportation)."""
    return {
        "id": f"urn:ngsi-ld:TrafficFlowObserved:x-{n:04d}",
        "type": "TrafficFlowObserved",
        "intensity": {"type": "Property", "value": intensity},
        "averageVehicleSpeed": {"type": "Property", "value": 32.5, "unitCode": "KMH"},
        "congested": {"type": "Property", "value": False},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
    }
