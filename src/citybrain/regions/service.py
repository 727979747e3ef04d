"""Use cases of the regions pillar over a session. Nothing here commits.

Queries (divisions, streets), loads (reference tables, synthetic demo geometry,
official GeoJSON boundaries) and the point look-up ``locate`` that every other
pillar uses to turn a coordinate into grid cell, street, district and zone.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, cast

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from citybrain.core import geo
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError
from citybrain.regions import geometry, reference
from citybrain.regions.index import Location, RegionIndex, invalidate_index, region_index
from citybrain.regions.models import BoundaryRevision, Division, DivisionLevel, GridCell, Street

BATCH_SIZE: Final = 5_000
_DIVISION_CODE = re.compile(r"^\d{6}$")
_STREET_CODE = re.compile(r"^\d{12}$")

_GRID_CELL_TABLE = cast(Table, GridCell.__table__)  # Core insert: no ORM overhead per row
_Bounded = TypeVar("_Bounded", Division, Street)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while grid cells are inserted."""


@dataclass(frozen=True)
class LoadCounts:
    """What a load wrote: rows of each kind (and grid cells dropped, for official loads)."""

    divisions: int
    streets: int
    grid_cells: int = 0
    grid_cells_removed: int = 0


# --- queries -----------------------------------------------------------------------------


def list_divisions(session: Session, *, level: DivisionLevel | None = None) -> list[Division]:
    """Every division (or those of one level), by code."""
    query = select(Division).order_by(Division.code)
    if level is not None:
        query = query.where(Division.level == level.value)
    return list(session.scalars(query))


def get_division(session: Session, *, code: str) -> Division | None:
    """The division with this code, or None."""
    return session.get(Division, code)


def get_division_or_raise(session: Session, *, code: str) -> Division:
    """The division with this code; 422 if malformed, 404 if unknown."""
    if not _DIVISION_CODE.match(code):
        raise DomainError(
            "regions.malformed_division_code",
            "行政区划代码应为6位数字",
            "A division code has 6 digits",
            status=422,
        )
    division = get_division(session, code=code)
    if division is None:
        raise DomainError(
            "regions.unknown_division", "行政区划代码不存在", "Unknown division code", status=404
        )
    return division


def list_streets(session: Session, *, division_code: str | None = None) -> list[Street]:
    """Streets by code: all, those lying in a county, or those a zone administers."""
    query = select(Street).order_by(Street.code)
    if division_code is not None:
        division = get_division_or_raise(session, code=division_code)
        if division.level == DivisionLevel.zone:
            query = query.where(Street.zone_code == division.code)
        elif division.level != DivisionLevel.prefecture_city:
            query = query.where(Street.division_code == division.code)
    return list(session.scalars(query))


def get_street(session: Session, *, code: str) -> Street | None:
    """The street (街道/乡镇) with this code, or None when there is none."""
    return session.get(Street, code) if _STREET_CODE.match(code) else None


def get_street_or_raise(session: Session, *, code: str) -> Street:
    """The street (街道/乡镇) with this 12-digit code; 422 if malformed, 404 if unknown."""
    if not _STREET_CODE.match(code):
        raise DomainError(
            "regions.malformed_street_code",
            "街道（乡镇）代码应为12位数字",
            "A street code has 12 digits",
            status=422,
        )
    street = session.get(Street, code)
    if street is None:
        raise DomainError(
            "regions.unknown_street", "街道（乡镇）代码不存在", "Unknown street code", status=404
        )
    return street


def division_feature(session: Session, *, code: str, crs: str = "wgs84") -> dict[str, Any]:
    """A division as a GeoJSON Feature (geometry null until a boundary is loaded)."""
    division = get_division_or_raise(session, code=code)
    target = geo.normalise_crs(crs)
    geometry_json = None
    if division.boundary_wkt is not None:
        geom = shapely.from_wkt(division.boundary_wkt)
        geometry_json = mapping(_reproject(geom, lambda x, y: geo.from_wgs84(x, y, target)))
    properties = {
        "code": division.code,
        "name": division.name,
        "level": division.level,
        "crs": target,
        "boundary_is_synthetic": division.boundary_is_synthetic,
    }
    return {"type": "Feature", "geometry": geometry_json, "properties": properties}


# --- loads -------------------------------------------------------------------------------


def _touch_revision(session: Session) -> None:
    """Give the boundaries a new revision token: cached indexes everywhere rebuild."""
    revision = session.get(BoundaryRevision, 1)
    if revision is None:
        revision = BoundaryRevision(id=1)
        session.add(revision)
    revision.token = uuid.uuid4().hex
    revision.changed_at = utcnow()
    session.flush()
    invalidate_index(session.get_bind().engine)


