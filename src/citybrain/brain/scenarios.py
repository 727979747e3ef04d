"""The application scenarios (应用场景) as data: 118 manifests across 14 domains.

Each manifest (``data/scenarios/<id>.json``) names its domain, the entity types it
reads, its indicators (formula, period, grouping), its alert rules (an NGSI-LD ``q``
condition → severity → governance category and department) and its views. The rules'
conditions are compiled with the hub's own query language, so a rule means exactly
what the same ``q`` means in a query or a subscription.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi.qlang import Matcher, attributes_of, compile_q
from citybrain.core.errors import DomainError, not_found

DOMAIN_ORDER = (
    "government-services",
    "city-management",
    "traffic",
    "parking",
    "health",
    "environment",
    "emergency",
    "education",
    "culture-tourism",
    "community",
    "market-supervision",
    "public-safety",
    "housing-construction",
    "economy",
)


@dataclass(frozen=True)
class AlertRule:
    """One rule of one scenario, compiled: which entities it watches and when it fires."""

    scenario_id: str
    rule_id: str
    name: str
    entity_type: str  # expanded IRI under the core context
    condition: str
    matcher: Matcher
    reads: frozenset[str]  # attribute IRIs the condition reads
    severity: str
    governance: dict[str, Any]


def _read_all() -> list[dict[str, Any]]:
    folder = resources.files("citybrain.brain").joinpath("data/scenarios")
    manifests = []
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            manifests.append(json.loads(entry.read_text(encoding="utf-8")))
    return sorted(manifests, key=lambda m: (DOMAIN_ORDER.index(m["domain"]["code"]), m["id"]))


@lru_cache(maxsize=1)
def all_scenarios() -> tuple[dict[str, Any], ...]:
    """Every scenario manifest, by domain then id."""
    return tuple(_read_all())


def list_scenarios(*, domain: str | None = None) -> list[dict[str, Any]]:
    if domain is not None and domain not in DOMAIN_ORDER:
        raise DomainError(
            "brain.unknown_domain",
            f"未知的场景领域：{domain[:40]}",
            f"Unknown scenario domain: {domain[:40]}",
            status=422,
            domains=list(DOMAIN_ORDER),
        )
    return [m for m in all_scenarios() if domain is None or m["domain"]["code"] == domain]


def get_scenario_or_raise(scenario_id: str) -> dict[str, Any]:
    for manifest in all_scenarios():
        if manifest["id"] == scenario_id:
            return manifest
    raise not_found("brain.scenario_not_found", "应用场景", "Scenario")


def domains() -> list[dict[str, Any]]:
    """The 14 domains with their Chinese and English names and scenario counts."""
    seen: dict[str, dict[str, Any]] = {}
    for manifest in all_scenarios():
        domain = manifest["domain"]
        entry = seen.setdefault(domain["code"], {**domain, "scenarios": 0})
        entry["scenarios"] += 1
    return [seen[code] for code in DOMAIN_ORDER if code in seen]


@lru_cache(maxsize=1)
def alert_rules() -> tuple[AlertRule, ...]:
    """Every scenario's alert rules, compiled once."""
    ctx = ld.core_context()
    rules = []
    for manifest in all_scenarios():
        for rule in manifest["alert_rules"]:
            rules.append(
                AlertRule(
                    scenario_id=manifest["id"],
                    rule_id=rule["id"],
                    name=rule["name"],
                    entity_type=ctx.expand(rule["entity_type"]),
                    condition=rule["condition"],
                    matcher=compile_q(rule["condition"], ctx),
                    reads=attributes_of(rule["condition"], ctx),
                    severity=rule["severity"],
                    governance=rule["governance"],
                )
            )
    return tuple(rules)


def rules_for(entity_type_iri: str) -> list[AlertRule]:
    return [rule for rule in alert_rules() if rule.entity_type == entity_type_iri]


@lru_cache(maxsize=1)
def rules_by_type() -> dict[str, tuple[AlertRule, ...]]:
    grouped: dict[str, list[AlertRule]] = {}
    for rule in alert_rules():
        grouped.setdefault(rule.entity_type, []).append(rule)
    return {type_iri: tuple(rules) for type_iri, rules in grouped.items()}


@lru_cache(maxsize=1)
def rule_reads() -> frozenset[str]:
    """Every attribute IRI any alert rule reads (what the hot path loads with a value)."""
    return frozenset().union(*(rule.reads for rule in alert_rules()))
