"""Synthetic demo geometry for Zhengzhou: plausible, deterministic and labelled fake.

No official boundary data ships with citybrain. For the demo city this module draws:

* the 12 county-level divisions as Voronoi cells around their approximate real
  centroids, clipped to a convex city outline (lon 112.7-114.2, lat 34.2-35.0);
* each county's streets as a Voronoi partition of seeded points inside the county,
  smoothed by a few Lloyd iterations (every cell is convex and non-empty);
* grid cells (网格): 100 m x 100 m squares, a 10 x 10 patch around each street's
  centre, clipped to the street (about 20,000 cells in all);
* functional zones as the union of the streets they administer.

The same seed always gives the same geometry. Real shapes differ (上街区 is an
exclave inside 荥阳市, for one); everything here is stored as synthetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from citybrain.core import geo

COUNTY_CENTROIDS: Final[Mapping[str, tuple[float, float]]] = {
    "410102": (113.61, 34.75),  # 中原区
    "410103": (113.64, 34.72),  # 二七区
    "410104": (113.68, 34.75),  # 管城回族区
    "410105": (113.66, 34.80),  # 金水区
    "410106": (113.29, 34.80),  # 上街区
    "410108": (113.62, 34.87),  # 惠济区
    "410122": (113.98, 34.72),  # 中牟县
    "410181": (113.02, 34.75),  # 巩义市
    "410182": (113.38, 34.79),  # 荥阳市
    "410183": (113.39, 34.54),  # 新密市
    "410184": (113.74, 34.40),  # 新郑市
    "410185": (113.05, 34.45),  # 登封市
}
"""Approximate real centroids (WGS-84 lon, lat) of the county-level divisions."""

_OUTLINE_VERTICES: Final = (
    (112.72, 34.60),
    (112.82, 34.88),
    (113.10, 34.98),
    (113.55, 35.00),
    (113.90, 34.96),
    (114.18, 34.80),
    (114.16, 34.48),
    (113.95, 34.27),
    (113.60, 34.20),
    (113.15, 34.23),
    (112.85, 34.36),
)

CELL_SIZE_M: Final = 100.0
PATCH_CELLS: Final = 10
LLOYD_ITERATIONS: Final = 3


def city_outline() -> Polygon:
    """The synthetic city outline: a convex polygon around all county centroids."""
    hull = MultiPoint(_OUTLINE_VERTICES).convex_hull
    assert isinstance(hull, Polygon)
    return hull


@dataclass(frozen=True)
class SyntheticGeometry:
    """Every synthetic shape, keyed by code; ``cells`` are (code, street code, polygon)."""

    city: Polygon
    counties: dict[str, Polygon]
    streets: dict[str, Polygon]
    zones: dict[str, BaseGeometry]
    cells: list[tuple[str, str, Polygon]]


def _voronoi(points: Sequence[Point], clip: Polygon) -> list[Polygon]:
    """Voronoi cells of ``points`` (in input order), each clipped to ``clip``."""
    if len(points) == 1:
        return [clip]
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=clip, ordered=True)
    cells = [shapely.intersection(cell, clip) for cell in diagram.geoms]
    return [_as_polygon(cell) for cell in cells]


def _as_polygon(geom: BaseGeometry) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return max(parts, key=lambda p: p.area)


def county_polygons() -> dict[str, Polygon]:
    """The 12 county-level divisions as Voronoi cells clipped to the city outline."""
    codes = sorted(COUNTY_CENTROIDS)
    points = [Point(COUNTY_CENTROIDS[c]) for c in codes]
    return dict(zip(codes, _voronoi(points, city_outline()), strict=True))


def _random_points(area: Polygon, n: int, rng: np.random.Generator) -> list[Point]:
    min_x, min_y, max_x, max_y = area.bounds
    points: list[Point] = []
    while len(points) < n:
        xs = rng.uniform(min_x, max_x, size=4 * n)
        ys = rng.uniform(min_y, max_y, size=4 * n)
        candidates = shapely.points(xs, ys)
        inside = candidates[shapely.contains(area, candidates)]
        points.extend(inside[: n - len(points)].tolist())
    return points


def _lloyd(area: Polygon, points: list[Point]) -> list[Polygon]:
    cells = _voronoi(points, area)
    for _ in range(LLOYD_ITERATIONS):
        cells = _voronoi([cell.centroid for cell in cells], area)
    return cells


def _centre_first(area: Polygon, cells: list[Polygon]) -> list[Polygon]:
    """Cells ordered by distance from the area's centre: low codes (urban 街道) go inward."""
    centre = area.centroid
    return sorted(cells, key=lambda cell: (cell.centroid.distance(centre), cell.centroid.x))


