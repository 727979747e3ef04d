"""The choropleth: area shapes as GeoJSON and one metric per area, city → grid cell.

A layer is the county-level divisions of the city, the streets of one division or the
grid cells of one street, with their boundaries from the regions pillar (WGS-84) and the
metric of each area: open cases (governance) or a scenario indicator of the brain,
computed by ``brain.indicators.compute`` with its drill-down, so the areas of a layer add
up to the value of their parent. Shapes generated for the demo are flagged, and the page
says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import shapely
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain import indicators as brain_indicators
from citybrain.brain import scenarios as brain_scenarios
from citybrain.cockpit import figures, tiles
from citybrain.cockpit.schemas import AreaValue, MapLayer, MapMetric
from citybrain.core.errors import DomainError
from citybrain.governance import service as governance_service
from citybrain.governance.models import Case
from citybrain.regions import service as regions_service
from citybrain.regions.models import COUNTY_LEVELS, GridCell

CASES: Final = "cases"
CITY_CODE: Final = "410100"
LEVELS: Final = ("division", "street", "grid_cell")
_PARENT_LEVEL: Final = {"street": "division", "grid_cell": "street"}
_CASE_COLUMN: Final = {"street": Case.street_code, "grid_cell": Case.grid_cell_code}
_CASE_PARENT: Final = {"street": Case.division_code, "grid_cell": Case.street_code}


@dataclass(frozen=True)
class _Area:
    code: str
    name: str
    wkt: str | None
    synthetic: bool


def metrics() -> list[MapMetric]:
    """What the map can colour by: open cases, then the brain's sensor indicators."""
    found = [MapMetric(id=CASES, label="在办案件", label_en="Open cases")]
    for scenario in brain_scenarios.all_scenarios():
        for indicator in scenario["indicators"]:
            if indicator["formula"]["entity_type"] == "KeyPerformanceIndicator":
                continue  # posted by source systems as city figures, rarely placed
            found.append(
                MapMetric(
                    id=indicator["id"],
                    label=f"{indicator['name']}（{scenario['domain']['name']}）",
                    label_en=f"{indicator['id']} · {scenario['domain']['name_en']}",
                )
            )
    return found


def _metric(metric_id: str) -> tuple[MapMetric, str]:
    for metric in metrics():
        if metric.id == metric_id:
            aggregate = (
                "count"
                if metric_id == CASES
                else brain_indicators.find_indicator(metric_id)[1]["formula"]["aggregate"]
            )
            return metric, aggregate
    raise DomainError(
        "cockpit.unknown_metric",
        "地图指标不存在",
        "Unknown map metric",
        status=404,
    )


def _areas(session: Session, level: str, parent: str | None) -> list[_Area]:
    if level == "division":
        return [
            _Area(d.code, d.name, d.boundary_wkt, d.boundary_is_synthetic)
            for d in regions_service.list_divisions(session)
            if d.level in COUNTY_LEVELS
        ]
    if level == "street":
        assert parent is not None
        return [
            _Area(s.code, s.name, s.boundary_wkt, s.boundary_is_synthetic)
            for s in regions_service.list_streets(session, division_code=parent)
        ]
    # No regions service lists a street's grid cells yet: read them here.
    rows = session.execute(
        select(GridCell.code, GridCell.boundary_wkt, GridCell.boundary_is_synthetic)
        .where(GridCell.street_code == parent)
        .order_by(GridCell.code)
    )
    return [_Area(code, f"网格{code[-4:]}", wkt, synthetic) for code, wkt, synthetic in rows]


def _path(session: Session, level: str, parent: str | None) -> list[dict[str, str]]:
    path = [{"level": "city", "code": CITY_CODE, "name": "郑州市"}]
    if level == "grid_cell" and parent is not None:
        street = regions_service.get_street_or_raise(session, code=parent)
        division = regions_service.get_division_or_raise(session, code=street.division_code)
        path.append({"level": "division", "code": division.code, "name": division.name})
        path.append({"level": "street", "code": street.code, "name": street.name})
    elif level == "street" and parent is not None:
        division = regions_service.get_division_or_raise(session, code=parent)
        if division.level not in COUNTY_LEVELS:
            raise DomainError(
                "cockpit.not_a_district",
                "只能下钻到区县",
                "Drill down from a district, county or county-level city",
                status=422,
            )
        path.append({"level": "division", "code": division.code, "name": division.name})
    return path


def _case_values(session: Session, level: str, parent: str | None) -> tuple[dict[str, int], int]:
    """Open cases per area, and in the whole parent (cases placed only to the parent too)."""
    if level == "division":
        by_division = governance_service.open_counts_by_division(session)
        counts = {code: sum(statuses.values()) for code, statuses in by_division.items()}
        return counts, sum(counts.values())
    column = _CASE_COLUMN[level]
    rows = session.execute(
        select(column, func.count(Case.id))
        .where(Case.status.in_(figures.OPEN_CASE_STATUSES), _CASE_PARENT[level] == parent)
        .group_by(column)
    ).all()
    counts = {str(code): int(n) for code, n in rows if code is not None}
    return counts, sum(int(n) for _, n in rows)


def _feature(area: _Area) -> dict[str, Any]:
    geometry = mapping(shapely.from_wkt(area.wkt)) if area.wkt else None
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": area.code, "name": area.name},
    }


def layer(
    session: Session,
    *,
    metric_id: str = CASES,
    level: str = "division",
    parent: str | None = None,
    now: datetime | None = None,
) -> MapLayer:
    """One level of the map: shapes, the metric per area and the parent's total."""
    if level not in LEVELS:
        raise DomainError(
            "cockpit.bad_level",
            "层级应为 division/street/grid_cell",
            "level must be division, street or grid_cell",
            status=422,
        )
    if level != "division" and not parent:
        raise DomainError(
            "cockpit.parent_required",
            "下钻需要上级区域代码",
            "Give the code of the area one level up",
            status=422,
        )
    parent = parent if level != "division" else None
    metric, aggregate = _metric(metric_id)
    path = _path(session, level, parent)
    areas = [a for a in _areas(session, level, parent) if a.wkt]
    values: dict[str, float | int | None]
    if metric_id == CASES:
        counts, whole = _case_values(session, level, parent)
        placed = {a.code: counts.get(a.code, 0) for a in areas}
        values = dict(placed)
        total: float | int | None = whole
        rest = whole - sum(placed.values())
        outside: float | int | None = rest or None
    else:
        computed = brain_indicators.compute(
            session, indicator_id=metric_id, level=level, parent=parent, now=now
        )
        by_code = {g["code"]: g["value"] for g in computed["groups"]}
        values = {a.code: by_code.get(a.code) for a in areas}
        total = computed["value"]
        outside = by_code.get("")  # readings placed in the parent but in none of its areas
    return MapLayer(
        metric=metric,
        level=level,
        parent=parent,
        parent_name=path[-1]["name"],
        total=total,
        total_display=tiles.display(total, aggregate),
        outside=outside,
        outside_display=tiles.display(outside, aggregate),
        boundary_is_synthetic=any(a.synthetic for a in areas),
        path=path,
        values=[
            AreaValue(
                code=a.code,
                name=a.name,
                value=values[a.code],
                display=tiles.display(values[a.code], aggregate),
            )
            for a in areas
        ],
        geojson={"type": "FeatureCollection", "features": [_feature(a) for a in areas]},
    )
