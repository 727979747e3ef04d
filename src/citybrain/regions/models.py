"""Tables of the regions pillar: divisions, streets (街道/乡镇) and grid cells (网格).

Coordinates and boundaries are WGS-84 longitude/latitude; boundaries are WKT text so
the same schema runs on SQLite and PostgreSQL. ``boundary_is_synthetic`` marks the
generated demo geometry, which must never be shown as an official boundary.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base, utcnow


class DivisionLevel(StrEnum):
    """Level of a division: the city, a county-level unit, or a functional zone."""

    prefecture_city = "prefecture_city"  # 地级市
    district = "district"  # 市辖区
    county = "county"  # 县
    county_city = "county_city"  # 县级市
    zone = "zone"  # 功能区 (市政府派出机构): administers streets, owns no land in law


COUNTY_LEVELS = frozenset({DivisionLevel.district, DivisionLevel.county, DivisionLevel.county_city})


class StreetKind(StrEnum):
    """Kind of township-level unit, stored under its official Chinese name."""

    subdistrict = "街道"
    town = "镇"
    township = "乡"
    township_like = "类似乡级单位"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Division(Base):
    """A division (行政区划): the city, a county-level unit or a functional zone.

    ``code`` is the GB/T 2260 code, or the NBS statistical code for the zones
    410171-410173. 郑东新区 has neither and gets the private code ``410170`` with
    ``is_standard_code=False`` (see ``reference.ZHENGDONG_CODE``). ``parent_code`` is
    text, not a foreign key: the city's own parent, 河南省 410000, is not stored.
    """

    __tablename__ = "regions_division"
    __table_args__ = (CheckConstraint(_in("level", DivisionLevel), name="level_valid"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True)
    is_standard_code: Mapped[bool] = mapped_column(default=True)
    is_management_zone: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    boundary_wkt: Mapped[str | None] = mapped_column(Text)
    boundary_is_synthetic: Mapped[bool] = mapped_column(default=False)

    @property
    def has_boundary(self) -> bool:
        return self.boundary_wkt is not None


class Street(Base):
    """A township-level unit (街道, 镇, 乡 or 类似乡级单位), coded by the NBS.

    ``division_code`` is the county-level division the land lies in; for units that
    the NBS files under a zone code (41017x) it comes from the note's
    "geographically X" or, failing that, ``reference.ZONE_DEFAULT_COUNTY``.
    ``statistical_parent_code`` keeps the NBS parent as published. ``zone_code`` is
    the functional zone that runs the unit (None when not run by one, or unsure).
    """

    __tablename__ = "regions_street"
    __table_args__ = (CheckConstraint(_in("kind", StreetKind), name="kind_valid"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    statistical_parent_code: Mapped[str] = mapped_column(String(6))
    division_code: Mapped[str] = mapped_column(ForeignKey("regions_division.code"), index=True)
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("regions_division.code"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    boundary_wkt: Mapped[str | None] = mapped_column(Text)
    boundary_is_synthetic: Mapped[bool] = mapped_column(default=False)

    @property
    def has_boundary(self) -> bool:
        return self.boundary_wkt is not None


class GridCell(Base):
    """A management grid cell (网格): the smallest area a grid worker is responsible for.

    ``code`` is the street code, a dash and a four-digit serial ("410102001000-0001").
    The bounding box columns let SQL prefilter by area before exact tests in shapely.
    """

    __tablename__ = "regions_grid_cell"
    __table_args__ = (
        Index("ix_regions_grid_cell_bbox", "min_lon", "min_lat", "max_lon", "max_lat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    street_code: Mapped[str] = mapped_column(ForeignKey("regions_street.code"), index=True)
    boundary_wkt: Mapped[str] = mapped_column(Text)
    boundary_is_synthetic: Mapped[bool] = mapped_column(default=False)
    area_m2: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)


class BoundaryRevision(Base):
    """The one row (id 1) naming the current state of every boundary and grid cell.

    Each load writes a fresh random ``token``; a process's cached spatial index holds
    the token it was built from and rebuilds when the database shows another one, so
    a load by the CLI reaches a running server, and a rolled-back load is forgotten.
    """

    __tablename__ = "regions_boundary_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
