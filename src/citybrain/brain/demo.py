"""The demo city's sensors in the data hub: a few hundred entities placed inside Zhengzhou.

Air-quality stations (one per district), water-level sensors at underpasses, traffic
flow at intersections and roadside parking spots, all in Smart Data Models shapes,
written through the hub's own batch upsert (so history, alerts and events are real).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy.orm import Session

from citybrain.brain.ngsi import batch
from citybrain.brain.ngsi.context import core_context
from citybrain.core.security import SYSTEM
from citybrain.regions import service as regions_service

URBAN = ("410102", "410103", "410104", "410105", "410106", "410108")
COUNTS = {"underpasses": 24, "intersections": 240, "parking_spots": 120}


def _points(
    session: Session, codes: tuple[str, ...], rng: random.Random
) -> Iterator[tuple[str, float, float]]:
    """Endless random points inside the given divisions' boundaries."""
    areas = []
    for code in codes:
        feature = regions_service.division_feature(session, code=code)
        if feature["geometry"] is not None:
            areas.append((code, shape(feature["geometry"])))
    if not areas:
        return
    while True:
        code, area = rng.choice(areas)
        min_x, min_y, max_x, max_y = area.bounds
        lon, lat = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if area.contains(shapely.Point(lon, lat)):
            yield code, round(lon, 6), round(lat, 6)


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def sensors(session: Session, *, seed: int) -> list[dict[str, Any]]:
    """The demo sensor entities (empty when the city has no boundaries loaded)."""
    rng = random.Random(seed)
    counties = tuple(
        d.code
        for d in regions_service.list_divisions(session)
        if d.level in ("district", "county", "county_city")
    )
    entities: list[dict[str, Any]] = []
    for code in counties:
        located = next(_points(session, (code,), rng), None)
        if located is None:
            continue
        _, lon, lat = located
        entities.append(
            {
                "id": f"urn:ngsi-ld:AirQualityObserved:zz-{code}",
                "type": "AirQualityObserved",
                "pm25": {
                    "type": "Property",
                    "value": round(rng.uniform(15, 60), 1),
                    "unitCode": "GQ",
                },
                "pm10": {
                    "type": "Property",
                    "value": round(rng.uniform(30, 110), 1),
                    "unitCode": "GQ",
                },
                "areaServed": code,
                "location": _point(lon, lat),
            }
        )
    urban = _points(session, URBAN, rng)
    if not any(True for _ in _points(session, URBAN, random.Random(seed))):
        return entities
    for n in range(COUNTS["underpasses"]):
        _, lon, lat = next(urban)
        entities.append(
            {
                "id": f"urn:ngsi-ld:FloodMonitoring:underpass-{n + 1:03d}",
                "type": "FloodMonitoring",
                "name": f"下穿隧道{n + 1}号",
                "currentLevel": {
                    "type": "Property",
                    "value": round(rng.uniform(0, 0.05), 3),
                    "unitCode": "MTR",
                },
                "location": _point(lon, lat),
            }
        )
    for n in range(COUNTS["intersections"]):
        _, lon, lat = next(urban)
        entities.append(
            {
                "id": f"urn:ngsi-ld:TrafficFlowObserved:x-{n + 1:04d}",
                "type": "TrafficFlowObserved",
                "intensity": {"type": "Property", "value": rng.randint(200, 1800)},
                "averageVehicleSpeed": {
                    "type": "Property",
                    "value": round(rng.uniform(15, 55), 1),
                    "unitCode": "KMH",
                },
                "congested": False,
                "location": _point(lon, lat),
            }
        )
    for n in range(COUNTS["parking_spots"]):
        _, lon, lat = next(urban)
        entities.append(
            {
                "id": f"urn:ngsi-ld:ParkingSpot:roadside-{n + 1:04d}",
                "type": "ParkingSpot",
                "status": rng.choice(["free", "occupied"]),
                "category": ["onStreet"],
                "location": _point(lon, lat),
            }
        )
    return entities


def load(session: Session, *, seed: int) -> int:
    """Put the demo sensors in the hub (in batches of 1,000); how many."""
    entities = sensors(session, seed=seed)
    for start in range(0, len(entities), batch.MAX_BATCH):
        result = batch.upsert(
            session, raw=entities[start : start + batch.MAX_BATCH], ctx=core_context(), actor=SYSTEM
        )
        if result.errors:
            entity_id, error = result.errors[0]
            raise RuntimeError(f"demo sensor {entity_id} refused: {error.detail}")
    return len(entities)