def _upsert(session: Session, model: type[Any], key: str, values: dict[str, Any]) -> None:
    row = session.get(model, values[key])
    if row is None:
        session.add(model(**values))
        return
    for name, value in values.items():
        setattr(row, name, value)


def load_reference(session: Session) -> LoadCounts:
    """Insert or update the packaged divisions and streets (boundaries untouched)."""
    divisions = reference.read_divisions()
    for d in divisions:
        values = {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "parent_code": d.parent_code,
            "is_standard_code": d.is_standard_code,
            "is_management_zone": d.level == DivisionLevel.zone,
            "note": d.note,
        }
        _upsert(session, Division, "code", values)
    session.flush()
    streets = reference.read_streets(divisions)
    for s in streets:
        _upsert(session, Street, "code", asdict(s))
    session.flush()
    _touch_revision(session)
    return LoadCounts(divisions=len(divisions), streets=len(streets))


def _set_boundaries(
    session: Session, model: type[_Bounded], shapes: dict[str, BaseGeometry]
) -> None:
    rows = session.scalars(select(model).where(model.code.in_(list(shapes))))
    for row in rows:
        row.boundary_wkt = shapely.to_wkt(shapes[row.code], rounding_precision=-1)
        row.boundary_is_synthetic = True


def _cell_rows(cells: Sequence[tuple[str, str, Polygon]]) -> list[dict[str, Any]]:
    polygons = np.array([poly for _, _, poly in cells], dtype=object)
    min_lon, min_lat, max_lon, max_lat = shapely.bounds(polygons).T.tolist()
    centroids = shapely.centroid(polygons)
    lons, lats = shapely.get_x(centroids).tolist(), shapely.get_y(centroids).tolist()
    areas = shapely.area(polygons).tolist()
    wkts = shapely.to_wkt(polygons, rounding_precision=-1).tolist()
    rows = []
    for i, (code, street_code, _) in enumerate(cells):
        per_lon, per_lat = geo.metres_per_degree(lats[i])
        rows.append(
            {
                "code": code,
                "street_code": street_code,
                "boundary_wkt": wkts[i],
                "boundary_is_synthetic": True,
                "area_m2": areas[i] * per_lon * per_lat,
                "min_lon": min_lon[i],
                "min_lat": min_lat[i],
                "max_lon": max_lon[i],
                "max_lat": max_lat[i],
                "centroid_lon": lons[i],
                "centroid_lat": lats[i],
            }
        )
    return rows


def _insert_cells(
    session: Session, cells: Sequence[tuple[str, str, Polygon]], progress: Progress | None
) -> None:
    for start in range(0, len(cells), BATCH_SIZE):
        batch = cells[start : start + BATCH_SIZE]
        session.execute(insert(_GRID_CELL_TABLE), _cell_rows(batch))
        if progress is not None:
            progress(start + len(batch), len(cells))


def load_synthetic_geometry(
    session: Session, *, seed: int, progress: Progress | None = None
) -> LoadCounts:
    """Replace every boundary and grid cell with synthetic demo geometry from ``seed``."""
    streets = session.execute(select(Street.code, Street.division_code, Street.zone_code)).all()
    if not streets:
        raise DomainError(
            "regions.reference_not_loaded",
            "请先加载行政区划参考数据",
            "Load the reference divisions and streets first",
            status=409,
        )
    synthetic = geometry.generate(
        seed=seed,
        county_of={code: county for code, county, _ in streets},
        zone_of={code: zone for code, _, zone in streets},
    )
    division_shapes = {reference.CITY_CODE: synthetic.city, **synthetic.counties, **synthetic.zones}
    _set_boundaries(session, Division, division_shapes)
    _set_boundaries(session, Street, dict(synthetic.streets))
    session.execute(delete(GridCell))
    session.flush()
    _insert_cells(session, synthetic.cells, progress)
    _touch_revision(session)
    return LoadCounts(
        divisions=len(division_shapes),
        streets=len(synthetic.streets),
        grid_cells=len(synthetic.cells),
    )


def _reproject(geom: BaseGeometry, convert: Callable[[float, float], tuple[float, float]]) -> Any:
    def convert_all(coords: np.ndarray) -> np.ndarray:
        return np.array([convert(x, y) for x, y in coords]).reshape(-1, 2)

    return shapely.transform(geom, convert_all)


def _invalid_geojson(why_en: str, **detail: Any) -> DomainError:
    return DomainError(
        "regions.invalid_geojson",
        "边界文件不是有效的 GeoJSON 面要素集合",
        f"Not a usable GeoJSON FeatureCollection of polygons: {why_en}",
        status=422,
        **detail,
    )


