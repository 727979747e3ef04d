"""Events the brain writes to the outbox (ids only, never personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from citybrain.core.outbox import Event


@dataclass(frozen=True)
class EntitiesCreated(Event):
    """brain.entities_created: entities were added to the data hub (one event per request)."""

    name: ClassVar[str] = "brain.entities_created"
    entity_ids: list[str]
    entity_types: list[str]


@dataclass(frozen=True)
class EntitiesDeleted(Event):
    """brain.entities_deleted: entities were removed from the data hub."""

    name: ClassVar[str] = "brain.entities_deleted"
    entity_ids: list[str]


@dataclass(frozen=True)
class AlertRaised(Event):
    """brain.alert_raised: a scenario rule fired; governance may open or join a case.

    Carries the place (WGS-84) and the governance category and department of the rule,
    so the consumer needs no other read to route it.
    """

    name: ClassVar[str] = "brain.alert_raised"
    alert_id: str
    scenario_id: str
    rule_id: str
    severity: str
    opens_case: bool
    category_code: str | None
    category_name: str | None
    department: str
    source_entity_id: str
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class AlertResolved(Event):
    """brain.alert_resolved: the rule stopped matching the entity that raised the alert."""

    name: ClassVar[str] = "brain.alert_resolved"
    alert_id: str
    rule_id: str
    source_entity_id: str
