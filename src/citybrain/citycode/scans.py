"""Scan batches from checkpoint devices, contact tracing for a case, and retention.

A device signs each batch with its Ed25519 key; ingest stores every scan id at most
once (a retried batch adds nothing) and the API acknowledges after the commit. Tracing
treats a scan as presence from the scan instant for the venue's dwell time; two people
are contacts when those intervals overlap by at least the venue's minimum overlap.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from citybrain.citycode import rules, status
from citybrain.citycode.events import ContactsTraced, ScansIngested, ScansPurged
from citybrain.citycode.models import Scan, TraceQuery, Venue, VenueCodeUse
from citybrain.citycode.settings import MAX_RETENTION_DAYS, settings_of
from citybrain.citycode.venues import get_device_or_raise
from citybrain.core import audit, ids, outbox
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity import service as identity_service

MAX_BATCH = 5_000
TRACE_DAYS = 14
CHUNK = 500


@dataclass(frozen=True)
class ScanIn:
    scan_id: str
    person_token: str | None
    outcome: str
    scanned_at: datetime


def batch_signing_bytes(device_id: int, batch_id: str, scans: Sequence[ScanIn]) -> bytes:
    """The bytes a device signs: canonical JSON of the batch (times in epoch milliseconds)."""
    body = {
        "device_id": device_id,
        "batch_id": batch_id,
        "scans": [
            [s.scan_id, s.person_token or "", s.outcome, int(s.scanned_at.timestamp() * 1000)]
            for s in scans
        ],
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class BatchAck:
    batch_id: str
    received: int
    stored: int
    duplicates: int
    acknowledged: list[str]


def ingest_batch(
    session: Session,
    *,
    actor: Actor,
    device_id: int,
    batch_id: str,
    scans: Sequence[ScanIn],
    signature: bytes,
) -> BatchAck:
    """Store a signed batch; scans already stored (by scan id) are acknowledged, not added."""
    if actor.kind is ActorKind.api_key:
        actor.require_scope("citycode:scan")
    else:
        actor.require_role(Role.checkpoint_operator, Role.health_authority)
    device = get_device_or_raise(session, device_id)
    if not scans or len(scans) > MAX_BATCH:
        raise DomainError(
            "citycode.bad_batch",
            f"每批应含1至{MAX_BATCH}条扫码记录",
            f"A batch holds 1 to {MAX_BATCH} scans",
            status=422,
        )
    key = load_der_public_key(device.public_key_der)
    assert isinstance(key, ed25519.Ed25519PublicKey)
    try:
        key.verify(signature, batch_signing_bytes(device_id, batch_id, scans))
    except InvalidSignature:
        raise DomainError(
            "citycode.batch_signature",
            "批次签名无效",
            "The batch signature does not verify under the device's key",
            status=422,
        ) from None
    outcomes = {o.value for o in rules.DoorOutcome}
    now = utcnow()
    for scan in scans:
        if scan.outcome not in outcomes:
            raise DomainError(
                "citycode.bad_outcome",
                "核验结果无效",
                f"Unknown outcome {scan.outcome}",
                status=422,
            )
        if scan.scanned_at > now + timedelta(minutes=5):
            raise DomainError(
                "citycode.future_scan",
                "扫码时间晚于当前时间",
                "A scan lies in the future",
                status=422,
            )
    unique: dict[str, ScanIn] = {}
    for scan in scans:
        unique.setdefault(scan.scan_id, scan)
    existing: set[str] = set()
    ids = list(unique)
    for start in range(0, len(ids), CHUNK):
        existing.update(
            session.scalars(
                select(Scan.scan_id).where(Scan.scan_id.in_(ids[start : start + CHUNK]))
            )
        )
    rows = [
        {
            "scan_id": s.scan_id,
            "venue_id": device.venue_id,
            "device_id": device.id,
            "person_token": s.person_token,
            "outcome": s.outcome,
            "method": "device_scan",
            "scanned_at": s.scanned_at,
            "received_at": now,
        }
        for s in unique.values()
        if s.scan_id not in existing
    ]
    if rows:
        session.execute(insert(Scan), rows)
    duplicates = len(scans) - len(rows)
    audit.record(
        session,
        actor,
        "citycode.scans_ingested",
        entity_type="citycode_device",
        entity_id=device.id,
        detail={"batch_id": batch_id, "stored": len(rows), "duplicates": duplicates},
    )
    outbox.emit(
        session, ScansIngested(device_id=device.id, stored=len(rows), duplicates=duplicates)
    )
    return BatchAck(batch_id, len(scans), len(rows), duplicates, ids)


# Tracing


@dataclass(frozen=True)
class Contact:
    person_token: str
    hop: int
    venue_id: int
    met_at: datetime
    overlap_minutes: int
    via_token: str


def _contacts_of(
    session: Session, token: str, since: datetime, until: datetime, venues: dict[int, Venue]
) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    presences = session.execute(
        select(Scan.venue_id, Scan.scanned_at).where(
            Scan.person_token == token, Scan.scanned_at >= since, Scan.scanned_at <= until
        )
    ).all()
    missing = {venue_id for venue_id, _ in presences} - venues.keys()
    if missing:
        venues.update(
            (v.id, v) for v in session.scalars(select(Venue).where(Venue.id.in_(missing)))
        )
    for venue_id, at in presences:
        venue = venues.get(venue_id)
        if venue is None:
            continue
        reach = timedelta(minutes=venue.dwell_minutes - venue.min_overlap_minutes)
        for other, other_at in session.execute(
            select(Scan.person_token, Scan.scanned_at).where(
                Scan.venue_id == venue_id,
                Scan.scanned_at >= at - reach,
                Scan.scanned_at <= at + reach,
                Scan.person_token.is_not(None),
                Scan.person_token != token,
            )
        ):
            overlap = venue.dwell_minutes - int(abs((other_at - at).total_seconds()) // 60)
            previous = found.get(other)
            if previous is None or overlap > previous.overlap_minutes:
                found[other] = Contact(other, 1, venue_id, other_at, overlap, token)
    return found


def trace(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    person_id: int,
    second_hop: bool = False,
    days: int = TRACE_DAYS,
    at: datetime | None = None,
) -> TraceQuery:
    """Contacts of a case's index person (and optionally their contacts), tied to the case."""
    actor.require_role(Role.health_authority)
    case = case_id.strip()
    if not case:
        raise DomainError(
            "citycode.case_required",
            "流调查询须关联病例编号",
            "A tracing query needs a case id",
            status=422,
        )
    if not 1 <= days <= TRACE_DAYS:
        raise DomainError(
            "citycode.bad_window", "查询时间窗为1至14天", "Window is 1-14 days", status=422
        )
    identity_service.get_person_or_raise(session, person_id)
    now = at or utcnow()
    since = now - timedelta(days=days)
    index = status.status_row(session, person_id).token
    venues: dict[int, Venue] = {}
    first = _contacts_of(session, index, since, now, venues)
    first.pop(index, None)
    contacts = list(first.values())
    if second_hop:
        seen = set(first) | {index}
        second: dict[str, Contact] = {}
        for contact in first.values():
            for token, found in _contacts_of(
                session, contact.person_token, since, now, venues
            ).items():
                if token in seen or token in second:
                    continue
                second[token] = Contact(
                    token,
                    2,
                    found.venue_id,
                    found.met_at,
                    found.overlap_minutes,
                    contact.person_token,
                )
        contacts.extend(second.values())
    owners = status.people_for_tokens(session, [c.person_token for c in contacts])
    rows = []
    for c in contacts:
        rows.append(
            {
                "token": c.person_token,
                "person_id": owners.get(c.person_token),
                "hop": c.hop,
                "venue_id": c.venue_id,
                "venue": venues[c.venue_id].name if c.venue_id in venues else "",
                "met_at": c.met_at.astimezone(UTC).isoformat(),
                "overlap_minutes": c.overlap_minutes,
            }
        )
    query = TraceQuery(
        case_id=case,
        index_person_id=person_id,
        asked_by=actor.name,
        window_days=days,
        second_hop=second_hop,
        contacts=rows,
    )
    session.add(query)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.contacts_traced",
        entity_type="citycode_trace_query",
        entity_id=query.id,
        reason=f"case {case}",
        detail={"case_id": case, "contacts": len(rows), "second_hop": second_hop},
    )
    outbox.emit(session, ContactsTraced(trace_id=query.id, case_id=case, contacts=len(rows)))
    return query


