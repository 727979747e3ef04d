"""The outbox: domain events stored with the change that caused them.

A pillar calls ``emit`` inside its transaction; consumers (the brain's indicators,
notifications, integrations) read in id order from their own cursor and advance it
in the same transaction as their own writes, so delivery is at-least-once and a
consumer that crashes re-reads from where it last committed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.db import serialize_writers, utcnow
from citybrain.core.models import OutboxCursor, OutboxEvent


@dataclass(frozen=True)
class Event:
    """Base of every domain event: a past-tense name and a payload of ids and codes."""

    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def emit(session: Session, event: Event) -> OutboxEvent:
    """Write ``event`` in the caller's transaction."""
    return emit_raw(session, event.name, event.payload())


def emit_raw(session: Session, name: str, payload: dict[str, Any]) -> OutboxEvent:
    serialize_writers(session)
    row = OutboxEvent(name=name, payload=payload, occurred_at=utcnow())
    session.add(row)
    session.flush()
    return row


def _cursor(session: Session, consumer: str) -> OutboxCursor:
    cursor = session.get(OutboxCursor, consumer)
    if cursor is None:
        cursor = OutboxCursor(consumer=consumer, last_event_id=0)
        session.add(cursor)
        session.flush()
    return cursor


def read(
    session: Session, consumer: str, *, names: list[str] | None = None, limit: int = 500
) -> list[OutboxEvent]:
    """The next events after ``consumer``'s cursor, oldest first (the cursor is not moved)."""
    cursor = _cursor(session, consumer)
    query = select(OutboxEvent).where(OutboxEvent.id > cursor.last_event_id)
    if names:
        query = query.where(OutboxEvent.name.in_(names))
    return list(session.scalars(query.order_by(OutboxEvent.id).limit(limit)))


def advance(session: Session, consumer: str, last_event_id: int) -> None:
    """Move the cursor; commit it with the consumer's own writes."""
    cursor = _cursor(session, consumer)
    if last_event_id > cursor.last_event_id:
        cursor.last_event_id = last_event_id
        cursor.updated_at = utcnow()
        session.flush()


def position(session: Session, consumer: str) -> int:
    cursor = session.get(OutboxCursor, consumer)
    return cursor.last_event_id if cursor else 0
