"""Geo-queries (``geoQ``): ``near;maxDistance==600``, ``within``, ``intersects`` ...

One evaluation serves both the entity query and the subscriptions, so a query and a
subscription with the same ``geoQ`` always select the same entities. Distances are
great-circle metres on WGS-84.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from citybrain.brain.ngsi.attributes import LOCATION, parse_geometry
from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.problems import bad_data
from citybrain.core.geo import haversine_m, metres_to_degrees

GEORELS = ("near", "within", "contains", "intersects", "equals", "disjoint", "overlaps")
MAX_DISTANCE_M = 2_000_000.0


@dataclass(frozen=True)
class GeoQuery:
    relation: str
    geometry: BaseGeometry
    geoproperty: str  # expanded IRI
    max_distance_m: float | None = None
    min_distance_m: float | None = None

    def as_dict(self, ctx: Context, raw_geometry: dict[str, Any]) -> dict[str, Any]:
        georel = self.relation
        if self.max_distance_m is not None:
            georel += f";maxDistance=={self.max_distance_m:g}"
        if self.min_distance_m is not None:
            georel += f";minDistance=={self.min_distance_m:g}"
        return {
            "geometry": raw_geometry["type"],
            "coordinates": raw_geometry["coordinates"],
            "georel": georel,
            "geoproperty": ctx.compact(self.geoproperty),
        }

    def bounds(self) -> tuple[float, float, float, float] | None:
        """A lon/lat box every match must touch (None when no box applies)."""
        if self.relation in ("disjoint",) or self.min_distance_m is not None:
            return None
        min_x, min_y, max_x, max_y = self.geometry.bounds
        if self.relation == "near":
            if self.max_distance_m is None:
                return None
            dx, dy = metres_to_degrees(
                self.max_distance_m * 1.01, self.max_distance_m * 1.01, lat=(min_y + max_y) / 2
            )
            return (min_x - dx, min_y - dy, max_x + dx, max_y + dy)
        return (min_x, min_y, max_x, max_y)

    def matches(self, geometry: BaseGeometry) -> bool:
        if self.relation == "near":
            distance = distance_m(self.geometry, geometry)
            if self.max_distance_m is not None and distance > self.max_distance_m:
                return False
            return not (self.min_distance_m is not None and distance < self.min_distance_m)
        # "within": the entity lies within the query geometry, and so on.
        predicate = getattr(geometry, self.relation)
        return bool(predicate(self.geometry))


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    if a.intersects(b):
        return 0.0
    first, second = nearest_points(a, b)
    return haversine_m(first.x, first.y, second.x, second.y)


def _distance(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise bad_data(f"{what} must be a number of metres") from None
    if not math.isfinite(value) or value < 0 or value > MAX_DISTANCE_M:
        raise bad_data(f"{what} must be between 0 and {MAX_DISTANCE_M:,.0f} metres")
    return value


def parse_geoquery(
    ctx: Context,
    *,
    georel: str | None,
    geometry: str | None,
    coordinates: Any,
    geoproperty: str | None = None,
) -> GeoQuery:
    """A geo-query from its four parts (query parameters or a subscription's geoQ)."""
    if not georel or not geometry or coordinates in (None, ""):
        raise bad_data("A geo-query needs georel, geometry and coordinates")
    if isinstance(coordinates, str):
        if len(coordinates) > 200_000:
            raise bad_data("coordinates are too long")
        try:
            coordinates = json.loads(coordinates)
        except ValueError:
            raise bad_data("coordinates must be a JSON array such as [113.66,34.75]") from None
    geom = parse_geometry({"type": geometry, "coordinates": coordinates}, "geoQ geometry")
    relation, *modifiers = georel.split(";")
    if relation not in GEORELS:
        raise bad_data(f"georel must be one of {', '.join(GEORELS)}")
    max_distance = min_distance = None
    for modifier in modifiers:
        key, sep, value = modifier.partition("==")
        if not sep or relation != "near":
            raise bad_data(f"Unknown georel modifier {modifier[:40]!r}")
        if key == "maxDistance":
            max_distance = _distance(value, "maxDistance")
        elif key == "minDistance":
            min_distance = _distance(value, "minDistance")
        else:
            raise bad_data(f"Unknown georel modifier {key[:40]!r}")
    if relation == "near" and max_distance is None and min_distance is None:
        raise bad_data("near needs maxDistance or minDistance")
    prop = LOCATION if not geoproperty else ctx.expand(geoproperty)
    return GeoQuery(relation, geom, prop, max_distance, min_distance)
