"""Response shapes of the cockpit API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from citybrain.core.schemas import Schema

Status = Literal["alert", "watch", "normal", "no_data"]


class Threshold(Schema):
    """A limit read from the scenario's own alert rule on the same attribute."""

    op: str = Field(description="Comparison that breaches the limit: >, >=, <, <=.")
    value: float
    rule_id: str
    severity: str
    label: str = Field(description="Ready to show, e.g. '≥ 0.15'.")


class TileIndicator(Schema):
    id: str
    name: str
    scenario: str
    aggregate: str
    value: float | int | None
    display: str = Field(description="The value ready to show ('48.3%', '120', '—').")
    threshold: Threshold | None
    status: Status
    status_label: str
    status_label_en: str


class Tile(Schema):
    """One of the 14 scenario domains."""

    code: str
    name: str
    name_en: str
    scenarios: int
    indicators_total: int
    indicators_with_data: int
    headline: list[TileIndicator]
    active_alerts: int
    alerts_by_severity: dict[str, int]
    status: Status
    status_label: str
    status_label_en: str


class Figure(Schema):
    key: str
    label: str
    label_en: str
    value: float | int | None
    display: str


class Pillar(Schema):
    code: str
    name: str
    name_en: str
    figures: list[Figure]


class Trends(Schema):
    days: list[str] = Field(description="Local dates (Asia/Shanghai), oldest first.")
    series: list[dict[str, Any]] = Field(description="{key, label, label_en, values}.")


class Summary(Schema):
    generated_at: str
    tiles: list[Tile]
    pillars: list[Pillar]
    trends: Trends


class AreaValue(Schema):
    code: str
    name: str
    value: float | int | None
    display: str


class MapMetric(Schema):
    id: str
    label: str
    label_en: str


class MapLayer(Schema):
    """One level of the choropleth: the areas' shapes and the metric per area."""

    metric: MapMetric
    level: Literal["division", "street", "grid_cell"]
    parent: str | None
    parent_name: str
    total: float | int | None = Field(description="The value of the parent area (or city).")
    total_display: str
    outside: float | int | None = Field(
        description="Part of the total in no area of this layer (e.g. a sensor outside "
        "every grid cell; the demo's cells cover a patch of each street), or None."
    )
    outside_display: str
    boundary_is_synthetic: bool = Field(
        description="True when any shape is generated demo geometry, not an official boundary."
    )
    path: list[dict[str, str]] = Field(description="Breadcrumb from the city: {level, code, name}.")
    values: list[AreaValue]
    geojson: dict[str, Any] = Field(description="FeatureCollection, properties code and name.")


class FeedItem(Schema):
    id: int = Field(description="The outbox event id (the stream's Last-Event-ID).")
    kind: Literal["alert", "alert_resolved", "case", "case_escalated", "case_closed"]
    kind_label: str
    kind_label_en: str
    severity: str
    severity_label: str
    title: str
    title_en: str
    place: str
    occurred_at: str
    time: str = Field(description="Local wall-clock time, HH:MM:SS.")
    link: str | None
