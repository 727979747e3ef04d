"""The 14 domain tiles: each domain's headline indicators against thresholds, and alerts.

Indicators come from ``brain.indicators.compute`` at city level. A threshold is read from
the scenario's own alert rule when that rule compares the very attribute the indicator
aggregates (``averageVehicleSpeed<10`` for 平均车速), or when a count indicator counts
exactly what a rule fires on (``currentLevel>=0.15`` for 易积水点数: any is a breach).
Indicators without such a rule are shown with their value and no threshold.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from citybrain.brain import indicators as brain_indicators
from citybrain.brain import pillar_kpis
from citybrain.brain import scenarios as brain_scenarios
from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi import entities as brain_entities
from citybrain.brain.ngsi.qlang import compile_q
from citybrain.cockpit.schemas import Status, Threshold, Tile, TileIndicator
from citybrain.core.security import Actor

HEADLINE_PER_TILE: Final = 2
NEAR_SHARE: Final = 0.2
"""Within 20 % of a threshold (on the safe side) a value is 关注 (watch)."""

STATUS_LABELS: Final[dict[str, tuple[str, str]]] = {
    "alert": ("告警", "Alert"),
    "watch": ("关注", "Watch"),
    "normal": ("正常", "Normal"),
    "no_data": ("待接入", "Awaiting data"),
}
_RANK: Final = {"no_data": 0, "normal": 1, "watch": 2, "alert": 3}
SEVERITIES: Final = ("critical", "high", "medium", "low", "informational")
SEVERITY_LABELS: Final = {
    "critical": "特别严重",
    "high": "严重",
    "medium": "较重",
    "low": "一般",
    "informational": "提示",
}
_COMPARISON = re.compile(r"^\s*(\w+)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_SYMBOLS: Final = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}


def threshold_for(scenario: dict[str, Any], indicator: dict[str, Any]) -> Threshold | None:
    """The limit the scenario's own alert rules put on this indicator, if any."""
    formula = indicator["formula"]
    for rule in scenario["alert_rules"]:
        if rule["entity_type"] != formula["entity_type"]:
            continue
        if formula["aggregate"] == "count" and formula.get("filter") == rule["condition"]:
            return Threshold(
                op=">", value=0, rule_id=rule["id"], severity=rule["severity"], label="> 0"
            )
        match = _COMPARISON.match(rule["condition"])
        if (
            match
            and formula["aggregate"] in ("avg", "min", "max", "sum")
            and match.group(1) == formula["attribute"]
        ):
            op, value = match.group(2), float(match.group(3))
            return Threshold(
                op=op,
                value=value,
                rule_id=rule["id"],
                severity=rule["severity"],
                label=f"{_SYMBOLS[op]} {value:g}",
            )
    return None


def judge(value: float | int | None, threshold: Threshold | None) -> Status:
    """alert past the threshold, watch within 20 % of it, normal otherwise; no_data."""
    if value is None:
        return "no_data"
    if threshold is None:
        return "normal"
    if _OPS[threshold.op](float(value), threshold.value):
        return "alert"
    if threshold.value:
        margin = abs(threshold.value) * NEAR_SHARE
        near = threshold.value - margin if threshold.op in (">", ">=") else threshold.value + margin
        if _OPS[threshold.op](float(value), near):
            return "watch"
    return "normal"


def display(value: float | int | None, aggregate: str, *, fraction: bool = False) -> str:
    """A value ready to show: ratios and fractions as percentages, counts whole, averages
    to one place."""
    if value is None:
        return "—"
    if aggregate == "ratio" or fraction:
        return f"{float(value) * 100:.1f}%"
    if aggregate == "count":
        return f"{int(value):,}"
    return f"{float(value):,.1f}"


def _indicator(
    session: Session,
    scenario: dict[str, Any],
    indicator: dict[str, Any],
    now: datetime | None,
    placed: dict[str, Any],
) -> TileIndicator:
    computed = brain_indicators.compute(
        session, indicator_id=indicator["id"], level="city", now=now, placed=placed
    )
    value = computed["value"]
    threshold = threshold_for(scenario, indicator)
    status = judge(value, threshold)
    label, label_en = STATUS_LABELS[status]
    return TileIndicator(
        id=indicator["id"],
        name=indicator["name"],
        scenario=scenario["name"],
        aggregate=indicator["formula"]["aggregate"],
        value=value,
        display=display(
            value,
            indicator["formula"]["aggregate"],
            fraction=indicator["id"] in pillar_kpis.RATE_CODES,
        ),
        threshold=threshold,
        status=status,
        status_label=label,
        status_label_en=label_en,
    )


def active_alerts(session: Session, *, actor: Actor) -> dict[str, dict[str, int]]:
    """Active Alert entities per domain code and severity."""
    ctx = ld.core_context()
    found, _ = brain_entities.query_entities(
        session,
        actor=actor,
        types=[ctx.expand("Alert")],
        q=compile_q('alertStatus=="active"', ctx),
        limit=100_000,
    )
    category, severity = ctx.expand("category"), ctx.expand("severity")
    result: dict[str, dict[str, int]] = {}
    for entity in found:
        bodies = entity.bodies()
        domain = str(bodies.get(category, {}).get("value", ""))
        level = str(bodies.get(severity, {}).get("value", "informational"))
        by_severity = result.setdefault(domain, {})
        by_severity[level] = by_severity.get(level, 0) + 1
    return result


def _alert_status(by_severity: dict[str, int]) -> Status:
    if by_severity.get("critical") or by_severity.get("high"):
        return "alert"
    return "watch" if by_severity else "normal"


def _order(item: TileIndicator) -> tuple[int, int]:
    # Values before gaps, and among those the ones with a threshold first.
    return (item.value is None, item.threshold is None)


def domain_tiles(session: Session, *, actor: Actor, now: datetime | None = None) -> list[Tile]:
    """The 14 domains in the brain's order, each with its headline indicators."""
    alerts = active_alerts(session, actor=actor)
    tiles = []
    placed: dict[str, Any] = {}  # each entity type loaded and located once for all tiles
    for domain in brain_scenarios.domains():
        computed = [
            _indicator(session, scenario, indicator, now, placed)
            for scenario in brain_scenarios.list_scenarios(domain=domain["code"])
            for indicator in scenario["indicators"]
        ]
        headline = sorted(computed, key=_order)[:HEADLINE_PER_TILE]
        by_severity = {s: n for s in SEVERITIES if (n := alerts.get(domain["code"], {}).get(s))}
        status = max(
            [_alert_status(by_severity) if by_severity else "no_data"]
            + [c.status for c in computed],
            key=_RANK.__getitem__,
        )
        label, label_en = STATUS_LABELS[status]
        tiles.append(
            Tile(
                code=domain["code"],
                name=domain["name"],
                name_en=domain["name_en"],
                scenarios=domain["scenarios"],
                indicators_total=len(computed),
                indicators_with_data=sum(1 for c in computed if c.value is not None),
                headline=headline,
                active_alerts=sum(by_severity.values()),
                alerts_by_severity=by_severity,
                status=status,
                status_label=label,
                status_label_en=label_en,
            )
        )
    return tiles