def _read_features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid_geojson(str(exc)) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _invalid_geojson("top level is not a FeatureCollection")
    return list(data.get("features") or [])


def _feature_boundary(feature: dict[str, Any], crs: str, position: int) -> tuple[str, Any]:
    code = str((feature.get("properties") or {}).get("code", ""))
    try:
        geom = shape(feature["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _invalid_geojson("bad geometry", feature=position) from exc
    if not isinstance(geom, Polygon | MultiPolygon) or not geom.is_valid:
        raise _invalid_geojson("geometry is not a valid (multi)polygon", feature=position)
    return code, _reproject(geom, lambda x, y: geo.to_wgs84(x, y, crs))


def _store_official(
    session: Session, code: str, boundary: Any, position: int
) -> type[Division] | type[Street]:
    row = session.get(Division, code) if len(code) == 6 else session.get(Street, code)
    if row is None:
        raise DomainError(
            "regions.unknown_boundary_code",
            "边界文件中的区划代码不存在",
            "A feature's code is not a known division or street",
            status=422,
            feature=position,
            feature_code=code,
        )
    row.boundary_wkt = shapely.to_wkt(boundary, rounding_precision=-1)
    row.boundary_is_synthetic = False
    return type(row)


def load_boundaries_geojson(session: Session, *, path: Path, crs: str = "wgs84") -> LoadCounts:
    """Load official boundaries from a FeatureCollection whose features carry ``code``.

    A 6-digit code sets a division's boundary, a 12-digit code a street's. Synthetic
    grid cells of a street that gets an official boundary are removed: they were cut
    to the synthetic shape.
    """
    crs = geo.normalise_crs(crs)
    counts = {Division: 0, Street: 0}
    streets: list[str] = []
    for position, feature in enumerate(_read_features(path)):
        code, boundary = _feature_boundary(feature, crs, position)
        model = _store_official(session, code, boundary, position)
        counts[model] += 1
        if model is Street:
            streets.append(code)
    removed = session.execute(
        delete(GridCell).where(
            GridCell.street_code.in_(streets), GridCell.boundary_is_synthetic.is_(True)
        )
    )
    session.flush()
    _touch_revision(session)
    return LoadCounts(
        divisions=counts[Division],
        streets=counts[Street],
        grid_cells_removed=int(getattr(removed, "rowcount", 0) or 0),
    )


# --- look-up -----------------------------------------------------------------------------


def _check_point(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise DomainError(
            "regions.invalid_coordinates",
            "经纬度超出有效范围",
            "Longitude must lie in [-180, 180] and latitude in [-90, 90]",
            status=422,
        )


def _outside_city() -> DomainError:
    return DomainError(
        "regions.point_outside_city",
        "该位置不在本市范围内",
        "The point lies outside the city",
        status=422,
    )


def _loaded_index(session: Session) -> RegionIndex:
    index = region_index(session)
    if index.is_empty:
        raise DomainError(
            "regions.boundaries_not_loaded",
            "尚未加载区划边界",
            "No boundaries have been loaded yet",
            status=503,
        )
    return index


def locate(session: Session, *, lon: float, lat: float, crs: str = "wgs84") -> Location:
    """Grid cell, street, district and zone of a point given in ``crs``."""
    _check_point(lon, lat)
    wgs_lon, wgs_lat = geo.to_wgs84(lon, lat, crs)
    index = _loaded_index(session)
    streets, cells = index.locate_indices([wgs_lon], [wgs_lat])
    if streets[0] < 0:
        raise _outside_city()
    return index.location(wgs_lon, wgs_lat, int(streets[0]), int(cells[0]))


def locate_many(
    session: Session, *, lons: Sequence[float], lats: Sequence[float], crs: str = "wgs84"
) -> list[Location | None]:
    """``locate`` for many points at once (vectorised); None for a point outside the city."""
    if geo.normalise_crs(crs) != "wgs84":
        pairs = [geo.to_wgs84(x, y, crs) for x, y in zip(lons, lats, strict=True)]
        lons, lats = [p[0] for p in pairs], [p[1] for p in pairs]
    index = _loaded_index(session)
    streets, cells = index.locate_indices(lons, lats)
    return [
        index.location(float(x), float(y), int(s), int(c)) if s >= 0 else None
        for x, y, s, c in zip(lons, lats, streets, cells, strict=True)
    ]


def grid_cell_at(session: Session, *, lon: float, lat: float, crs: str = "wgs84") -> str | None:
    """Code of the grid cell (网格) at a point, None if the street there has no cell."""
    return locate(session, lon=lon, lat=lat, crs=crs).grid_cell_code
