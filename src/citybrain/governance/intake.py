"""Intake (受理): every channel lands in the same normalisation.

hotline form, resident app, grid worker, sensor alarm or Open311 POST → a ``Report``
→ coordinates to WGS-84, point to grid cell/street/district (or address text to
district/street via the gazetteer) → category given or suggested by the classifier
→ a stored case with its reporter → de-duplication (confident repeats merged into
the parent, others offered) → when the category is trusted, 立案 and 派遣 at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import audit, geo, ids, outbox
from citybrain.core.crypto import cipher_of
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError
from citybrain.core.logging import mask_text
from citybrain.core.security import SYSTEM, Actor, ActorKind, Role
from citybrain.governance import classify, dedupe, gazetteer, lifecycle, rules
from citybrain.governance.events import CaseAccepted
from citybrain.governance.models import Case, CasePhoto, CaseReporter, CaseTransition
from citybrain.regions import service as regions_service

CHANNELS: Final = ("hotline", "app", "grid", "sensor", "open311")
MAX_DESCRIPTION: Final = 4000
MAX_PHOTO_BYTES: Final = 2 * 1024 * 1024
_IMAGE_MAGIC: Final = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
PHONE_CONTEXT: Final = "governance.reporter.phone"
EMAIL_CONTEXT: Final = "governance.reporter.email"


@dataclass(frozen=True)
class Reporter:
    """Who reported: an account, or contact details typed in (all optional)."""

    account_id: int | None = None
    person_id: int | None = None
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Report:
    """A report from any channel, before normalisation."""

    channel: str
    description: str
    category_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = ""
    media_url: str = ""
    external_id: str | None = None
    reporter: Reporter = field(default_factory=Reporter)
    photo: bytes | None = None


@dataclass
class IntakeResult:
    case: Case
    merged_into: Case | None
    offered: list[dedupe.Candidate]
    suggestion: classify.Suggestion | None


def photo_type(data: bytes) -> str:
    """The image type by its magic bytes, or a 422 for anything else or too large."""
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(
            "governance.photo_too_large",
            "照片不能超过 2 MB",
            "The photo must not exceed 2 MB",
            status=413,
        )
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for magic, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return content_type
    raise DomainError(
        "governance.photo_not_image",
        "照片须为 JPEG、PNG 或 WebP 图片",
        "The photo must be a JPEG, PNG or WebP image",
        status=422,
    )


def _check(report: Report) -> None:
    if report.channel not in CHANNELS:
        raise DomainError(
            "governance.unknown_channel", "未知的受理渠道", "Unknown channel", status=422
        )
    text = report.description.strip()
    if not text:
        raise DomainError(
            "governance.description_required", "请描述问题", "A description is required", status=422
        )
    if len(report.description) > MAX_DESCRIPTION:
        raise DomainError(
            "governance.description_too_long",
            "问题描述不能超过 4000 字",
            "The description must not exceed 4,000 characters",
            status=422,
        )
    if (report.lon is None) != (report.lat is None):
        raise DomainError(
            "governance.point_incomplete",
            "经度和纬度须同时提供",
            "Longitude and latitude go together",
            status=422,
        )
    if report.category_code is not None:
        rules.category_or_raise(report.category_code)
    geo.normalise_crs(report.crs)
    if report.photo is not None:
        photo_type(report.photo)


def _locate(session: Session, case: Case, report: Report) -> None:
    if report.lon is not None and report.lat is not None:
        where = regions_service.locate(session, lon=report.lon, lat=report.lat, crs=report.crs)
        case.lon, case.lat = round(where.lon, 7), round(where.lat, 7)
        case.geo_bucket = rules.bucket_of(case.lon, case.lat)
        case.grid_cell_code = where.grid_cell_code
        case.street_code = where.street_code
        case.division_code = where.division_code
        case.location_source = "point"
        return
    match = gazetteer.parse_address(f"{report.address} {report.description}")
    if match.division_code:
        case.division_code = match.division_code
        case.street_code = match.street_code
        case.location_source = "address"
        street = regions_service.get_street(session, code=match.street_code or "")
        if street is not None:
            # The county a point in this street gets, even when the text named the zone
            # (郑东新区) that runs it: indicators and maps count cases by county.
            case.division_code = street.division_code


def _categorise(case: Case, report: Report) -> classify.Suggestion | None:
    if report.category_code is not None:
        case.category_code = report.category_code
        case.category_confidence = 1.0
        return None
    suggestion = classify.suggest_one(report.description)
    case.suggested_category_code = suggestion.category_code
    case.category_confidence = suggestion.confidence
    if classify.is_confident(suggestion):
        case.category_code = suggestion.category_code
    else:
        case.needs_triage = True
    return suggestion


def _add_reporter(session: Session, case: Case, report: Report) -> CaseReporter:
    who = report.reporter
    reporter = CaseReporter(
        case_id=case.id,
        original_case_id=case.id,
        channel=report.channel,
        account_id=who.account_id,
        person_id=who.person_id,
        name_masked=ids.mask_name(who.name.strip()) if who.name.strip() else "",
    )
    cipher = cipher_of(session)
    if who.phone:
        phone = ids.validate_phone(who.phone)
        reporter.phone_ciphertext = cipher.encrypt(phone, context=PHONE_CONTEXT)
        reporter.phone_index = cipher.blind_index(phone, context=PHONE_CONTEXT)
        reporter.phone_masked = ids.mask_phone(phone)
    if who.email:
        email = who.email.strip().lower()
        local, _, domain = email.partition("@")
        reporter.email_ciphertext = cipher.encrypt(email, context=EMAIL_CONTEXT)
        reporter.email_masked = f"{local[:1]}***@{domain}"[:80]
    session.add(reporter)
    return reporter


def _existing_alarm(session: Session, external_id: str) -> Case | None:
    return session.scalar(select(Case).where(Case.external_id == external_id))


def intake(
    session: Session,
    *,
    report: Report,
    actor: Actor,
    now: datetime | None = None,
    auto_merge: bool = True,
    auto_dispatch: bool = True,
) -> IntakeResult:
    """Take in one report from any channel and carry it as far as the rules allow."""
    _check(report)
    now = now or utcnow()
    if report.external_id:
        existing = _existing_alarm(session, report.external_id)
        if existing is not None:  # a sensor repeating its alarm: idempotent
            return IntakeResult(existing, None, [], None)
    case = Case(
        token=uuid.uuid4().hex,
        channel=report.channel,
        external_id=report.external_id,
        status=rules.CaseStatus.accepted.value,
        description=mask_text(report.description.strip()),
        address=mask_text(report.address.strip())[:200],
        media_url=report.media_url[:500],
        accepted_at=now,
        updated_at=now,
    )
    _locate(session, case, report)
    suggestion = _categorise(case, report)
    if case.category_code:
        category = rules.categories()[case.category_code]
        case.time_limit, case.time_unit = category.time_limit, category.time_unit.value
    session.add(case)
    session.flush()
    _add_reporter(session, case, report)
    if report.photo is not None:
        session.add(
            CasePhoto(
                case_id=case.id,
                purpose="report",
                content_type=photo_type(report.photo),
                size_bytes=len(report.photo),
                data=report.photo,
            )
        )
    session.add(
        CaseTransition(
            case_id=case.id,
            action="accept",
            from_status=None,
            to_status=case.status,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor_name=actor.name,
            occurred_at=now,
        )
    )
    audit.record(
        session,
        actor,
        "governance.case_accepted",
        entity_type="governance_case",
        entity_id=case.id,
        detail={
            "channel": case.channel,
            "category": case.category_code,
            "triage": case.needs_triage,
        },
    )
    outbox.emit(
        session,
        CaseAccepted(
            case_id=case.id,
            channel=case.channel,
            category_code=case.category_code,
            division_code=case.division_code,
            grid_cell_code=case.grid_cell_code,
        ),
    )
    session.flush()
    offered: list[dedupe.Candidate] = []
    if case.category_code and case.lon is not None and case.lat is not None:
        offered = dedupe.find_duplicates(session, case=case, now=now)
        confident = next((c for c in offered if c.confident), None)
        if auto_merge and confident is not None:
            parent = lifecycle.merge(
                session, case_id=case.id, parent_id=confident.case_id, actor=SYSTEM, automatic=True
            )
            return IntakeResult(case, parent, offered, suggestion)
    if auto_dispatch and case.category_code and not case.needs_triage:
        lifecycle.apply(
            session, case_id=case.id, action=rules.Action.register, actor=SYSTEM, now=now
        )
        try:
            lifecycle.apply(
                session, case_id=case.id, action=rules.Action.dispatch, actor=SYSTEM, now=now
            )
        except DomainError as error:
            if error.code != "governance.no_department":
                raise
            # No department for this category in this city: stays 立案 for manual dispatch.
    return IntakeResult(case, None, offered, suggestion)


SENSOR_SCOPE: Final = "governance:report"


def channel_for(actor: Actor, requested: str) -> str:
    """The channel a caller may report through: residents use the app, an agent the
    hotline, a grid worker patrol reports, an API key with the report scope sensors."""
    if actor.kind in (ActorKind.person, ActorKind.enterprise):
        return "app"
    if actor.kind is ActorKind.api_key:
        actor.require_scope(SENSOR_SCOPE)
        return "sensor"
    if actor.kind is ActorKind.staff:
        if actor.role is Role.grid_worker:
            return "grid"
        if actor.role in (Role.call_centre_agent, Role.command_centre_operator):
            return "hotline"
        if actor.is_admin:
            return requested
    raise DomainError(
        "governance.cannot_report",
        "您的角色不能登记案件",
        "Your role cannot file reports",
        status=403,
    )
