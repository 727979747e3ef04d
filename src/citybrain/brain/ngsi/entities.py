"""Entity use cases of the data hub: create, retrieve, query, update, merge, replace, delete.

Every write stores the new current values, appends their history (temporal instances)
and queues the notifications owed, all in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from citybrain.brain import alerts, scenarios
from citybrain.brain.events import EntitiesCreated, EntitiesDeleted
from citybrain.brain.ngsi import store, subscriptions
from citybrain.brain.ngsi.access import require_reader, require_writer, source_of
from citybrain.brain.ngsi.attributes import (
    ParsedAttribute,
    check_entity_id,
    check_term,
    parse_attribute,
    parse_entity,
)
from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.geoquery import GeoQuery
from citybrain.brain.ngsi.problems import NgsiError, ProblemType, bad_data, not_found
from citybrain.brain.ngsi.qlang import Matcher
from citybrain.brain.ngsi.store import StoredEntity
from citybrain.core import audit, outbox
from citybrain.core.db import utcnow
from citybrain.core.security import Actor

MAX_RESULTS = 1_000


@dataclass
class AttributeOutcome:
    """What an attribute operation did: names updated and names left alone, with why."""

    updated: list[str] = field(default_factory=list)
    not_updated: list[tuple[str, str]] = field(default_factory=list)


def _missing(entity_id: str) -> NgsiError:
    return not_found(f"Entity {entity_id[:200]} not found")


def get_entity_or_raise(
    session: Session, *, entity_id: str, actor: Actor, names: Sequence[str] | None = None
) -> StoredEntity:
    require_reader(actor)
    check_entity_id(entity_id)
    entity = store.load_one(session, entity_id, names=names)
    if entity is None:
        raise _missing(entity_id)
    return entity


def _audit(
    session: Session, actor: Actor, action: str, entity: StoredEntity, **detail: Any
) -> None:
    audit.record(
        session,
        actor,
        action,
        entity_type="ngsi_entity",
        entity_id=entity.pk,
        detail={"entity_id": entity.entity_id, **detail},
    )


def create_entity(session: Session, *, raw: Any, ctx: Context, actor: Actor) -> StoredEntity:
    """Store a new entity (NGSI-LD Create Entity)."""
    require_writer(actor)
    parsed = parse_entity(raw, ctx)
    if store.load_one(session, parsed.entity_id, names=()) is not None:
        raise NgsiError(ProblemType.AlreadyExists, f"Entity {parsed.entity_id} already exists")
    now = utcnow()
    (entity,) = store.insert_entities(session, [parsed], now=now, source=source_of(actor))
    _audit(session, actor, "brain.entity_created", entity)
    outbox.emit(session, EntitiesCreated([entity.entity_id], [entity.type_iri]))
    _notify(session, entity, set(entity.attrs), now)
    return entity


def query_entities(
    session: Session,
    *,
    actor: Actor,
    types: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    id_pattern: str | None = None,
    q: Matcher | None = None,
    geoquery: GeoQuery | None = None,
    attrs: Sequence[str] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[StoredEntity], int]:
    """Entities matching every filter, in id order: (one page, total count)."""
    require_reader(actor)
    if not (types or ids or id_pattern or q or geoquery or attrs):
        raise bad_data("Give at least one of type, id, idPattern, q, geoQ or attrs")
    for entity_id in ids or ():
        check_entity_id(entity_id)
    pattern = None
    if id_pattern is not None:
        try:
            pattern = re.compile(id_pattern)
        except re.error as error:
            raise bad_data(f"idPattern is not a regular expression: {error}") from None
    candidates = store.search(session, types=types, ids=ids, id_pattern=pattern, geoquery=geoquery)
    wanted = set(attrs) if attrs else None
    found = []
    for entity in candidates:
        if wanted is not None and not wanted & entity.attrs.keys():
            continue
        if q is not None and not q(entity.bodies()):
            continue
        if geoquery is not None and not subscriptions.entity_matches_geo(geoquery, entity):
            continue
        found.append(entity)
    return found[offset : offset + limit], len(found)


def _enough_for_rules(entity: StoredEntity) -> bool:
    """Whether the attributes read so far are all the type's alert rules look at."""
    reads = set().union(*(rule.reads for rule in scenarios.rules_by_type()[entity.type_iri]))
    return reads <= entity.loaded


