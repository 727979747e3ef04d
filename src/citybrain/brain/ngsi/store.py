"""Reading and writing entities, attributes and observations, in bulk where it counts.

Plain functions over a session; they never commit. Writes are Core-level
``executemany`` statements so a 1,000-entity batch costs a handful of round trips.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiAttribute, NgsiEntity, NgsiObservation
from citybrain.brain.ngsi.attributes import LOCATION, ParsedAttribute, ParsedEntity
from citybrain.brain.ngsi.geoquery import GeoQuery

CHUNK = 500


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (the integer time axis of the history)."""
    return int(moment.timestamp() * 1000)


@dataclass
class StoredAttribute:
    pk: int
    kind: str
    body: dict[str, Any]
    created_at: datetime
    modified_at: datetime


@dataclass
class StoredEntity:
    pk: int
    entity_id: str
    type_iri: str
    created_at: datetime
    modified_at: datetime
    attrs: dict[str, StoredAttribute] = field(default_factory=dict)
    # True when only some attributes were read (load_one with names) ...
    partial: bool = False
    # ... and which names were asked for (present or not).
    loaded: frozenset[str] = frozenset()

    def bodies(self) -> dict[str, dict[str, Any]]:
        return {name: attr.body for name, attr in self.attrs.items()}


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _attach_attributes(session: Session, entities: dict[int, StoredEntity]) -> None:
    pks = list(entities)
    for chunk in _chunks(pks):
        rows = session.execute(
            select(
                NgsiAttribute.id,
                NgsiAttribute.entity_pk,
                NgsiAttribute.name,
                NgsiAttribute.kind,
                NgsiAttribute.body,
                NgsiAttribute.created_at,
                NgsiAttribute.modified_at,
            ).where(NgsiAttribute.entity_pk.in_(chunk))
        )
        for pk, entity_pk, name, kind, body, created, modified in rows:
            entities[entity_pk].attrs[name] = StoredAttribute(pk, kind, body, created, modified)


def _entity_columns() -> tuple[Any, ...]:
    return (
        NgsiEntity.id,
        NgsiEntity.entity_id,
        NgsiEntity.entity_type,
        NgsiEntity.created_at,
        NgsiEntity.modified_at,
    )


def load(session: Session, entity_ids: Sequence[str]) -> dict[str, StoredEntity]:
    """The stored entities among ``entity_ids``, with their attributes."""
    found: dict[int, StoredEntity] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        for pk, entity_id, type_iri, created, modified in session.execute(
            select(*_entity_columns()).where(NgsiEntity.entity_id.in_(chunk))
        ):
            found[pk] = StoredEntity(pk, entity_id, type_iri, created, modified)
    _attach_attributes(session, found)
    return {entity.entity_id: entity for entity in found.values()}


_ENTITY: Table = NgsiEntity.__table__  # type: ignore[assignment]
_ATTRIBUTE: Table = NgsiAttribute.__table__  # type: ignore[assignment]
_OBSERVATION: Table = NgsiObservation.__table__  # type: ignore[assignment]


def _load_one_query(with_names: bool) -> Any:
    join_on = _ATTRIBUTE.c.entity_pk == _ENTITY.c.id
    if with_names:
        join_on = and_(join_on, _ATTRIBUTE.c.name.in_(bindparam("names", expanding=True)))
    return (
        select(
            _ENTITY.c.id,
            _ENTITY.c.entity_id,
            _ENTITY.c.entity_type,
            _ENTITY.c.created_at,
            _ENTITY.c.modified_at,
            _ATTRIBUTE.c.id,
            _ATTRIBUTE.c.name,
            _ATTRIBUTE.c.kind,
            _ATTRIBUTE.c.body,
            _ATTRIBUTE.c.created_at,
            _ATTRIBUTE.c.modified_at,
        )
        .select_from(_ENTITY.outerjoin(_ATTRIBUTE, join_on))
        .where(_ENTITY.c.entity_id == bindparam("entity_id"))
    )


_EXISTING = select(_ENTITY.c.entity_id).where(
    _ENTITY.c.entity_id.in_(bindparam("ids", expanding=True))
)


def existing_ids(session: Session, entity_ids: Sequence[str]) -> set[str]:
    """Which of ``entity_ids`` are stored (one indexed look-up, nothing else read)."""
    if not entity_ids:
        return set()
    return set(session.scalars(_EXISTING, {"ids": list(entity_ids)}))


_LOAD_ALL = _load_one_query(False)
_LOAD_SOME = _load_one_query(True)


def load_one(
    session: Session, entity_id: str, *, names: Sequence[str] | None = None
) -> StoredEntity | None:
    """One entity; with ``names`` only those attributes are read (the hot update path)."""
    if names is None:
        rows = session.execute(_LOAD_ALL, {"entity_id": entity_id}).all()
    else:
        rows = session.execute(
            _LOAD_SOME, {"entity_id": entity_id, "names": list(names) or [""]}
        ).all()
    if not rows:
        return None
    first = rows[0]
    entity = StoredEntity(first[0], first[1], first[2], first[3], first[4])
    entity.partial = names is not None
    entity.loaded = frozenset(names or ())
    for row in rows:
        if row[5] is not None:
            entity.attrs[row[6]] = StoredAttribute(row[5], row[7], row[8], row[9], row[10])
    return entity