def get_trace_or_raise(session: Session, *, actor: Actor, trace_id: int) -> TraceQuery:
    actor.require_role(Role.health_authority)
    query = session.get(TraceQuery, trace_id)
    if query is None:
        raise not_found("citycode.unknown_trace", "流调查询", "Trace query")
    return query


def trace_rows(session: Session, query: TraceQuery) -> list[dict[str, Any]]:
    """The contacts with masked names and ID numbers, ready to show or export."""
    out = []
    for row in query.contacts:
        name = masked_id = ""
        if row["person_id"] is not None:
            person = identity_service.get_person_or_raise(session, row["person_id"])
            name = ids.mask_name(person.name)
            masked_id = person.id_number_masked
        out.append({**row, "name": name, "id_number": masked_id})
    return out


def trace_csv(session: Session, *, actor: Actor, trace_id: int) -> str:
    """The contacts of a trace query as CSV (masked); the export itself is audited."""
    query = get_trace_or_raise(session, actor=actor, trace_id=trace_id)
    buffer = io.StringIO()
    fields = [
        "case_id",
        "hop",
        "person_id",
        "name",
        "id_number",
        "venue_id",
        "venue",
        "met_at",
        "overlap_minutes",
    ]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in trace_rows(session, query):
        writer.writerow({**row, "case_id": query.case_id})
    audit.record(
        session,
        actor,
        "citycode.trace_exported",
        entity_type="citycode_trace_query",
        entity_id=query.id,
        reason=f"case {query.case_id}",
    )
    return buffer.getvalue()


