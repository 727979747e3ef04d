"""The city code API, including the seven operations of GB/T 38963-2020.

GB/T 38963 chapter 6 → route: 用户健康信息申报 POST /declarations/health; 用户行程申报
POST /declarations/trip; 用户健康信息查询 GET /me/status; 健康码调用申请 POST
/use-applications; 健康码制码请求 POST /codes; 健康码验码请求 POST /codes/verify;
用户健康信息纠错 POST /corrections. Field names are ours: the standard's field-level
layout is not public, so no field compatibility is claimed.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, time

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from citybrain.citycode import codes, doors, rules, scans, signing, status, venues, verifier
from citybrain.citycode import schemas as s
from citybrain.citycode.models import TrustList
from citybrain.citycode.settings import settings_of
from citybrain.core.db import DbSession, transaction, utcnow
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity.dependencies import CurrentActor, StaffActor

router = APIRouter(prefix="/api/v1/citycode", tags=["citycode"])


def _resident(actor: Actor) -> int:
    if actor.kind is not ActorKind.person or actor.person_id is None:
        raise DomainError("citycode.residents_only", "仅限居民本人", "Residents only", status=403)
    return actor.person_id


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(
            "citycode.bad_base64",
            f"{what}不是有效的Base64",
            f"{what} is not valid base64",
            status=422,
        ) from None


# GB/T 38963 operations


@router.post("/declarations/health", response_model=s.StatusOut)
def declare_health(body: s.HealthDeclarationIn, session: DbSession, actor: CurrentActor) -> object:
    """用户健康信息申报: symptoms and temperature; the rules re-run at once."""
    person_id = _resident(actor)
    symptoms: set[str] = {x for x in body.symptoms if x != "none"}
    if body.temperature_c is not None and body.temperature_c >= 37.3:
        symptoms.add("fever")
    with transaction(session):
        for symptom in sorted(symptoms) or ["none"]:
            status.add_record(
                session,
                actor=actor,
                person_id=person_id,
                kind="declaration",
                value=symptom,
                observed_at=utcnow(),
                source="本人申报",
            )
        return status.status_row(session, person_id)


@router.post("/declarations/trip", response_model=s.StatusOut)
def declare_trip(body: s.TripDeclarationIn, session: DbSession, actor: CurrentActor) -> object:
    """用户行程申报: a stay in a division on a day."""
    person_id = _resident(actor)
    visited = datetime.combine(body.visited_on, time(12, 0), tzinfo=UTC)
    with transaction(session):
        status.add_record(
            session,
            actor=actor,
            person_id=person_id,
            kind="trip",
            value=body.division_code,
            observed_at=min(visited, utcnow()),
            source="行程申报",
        )
        return status.status_row(session, person_id)


@router.get("/me/status", response_model=s.MyStatusOut)
def my_status(session: DbSession, actor: CurrentActor) -> object:
    """用户健康信息查询: my colour, why, and every change."""
    person_id = _resident(actor)
    with transaction(session):
        row = status.refresh_status(session, person_id=person_id, actor=actor)
        return {"status": row, "history": status.history(session, person_id=person_id)}


@router.post("/use-applications", response_model=s.UseApplicationOut, status_code=201)
def apply_for_use(body: s.UseApplicationIn, session: DbSession, actor: StaffActor) -> object:
    """健康码调用申请: an organisation asks to use the code for one purpose."""
    with transaction(session):
        return doors.apply_for_use(
            session, actor=actor, organisation=body.organisation, purpose=body.purpose
        )


@router.post("/use-applications/{application_id}/decision", response_model=s.UseApplicationOut)
def decide_use(
    application_id: IdPath, body: s.DecisionIn, session: DbSession, actor: StaffActor
) -> object:
    with transaction(session):
        row, key = doors.decide_use(
            session, actor=actor, application_id=application_id, approve=body.approve
        )
        return {**s.UseApplicationOut.model_validate(row).model_dump(), "api_key": key}


@router.post("/codes", response_model=s.CodeOut)
def make_code(body: s.CodeIn, session: DbSession, actor: CurrentActor) -> object:
    """健康码制码请求: a fresh signed code and its QR picture."""
    with transaction(session):
        code, row, expires = status.issue_code(session, actor=actor, person_id=body.person_id)
    return {
        "code": code,
        "qr_svg": codes.qr_svg(code),
        "status": row.colour,
        "reason": row.reason,
        "reason_en": row.reason_en,
        "rule_version": row.rule_version,
        "expires_at": expires,
        "refresh_seconds": settings_of(session).refresh_seconds,
    }


@router.post("/codes/verify", response_model=s.VerifyOut)
def verify_code(body: s.VerifyIn, session: DbSession, actor: CurrentActor) -> object:
    """健康码验码请求: the same stage-by-stage verifier a checkpoint runs offline."""
    return verifier.verify(body.code, signing.trust_store(session), at=body.at).as_dict()


@router.post("/codes/resolve", response_model=s.ResolveOut)
def resolve_code(body: s.ResolveIn, session: DbSession, actor: CurrentActor) -> object:
    """A hospital or gate resolves a code to what its purpose allows (audited)."""
    with transaction(session):
        return doors.resolve(session, actor=actor, code=body.code)


@router.post("/corrections", response_model=s.CorrectionOut, status_code=201)
def file_correction(body: s.CorrectionIn, session: DbSession, actor: CurrentActor) -> object:
    """用户健康信息纠错: dispute my colour; the owner must answer by the deadline."""
    with transaction(session):
        return status.file_correction(session, actor=actor, reason=body.reason)


@router.get("/corrections", response_model=list[s.CorrectionOut])
def list_corrections(
    session: DbSession, actor: CurrentActor, open_only: bool = Query(False)
) -> object:
    if actor.kind is ActorKind.person:
        return status.list_corrections(session, person_id=actor.person_id)
    actor.require_role(Role.health_authority)
    return status.list_corrections(session, open_only=open_only)


@router.post("/corrections/{correction_id}/resolution", response_model=s.CorrectionOut)
def resolve_correction(
    correction_id: IdPath, body: s.CorrectionResolutionIn, session: DbSession, actor: StaffActor
) -> object:
    with transaction(session):
        return status.resolve_correction(
            session,
            actor=actor,
            correction_id=correction_id,
            accepted=body.accepted,
            resolution=body.resolution,
        )


# Keys and trust list


@router.post("/keys", response_model=s.KeyOut, status_code=201)
def create_key(body: s.KeyIn, session: DbSession, actor: StaffActor) -> object:
    with transaction(session):
        return signing.create_key(session, actor=actor, usage=body.usage, profile=body.profile)


@router.post("/keys/{key_id}/revocation", response_model=s.KeyOut)
def revoke_key(
    key_id: IdPath, body: s.KeyRevokeIn, session: DbSession, actor: StaffActor
) -> object:
    with transaction(session):
        return signing.revoke_key(session, actor=actor, key_id=key_id, reason=body.reason)


@router.get("/keys", response_model=list[s.KeyOut])
def list_keys(session: DbSession, actor: StaffActor) -> object:
    return signing.list_keys(session)


def _trust_list_out(session: DbSession, row: TrustList) -> dict[str, object]:
    return {
        "version": row.version,
        "issued_at": row.issued_at,
        "expires_at": row.expires_at,
        "key_count": row.key_count,
        "document": base64.b64encode(row.document).decode(),
        "anchor": base64.b64encode(signing.trust_anchor(session)).decode(),
    }


@router.post("/trust-list", response_model=s.TrustListOut, status_code=201)
def publish_trust_list(session: DbSession, actor: StaffActor) -> object:
    with transaction(session):
        row = signing.publish_trust_list(session, actor=actor)
        return _trust_list_out(session, row)


@router.get("/trust-list", response_model=s.TrustListOut)
def get_trust_list(session: DbSession) -> object:
    """The latest signed trust list, for checkpoints to cache (public: it holds public keys)."""
    return _trust_list_out(session, signing.latest_trust_list(session))


# Emergency levels, rules, records, four eyes


@router.put("/emergency-levels/{division_code}", response_model=s.EmergencyLevelOut)
def set_level(
    body: s.EmergencyLevelIn,
    session: DbSession,
    actor: StaffActor,
    division_code: str = Path(pattern=r"^[0-9]{6}$"),
) -> object:
    with transaction(session):
        return status.set_emergency_level(
            session,
            actor=actor,
            division_code=division_code,
            level=body.level,
            legal_basis=body.legal_basis,
        )


@router.get("/emergency-levels", response_model=list[s.EmergencyLevelOut])
def list_levels(session: DbSession, actor: CurrentActor) -> object:
    return status.list_emergency_levels(session)


@router.post("/rule-sets", response_model=s.RuleSetOut, status_code=201)
def publish_rules(body: s.RuleSetIn, session: DbSession, actor: StaffActor) -> object:
    with transaction(session):
        return status.publish_rule_set(session, actor=actor, body=body.model_dump())


@router.get("/rule-sets/active", response_model=s.RuleSetOut)
def active_rules(session: DbSession) -> object:
    """The rules in force: published, so anyone can see why a colour is given."""
    row = status.active_rule_set(session)
    if row is None:
        raise DomainError("citycode.no_rules", "尚未发布规则", "No rules published", status=404)
    return row


@router.post("/records", response_model=s.StatusOut, status_code=201)
def add_record(body: s.RecordIn, session: DbSession, actor: StaffActor) -> object:
    """A test result, vaccination or contact flag from a data source."""
    actor.require_role(Role.health_authority)
    with transaction(session):
        status.add_record(
            session,
            actor=actor,
            person_id=body.person_id,
            kind=body.kind,
            value=body.value,
            observed_at=body.observed_at,
            source=body.source,
        )
        return status.status_row(session, body.person_id)


@router.post("/manual-changes", response_model=s.ManualChangeOut, status_code=201)
def propose_change(body: s.ManualChangeIn, session: DbSession, actor: StaffActor) -> object:
    with transaction(session):
        return status.propose_manual_change(
            session,
            actor=actor,
            person_id=body.person_id,
            colour=body.colour,
            reason=body.reason,
            legal_basis=body.legal_basis,
            valid_days=body.valid_days,
        )


@router.post("/manual-changes/{change_id}/decision", response_model=s.ManualChangeOut)
def decide_change(
    change_id: IdPath, body: s.DecisionIn, session: DbSession, actor: StaffActor
) -> object:
    with transaction(session):
        return status.decide_manual_change(
            session, actor=actor, change_id=change_id, approve=body.approve
        )


# Venues, doors, scans


@router.post("/venues", response_model=s.VenueOut, status_code=201)
def create_venue(body: s.VenueIn, session: DbSession, actor: StaffActor) -> object:
    policy = rules.VenuePolicy(levels=dict(body.policy)) if body.policy else None
    with transaction(session):
        return venues.create_venue(
            session,
            actor=actor,
            kind=body.kind,
            name=body.name,
            operator_name=body.operator_name,
            address=body.address,
            lon=body.lon,
            lat=body.lat,
            policy=policy,
            dwell_minutes=body.dwell_minutes,
            min_overlap_minutes=body.min_overlap_minutes,
        )


@router.get("/venues", response_model=list[s.VenueOut])
def list_venues(
    session: DbSession,
    actor: StaffActor,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> object:
    return venues.list_venues(session, limit=limit, offset=offset)


@router.get("/venues/{venue_id}", response_model=s.VenueOut)
def get_venue(venue_id: IdPath, session: DbSession, actor: StaffActor) -> object:
    return venues.get_venue_or_raise(session, venue_id)


@router.post("/venues/{venue_id}/members", status_code=204, response_class=Response)
def add_member(
    venue_id: IdPath, body: s.MemberIn, session: DbSession, actor: StaffActor
) -> Response:
    with transaction(session):
        venues.add_member(session, actor=actor, venue_id=venue_id, person_id=body.person_id)
    return Response(status_code=204)


@router.post("/venues/{venue_id}/devices", response_model=s.DeviceOut, status_code=201)
def register_device(
    venue_id: IdPath, body: s.DeviceIn, session: DbSession, actor: StaffActor
) -> object:
    der = _b64(body.public_key, "设备公钥")
    with transaction(session):
        return venues.register_device(
            session, actor=actor, venue_id=venue_id, name=body.name, public_key_der=der
        )


@router.get("/venues/{venue_id}/code", response_model=s.VenueCodeOut)
def venue_code(venue_id: IdPath, session: DbSession, actor: StaffActor) -> object:
    """The venue's code for this window (rotates at most every 5 minutes)."""
    code, valid_until = venues.venue_code(session, actor=actor, venue_id=venue_id)
    return {"code": code, "qr_svg": codes.qr_svg(code), "valid_until": valid_until}


