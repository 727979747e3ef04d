"""Venues (场所码) of four kinds, their devices, rotating venue codes and door checks.

Proof of presence comes two ways: the venue's device scans the person's code
(``check_at_door``), or the person's phone scans the venue's code, which rotates every
window (≤ 5 minutes) and may be used once per person (``check_in_with_venue_code``). A
picture of a venue code forwarded to someone elsewhere is stale within minutes, and a
code used a second time is refused as a replay: the lesson of Zhengzhou's 871.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.citycode import codes, cose, rules, signing, status, verifier
from citybrain.citycode.events import DoorChecked
from citybrain.citycode.models import Device, Scan, Venue, VenueCodeUse, VenueMember
from citybrain.citycode.settings import settings_of
from citybrain.core import audit, outbox
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.geo import haversine_m
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity import service as identity_service
from citybrain.regions import service as regions_service

MANAGERS = (Role.health_authority, Role.checkpoint_operator)
# A phone that reports its position must be this near the venue whose code it scanned.
NEAR_VENUE_METRES = 500


def create_venue(
    session: Session,
    *,
    actor: Actor,
    kind: rules.VenueKind,
    name: str,
    operator_name: str,
    address: str,
    lon: float,
    lat: float,
    policy: rules.VenuePolicy | None = None,
    dwell_minutes: int | None = None,
    min_overlap_minutes: int | None = None,
) -> Venue:
    """Register a venue; it is located to its grid cell and district."""
    actor.require_role(*MANAGERS)
    location = regions_service.locate(session, lon=lon, lat=lat)
    dwell, overlap = rules.DEFAULT_DWELL[kind]
    dwell = dwell_minutes or dwell
    overlap = min_overlap_minutes if min_overlap_minutes is not None else min(overlap, dwell)
    if overlap > dwell:
        raise DomainError(
            "citycode.bad_overlap",
            "最小重叠时长不能超过停留时长",
            "Minimum overlap cannot exceed the dwell time",
            status=422,
        )
    venue = Venue(
        kind=kind.value,
        name=name.strip(),
        operator_name=operator_name.strip(),
        address=address.strip(),
        lon=lon,
        lat=lat,
        grid_cell_code=location.grid_cell_code,
        division_code=location.division_code,
        policy=(policy or rules.default_policy(kind)).model_dump(),
        dwell_minutes=dwell,
        min_overlap_minutes=overlap,
        department_id=actor.department_id,
    )
    session.add(venue)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.venue_created",
        entity_type="citycode_venue",
        entity_id=venue.id,
        detail={"kind": kind.value, "grid_cell": venue.grid_cell_code},
    )
    return venue


def get_venue_or_raise(session: Session, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise not_found("citycode.unknown_venue", "场所", "Venue")
    return venue


def list_venues(session: Session, *, limit: int = 200, offset: int = 0) -> list[Venue]:
    return list(session.scalars(select(Venue).order_by(Venue.id).limit(limit).offset(offset)))


def add_member(session: Session, *, actor: Actor, venue_id: int, person_id: int) -> VenueMember:
    """Pre-register a resident of a compound or an employee of a unit."""
    actor.require_role(*MANAGERS)
    get_venue_or_raise(session, venue_id)
    identity_service.get_person_or_raise(session, person_id)
    token = status.status_row(session, person_id).token
    member = session.scalar(
        select(VenueMember).where(
            VenueMember.venue_id == venue_id, VenueMember.person_token == token
        )
    )
    if member is None:
        member = VenueMember(venue_id=venue_id, person_token=token)
        session.add(member)
        session.flush()
        audit.record(
            session,
            actor,
            "citycode.member_added",
            entity_type="citycode_venue",
            entity_id=venue_id,
        )
    return member


def register_device(
    session: Session, *, actor: Actor, venue_id: int, name: str, public_key_der: bytes
) -> Device:
    """A checkpoint device with the Ed25519 key it signs scan batches with."""
    actor.require_role(*MANAGERS)
    get_venue_or_raise(session, venue_id)
    try:
        key = load_der_public_key(public_key_der)
    except (ValueError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise DomainError(
            "citycode.bad_device_key",
            "设备公钥须为 Ed25519",
            "The device key must be an Ed25519 public key (DER)",
            status=422,
        )
    device = Device(venue_id=venue_id, name=name.strip(), public_key_der=public_key_der)
    session.add(device)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.device_registered",
        entity_type="citycode_device",
        entity_id=device.id,
    )
    return device


def get_device_or_raise(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.revoked_at is not None:
        raise not_found("citycode.unknown_device", "核验设备", "Device")
    return device


# Venue codes


def window_start(at: datetime, window_seconds: int) -> datetime:
    stamp = int(at.timestamp())
    return datetime.fromtimestamp(stamp - stamp % window_seconds, UTC)


def venue_code(
    session: Session, *, actor: Actor, venue_id: int, at: datetime | None = None
) -> tuple[str, datetime]:
    """The venue's code for the current window, and when it stops being accepted."""
    actor.require_role(*MANAGERS)
    get_venue_or_raise(session, venue_id)
    window = settings_of(session).venue_code_window_seconds
    start = window_start(at or utcnow(), window)
    claims = codes.venue_claims(
        venue_id=venue_id, window_start=start, window=timedelta(seconds=window)
    )
    return cose.encode(signing.active_signer(session, "venue"), claims), start + timedelta(
        seconds=window
    )