def street_polygons(
    county_code: str, county: Polygon, street_codes: Sequence[str], *, seed: int
) -> dict[str, Polygon]:
    """Partition a county among its streets; the same seed gives the same partition."""
    rng = np.random.default_rng([seed, int(county_code)])
    points = _random_points(county, len(street_codes), rng)
    cells = _centre_first(county, _lloyd(county, points))
    return dict(zip(sorted(street_codes), cells, strict=True))


def _patch_boxes(centre: Point) -> NDArray[np.object_]:
    """The 10 x 10 squares around ``centre``, row-major from the south-west corner.

    Edges are computed once and shared, so neighbouring squares meet exactly.
    """
    dlon, dlat = geo.metres_to_degrees(CELL_SIZE_M, CELL_SIZE_M, lat=centre.y)
    steps = np.arange(PATCH_CELLS + 1) - PATCH_CELLS / 2
    xs, ys = centre.x + steps * dlon, centre.y + steps * dlat
    col_grid, row_grid = np.meshgrid(np.arange(PATCH_CELLS), np.arange(PATCH_CELLS))
    cols, rows = col_grid.ravel(), row_grid.ravel()
    return shapely.box(xs[cols], ys[rows], xs[cols + 1], ys[rows + 1])


def street_centre(street: Polygon) -> Point:
    """The point a street's grid patch is centred on: its centroid, if inside."""
    centroid = street.centroid
    return centroid if street.contains(centroid) else street.representative_point()


def grid_cells(street_code: str, street: Polygon) -> list[tuple[str, Polygon]]:
    """Grid cells of one street: its 10 x 10 patch of 100 m squares, clipped to it."""
    boxes = _patch_boxes(street_centre(street))
    shapely.prepare(street)
    crossing = ~shapely.covers(street, boxes)
    clipped = boxes.copy()
    clipped[crossing] = shapely.intersection(boxes[crossing], street)
    keep = (shapely.get_type_id(clipped) == shapely.GeometryType.POLYGON) & (
        shapely.area(clipped) > 0
    )
    kept = clipped[keep].tolist()
    return [(f"{street_code}-{i:04d}", poly) for i, poly in enumerate(kept, start=1)]


def zone_polygons(
    streets: Mapping[str, Polygon], zone_of: Mapping[str, str | None]
) -> dict[str, BaseGeometry]:
    """Each functional zone as the union of the streets it administers."""
    members: dict[str, list[Polygon]] = {}
    for street_code, zone_code in zone_of.items():
        if zone_code is not None:
            members.setdefault(zone_code, []).append(streets[street_code])
    return {zone: shapely.union_all(polys) for zone, polys in sorted(members.items())}


def generate(
    *, seed: int, county_of: Mapping[str, str], zone_of: Mapping[str, str | None]
) -> SyntheticGeometry:
    """All synthetic geometry for streets ``county_of`` (street code -> county code)."""
    counties = county_polygons()
    by_county: dict[str, list[str]] = {code: [] for code in counties}
    for street_code, county_code in county_of.items():
        by_county[county_code].append(street_code)
    streets: dict[str, Polygon] = {}
    for county_code, codes in by_county.items():
        if codes:
            streets.update(street_polygons(county_code, counties[county_code], codes, seed=seed))
    cells = [
        (cell_code, street_code, poly)
        for street_code in sorted(streets)
        for cell_code, poly in grid_cells(street_code, streets[street_code])
    ]
    zones = zone_polygons(streets, zone_of)
    return SyntheticGeometry(city_outline(), counties, streets, zones, cells)


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in square metres of a small WGS-84 geometry (city scale)."""
    per_lon, per_lat = geo.metres_per_degree(geom.centroid.y)
    return float(geom.area) * per_lon * per_lat