def search(
    session: Session,
    *,
    types: Sequence[str] | None,
    ids: Sequence[str] | None,
    id_pattern: re.Pattern[str] | None,
    geoquery: GeoQuery | None,
) -> list[StoredEntity]:
    """Candidates by type, id and the geo box, in id order (q and exact geo follow)."""
    query = select(*_entity_columns())
    if types:
        query = query.where(NgsiEntity.entity_type.in_(list(types)))
    if ids:
        query = query.where(NgsiEntity.entity_id.in_(list(ids)))
    box = geoquery.bounds() if geoquery and geoquery.geoproperty == LOCATION else None
    if box is not None:
        min_x, min_y, max_x, max_y = box
        query = query.where(
            NgsiEntity.max_lon >= min_x,
            NgsiEntity.min_lon <= max_x,
            NgsiEntity.max_lat >= min_y,
            NgsiEntity.min_lat <= max_y,
        )
    found: dict[int, StoredEntity] = {}
    for pk, entity_id, type_iri, created, modified in session.execute(
        query.order_by(NgsiEntity.entity_id)
    ):
        if id_pattern is not None and id_pattern.fullmatch(entity_id) is None:
            continue
        found[pk] = StoredEntity(pk, entity_id, type_iri, created, modified)
    _attach_attributes(session, found)
    return list(found.values())


def _bounds(attrs: dict[str, ParsedAttribute | None]) -> dict[str, float | None] | None:
    if LOCATION not in attrs:
        return None
    parsed = attrs[LOCATION]
    if parsed is None or parsed.geometry is None:
        return {"min_lon": None, "min_lat": None, "max_lon": None, "max_lat": None}
    min_x, min_y, max_x, max_y = parsed.geometry.bounds
    return {"min_lon": min_x, "min_lat": min_y, "max_lon": max_x, "max_lat": max_y}


def insert_entities(
    session: Session, entities: Sequence[ParsedEntity], *, now: datetime, source: str
) -> list[StoredEntity]:
    """New entity rows, their attributes and first observations."""
    if not entities:
        return []
    rows = []
    for entity in entities:
        row: dict[str, Any] = {
            "entity_id": entity.entity_id,
            "entity_type": entity.type_iri,
            "created_at": now,
            "modified_at": now,
            "min_lon": None,
            "min_lat": None,
            "max_lon": None,
            "max_lat": None,
        }
        row.update(_bounds(entity.attrs) or {})
        rows.append(row)
    result = session.execute(
        insert(NgsiEntity).returning(NgsiEntity.id, sort_by_parameter_order=True), rows
    )
    pks = [pk for (pk,) in result]
    stored = [
        StoredEntity(pk, entity.entity_id, entity.type_iri, now, now)
        for pk, entity in zip(pks, entities, strict=True)
    ]
    writes = [
        (target, {name: attr for name, attr in entity.attrs.items() if attr is not None})
        for target, entity in zip(stored, entities, strict=True)
    ]
    write_attributes(session, writes, now=now, source=source, touch_entities=False)
    return stored


def write_attributes(
    session: Session,
    writes: Sequence[tuple[StoredEntity, dict[str, ParsedAttribute]]],
    *,
    now: datetime,
    source: str,
    touch_entities: bool = True,
) -> None:
    """Create or overwrite attributes (one history row each); updates ``StoredEntity``."""
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    entity_rows: list[dict[str, Any]] = []
    for entity, attrs in writes:
        if not attrs:
            continue
        for name, parsed in attrs.items():
            current = entity.attrs.get(name)
            if current is None:
                new_rows.append(
                    {
                        "entity_pk": entity.pk,
                        "name": name,
                        "kind": parsed.kind,
                        "body": parsed.body,
                        "observed_at": parsed.observed_at,
                        "created_at": now,
                        "modified_at": now,
                    }
                )
                entity.attrs[name] = StoredAttribute(0, parsed.kind, parsed.body, now, now)
            else:
                changed_rows.append(
                    {
                        "pk": current.pk,
                        "kind": parsed.kind,
                        "body": parsed.body,
                        "observed_at": parsed.observed_at,
                        "modified_at": now,
                    }
                )
                current.kind, current.body, current.modified_at = parsed.kind, parsed.body, now
            observed = parsed.observed_at or now
            observations.append(
                {
                    "entity_pk": entity.pk,
                    "name": name,
                    "kind": parsed.kind,
                    "value_num": parsed.value_num,
                    "body": parsed.body,
                    "observed_at": observed,
                    "observed_ms": epoch_ms(observed),
                    "created_at": now,
                    "source": source,
                }
            )
        if touch_entities:
            entity.modified_at = now
            row: dict[str, Any] = {"pk": entity.pk, "modified_at": now}
            row.update(_bounds(dict(attrs.items())) or {})
            entity_rows.append(row)
    if new_rows:
        session.execute(_ATTRIBUTE.insert(), new_rows)
    if changed_rows:
        session.execute(_UPDATE_ATTRIBUTE, changed_rows)
    if observations:
        session.execute(_OBSERVATION.insert(), observations)
    if entity_rows:
        _update_entities(session, entity_rows)


