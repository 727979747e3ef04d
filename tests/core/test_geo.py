"""Coordinate conversion and distances: pure, no database."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybrain.core import geo
from citybrain.core.errors import DomainError

# (wgs lon, wgs lat, gcj lon, gcj lat): the eviltransform project's test points
# (Shanghai, Shenzhen, Beijing).
KNOWN = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]

zz_lon = st.floats(min_value=112.6, max_value=114.3, allow_nan=False)
zz_lat = st.floats(min_value=34.1, max_value=35.1, allow_nan=False)


@pytest.mark.parametrize(("wgs_lon", "wgs_lat", "gcj_lon", "gcj_lat"), KNOWN)
def test_wgs84_to_gcj02_matches_published_samples(
    wgs_lon: float, wgs_lat: float, gcj_lon: float, gcj_lat: float
) -> None:
    lon, lat = geo.wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-6)
    assert lat == pytest.approx(gcj_lat, abs=1e-6)


@pytest.mark.parametrize(("wgs_lon", "wgs_lat", "gcj_lon", "gcj_lat"), KNOWN)
def test_gcj02_to_wgs84_inverts_published_samples(
    wgs_lon: float, wgs_lat: float, gcj_lon: float, gcj_lat: float
) -> None:
    lon, lat = geo.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert lon == pytest.approx(wgs_lon, abs=1e-6)
    assert lat == pytest.approx(wgs_lat, abs=1e-6)


@given(zz_lon, zz_lat)
def test_gcj02_round_trip_over_zhengzhou(lon: float, lat: float) -> None:
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-6)
    again = geo.wgs84_to_gcj02(*geo.gcj02_to_wgs84(lon, lat))
    assert again == pytest.approx((lon, lat), abs=1e-6)


@given(zz_lon, zz_lat)
def test_bd09_round_trip_over_zhengzhou(lon: float, lat: float) -> None:
    assert geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lon, lat)) == pytest.approx((lon, lat), abs=1e-6)
    assert geo.bd09_to_gcj02(*geo.gcj02_to_bd09(lon, lat)) == pytest.approx((lon, lat), abs=1e-6)


def test_inverse_is_iterated_not_the_one_step_approximation() -> None:
    wgs = (113.6254, 34.7466)  # 二七广场, roughly
    gcj = geo.wgs84_to_gcj02(*wgs)
    one_step = (2 * gcj[0] - geo.wgs84_to_gcj02(*gcj)[0], 2 * gcj[1] - geo.wgs84_to_gcj02(*gcj)[1])
    assert max(abs(a - b) for a, b in zip(one_step, wgs, strict=True)) > 1e-7
    assert geo.gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-8)


def test_shift_is_a_few_hundred_metres_in_zhengzhou() -> None:
    lon, lat = 113.65, 34.76
    shift = geo.haversine_m(lon, lat, *geo.wgs84_to_gcj02(lon, lat))
    assert 100 < shift < 1000
    assert geo.haversine_m(lon, lat, *geo.wgs84_to_bd09(lon, lat)) > shift


def test_points_outside_china_are_not_shifted() -> None:
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert geo.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.parametrize("crs", ["wgs84", "WGS84", "GCJ02", "gcj-02", "Bd09", " bd_09 "])
def test_to_wgs84_accepts_names_in_any_case(crs: str) -> None:
    lon, lat = geo.to_wgs84(113.65, 34.76, crs)
    assert geo.from_wgs84(lon, lat, crs) == pytest.approx((113.65, 34.76), abs=1e-8)


def test_to_wgs84_is_identity_for_wgs84() -> None:
    assert geo.to_wgs84(113.65, 34.76, "wgs84") == (113.65, 34.76)


@pytest.mark.parametrize("crs", ["epsg:4326", "", "cgcs2000"])
def test_unknown_crs_is_a_422(crs: str) -> None:
    with pytest.raises(DomainError) as caught:
        geo.to_wgs84(113.65, 34.76, crs)
    assert caught.value.code == "geo.unknown_crs"
    assert caught.value.status == 422


def test_haversine_one_degree_of_latitude() -> None:
    expected = geo.EARTH_MEAN_RADIUS_M * math.pi / 180
    assert geo.haversine_m(113.0, 34.0, 113.0, 35.0) == pytest.approx(expected, rel=1e-12)
    assert geo.haversine_m(113.0, 34.0, 113.0, 34.0) == 0.0


@given(zz_lon, zz_lat, zz_lon, zz_lat)
def test_haversine_is_symmetric(lon1: float, lat1: float, lon2: float, lat2: float) -> None:
    assert geo.haversine_m(lon1, lat1, lon2, lat2) == pytest.approx(
        geo.haversine_m(lon2, lat2, lon1, lat1)
    )


def test_metres_per_degree_at_zhengzhou() -> None:
    per_lon, per_lat = geo.metres_per_degree(34.75)
    assert per_lat == pytest.approx(110_940, abs=20)
    assert per_lon == pytest.approx(91_560, abs=50)


@given(zz_lat)
def test_local_offsets_agree_with_haversine(lat: float) -> None:
    dlon, dlat = geo.metres_to_degrees(100.0, 100.0, lat=lat)
    assert geo.haversine_m(113.6, lat, 113.6 + dlon, lat) == pytest.approx(100.0, rel=5e-3)
    assert geo.haversine_m(113.6, lat, 113.6, lat + dlat) == pytest.approx(100.0, rel=5e-3)
    assert geo.degrees_to_metres(dlon, dlat, lat=lat) == pytest.approx((100.0, 100.0))
