"""Request and response shapes of the regions API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from citybrain.core.schemas import Schema
from citybrain.regions.models import DivisionLevel


class DivisionOut(Schema):
    """A division: the city, a district/county/county-level city, or a functional zone."""

    code: str = Field(description="GB/T 2260 code; NBS code for zones; 410170 is private.")
    name: str
    level: DivisionLevel
    parent_code: str | None
    is_standard_code: bool = Field(
        description="False for a private code (郑东新区 410170) that no official list contains."
    )
    is_management_zone: bool
    has_boundary: bool
    boundary_is_synthetic: bool = Field(
        description="True when the boundary is generated demo geometry, not an official one."
    )


class StreetOut(Schema):
    """A township-level unit (街道/镇/乡/类似乡级单位)."""

    code: str = Field(description="12-digit NBS 统计用区划代码.")
    name: str
    kind: str = Field(description="街道, 镇, 乡 or 类似乡级单位.")
    division_code: str = Field(description="County-level division the land lies in.")
    statistical_parent_code: str = Field(description="Parent as published by the NBS.")
    zone_code: str | None = Field(description="Functional zone that administers it, if any.")
    has_boundary: bool
    boundary_is_synthetic: bool


class LocationOut(Schema):
    """Where a point lies. Coordinates are echoed back in WGS-84."""

    lon: float
    lat: float
    grid_cell_code: str | None
    street_code: str
    street_name: str
    division_code: str
    division_name: str
    zone_code: str | None
    zone_name: str | None
    boundary_is_synthetic: bool


class FeatureOut(Schema):
    """A GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
