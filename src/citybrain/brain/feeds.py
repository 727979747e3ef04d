"""Simulated sensor feeds for the demo city (``citybrain brain feeds``).

Each tick updates a share of the hub's sensors with plausible readings — traffic flow
with a morning and evening peak, parking spots turning over, PM2.5/PM10 drifting, water
levels at underpasses that rise when it rains — through the hub's batch update, so the
history, alert rules, subscriptions and governance cases all see a city that moves.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from citybrain.brain.ngsi import batch, store
from citybrain.brain.ngsi.context import core_context
from citybrain.core.security import Actor, ActorKind

FEED = Actor(kind=ActorKind.system, id="demo-feeds", name="演示传感器")
CTX = core_context()
TYPES = ("TrafficFlowObserved", "ParkingSpot", "AirQualityObserved", "FloodMonitoring")


@dataclass
class FeedSimulator:
    """Readings for the sensors in the hub; ``raining`` raises underpass water."""

    seed: int = 20201220
    rain_chance: float = 0.02
    rng: random.Random = field(init=False)
    sensors: dict[str, list[str]] = field(default_factory=dict)
    state: dict[str, float] = field(default_factory=dict)
    raining: bool = False

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def discover(self, session: Session) -> int:
        """Find the sensors to feed (the demo load puts a few hundred in the hub)."""
        self.sensors = {}
        for type_name in TYPES:
            found = store.search(
                session, types=[CTX.expand(type_name)], ids=None, id_pattern=None, geoquery=None
            )
            self.sensors[type_name] = [entity.entity_id for entity in found]
        return sum(len(ids) for ids in self.sensors.values())

    def _traffic(self, entity_id: str, now: datetime) -> dict[str, Any]:
        hour = now.hour + now.minute / 60 + 8  # Beijing time
        peak = math.exp(-((hour % 24 - 8) ** 2) / 2) + math.exp(-((hour % 24 - 18) ** 2) / 3)
        base = 300 + 1300 * peak
        intensity = max(0, int(self.rng.gauss(base, base * 0.15)))
        speed = max(5.0, round(55 - 35 * peak + self.rng.gauss(0, 4), 1))
        return {
            "id": entity_id,
            "intensity": {"type": "Property", "value": intensity, "observedAt": _iso(now)},
            "averageVehicleSpeed": {"type": "Property", "value": speed, "unitCode": "KMH"},
            "congested": speed < 15,
        }

    def _parking(self, entity_id: str, now: datetime) -> dict[str, Any]:
        status = "occupied" if self.rng.random() < 0.7 else "free"
        return {
            "id": entity_id,
            "status": {"type": "Property", "value": status, "observedAt": _iso(now)},
        }

    def _air(self, entity_id: str, now: datetime) -> dict[str, Any]:
        pm25 = self.state.get(entity_id, self.rng.uniform(20, 60))
        pm25 = min(300.0, max(5.0, pm25 + self.rng.gauss(0, 4)))
        self.state[entity_id] = pm25
        return {
            "id": entity_id,
            "pm25": {
                "type": "Property",
                "value": round(pm25, 1),
                "unitCode": "GQ",
                "observedAt": _iso(now),
            },
            "pm10": {
                "type": "Property",
                "value": round(pm25 * self.rng.uniform(1.4, 1.9), 1),
                "unitCode": "GQ",
            },
        }

    def _water(self, entity_id: str, now: datetime) -> dict[str, Any]:
        level = self.state.get(entity_id, self.rng.uniform(0, 0.03))
        if self.raining:
            level += self.rng.uniform(0, 0.06)
        else:
            level = max(0.0, level * 0.85 - 0.005)
        self.state[entity_id] = min(level, 1.5)
        return {
            "id": entity_id,
            "currentLevel": {
                "type": "Property",
                "value": round(level, 3),
                "unitCode": "MTR",
                "observedAt": _iso(now),
            },
        }

    def tick(self, session: Session, *, now: datetime, updates: int) -> int:
        """Write ``updates`` readings (one batch per 1,000); how many were stored."""
        if self.rng.random() < self.rain_chance:
            self.raining = not self.raining
        makers = {
            "TrafficFlowObserved": self._traffic,
            "ParkingSpot": self._parking,
            "AirQualityObserved": self._air,
            "FloodMonitoring": self._water,
        }
        pool = [(kind, entity_id) for kind, ids in self.sensors.items() for entity_id in ids]
        if not pool:
            return 0
        chosen = self.rng.sample(pool, min(updates, len(pool)))
        readings = [makers[kind](entity_id, now) for kind, entity_id in chosen]
        stored = 0
        for start in range(0, len(readings), batch.MAX_BATCH):
            result = batch.update(
                session, raw=readings[start : start + batch.MAX_BATCH], ctx=CTX, actor=FEED
            )
            stored += len(result.success)
        return stored


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