def flag_close_contacts(session: Session, *, actor: Actor, trace_id: int) -> int:
    """Turn the first-hop contacts of a trace into close-contact records (the rules do the rest)."""
    query = get_trace_or_raise(session, actor=actor, trace_id=trace_id)
    flagged = 0
    for row in query.contacts:
        if row["hop"] == 1 and row["person_id"] is not None:
            status.add_record(
                session,
                actor=actor,
                person_id=row["person_id"],
                kind="close_contact",
                value=query.case_id,
                observed_at=datetime.fromisoformat(row["met_at"]),
                source=f"trace:{query.id}",
            )
            flagged += 1
    return flagged


# Retention


def purge_scans(
    session: Session, *, actor: Actor, retention_days: int | None = None, at: datetime | None = None
) -> int:
    """Delete scans and venue-code uses older than the retention limit (≤ 28 days)."""
    days = retention_days or settings_of(session).retention_days
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise DomainError(
            "citycode.bad_retention",
            f"保存期限为1至{MAX_RETENTION_DAYS}天",
            f"Retention is 1 to {MAX_RETENTION_DAYS} days",
            status=422,
        )
    cutoff = (at or utcnow()) - timedelta(days=days)
    result = session.execute(delete(Scan).where(Scan.scanned_at < cutoff))
    deleted = getattr(result, "rowcount", 0) or 0
    session.execute(delete(VenueCodeUse).where(VenueCodeUse.used_at < cutoff))
    audit.record(
        session,
        actor,
        "citycode.scans_purged",
        entity_type="citycode_scan",
        entity_id="retention",
        detail={"deleted": deleted, "retention_days": days, "cutoff": cutoff.isoformat()},
    )
    outbox.emit(session, ScansPurged(deleted=deleted, retention_days=days))
    return int(deleted)


def recent_scans(
    session: Session, *, actor: Actor, venue_id: int | None = None, limit: int = 50
) -> list[Scan]:
    actor.require_role(Role.health_authority, Role.checkpoint_operator)
    query = select(Scan).order_by(Scan.scanned_at.desc(), Scan.id.desc()).limit(limit)
    if venue_id is not None:
        query = query.where(Scan.venue_id == venue_id)
    return list(session.scalars(query))