def _door_out(result: venues.DoorResult) -> dict[str, object]:
    label, label_en = rules.OUTCOME_LABELS[result.outcome]
    return {
        "outcome": result.outcome.value,
        "label": label,
        "label_en": label_en,
        "scan_id": result.scan.scan_id,
        "venue_id": result.scan.venue_id,
        "failed_stage": result.stage,
        "reason": result.reason,
    }


@router.post("/venues/{venue_id}/door-checks", response_model=s.DoorCheckOut)
def door_check(
    venue_id: IdPath, body: s.DoorCheckIn, session: DbSession, actor: CurrentActor
) -> object:
    """The venue's device scans a person's code; the outcome is stored and audited."""
    with transaction(session):
        return _door_out(
            venues.check_at_door(session, actor=actor, venue_id=venue_id, code=body.code)
        )


@router.post("/check-ins", response_model=s.DoorCheckOut)
def check_in(body: s.CheckInIn, session: DbSession, actor: CurrentActor) -> object:
    """A resident scans the venue's live code (forwarded or replayed codes are refused)."""
    refusal: venues.CheckInRefused | None = None
    with transaction(session):
        try:
            result = venues.check_in_with_venue_code(
                session, actor=actor, code=body.code, lon=body.lon, lat=body.lat
            )
        except venues.CheckInRefused as refused:
            refusal = refused  # commit its audit row, then answer with the refusal
    if refusal is not None:
        raise refusal
    return _door_out(result)


