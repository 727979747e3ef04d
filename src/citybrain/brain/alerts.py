"""Alerts (告警): scenario rules evaluated on every change in the hub.

When a changed entity satisfies an alert rule of a scenario, an ``Alert`` entity (Smart
Data Models ``Alert``) is raised in the hub and ``brain.alert_raised`` goes to the
outbox with the governance category and department, for governance to open (or join)
a case. While that alert is active, further matching updates do not raise another;
when the rule stops matching the alert is resolved (``brain.alert_resolved``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from citybrain.brain.events import AlertRaised, AlertResolved
from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi import store
from citybrain.brain.ngsi.attributes import LOCATION, format_datetime, parse_entity
from citybrain.brain.ngsi.store import StoredEntity
from citybrain.brain.scenarios import AlertRule, rules_by_type
from citybrain.core import outbox

SOURCE = "system:brain.alerts"


def alert_id(rule: AlertRule, entity_id: str) -> str:
    digest = hashlib.sha256(entity_id.encode()).hexdigest()[:16]
    return f"urn:ngsi-ld:Alert:{rule.rule_id}:{digest}"


def _point(entity: StoredEntity) -> tuple[float, float] | None:
    location = entity.attrs.get(LOCATION)
    if location is None or location.kind != "GeoProperty":
        return None
    value = location.body.get("value", {})
    if value.get("type") != "Point":
        return None
    lon, lat = value["coordinates"][:2]
    return float(lon), float(lat)


def _alert_body(rule: AlertRule, entity: StoredEntity, now: datetime) -> dict[str, Any]:
    category = rule.governance.get("category") or {}
    body: dict[str, Any] = {
        "id": alert_id(rule, entity.entity_id),
        "type": "Alert",
        "category": rule.scenario_id.rsplit("-", 1)[0],
        "subCategory": rule.rule_id,
        "severity": rule.severity,
        "description": rule.name,
        "dateIssued": format_datetime(now),
        "validFrom": format_datetime(now),
        "alertStatus": "active",
        "condition": rule.condition,
        "alertSource": {"type": "Relationship", "object": entity.entity_id},
        "department": rule.governance["department"],
    }
    if category:
        body["governanceCategory"] = category["name"]
    if entity.attrs.get(LOCATION) is not None:
        body["location"] = entity.attrs[LOCATION].body
    return body


def evaluate(
    session: Session, changes: Sequence[tuple[StoredEntity, set[str]]], *, now: datetime
) -> list[StoredEntity]:
    """Raise or resolve alerts for these changed entities; the alert entities written."""
    by_type = rules_by_type()
    candidates: list[tuple[AlertRule, StoredEntity, bool]] = []
    for entity, _changed in changes:
        rules = by_type.get(entity.type_iri)
        if not rules:
            continue
        bodies = entity.bodies()
        candidates.extend((rule, entity, rule.matcher(bodies)) for rule in rules)
    if not candidates:
        return []
    present = store.existing_ids(
        session, [alert_id(rule, entity.entity_id) for rule, entity, _ in candidates]
    )
    existing = store.load(session, sorted(present)) if present else {}
    ctx = ld.core_context()
    raised, resolved_writes, fresh = [], [], []
    status_iri = ctx.expand("alertStatus")
    for rule, entity, firing in candidates:
        current = existing.get(alert_id(rule, entity.entity_id))
        active = (
            current is not None
            and current.attrs.get(status_iri, None) is not None
            and (current.attrs[status_iri].body.get("value") == "active")
        )
        if firing and not active:
            if entity.partial:  # the alert copies the place: read the whole entity
                entity = store.load_one(session, entity.entity_id) or entity
            parsed = parse_entity(_alert_body(rule, entity, now), ctx)
            if current is None:
                fresh.append(parsed)
            else:
                resolved_writes.append((current, {n: a for n, a in parsed.attrs.items() if a}))
            raised.append((rule, entity))
        elif not firing and active and current is not None:
            update = parse_entity(
                {"alertStatus": "resolved", "validTo": format_datetime(now)},
                ctx,
                entity_id=current.entity_id,
                need_type=False,
            )
            resolved_writes.append((current, {n: a for n, a in update.attrs.items() if a}))
            outbox.emit(
                session,
                AlertResolved(
                    alert_id=current.entity_id,
                    rule_id=rule.rule_id,
                    source_entity_id=entity.entity_id,
                ),
            )
    written = store.insert_entities(session, fresh, now=now, source=SOURCE)
    store.write_attributes(session, resolved_writes, now=now, source=SOURCE)
    if raised:
        session.info["brain_notifications_queued"] = True  # wakes the worker after commit
    for rule, entity in raised:
        point = _point(entity)
        category = rule.governance.get("category") or {}
        outbox.emit(
            session,
            AlertRaised(
                alert_id=alert_id(rule, entity.entity_id),
                scenario_id=rule.scenario_id,
                rule_id=rule.rule_id,
                severity=rule.severity,
                opens_case=bool(rule.governance.get("opens_case")),
                category_code=category.get("code"),
                category_name=category.get("name"),
                department=rule.governance["department"],
                source_entity_id=entity.entity_id,
                lon=point[0] if point else None,
                lat=point[1] if point else None,
            ),
        )
    return written + [current for current, _ in resolved_writes]