@dataclass(frozen=True)
class DoorResult:
    outcome: rules.DoorOutcome
    scan: Scan
    stage: str | None
    reason: str | None
    colour: str | None


def _record_scan(
    session: Session,
    *,
    actor: Actor,
    venue: Venue,
    token: str | None,
    outcome: rules.DoorOutcome,
    method: str,
    at: datetime,
    stage: str | None,
) -> Scan:
    scan = Scan(
        scan_id=str(uuid.uuid4()),
        venue_id=venue.id,
        person_token=token,
        outcome=outcome.value,
        method=method,
        scanned_at=at,
    )
    session.add(scan)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.door_" + outcome.value,
        entity_type="citycode_venue",
        entity_id=venue.id,
        detail={"scan_id": scan.scan_id, "method": method, "failed_stage": stage},
    )
    outbox.emit(session, DoorChecked(venue_id=venue.id, outcome=outcome.value))
    return scan


def _require_key_for_venue(actor: Actor, venue_id: int) -> None:
    """A device key scans at its own venue only (scope ``citycode:scan:<venue id>``), so a
    key from one door cannot write presence at another and mislead tracing."""
    if {"*", "citycode:scan:*", f"citycode:scan:{venue_id}"} & actor.scopes:
        return
    raise DomainError(
        "citycode.key_not_for_venue",
        "该设备密钥不属于此场所",
        "This device key is not for this venue",
        status=403,
    )


def check_at_door(
    session: Session, *, actor: Actor, venue_id: int, code: str, at: datetime | None = None
) -> DoorResult:
    """The venue's device scans a person's code: verify, apply the policy, record, audit."""
    if actor.kind is ActorKind.api_key:
        _require_key_for_venue(actor, venue_id)
    else:
        actor.require_role(*MANAGERS)
    venue = get_venue_or_raise(session, venue_id)
    now = at or utcnow()
    result = verifier.verify(code, signing.trust_store(session), at=now, expected_usage="person")
    level = status.level_for(session, venue.division_code)
    policy = rules.VenuePolicy.model_validate(venue.policy).at(level)
    token = colour = None
    tested: datetime | None = None
    registered = False
    if result.valid and result.claims is not None:
        token, colour = result.claims["token"], result.claims["status"]
        tested_stamp = result.claims.get("tested")
        tested = datetime.fromtimestamp(tested_stamp, UTC) if tested_stamp else None
        if policy.pre_registered:
            registered = (
                session.scalar(
                    select(VenueMember.id).where(
                        VenueMember.venue_id == venue.id, VenueMember.person_token == token
                    )
                )
                is not None
            )
    outcome = rules.door_outcome(
        policy,
        level=level,
        status=colour,
        last_negative_test_at=tested,
        registered=registered,
        now=now,
    )
    scan = _record_scan(
        session,
        actor=actor,
        venue=venue,
        token=token,
        outcome=outcome,
        method="device_scan",
        at=now,
        stage=result.stage,
    )
    return DoorResult(outcome, scan, result.stage, result.reason, colour)


