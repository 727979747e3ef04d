"""Regions API through the in-process client (shared ``client`` on the test session)."""

from __future__ import annotations

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import geo
from citybrain.regions.models import GridCell

pytestmark = pytest.mark.db


def test_list_divisions(reference_session: Session, client: TestClient) -> None:
    response = client.get("/api/v1/regions/divisions")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 17
    zhengdong = next(d for d in body if d["code"] == "410170")
    assert zhengdong["is_standard_code"] is False
    assert zhengdong["level"] == "zone"
    assert zhengdong["has_boundary"] is False


def test_list_divisions_by_level(reference_session: Session, client: TestClient) -> None:
    response = client.get("/api/v1/regions/divisions", params={"level": "county_city"})
    assert [d["name"] for d in response.json()] == [
        "巩义市",
        "荥阳市",
        "新密市",
        "新郑市",
        "登封市",
    ]
    assert client.get("/api/v1/regions/divisions", params={"level": "nation"}).status_code == 422


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [("410199", 404, "regions.unknown_division"), ("4101", 422, "regions.malformed_division_code")],
)
def test_division_errors(
    reference_session: Session, client: TestClient, code: str, status: int, error: str
) -> None:
    response = client.get(f"/api/v1/regions/divisions/{code}")
    assert response.status_code == status
    assert response.json()["code"] == error


def test_division_and_its_streets(reference_session: Session, client: TestClient) -> None:
    assert client.get("/api/v1/regions/divisions/410102").json()["name"] == "中原区"
    streets = client.get("/api/v1/regions/divisions/410172/streets").json()
    assert [s["name"] for s in streets][:2] == ["石佛镇", "沟赵乡"]
    assert all(s["division_code"] == "410102" for s in streets)
    street = client.get("/api/v1/regions/streets/410172160000").json()
    assert street["zone_code"] == "410172"
    assert client.get("/api/v1/regions/streets/410172999000").status_code == 404


def test_locate(loaded: Session, client: TestClient) -> None:
    cell = loaded.scalars(select(GridCell).order_by(GridCell.id)).first()
    assert cell is not None
    lon, lat = geo.wgs84_to_bd09(cell.centroid_lon, cell.centroid_lat)
    response = client.get("/api/v1/regions/locate", params={"lon": lon, "lat": lat, "crs": "bd09"})
    assert response.status_code == 200
    body = response.json()
    assert body["grid_cell_code"] == cell.code
    assert body["street_code"] == cell.street_code
    assert body["lon"] == pytest.approx(cell.centroid_lon, abs=1e-7)
    outside = client.get("/api/v1/regions/locate", params={"lon": 116.4, "lat": 39.9})
    assert (outside.status_code, outside.json()["code"]) == (422, "regions.point_outside_city")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"lon": 113.6, "lat": 34.7, "crs": "mars"}, "geo.unknown_crs"),
        ({"lon": 999, "lat": 34.7}, "request.invalid"),
        ({"lon": "east", "lat": 34.7}, "request.invalid"),
        ({"lat": 34.7}, "request.invalid"),
    ],
)
def test_locate_bad_input_is_422(
    reference_session: Session, client: TestClient, params: dict[str, object], error: str
) -> None:
    response = client.get("/api/v1/regions/locate", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == error


def test_division_geojson(loaded: Session, client: TestClient) -> None:
    body = client.get("/api/v1/regions/divisions/410105/geojson").json()
    assert body["type"] == "Feature"
    assert body["properties"]["boundary_is_synthetic"] is True
    geometry = shapely.geometry.shape(body["geometry"])
    assert geometry.contains(shapely.Point(113.66, 34.80))