def _notify(session: Session, entity: StoredEntity, changed: set[str], now: Any) -> None:
    """After a write: evaluate the scenarios' alert rules, then queue notifications."""
    if not changed:
        return
    has_rules = entity.type_iri in scenarios.rules_by_type()
    has_subscriptions = subscriptions.any_active(session, now)
    if not (has_rules or has_subscriptions):
        return
    if entity.partial and (has_subscriptions or not _enough_for_rules(entity)):
        entity = store.load_one(session, entity.entity_id) or entity
    changes = [(entity, changed)]
    if has_rules:
        changes += [
            (alert, set(alert.attrs)) for alert in alerts.evaluate(session, changes, now=now)
        ]
    if has_subscriptions:
        subscriptions.notify_changes(session, changes, now=now)


def _parse_attrs(
    raw: Any, ctx: Context, *, allow_null: bool = False
) -> dict[str, ParsedAttribute | None]:
    if not isinstance(raw, dict) or not raw:
        raise bad_data("Attributes must be a non-empty JSON object")
    if "id" in raw or "type" in raw:
        raise bad_data("Give attributes only (no id or type) when updating attributes")
    return parse_entity(
        raw, ctx, entity_id="urn:x:attrs", allow_null=allow_null, need_type=False
    ).attrs


def append_attributes(
    session: Session,
    *,
    entity_id: str,
    raw: Any,
    ctx: Context,
    actor: Actor,
    no_overwrite: bool = False,
) -> AttributeOutcome:
    """Add attributes to an entity, overwriting existing ones unless ``no_overwrite``."""
    require_writer(actor)
    attrs = _parse_attrs(raw, ctx)
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor)
    outcome = AttributeOutcome()
    writes: dict[str, ParsedAttribute] = {}
    for name, parsed in attrs.items():
        assert parsed is not None
        if no_overwrite and name in entity.attrs:
            outcome.not_updated.append((name, "attribute exists and noOverwrite was given"))
            continue
        writes[name] = parsed
        outcome.updated.append(name)
    now = utcnow()
    store.write_attributes(session, [(entity, writes)], now=now, source=source_of(actor))
    _audit(session, actor, "brain.attributes_appended", entity, count=len(writes))
    _notify(session, entity, set(writes), now)
    return outcome


def update_attributes(
    session: Session, *, entity_id: str, raw: Any, ctx: Context, actor: Actor
) -> AttributeOutcome:
    """Overwrite attributes the entity already has; the others are reported, not added."""
    require_writer(actor)
    attrs = _parse_attrs(raw, ctx)
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor, names=list(attrs))
    outcome = AttributeOutcome()
    writes: dict[str, ParsedAttribute] = {}
    for name, parsed in attrs.items():
        assert parsed is not None
        if name not in entity.attrs:
            outcome.not_updated.append((name, "attribute does not exist"))
            continue
        writes[name] = parsed
        outcome.updated.append(name)
    now = utcnow()
    store.write_attributes(session, [(entity, writes)], now=now, source=source_of(actor))
    _notify(session, entity, set(writes), now)
    return outcome


def update_attribute(
    session: Session, *, entity_id: str, attr: str, raw: Any, ctx: Context, actor: Actor
) -> StoredEntity:
    """Partial update of one attribute (the sensor's hot path): given members replace."""
    require_writer(actor)
    name = ctx.expand(check_term(attr, "Attribute name"))
    if not isinstance(raw, dict) or not raw:
        raise bad_data("The attribute fragment must be a non-empty JSON object")
    entity = get_entity_or_raise(
        session, entity_id=entity_id, actor=actor, names=[name, *scenarios.rule_reads()]
    )
    current = entity.attrs.get(name)
    if current is None:
        raise not_found(f"Entity {entity_id[:200]} has no attribute {attr[:100]}")
    fragment = dict(raw)
    fragment.setdefault("type", current.kind)
    if fragment["type"] != current.kind:
        raise bad_data(f"Attribute {attr[:100]} is a {current.kind}, not a {fragment['type']}")
    for key in ("value", "object", "languageMap"):
        if key in current.body and key not in fragment:
            fragment[key] = current.body[key]
    parsed = parse_attribute(name, fragment, ctx)
    parsed.body = {**current.body, **parsed.body}
    now = utcnow()
    store.write_attributes(session, [(entity, {name: parsed})], now=now, source=source_of(actor))
    _notify(session, entity, {name}, now)
    return entity


def replace_attribute(
    session: Session, *, entity_id: str, attr: str, raw: Any, ctx: Context, actor: Actor
) -> None:
    """PUT one attribute: the new attribute replaces the old one completely."""
    require_writer(actor)
    name = ctx.expand(check_term(attr, "Attribute name"))
    parsed = parse_attribute(name, raw, ctx)
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor, names=[name])
    if name not in entity.attrs:
        raise not_found(f"Entity {entity_id[:200]} has no attribute {attr[:100]}")
    now = utcnow()
    store.write_attributes(session, [(entity, {name: parsed})], now=now, source=source_of(actor))
    _audit(session, actor, "brain.attribute_replaced", entity, attribute=attr[:100])
    _notify(session, entity, {name}, now)