@router.post("/scan-batches", response_model=s.ScanBatchAck)
def upload_scans(body: s.ScanBatchIn, session: DbSession, actor: CurrentActor) -> object:
    """A device's signed batch; acknowledged only after it is committed."""
    items = [scans.ScanIn(i.scan_id, i.person_token, i.outcome, i.scanned_at) for i in body.scans]
    signature = _b64(body.signature, "签名")
    with transaction(session):
        ack = scans.ingest_batch(
            session,
            actor=actor,
            device_id=body.device_id,
            batch_id=body.batch_id,
            scans=items,
            signature=signature,
        )
    return ack.__dict__


@router.get("/scans", response_model=list[s.ScanOut])
def recent_scans(
    session: DbSession,
    actor: StaffActor,
    venue_id: int | None = Query(None, ge=1, le=2_147_483_647),
    limit: int = Query(50, ge=1, le=500),
) -> object:
    return scans.recent_scans(session, actor=actor, venue_id=venue_id, limit=limit)


# Tracing and retention


@router.post("/traces", response_model=s.TraceOut, status_code=201)
def trace(body: s.TraceIn, session: DbSession, actor: StaffActor) -> object:
    """Contacts of a case's index person within 14 days (optionally the second hop)."""
    with transaction(session):
        query = scans.trace(
            session,
            actor=actor,
            case_id=body.case_id,
            person_id=body.person_id,
            second_hop=body.second_hop,
            days=body.days,
        )
        return {**_trace_head(query), "contacts": scans.trace_rows(session, query)}


