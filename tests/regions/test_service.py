"""Regions use cases on a real session: queries, loads and the point look-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, box, mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core import geo
from citybrain.core.errors import DomainError
from citybrain.regions import service
from citybrain.regions.index import region_index
from citybrain.regions.models import Division, DivisionLevel, GridCell, Street

pytestmark = pytest.mark.db


def _code(call: object) -> str:
    assert isinstance(call, DomainError)
    return call.code


# --- reference data ----------------------------------------------------------------------


def test_load_reference_is_idempotent(reference_session: Session) -> None:
    counts = service.load_reference(reference_session)
    assert (counts.divisions, counts.streets) == (17, 208)
    assert reference_session.scalar(select(func.count()).select_from(Street)) == 208
    zhengdong = service.get_division_or_raise(reference_session, code="410170")
    assert zhengdong.name == "郑东新区"
    assert (zhengdong.is_standard_code, zhengdong.is_management_zone) == (False, True)


@pytest.mark.parametrize(
    ("code", "error", "status"),
    [
        ("410199", "regions.unknown_division", 404),
        ("41010", "regions.malformed_division_code", 422),
        ("4101020", "regions.malformed_division_code", 422),
        ("abcdef", "regions.malformed_division_code", 422),
    ],
)
def test_get_division_or_raise_refuses(
    reference_session: Session, code: str, error: str, status: int
) -> None:
    with pytest.raises(DomainError) as caught:
        service.get_division_or_raise(reference_session, code=code)
    assert (caught.value.code, caught.value.status) == (error, status)


def test_list_divisions_by_level(reference_session: Session) -> None:
    zones = service.list_divisions(reference_session, level=DivisionLevel.zone)
    assert [d.code for d in zones] == ["410170", "410171", "410172", "410173"]
    assert len(service.list_divisions(reference_session)) == 17


def test_list_streets_of_a_county_a_zone_and_the_city(reference_session: Session) -> None:
    zhongyuan = service.list_streets(reference_session, division_code="410102")
    assert len(zhongyuan) == 19  # 14 own + 5 run by 高新区
    assert {s.zone_code for s in zhongyuan} == {None, "410172"}
    airport = service.list_streets(reference_session, division_code="410173")
    assert len(airport) == 15
    assert {s.division_code for s in airport} == {"410122", "410184"}
    assert len(service.list_streets(reference_session, division_code="410100")) == 208
    assert len(service.list_streets(reference_session)) == 208


def test_get_street_or_raise(reference_session: Session) -> None:
    assert service.get_street_or_raise(reference_session, code="410102001000").name == "林山寨街道"
    with pytest.raises(DomainError) as caught:
        service.get_street_or_raise(reference_session, code="410102999000")
    assert caught.value.status == 404
    with pytest.raises(DomainError) as caught:
        service.get_street_or_raise(reference_session, code="4101")
    assert caught.value.code == "regions.malformed_street_code"


# --- synthetic geometry ------------------------------------------------------------------


def test_synthetic_geometry_needs_reference_first(session: Session) -> None:
    with pytest.raises(DomainError) as caught:
        service.load_synthetic_geometry(session, seed=1)
    assert caught.value.code == "regions.reference_not_loaded"


def test_synthetic_load_writes_labelled_boundaries(reference_session: Session) -> None:
    seen: list[tuple[int, int]] = []
    counts = service.load_synthetic_geometry(
        reference_session, seed=3, progress=lambda done, total: seen.append((done, total))
    )
    assert counts.streets == 208
    assert counts.divisions == 17  # city, 12 counties, 4 zones
    assert seen[-1] == (counts.grid_cells, counts.grid_cells)
    divisions = service.list_divisions(reference_session)
    assert all(d.has_boundary and d.boundary_is_synthetic for d in divisions)
    cell = reference_session.scalars(select(GridCell).order_by(GridCell.id)).first()
    assert cell is not None and cell.boundary_is_synthetic
    assert cell.area_m2 == pytest.approx(10_000, rel=0.01)
    assert cell.min_lon < cell.centroid_lon < cell.max_lon


def test_reload_replaces_grid_cells(loaded: Session) -> None:
    before = loaded.scalar(select(func.count()).select_from(GridCell))
    service.load_synthetic_geometry(loaded, seed=4)
    assert loaded.scalar(select(func.count()).select_from(GridCell)) == before


# --- locate ------------------------------------------------------------------------------


def _boundary(session: Session, code: str) -> shapely.Geometry:
    division = session.get(Division, code)
    assert division is not None and division.boundary_wkt is not None
    return shapely.from_wkt(division.boundary_wkt)


COUNTIES = [
    "410102",
    "410103",
    "410104",
    "410105",
    "410106",
    "410108",
    "410122",
    "410181",
    "410182",
    "410183",
    "410184",
    "410185",
]


def test_each_district_resolves_at_its_representative_point(loaded: Session) -> None:
    for code in COUNTIES:
        point = _boundary(loaded, code).representative_point()
        location = service.locate(loaded, lon=point.x, lat=point.y)
        assert location.division_code == code
        assert location.division_name == loaded.get(Division, code).name  # type: ignore[union-attr]


def _shared_edge(session: Session, a: str, b: str) -> LineString:
    shared = _boundary(session, a).boundary.intersection(_boundary(session, b).boundary)
    if isinstance(shared, MultiLineString):
        shared = shapely.line_merge(shared)
    line = shared.geoms[0] if hasattr(shared, "geoms") else shared
    assert isinstance(line, LineString) and line.length > 0
    return line


def test_point_on_a_shared_border_resolves_the_same_every_time(loaded: Session) -> None:
    for a, b in (("410102", "410103"), ("410182", "410106")):
        edge = _shared_edge(loaded, a, b)
        for point in (edge.interpolate(0.5, normalized=True), Point(edge.coords[1])):
            first = service.locate(loaded, lon=point.x, lat=point.y)
            second = service.locate(loaded, lon=point.x, lat=point.y)
            assert first == second
            assert first.division_code in (a, b)


def test_shared_vertex_goes_to_the_lowest_street_code(loaded: Session) -> None:
    edge = _shared_edge(loaded, "410102", "410103")
    vertex = Point(edge.coords[0])
    covering = [
        s.code
        for s in service.list_streets(loaded)
        if s.boundary_wkt and shapely.from_wkt(s.boundary_wkt).covers(vertex)
    ]
    assert len(covering) >= 2
    location = service.locate(loaded, lon=vertex.x, lat=vertex.y)
    assert location.street_code == min(covering)


def test_grid_cell_street_and_zone_agree(loaded: Session) -> None:
    cell = loaded.scalars(
        select(GridCell).where(GridCell.street_code == "410172560000").order_by(GridCell.id)
    ).first()
    assert cell is not None
    location = service.locate(loaded, lon=cell.centroid_lon, lat=cell.centroid_lat)
    assert location.grid_cell_code == cell.code
    assert (location.street_code, location.street_name) == ("410172560000", "枫杨街道")
    assert (location.division_code, location.zone_code) == ("410102", "410172")
    assert location.zone_name == "郑州高新技术产业开发区"
    assert location.boundary_is_synthetic
    assert service.grid_cell_at(loaded, lon=cell.centroid_lon, lat=cell.centroid_lat) == cell.code


def test_locate_converts_gcj02_and_bd09(loaded: Session) -> None:
    point = _boundary(loaded, "410105").representative_point()
    expected = service.locate(loaded, lon=point.x, lat=point.y)
    for crs, convert in (("gcj02", geo.wgs84_to_gcj02), ("BD09", geo.wgs84_to_bd09)):
        lon, lat = convert(point.x, point.y)
        location = service.locate(loaded, lon=lon, lat=lat, crs=crs)
        assert location.street_code == expected.street_code
        assert (location.lon, location.lat) == pytest.approx((point.x, point.y), abs=1e-7)


@pytest.mark.parametrize(
    ("lon", "lat", "crs", "error"),
    [
        (113.6, 34.7, "epsg:3857", "geo.unknown_crs"),
        (200.0, 34.7, "wgs84", "regions.invalid_coordinates"),
        (float("nan"), 34.7, "wgs84", "regions.invalid_coordinates"),
    ],
)
def test_locate_refuses_bad_input(
    reference_session: Session, lon: float, lat: float, crs: str, error: str
) -> None:
    with pytest.raises(DomainError) as caught:
        service.locate(reference_session, lon=lon, lat=lat, crs=crs)
    assert (caught.value.code, caught.value.status) == (error, 422)


def test_locate_outside_the_city(loaded: Session) -> None:
    for lon, lat in ((116.40, 39.90), (112.0, 34.5), (114.19, 34.21)):
        with pytest.raises(DomainError) as caught:
            service.locate(loaded, lon=lon, lat=lat)
        assert (caught.value.code, caught.value.status) == ("regions.point_outside_city", 422)


def test_locate_without_boundaries_is_503(reference_session: Session) -> None:
    with pytest.raises(DomainError) as caught:
        service.locate(reference_session, lon=113.6, lat=34.7)
    assert (caught.value.code, caught.value.status) == ("regions.boundaries_not_loaded", 503)


def test_locate_many_matches_locate(loaded: Session) -> None:
    lons = [113.60 + 0.013 * i for i in range(20)] + [116.4]
    lats = [34.70 + 0.007 * i for i in range(20)] + [39.9]
    many = service.locate_many(loaded, lons=lons, lats=lats)
    assert many[-1] is None
    for lon, lat, location in zip(lons[:-1], lats[:-1], many[:-1], strict=True):
        assert location == service.locate(loaded, lon=lon, lat=lat)


def test_index_is_cached_until_boundaries_change(loaded: Session) -> None:
    first = region_index(loaded)
    assert region_index(loaded) is first
    service.load_synthetic_geometry(loaded, seed=99)
    assert region_index(loaded) is not first


# --- official boundaries -----------------------------------------------------------------


def _write_collection(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_official_street_boundary_replaces_synthetic(loaded: Session, tmp_path: Path) -> None:
    code = "410102001000"
    square_wgs = box(113.50, 34.95, 113.52, 34.97)  # somewhere in the north
    square_gcj = shapely.transform(square_wgs, lambda xy: [geo.wgs84_to_gcj02(x, y) for x, y in xy])
    feature = {"type": "Feature", "properties": {"code": code}, "geometry": mapping(square_gcj)}
    counts = service.load_boundaries_geojson(
        loaded, path=_write_collection(tmp_path / "b.geojson", [feature]), crs="gcj02"
    )
    assert (counts.divisions, counts.streets) == (0, 1)
    assert counts.grid_cells_removed > 0
    street = loaded.get(Street, code)
    assert street is not None and not street.boundary_is_synthetic
    assert shapely.from_wkt(street.boundary_wkt).equals_exact(square_wgs, 1e-7)
    location = service.locate(loaded, lon=113.505, lat=34.955)
    assert (location.street_code, location.boundary_is_synthetic) == (code, False)
    assert location.grid_cell_code is None


def test_official_boundary_with_unknown_code(reference_session: Session, tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "properties": {"code": "410199"},
        "geometry": mapping(box(0, 0, 1, 1)),
    }
    path = _write_collection(tmp_path / "b.geojson", [feature])
    with pytest.raises(DomainError) as caught:
        service.load_boundaries_geojson(reference_session, path=path)
    assert caught.value.code == "regions.unknown_boundary_code"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"type": "Feature"}),
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "410102"},
                        "geometry": {"type": "Point", "coordinates": [1, 2]},
                    }
                ],
            }
        ),
    ],
)
def test_official_boundary_file_must_be_polygons(
    reference_session: Session, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "b.geojson"
    path.write_text(content, "utf-8")
    with pytest.raises(DomainError) as caught:
        service.load_boundaries_geojson(reference_session, path=path)
    assert caught.value.code == "regions.invalid_geojson"


def test_division_feature(loaded: Session) -> None:
    feature = service.division_feature(loaded, code="410170")
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert feature["properties"]["boundary_is_synthetic"] is True
    gcj = service.division_feature(loaded, code="410170", crs="gcj02")
    assert gcj["geometry"] != feature["geometry"]