class CheckInRefused(DomainError):
    """A venue-code check-in that proves no presence; its audit row is already written."""


def _refuse(
    session: Session, actor: Actor, venue_id: int | None, error: CheckInRefused
) -> CheckInRefused:
    """Audit a refused check-in (no scan is stored: a refused code is no presence)."""
    audit.record(
        session,
        actor,
        "citycode.check_in_refused",
        entity_type="citycode_venue",
        entity_id=venue_id if venue_id is not None else "unknown",
        detail={"refusal": error.code, "failed_stage": error.detail.get("stage")},
    )
    return error


def check_in_with_venue_code(
    session: Session,
    *,
    actor: Actor,
    code: str,
    lon: float | None = None,
    lat: float | None = None,
    at: datetime | None = None,
) -> DoorResult:
    """A resident's phone scans the venue's code; forwarded, stale or replayed codes fail.

    A refusal raises ``CheckInRefused`` after writing its audit row: the caller commits
    that row before answering (see the ``/check-ins`` view).
    """
    if actor.kind is not ActorKind.person or actor.person_id is None:
        raise DomainError(
            "citycode.residents_only", "仅限居民本人扫码", "Residents only", status=403
        )
    now = at or utcnow()
    result = verifier.verify(code, signing.trust_store(session), at=now, expected_usage="venue")
    if not result.valid or result.claims is None:
        code_ = (
            "citycode.venue_code_expired"
            if result.stage == "expiry"
            else "citycode.venue_code_invalid"
        )
        raise _refuse(
            session,
            actor,
            None,
            CheckInRefused(
                code_,
                "场所码无效或已过期，请扫描现场实时场所码",
                f"The venue code is not valid here and now ({result.stage}: {result.reason})",
                status=422,
                stage=result.stage,
            ),
        )
    venue = get_venue_or_raise(session, int(result.claims["venue_id"]))
    if (
        lon is not None
        and lat is not None
        and haversine_m(lon, lat, venue.lon, venue.lat) > NEAR_VENUE_METRES
    ):
        raise _refuse(
            session,
            actor,
            venue.id,
            CheckInRefused(
                "citycode.not_at_venue",
                "您当前位置不在该场所附近",
                "Your phone is not near this venue",
                status=422,
            ),
        )
    row = status.refresh_status(session, person_id=actor.person_id, actor=actor)
    nonce = str(result.claims["nonce"])
    used = session.scalar(
        select(VenueCodeUse.id).where(
            VenueCodeUse.nonce == nonce, VenueCodeUse.person_token == row.token
        )
    )
    if used is not None:
        raise _refuse(
            session,
            actor,
            venue.id,
            CheckInRefused(
                "citycode.venue_code_replayed",
                "该场所码已使用过，请扫描现场实时场所码",
                "This venue code was already used; scan the live code at the venue",
                status=409,
            ),
        )
    session.add(VenueCodeUse(venue_id=venue.id, nonce=nonce, person_token=row.token, used_at=now))
    level = status.level_for(session, venue.division_code)
    policy = rules.VenuePolicy.model_validate(venue.policy).at(level)
    registered = (
        not policy.pre_registered
        or session.scalar(
            select(VenueMember.id).where(
                VenueMember.venue_id == venue.id, VenueMember.person_token == row.token
            )
        )
        is not None
    )
    outcome = rules.door_outcome(
        policy,
        level=level,
        status=row.colour,
        last_negative_test_at=row.last_negative_test_at,
        registered=registered,
        now=now,
    )
    scan = _record_scan(
        session,
        actor=actor,
        venue=venue,
        token=row.token,
        outcome=outcome,
        method="venue_code",
        at=now,
        stage=None,
    )
    return DoorResult(outcome, scan, None, None, row.colour)
