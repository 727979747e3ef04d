"""Batch entity operations (``/entityOperations/*``): up to 1,000 entities a request.

Each entity succeeds or fails on its own: invalid entities are reported with their
problem and nothing of theirs is stored, valid ones are written in bulk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from citybrain.brain import alerts
from citybrain.brain.events import EntitiesCreated, EntitiesDeleted
from citybrain.brain.ngsi import store, subscriptions
from citybrain.brain.ngsi.access import require_writer, source_of
from citybrain.brain.ngsi.attributes import (
    ParsedAttribute,
    ParsedEntity,
    check_entity_id,
    parse_entity,
)
from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.problems import NgsiError, ProblemType, bad_data, not_found
from citybrain.brain.ngsi.store import StoredEntity
from citybrain.core import audit, outbox
from citybrain.core.db import utcnow
from citybrain.core.security import Actor

MAX_BATCH = 1_000


@dataclass
class BatchResult:
    success: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    errors: list[tuple[str, NgsiError]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "errors": [
                {"entityId": entity_id, "error": error.body()} for entity_id, error in self.errors
            ],
        }


def _check_size(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise bad_data("A batch must be a JSON array")
    if not raw:
        raise bad_data("A batch must hold at least one entity")
    if len(raw) > MAX_BATCH:
        raise NgsiError(
            ProblemType.PayloadTooLarge,
            f"A batch holds at most {MAX_BATCH:,} entities; this one holds {len(raw):,}",
            status=413,
        )
    return raw


def _raw_id(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return str(raw["id"])[:256]
    return ""


def _parse_all(raw: Any, ctx: Context, result: BatchResult, **options: Any) -> list[ParsedEntity]:
    parsed: list[ParsedEntity] = []
    for item in _check_size(raw):
        try:
            parsed.append(parse_entity(item, ctx, **options))
        except NgsiError as error:
            result.errors.append((_raw_id(item), error))
    return parsed


def _finish(
    session: Session,
    actor: Actor,
    operation: str,
    result: BatchResult,
    changes: list[tuple[StoredEntity, set[str]]],
    now: Any,
) -> BatchResult:
    audit.record(
        session,
        actor,
        f"brain.batch_{operation}",
        entity_type="ngsi_batch",
        entity_id=operation,
        detail={
            "succeeded": len(result.success),
            "failed": len(result.errors),
            "created": len(result.created),
        },
    )
    if result.created:
        created = set(result.created)
        outbox.emit(
            session,
            EntitiesCreated(
                result.created,
                sorted({e.type_iri for e, _ in changes if e.entity_id in created}),
            ),
        )
    changes = list(changes)
    changes += [(alert, set(alert.attrs)) for alert in alerts.evaluate(session, changes, now=now)]
    subscriptions.notify_changes(session, changes, now=now)
    return result


def _combine(first: ParsedEntity, second: ParsedEntity, *, replace: bool) -> ParsedEntity:
    """Two entries for one id in the same batch: the later one wins (or is merged in)."""
    if replace:
        return second
    return ParsedEntity(
        second.entity_id, second.type_iri or first.type_iri, {**first.attrs, **second.attrs}
    )


def _deduplicate(parsed: list[ParsedEntity], *, replace: bool) -> dict[str, ParsedEntity]:
    unique: dict[str, ParsedEntity] = {}
    for entity in parsed:
        previous = unique.get(entity.entity_id)
        unique[entity.entity_id] = (
            entity if previous is None else _combine(previous, entity, replace=replace)
        )
    return unique


def create(session: Session, *, raw: Any, ctx: Context, actor: Actor) -> BatchResult:
    """Create every entity that does not exist yet."""
    require_writer(actor)
    result = BatchResult()
    parsed = _parse_all(raw, ctx, result)
    existing = store.load(session, [entity.entity_id for entity in parsed])
    fresh: list[ParsedEntity] = []
    seen: set[str] = set()
    for entity in parsed:
        if entity.entity_id in existing or entity.entity_id in seen:
            result.errors.append(
                (
                    entity.entity_id,
                    NgsiError(
                        ProblemType.AlreadyExists, f"Entity {entity.entity_id} already exists"
                    ),
                )
            )
            continue
        seen.add(entity.entity_id)
        fresh.append(entity)
    now = utcnow()
    stored = store.insert_entities(session, fresh, now=now, source=source_of(actor))
    result.success = [entity.entity_id for entity in stored]
    result.created = list(result.success)
    return _finish(session, actor, "create", result, [(e, set(e.attrs)) for e in stored], now)


def upsert(
    session: Session, *, raw: Any, ctx: Context, actor: Actor, replace: bool = True
) -> BatchResult:
    """Create missing entities; replace existing ones (or update their given attributes)."""
    require_writer(actor)
    result = BatchResult()
    unique = _deduplicate(_parse_all(raw, ctx, result), replace=replace)
    existing = store.load(session, list(unique))
    now = utcnow()
    source = source_of(actor)
    fresh = [entity for entity_id, entity in unique.items() if entity_id not in existing]
    updates: list[tuple[StoredEntity, dict[str, ParsedAttribute]]] = []
    changes: list[tuple[StoredEntity, set[str]]] = []
    for entity_id, entity in unique.items():
        current = existing.get(entity_id)
        if current is None:
            continue
        if entity.type_iri != current.type_iri:
            result.errors.append((entity_id, bad_data(f"Entity {entity_id} has another type")))
            continue
        attrs = {name: attr for name, attr in entity.attrs.items() if attr is not None}
        changed = set(attrs) | (set(current.attrs) if replace else set())
        updates.append((current, attrs))
        changes.append((current, changed))
        result.success.append(entity_id)
    if replace:
        store.clear_attributes(session, [current for current, _ in updates])
    store.write_attributes(session, updates, now=now, source=source)
    stored = store.insert_entities(session, fresh, now=now, source=source)
    result.created = [entity.entity_id for entity in stored]
    result.success.extend(result.created)
    changes.extend((entity, set(entity.attrs)) for entity in stored)
    return _finish(session, actor, "upsert", result, changes, now)


def _update_existing(
    session: Session,
    *,
    raw: Any,
    ctx: Context,
    actor: Actor,
    operation: str,
    select_attrs: Callable[[StoredEntity, ParsedEntity], dict[str, ParsedAttribute]],
    allow_null: bool,
) -> BatchResult:
    require_writer(actor)
    result = BatchResult()
    unique = _deduplicate(
        _parse_all(raw, ctx, result, allow_null=allow_null, need_type=False), replace=False
    )
    existing = store.load(session, list(unique))
    now = utcnow()
    updates: list[tuple[StoredEntity, dict[str, ParsedAttribute]]] = []
    changes: list[tuple[StoredEntity, set[str]]] = []
    for entity_id, entity in unique.items():
        current = existing.get(entity_id)
        if current is None:
            result.errors.append((entity_id, not_found(f"Entity {entity_id} not found")))
            continue
        if entity.type_iri and entity.type_iri != current.type_iri:
            result.errors.append((entity_id, bad_data(f"Entity {entity_id} has another type")))
            continue
        removed = [
            name for name, attr in entity.attrs.items() if attr is None and name in current.attrs
        ]
        if removed:
            store.delete_attributes(session, current, removed, now=now)
        attrs = select_attrs(current, entity)
        updates.append((current, attrs))
        changes.append((current, set(attrs) | set(removed)))
        result.success.append(entity_id)
    store.write_attributes(session, updates, now=now, source=source_of(actor))
    return _finish(session, actor, operation, result, changes, now)


def update(
    session: Session, *, raw: Any, ctx: Context, actor: Actor, no_overwrite: bool = False
) -> BatchResult:
    """Update existing entities: given attributes are added or overwritten."""

    def chosen(current: StoredEntity, entity: ParsedEntity) -> dict[str, ParsedAttribute]:
        return {
            name: attr
            for name, attr in entity.attrs.items()
            if attr is not None and not (no_overwrite and name in current.attrs)
        }

    return _update_existing(
        session,
        raw=raw,
        ctx=ctx,
        actor=actor,
        operation="update",
        select_attrs=chosen,
        allow_null=False,
    )


def merge(session: Session, *, raw: Any, ctx: Context, actor: Actor) -> BatchResult:
    """Merge-patch existing entities: members merged, ``null`` removes an attribute."""

    def merged(current: StoredEntity, entity: ParsedEntity) -> dict[str, ParsedAttribute]:
        out = {}
        for name, attr in entity.attrs.items():
            if attr is None:
                continue
            old = current.attrs.get(name)
            if old is not None and old.kind == attr.kind:
                attr.body = {**old.body, **attr.body}
            out[name] = attr
        return out

    return _update_existing(
        session,
        raw=raw,
        ctx=ctx,
        actor=actor,
        operation="merge",
        select_attrs=merged,
        allow_null=True,
    )


def delete(session: Session, *, raw: Any, actor: Actor) -> BatchResult:
    """Delete entities by id."""
    require_writer(actor)
    result = BatchResult()
    ids: list[str] = []
    for item in _check_size(raw):
        try:
            ids.append(check_entity_id(item))
        except NgsiError as error:
            result.errors.append((item if isinstance(item, str) else "", error))
    existing = store.load(session, ids)
    pks = []
    for entity_id in dict.fromkeys(ids):
        if entity_id in existing:
            pks.append(existing[entity_id].pk)
            result.success.append(entity_id)
        else:
            result.errors.append((entity_id, not_found(f"Entity {entity_id} not found")))
    store.delete_entities(session, pks)
    if result.success:
        outbox.emit(session, EntitiesDeleted(result.success))
    now = utcnow()
    return _finish(session, actor, "delete", result, [], now)