def _trace_head(query: object) -> dict[str, object]:
    return {k: getattr(query, k) for k in ("id", "case_id", "asked_by", "asked_at", "second_hop")}


@router.get("/traces/{trace_id}", response_model=s.TraceOut)
def get_trace(trace_id: IdPath, session: DbSession, actor: StaffActor) -> object:
    query = scans.get_trace_or_raise(session, actor=actor, trace_id=trace_id)
    return {**_trace_head(query), "contacts": scans.trace_rows(session, query)}


@router.get("/traces/{trace_id}/csv", response_class=Response)
def trace_csv(trace_id: IdPath, session: DbSession, actor: StaffActor) -> Response:
    with transaction(session):
        body = scans.trace_csv(session, actor=actor, trace_id=trace_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="trace-{trace_id}.csv"'},
    )


@router.post("/traces/{trace_id}/close-contacts", response_model=s.CountOut)
def flag_contacts(trace_id: IdPath, session: DbSession, actor: StaffActor) -> object:
    with transaction(session):
        return {"count": scans.flag_close_contacts(session, actor=actor, trace_id=trace_id)}


@router.post("/retention/purge", response_model=s.CountOut)
def purge(body: s.PurgeIn, session: DbSession, actor: StaffActor) -> object:
    actor.require_role(Role.health_authority)
    with transaction(session):
        return {
            "count": scans.purge_scans(session, actor=actor, retention_days=body.retention_days)
        }