def delete_attribute(
    session: Session, *, entity_id: str, attr: str, ctx: Context, actor: Actor
) -> None:
    require_writer(actor)
    name = ctx.expand(check_term(attr, "Attribute name"))
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor)
    if name not in entity.attrs:
        raise not_found(f"Entity {entity_id[:200]} has no attribute {attr[:100]}")
    now = utcnow()
    store.delete_attributes(session, entity, [name], now=now)
    _audit(session, actor, "brain.attribute_deleted", entity, attribute=attr[:100])
    _notify(session, entity, {name}, now)


def merge_entity(
    session: Session, *, entity_id: str, raw: Any, ctx: Context, actor: Actor
) -> StoredEntity:
    """PATCH an entity (merge-patch): new attributes added, given members replaced,
    ``null`` (or ``"urn:ngsi-ld:null"``) removes an attribute."""
    require_writer(actor)
    if not isinstance(raw, dict):
        raise bad_data("An entity fragment must be a JSON object")
    parsed = parse_entity(raw, ctx, entity_id=entity_id, allow_null=True, need_type=False)
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor)
    if parsed.type_iri and parsed.type_iri != entity.type_iri:
        raise bad_data("The type of an entity cannot change")
    now = utcnow()
    removed = [name for name, attr in parsed.attrs.items() if attr is None]
    writes: dict[str, ParsedAttribute] = {}
    for name, attr in parsed.attrs.items():
        if attr is None:
            continue
        current = entity.attrs.get(name)
        if current is not None and current.kind == attr.kind:
            attr.body = {**current.body, **attr.body}
        writes[name] = attr
    if removed:
        store.delete_attributes(session, entity, removed, now=now)
    store.write_attributes(session, [(entity, writes)], now=now, source=source_of(actor))
    _audit(session, actor, "brain.entity_merged", entity, attributes=len(parsed.attrs))
    _notify(session, entity, set(parsed.attrs), now)
    return entity


def replace_entity(
    session: Session, *, entity_id: str, raw: Any, ctx: Context, actor: Actor
) -> StoredEntity:
    """PUT an entity: its attributes become exactly the given ones."""
    require_writer(actor)
    parsed = parse_entity(raw, ctx, entity_id=entity_id, need_type=False)
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor)
    if parsed.type_iri and parsed.type_iri != entity.type_iri:
        raise bad_data("The type of an entity cannot change")
    now = utcnow()
    changed = set(entity.attrs) | set(parsed.attrs)
    store.replace_all_attributes(session, entity, now=now)
    writes = {name: attr for name, attr in parsed.attrs.items() if attr is not None}
    store.write_attributes(session, [(entity, writes)], now=now, source=source_of(actor))
    _audit(session, actor, "brain.entity_replaced", entity, attributes=len(writes))
    _notify(session, entity, changed, now)
    return entity


def delete_entity(session: Session, *, entity_id: str, actor: Actor) -> None:
    require_writer(actor)
    entity = get_entity_or_raise(session, entity_id=entity_id, actor=actor, names=())
    _audit(session, actor, "brain.entity_deleted", entity)
    store.delete_entities(session, [entity.pk])
    outbox.emit(session, EntitiesDeleted([entity.entity_id]))


def list_types(session: Session, *, actor: Actor) -> list[tuple[str, int]]:
    require_reader(actor)
    return store.type_counts(session)


def type_details(
    session: Session, *, actor: Actor, type_iri: str | None = None
) -> dict[str, dict[str, Any]]:
    """Per type: entity count and its attributes with their kinds."""
    require_reader(actor)
    details: dict[str, dict[str, Any]] = {
        t: {"count": c, "attributes": {}} for t, c in store.type_counts(session)
    }
    for t, name, kind, count in store.attribute_kinds(session, type_iri):
        entry = details.setdefault(t, {"count": 0, "attributes": {}})
        attribute = entry["attributes"].setdefault(name, {"kinds": set(), "count": 0})
        attribute["kinds"].add(kind)
        attribute["count"] += count
    if type_iri is not None:
        if type_iri not in details or details[type_iri]["count"] == 0:
            raise not_found(f"No entity of type {type_iri[:200]}")
        return {type_iri: details[type_iri]}
    return details
