"""Indicators (指标 / 城市体征) of the scenarios, computed from the hub, with drill-down.

One parameter picks the level — ``city`` → ``division`` (district, adcode) → ``street``
(街道) → ``grid_cell`` (网格) — and ``parent`` narrows to one area of the level above.
Each group carries its count and exact parts (sum and number of readings), so the groups
of a level add up to the value of their parent: counts and sums add, averages are the
reading-weighted mean, ratios are numerator over denominator.

Values: ``avg``/``min``/``max``/``sum`` over the readings of the indicator's attribute
in the last period (``period`` of the manifest, e.g. PT1H) from the history;
``count`` and ``ratio`` over the current state of the entities (filtered by ``q``).

``KeyPerformanceIndicator`` entities are snapshots, not samples: their source rewrites
the figure of a period as it changes, so each KPI written within the last period counts
once, by its current value — a sum adds the values, an average pools the parts
``kpiNumerator`` / ``kpiDenominator`` when the KPI carries them (weight 1 otherwise), so a
city rate is the city-wide rate and not an average of district rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain import scenarios
from citybrain.brain.models import NgsiObservation
from citybrain.brain.ngsi import store
from citybrain.brain.ngsi.attributes import LOCATION, format_datetime
from citybrain.brain.ngsi.context import core_context
from citybrain.brain.ngsi.qlang import compile_q
from citybrain.brain.ngsi.store import StoredEntity, epoch_ms
from citybrain.brain.ngsi.temporal import parse_duration
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.regions import service as regions_service

LEVELS = ("city", "division", "street", "grid_cell")
CITY = ("410100", "郑州市")


@dataclass
class Group:
    code: str
    name: str
    entities: int = 0
    readings: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None
    matching: int = 0

    def value(self, aggregate: str) -> float | int | None:
        if aggregate == "count":
            return self.matching
        if aggregate == "ratio":
            return round(self.matching / self.entities, 6) if self.entities else None
        if aggregate == "sum":
            return round(self.total, 6)
        if aggregate == "avg":
            return round(self.total / self.readings, 6) if self.readings else None
        return self.low if aggregate == "min" else self.high


@dataclass
class _Reading:
    entity: StoredEntity
    areas: dict[str, tuple[str, str]] = field(default_factory=dict)


def find_indicator(indicator_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    scenario_id = indicator_id.split(".", 1)[0]
    scenario = scenarios.get_scenario_or_raise(scenario_id)
    for indicator in scenario["indicators"]:
        if indicator["id"] == indicator_id:
            return scenario, indicator
    raise not_found("brain.indicator_not_found", "指标", "Indicator")


def _typed_readings(
    session: Session, type_iri: str, placed: dict[str, list[_Reading]] | None
) -> list[_Reading]:
    if placed is not None and type_iri in placed:
        return placed[type_iri]
    entities = store.search(session, types=[type_iri], ids=None, id_pattern=None, geoquery=None)
    readings = _areas(session, entities)
    if placed is not None:
        placed[type_iri] = readings
    return readings


def _areas(session: Session, entities: list[StoredEntity]) -> list[_Reading]:
    placed, lons, lats = [], [], []
    for entity in entities:
        location = entity.attrs.get(LOCATION)
        value = location.body.get("value", {}) if location else {}
        if value.get("type") == "Point":
            placed.append(entity)
            lons.append(float(value["coordinates"][0]))
            lats.append(float(value["coordinates"][1]))
    found = regions_service.locate_many(session, lons=lons, lats=lats) if placed else []
    readings = []
    for entity, where in zip(placed, found, strict=True):
        if where is None:
            continue  # outside the city: not part of any area
        readings.append(
            _Reading(
                entity,
                {
                    "city": CITY,
                    "division": (where.division_code, where.division_name),
                    "street": (where.street_code, where.street_name),
                    "grid_cell": (where.grid_cell_code or "", where.grid_cell_code or ""),
                },
            )
        )
    return readings


def _window_stats(
    session: Session, pks: list[int], name: str, since: datetime, until: datetime
) -> dict[int, tuple[int, float, float, float]]:
    """Per entity: readings, sum, min, max of the attribute in the window."""
    stats: dict[int, tuple[int, float, float, float]] = {}
    for start in range(0, len(pks), 500):
        rows = session.execute(
            select(
                NgsiObservation.entity_pk,
                func.count(NgsiObservation.value_num),
                func.sum(NgsiObservation.value_num),
                func.min(NgsiObservation.value_num),
                func.max(NgsiObservation.value_num),
            )
            .where(
                NgsiObservation.entity_pk.in_(pks[start : start + 500]),
                NgsiObservation.name == name,
                NgsiObservation.observed_ms > epoch_ms(since),
                NgsiObservation.observed_ms <= epoch_ms(until),
            )
            .group_by(NgsiObservation.entity_pk)
        )
        for pk, count, total, low, high in rows:
            if count:
                stats[pk] = (int(count), float(total), float(low), float(high))
    return stats


SNAPSHOT_TYPES = frozenset({"KeyPerformanceIndicator"})
NUMERATOR, DENOMINATOR = "kpiNumerator", "kpiDenominator"


def _number(body: dict[str, Any] | None) -> float | None:
    value = body.get("value") if body else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _snapshot_stats(
    readings: list[_Reading], name: str, written: dict[int, Any], aggregate: str
) -> dict[int, tuple[int, float, float, float]]:
    """Per KPI written in the window: its current value once (avg: its parts, pooled)."""
    ctx = core_context()
    stats: dict[int, tuple[int, float, float, float]] = {}
    for reading in readings:
        entity = reading.entity
        bodies = entity.bodies()
        value = _number(bodies.get(name))
        if entity.pk not in written or value is None:
            continue
        numerator = _number(bodies.get(ctx.expand(NUMERATOR)))
        denominator = _number(bodies.get(ctx.expand(DENOMINATOR)))
        if aggregate == "avg" and numerator is not None and denominator is not None:
            stats[entity.pk] = (int(denominator), numerator, value, value)
        else:
            stats[entity.pk] = (1, value, value, value)
    return stats


def compute(
    session: Session,
    *,
    indicator_id: str,
    level: str = "division",
    parent: str | None = None,
    now: datetime | None = None,
    placed: dict[str, list[_Reading]] | None = None,
) -> dict[str, Any]:
    """The indicator for ``parent`` (or the city) and its groups one ``level`` down.

    ``placed`` keeps each entity type's placed entities across calls: a page that shows
    many indicators (the cockpit's 255) loads and locates every type once.
    """
    if level not in LEVELS:
        raise DomainError(
            "brain.bad_level",
            "汇总层级应为 city/division/street/grid_cell",
            "level must be city, division, street or grid_cell",
            status=422,
        )
    scenario, indicator = find_indicator(indicator_id)
    formula = indicator["formula"]
    aggregate = formula["aggregate"]
    now = now or utcnow()
    period_s = parse_duration(indicator["period"])
    ctx = core_context()
    readings = _typed_readings(session, ctx.expand(formula["entity_type"]), placed)
    if formula.get("filter"):
        selector = compile_q(formula["filter"], ctx)
        readings = [r for r in readings if selector(r.entity.bodies())]
    above = LEVELS[max(0, LEVELS.index(level) - 1)]
    if parent is not None and level != "city":
        readings = [r for r in readings if r.areas[above][0] == parent]
    name = ctx.expand(formula["attribute"])
    numerator = compile_q(formula["numerator"], ctx) if aggregate == "ratio" else None
    window = (
        _window_stats(
            session, [r.entity.pk for r in readings], name, now - timedelta(seconds=period_s), now
        )
        if aggregate in ("avg", "min", "max", "sum")
        else {}
    )
    if formula["entity_type"] in SNAPSHOT_TYPES and window:
        window = _snapshot_stats(readings, name, window, aggregate)
    whole = Group(*((parent, parent) if parent and level != "city" else CITY))
    groups: dict[str, Group] = {}
    for reading in readings:
        code, label = reading.areas[level]
        group = groups.setdefault(code, Group(code, label))
        for target in (group, whole):
            target.entities += 1
            bodies = reading.entity.bodies()
            if aggregate == "count":
                target.matching += 1 if name in bodies else 0
            elif numerator is not None:
                target.matching += 1 if numerator(bodies) else 0
            elif reading.entity.pk in window:
                count, total, low, high = window[reading.entity.pk]
                target.readings += count
                target.total += total
                target.low = low if target.low is None else min(target.low, low)
                target.high = high if target.high is None else max(target.high, high)
    return {
        "indicator": {
            "id": indicator["id"],
            "name": indicator["name"],
            "formula": formula,
            "period": indicator["period"],
        },
        "scenario": {"id": scenario["id"], "name": scenario["name"]},
        "level": level,
        "parent": parent,
        "computed_at": format_datetime(now),
        "value": whole.value(aggregate),
        "entities": whole.entities,
        "readings": whole.readings,
        "groups": [
            {
                "code": g.code,
                "name": g.name,
                "value": g.value(aggregate),
                "entities": g.entities,
                "readings": g.readings,
                "sum": round(g.total, 6),
                "matching": g.matching,
            }
            for g in sorted(groups.values(), key=lambda g: g.code)
        ],
    }
