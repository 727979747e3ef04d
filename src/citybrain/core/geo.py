"""Coordinates: WGS-84 <-> GCJ-02 <-> BD-09, distances and a local metre grid.

Chinese map providers publish positions in obfuscated datums: GCJ-02 (国测局坐标,
"Mars coordinates", used by Amap/高德, Tencent and Apple in China) and BD-09
(百度坐标, GCJ-02 shifted again by Baidu). Everything citybrain stores is WGS-84
longitude/latitude; input in another datum goes through ``to_wgs84`` first.

The forward transforms are the widely published "eviltransform" formulas
(https://github.com/googollee/eviltransform). The reverse GCJ-02 -> WGS-84 has no
closed form; it is solved here by fixed-point iteration until the round trip is
within ``_TOLERANCE_DEG`` (far below the 1e-6 degree, ~0.1 m, that callers need),
not by the common one-step approximation, which is off by up to a few metres.
All functions take and return ``(lon, lat)`` in degrees, GeoJSON order.
"""

from __future__ import annotations

import math
from typing import Final

from citybrain.core.errors import DomainError

_KRASOVSKY_A: Final = 6378245.0  # semi-major axis used by GCJ-02 (Krasovsky 1940)
_KRASOVSKY_EE: Final = 0.00669342162296594323  # first eccentricity squared
_BD_X_PI: Final = math.pi * 3000.0 / 180.0
_TOLERANCE_DEG: Final = 1e-9
_MAX_ITERATIONS: Final = 50
EARTH_MEAN_RADIUS_M: Final = 6_371_008.8
"""IUGG mean Earth radius, the usual choice for haversine distances."""

CRS_NAMES: Final = ("wgs84", "gcj02", "bd09")
"""Datums accepted by ``to_wgs84`` (case-insensitive)."""


def out_of_china(lon: float, lat: float) -> bool:
    """True where GCJ-02 leaves coordinates unshifted (the rough China bounding box)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 shift (dlon, dlat) in degrees at a WGS-84 point."""
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 to GCJ-02; points outside China are returned unchanged."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 to WGS-84 by iteration: the result maps back to the input within 1e-9 deg."""
    if out_of_china(lon, lat):
        return lon, lat
    wgs_lon, wgs_lat = lon, lat
    for _ in range(_MAX_ITERATIONS):
        gcj_lon, gcj_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        err_lon, err_lat = gcj_lon - lon, gcj_lat - lat
        if abs(err_lon) < _TOLERANCE_DEG and abs(err_lat) < _TOLERANCE_DEG:
            break
        wgs_lon, wgs_lat = wgs_lon - err_lon, wgs_lat - err_lat
    return wgs_lon, wgs_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 to Baidu BD-09."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _BD_X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Baidu BD-09 to GCJ-02: the published inverse, refined by iteration like GCJ-02."""
    gcj_lon, gcj_lat = _bd09_to_gcj02_approx(lon, lat)
    for _ in range(_MAX_ITERATIONS):
        bd_lon, bd_lat = gcj02_to_bd09(gcj_lon, gcj_lat)
        err_lon, err_lat = bd_lon - lon, bd_lat - lat
        if abs(err_lon) < _TOLERANCE_DEG and abs(err_lat) < _TOLERANCE_DEG:
            break
        gcj_lon, gcj_lat = gcj_lon - err_lon, gcj_lat - err_lat
    return gcj_lon, gcj_lat


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 to Baidu BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Baidu BD-09 to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def normalise_crs(crs: str) -> str:
    """``"GCJ02"`` -> ``"gcj02"``; an unknown datum is a 422 ``geo.unknown_crs``."""
    name = crs.strip().lower().replace("-", "").replace("_", "")
    if name not in CRS_NAMES:
        raise DomainError(
            "geo.unknown_crs",
            "不支持的坐标系，请使用 wgs84、gcj02 或 bd09",
            "Unknown coordinate system; use wgs84, gcj02 or bd09",
            status=422,
            crs=crs,
        )
    return name


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point given in ``crs`` ("wgs84", "gcj02" or "bd09") as WGS-84 (lon, lat)."""
    name = normalise_crs(crs)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    return lon, lat


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A WGS-84 point expressed in ``crs``, e.g. for drawing on an Amap or Baidu base map."""
    name = normalise_crs(crs)
    if name == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if name == "bd09":
        return wgs84_to_bd09(lon, lat)
    return lon, lat


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of (longitude, latitude) at ``lat`` on the WGS-84 ellipsoid.

    Series expansion accurate to about a centimetre per degree; good for building
    grids and measuring small areas in a city, not for geodesy over long distances.
    """
    phi = math.radians(lat)
    per_lat = (
        111_132.92 - 559.82 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    ) - 0.0023 * math.cos(6 * phi)
    per_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    return per_lon, per_lat


def metres_to_degrees(dx_m: float, dy_m: float, *, lat: float) -> tuple[float, float]:
    """An east/north offset in metres as (dlon, dlat) degrees at latitude ``lat``."""
    per_lon, per_lat = metres_per_degree(lat)
    return dx_m / per_lon, dy_m / per_lat


def degrees_to_metres(dlon: float, dlat: float, *, lat: float) -> tuple[float, float]:
    """A (dlon, dlat) offset in degrees as east/north metres at latitude ``lat``."""
    per_lon, per_lat = metres_per_degree(lat)
    return dlon * per_lon, dlat * per_lat
