"""The audit trail: append-only, each row sealed with the hash of the one before.

``verify`` walks the chain and names the first row whose content or link no
longer matches, so an edit made behind the application's back shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.db import serialize_writers, utcnow
from citybrain.core.logging import mask_text
from citybrain.core.models import AuditEntry
from citybrain.core.security import Actor

GENESIS = "0" * 64


def _digest(entry: AuditEntry) -> str:
    content = {
        "id": entry.id,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor": [entry.actor_kind, entry.actor_id, entry.actor_name],
        "action": entry.action,
        "entity": [entry.entity_type, entry.entity_id],
        "reason": entry.reason,
        "detail": entry.detail,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: object,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction. ``detail`` holds no personal data."""
    serialize_writers(session)
    entry = AuditEntry(
        occurred_at=utcnow().replace(microsecond=0),
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        reason=mask_text(reason),
        detail=detail or {},
        prev_hash="",
        row_hash="",
    )
    session.add(entry)
    session.flush()  # takes the write lock on SQLite before the previous hash is read
    previous = session.scalar(
        select(AuditEntry.row_hash)
        .where(AuditEntry.id < entry.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entry.prev_hash = previous or GENESIS
    entry.row_hash = _digest(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_bad_id: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify(
    session: Session, *, batch: int = 5_000, progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Walk the chain in id order and report the first row that was altered."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked, None, None)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "link to the previous row is broken")
            if _digest(entry) != entry.row_hash:
                return ChainReport(checked, entry.id, "row content does not match its hash")
            expected_prev = entry.row_hash
            checked += 1
        last_id = rows[-1].id
        if progress:
            progress(len(rows))


def entries_for(session: Session, *, entity_type: str, entity_id: object) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )
