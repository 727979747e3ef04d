"""Regions API: divisions, streets and point look-up. Public, read-only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from citybrain.core.db import DbSession
from citybrain.regions import service
from citybrain.regions.index import Location
from citybrain.regions.models import Division, DivisionLevel, Street
from citybrain.regions.schemas import DivisionOut, FeatureOut, LocationOut, StreetOut

router = APIRouter(prefix="/api/v1/regions", tags=["regions"])

CrsQuery = Annotated[
    str, Query(description="Datum of the coordinates: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).")
]


@router.get("/divisions", response_model=list[DivisionOut])
def list_divisions(session: DbSession, level: DivisionLevel | None = None) -> list[Division]:
    """Every division (行政区划), optionally of one level."""
    return service.list_divisions(session, level=level)


@router.get("/divisions/{code}", response_model=DivisionOut)
def get_division(code: str, session: DbSession) -> Division:
    """One division by its 6-digit code."""
    return service.get_division_or_raise(session, code=code)


@router.get("/divisions/{code}/streets", response_model=list[StreetOut])
def list_division_streets(code: str, session: DbSession) -> list[Street]:
    """Streets lying in a county-level division, or administered by a zone."""
    return service.list_streets(session, division_code=code)


@router.get("/divisions/{code}/geojson", response_model=FeatureOut)
def division_geojson(code: str, session: DbSession, crs: CrsQuery = "wgs84") -> dict[str, Any]:
    """A division's boundary as a GeoJSON Feature, in the datum the base map needs."""
    return service.division_feature(session, code=code, crs=crs)


@router.get("/streets/{code}", response_model=StreetOut)
def get_street(code: str, session: DbSession) -> Street:
    """One street (街道/乡镇) by its 12-digit code."""
    return service.get_street_or_raise(session, code=code)


@router.get("/locate", response_model=LocationOut)
def locate(
    session: DbSession,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude in degrees.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude in degrees.")],
    crs: CrsQuery = "wgs84",
) -> Location:
    """Grid cell, street, district and zone of a point."""
    return service.locate(session, lon=lon, lat=lat, crs=crs)
