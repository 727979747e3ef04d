"""Alerts into action (告警转工单): ``brain.alert_raised`` → a governance case.

An outbox consumer: each raised alert whose rule opens a case becomes a sensor report
to governance's intake, with the rule's city-management category and the sensor's
place. Governance's own de-duplication joins a report at the same place and category to
the case already open there, so a second alert at the same underpass does not open a
second case. The cursor advances with the cases, in one transaction, so a crash re-reads
(intake is idempotent on the report's external id).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.brain import scenarios
from citybrain.brain.events import AlertRaised
from citybrain.core import outbox
from citybrain.core.errors import DomainError
from citybrain.core.models import OutboxEvent
from citybrain.core.security import Actor, ActorKind
from citybrain.governance import intake as governance_intake
from citybrain.governance import rules as governance_rules

CONSUMER = "brain.alerts_to_cases"
BRAIN = Actor(kind=ActorKind.system, id="brain", name="城市大脑")
log = structlog.get_logger("citybrain.brain.flows")


@dataclass
class FlowStats:
    read: int = 0
    opened: int = 0
    joined: int = 0
    skipped: int = 0


def category_code(name: str | None) -> str | None:
    """Governance's code for a city-management event category named in a scenario rule."""
    if not name:
        return None
    for code, category in governance_rules.categories().items():
        if category.kind == "event" and category.name == name:
            return code
    return None


def _description(payload: dict[str, object]) -> str:
    scenario = scenarios.get_scenario_or_raise(str(payload["scenario_id"]))
    rule = next(r for r in scenario["alert_rules"] if r["id"] == payload["rule_id"])
    return (
        f"【城市大脑告警】{payload['category_name']}：{rule['name']}（{scenario['name']}，"
        f"{rule['condition']}；设备 {payload['source_entity_id']}）"
    )


def open_cases_for_alerts(session: Session, *, limit: int = 200) -> FlowStats:
    """Turn the alerts raised since the last run into governance reports (no commit)."""
    stats = FlowStats()
    after = outbox.position(session, CONSUMER)
    waiting = session.scalar(
        select(OutboxEvent.id)
        .where(OutboxEvent.id > after, OutboxEvent.name == AlertRaised.name)
        .limit(1)
    )
    if waiting is None:
        return stats  # nothing new: read only, no cursor row written
    events = outbox.read(session, CONSUMER, names=[AlertRaised.name], limit=limit)
    for event in events:
        stats.read += 1
        payload = event.payload
        code = category_code(payload.get("category_name"))
        if not payload.get("opens_case") or code is None or payload.get("lon") is None:
            stats.skipped += 1
            continue
        digest = hashlib.sha256(f"{payload['alert_id']}#{event.id}".encode()).hexdigest()[:32]
        report = governance_intake.Report(
            channel="sensor",
            description=_description(payload),
            category_code=code,
            lon=float(payload["lon"]),
            lat=float(payload["lat"]),
            external_id=f"brain:{digest}",
        )
        try:
            with session.begin_nested():
                result = governance_intake.intake(session, report=report, actor=BRAIN)
        except DomainError as error:
            # e.g. a sensor outside the city: governance refuses the report; the alert
            # stays in the hub and the refusal is logged, the queue moves on.
            log.warning("alert not taken in", alert_id=payload["alert_id"], code=error.code)
            stats.skipped += 1
            continue
        if result.merged_into is not None:
            stats.joined += 1
        else:
            stats.opened += 1
    if events:
        outbox.advance(session, CONSUMER, events[-1].id)
    return stats