_UPDATE_ATTRIBUTE = (
    _ATTRIBUTE.update()
    .where(_ATTRIBUTE.c.id == bindparam("pk"))
    .values(
        kind=bindparam("kind"),
        body=bindparam("body"),
        observed_at=bindparam("observed_at"),
        modified_at=bindparam("modified_at"),
    )
)
_BOUNDS = ("min_lon", "min_lat", "max_lon", "max_lat")


def _entity_update(columns: tuple[str, ...]) -> Any:
    return (
        _ENTITY.update()
        .where(_ENTITY.c.id == bindparam("pk"))
        .values({column: bindparam(column) for column in columns})
    )


_TOUCH_ENTITY = _entity_update(("modified_at",))
_TOUCH_ENTITY_BOUNDS = _entity_update(("modified_at", *_BOUNDS))
_CLEAR_BOUNDS = _entity_update(_BOUNDS)


def _update_entities(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows keyed ``pk`` with modified_at and/or the four bounds."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, group in groups.items():
        if "modified_at" in keys:
            statement = _TOUCH_ENTITY_BOUNDS if "min_lon" in keys else _TOUCH_ENTITY
        else:
            statement = _CLEAR_BOUNDS
        session.execute(statement, group)


def delete_attributes(
    session: Session, entity: StoredEntity, names: Sequence[str], *, now: datetime
) -> None:
    pks = [entity.attrs[name].pk for name in names if name in entity.attrs]
    for name in names:
        entity.attrs.pop(name, None)
    if pks:
        session.execute(delete(NgsiAttribute).where(NgsiAttribute.id.in_(pks)))
    row: dict[str, Any] = {"pk": entity.pk, "modified_at": now}
    if LOCATION in names:
        row.update({"min_lon": None, "min_lat": None, "max_lon": None, "max_lat": None})
    entity.modified_at = now
    _update_entities(session, [row])


def replace_all_attributes(session: Session, entity: StoredEntity, *, now: datetime) -> None:
    """Drop every attribute of ``entity`` (before writing its replacement)."""
    session.execute(delete(NgsiAttribute).where(NgsiAttribute.entity_pk == entity.pk))
    entity.attrs.clear()
    _update_entities(
        session,
        [{"pk": entity.pk, "min_lon": None, "min_lat": None, "max_lon": None, "max_lat": None}],
    )


def delete_entities(session: Session, pks: Sequence[int]) -> None:
    """Entities go with their attributes and history (explicit: SQLite FKs may be off)."""
    for chunk in _chunks(list(pks)):
        session.execute(delete(NgsiObservation).where(NgsiObservation.entity_pk.in_(chunk)))
        session.execute(delete(NgsiAttribute).where(NgsiAttribute.entity_pk.in_(chunk)))
        session.execute(delete(NgsiEntity).where(NgsiEntity.id.in_(chunk)))


def type_counts(session: Session) -> list[tuple[str, int]]:
    from sqlalchemy import func

    return [
        (type_iri, count)
        for type_iri, count in session.execute(
            select(NgsiEntity.entity_type, func.count())
            .group_by(NgsiEntity.entity_type)
            .order_by(NgsiEntity.entity_type)
        )
    ]


def attribute_kinds(
    session: Session, type_iri: str | None = None
) -> list[tuple[str, str, str, int]]:
    """(entity type, attribute name, kind, entity count) over the whole store."""
    from sqlalchemy import func

    query = (
        select(NgsiEntity.entity_type, NgsiAttribute.name, NgsiAttribute.kind, func.count())
        .join(NgsiEntity, NgsiEntity.id == NgsiAttribute.entity_pk)
        .group_by(NgsiEntity.entity_type, NgsiAttribute.name, NgsiAttribute.kind)
    )
    if type_iri is not None:
        query = query.where(NgsiEntity.entity_type == type_iri)
    return [(t, n, k, c) for t, n, k, c in session.execute(query)]


def clear_attributes(session: Session, entities: Sequence[StoredEntity]) -> None:
    """Drop every attribute of these entities at once (batch replace)."""
    pks = [entity.pk for entity in entities]
    for chunk in _chunks(pks):
        session.execute(delete(NgsiAttribute).where(NgsiAttribute.entity_pk.in_(chunk)))
        session.execute(
            update(NgsiEntity)
            .where(NgsiEntity.id.in_(chunk))
            .values(min_lon=None, min_lat=None, max_lon=None, max_lat=None)
        )
    for entity in entities:
        entity.attrs.clear()
