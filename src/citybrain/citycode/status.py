"""Emergency levels, status rules, a person's colour, four-eyes changes and 纠错.

In normal times (level 0) every code says ``none``: an identity and service code. When
the health authority raises a level for a division, the active rule set turns a
person's records into a colour; every change stores rule, source, legal basis, actor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode import codes, cose, rules
from citybrain.citycode.events import CorrectionFiled, EmergencyLevelSet, StatusChanged
from citybrain.citycode.models import (
    Correction,
    EmergencyLevel,
    HealthRecord,
    ManualChange,
    PersonStatus,
    RuleSet,
    StatusChange,
)
from citybrain.citycode.settings import settings_of
from citybrain.citycode.signing import active_signer, person_token
from citybrain.core import audit, outbox, workdays
from citybrain.core.crypto import cipher_of
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity import service as identity_service
from citybrain.regions import service as regions_service

CITY_CODE = "410100"
RECORD_CONTEXT = "citycode.health_record"
CORRECTION_CONTEXT = "citycode.correction"
HEALTH_DEPARTMENT = "郑州市卫生健康委员会"
RECORD_KINDS = ("test", "vaccination", "trip", "declaration", "close_contact")


# Emergency levels


def set_emergency_level(
    session: Session, *, actor: Actor, division_code: str, level: int, legal_basis: str
) -> EmergencyLevel:
    """Raise or lower the response level of a division (0 = normal times)."""
    actor.require_role(Role.health_authority)
    regions_service.get_division_or_raise(session, code=division_code)
    if not 0 <= level <= 4:
        raise DomainError(
            "citycode.bad_level", "应急响应级别应为0至4", "Level must be 0-4", status=422
        )
    row = session.get(EmergencyLevel, division_code)
    previous = row.level if row else 0
    if row is None:
        row = EmergencyLevel(
            division_code=division_code, level=level, legal_basis=legal_basis, set_by=actor.name
        )
        session.add(row)
    row.level, row.legal_basis, row.set_by, row.set_at = level, legal_basis, actor.name, utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.emergency_level_set",
        entity_type="division",
        entity_id=division_code,
        reason=legal_basis,
        detail={"from": previous, "to": level},
    )
    outbox.emit(session, EmergencyLevelSet(division_code=division_code, level=level))
    return row


def list_emergency_levels(session: Session) -> list[EmergencyLevel]:
    return list(session.scalars(select(EmergencyLevel).order_by(EmergencyLevel.division_code)))


def level_for(session: Session, division_code: str | None) -> int:
    """The level in force where a person lives or a venue stands (the higher of district, city)."""
    codes_ = {CITY_CODE} | ({division_code} if division_code else set())
    level = session.scalar(
        select(func.max(EmergencyLevel.level)).where(EmergencyLevel.division_code.in_(codes_))
    )
    return int(level or 0)


# Rule sets


def publish_rule_set(session: Session, *, actor: Actor, body: dict[str, object]) -> RuleSet:
    """Validate and activate a new version of the status rules."""
    actor.require_role(Role.health_authority)
    parsed = rules.RuleSetBody.model_validate(body)
    version = (session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    for old in session.scalars(select(RuleSet).where(RuleSet.is_active.is_(True))):
        old.is_active = False
    row = RuleSet(
        version=version, body=parsed.model_dump(), published_by=actor.name, is_active=True
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.rule_set_published",
        entity_type="citycode_rule_set",
        entity_id=row.id,
        detail={"version": version, "rules": [r.id for r in parsed.rules]},
    )
    return row


def active_rule_set(session: Session) -> RuleSet | None:
    return session.scalar(select(RuleSet).where(RuleSet.is_active.is_(True)))


# Records


def add_record(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    kind: str,
    value: str,
    observed_at: datetime,
    source: str,
) -> HealthRecord:
    """Store one datum (encrypted) and re-evaluate the person's colour."""
    if kind not in RECORD_KINDS:
        raise DomainError(
            "citycode.bad_record_kind", "数据类型无效", f"Unknown kind {kind}", status=422
        )
    if observed_at > utcnow() + timedelta(minutes=5):
        raise DomainError(
            "citycode.future_record", "时间不能晚于当前", "The time lies in the future", status=422
        )
    identity_service.get_person_or_raise(session, person_id)
    row = HealthRecord(
        person_id=person_id,
        kind=kind,
        value_ciphertext=cipher_of(session).encrypt(value, context=RECORD_CONTEXT),
        source=source,
        observed_at=observed_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.record_added",
        entity_type="person",
        entity_id=person_id,
        detail={"kind": kind, "source": source},
    )
    refresh_status(session, person_id=person_id, actor=actor)
    return row


def _records(session: Session, person_id: int) -> list[rules.Record]:
    cipher = cipher_of(session)
    return [
        rules.Record(
            kind=row.kind,
            value=cipher.decrypt(row.value_ciphertext, context=RECORD_CONTEXT),
            observed_at=row.observed_at,
            source=row.source,
        )
        for row in session.scalars(select(HealthRecord).where(HealthRecord.person_id == person_id))
    ]


# Status


def status_row(session: Session, person_id: int) -> PersonStatus:
    row = session.get(PersonStatus, person_id)
    if row is None:
        row = PersonStatus(person_id=person_id, token=person_token(session, person_id))
        session.add(row)
        session.flush()
    return row


def person_for_token(session: Session, token: str) -> PersonStatus | None:
    return session.scalar(select(PersonStatus).where(PersonStatus.token == token))


def people_for_tokens(session: Session, tokens: list[str]) -> dict[str, int]:
    """token → person id for the tokens that belong to a known person (in chunks)."""
    found: dict[str, int] = {}
    for start in range(0, len(tokens), 500):
        chunk = tokens[start : start + 500]
        query = select(PersonStatus.token, PersonStatus.person_id).where(
            PersonStatus.token.in_(chunk)
        )
        for token, person_id in session.execute(query):
            found[token] = person_id
    return found


def refresh_status(session: Session, *, person_id: int, actor: Actor) -> PersonStatus:
    """Apply the rules (or a standing four-eyes change) and record any change."""
    person = identity_service.get_person_or_raise(session, person_id)
    row = status_row(session, person_id)
    now = utcnow()
    records = _records(session, person_id)
    negatives = [r.observed_at for r in records if r.kind == "test" and r.value == "negative"]
    row.last_negative_test_at = max(negatives) if negatives else None
    manual = session.get(ManualChange, row.manual_change_id) if row.manual_change_id else None
    if manual is not None and manual.valid_until > now:
        return row
    rule_set = active_rule_set(session)
    if level_for(session, person.division_code) == 0 or rule_set is None:
        verdict = rules.Verdict(
            "none", "normal_times", "常态：身份与服务码", "Normal times", "", ""
        )
        version = rule_set.version if rule_set else 0
    else:
        verdict = rules.evaluate(rules.RuleSetBody.model_validate(rule_set.body), records, now=now)
        version = rule_set.version
    _apply(session, row, verdict, version=version, actor=actor, manual_change_id=None)
    return row


def _apply(
    session: Session,
    row: PersonStatus,
    verdict: rules.Verdict,
    *,
    version: int,
    actor: Actor,
    manual_change_id: int | None,
) -> None:
    changed = row.colour != verdict.colour
    previous = row.colour
    row.colour, row.rule_version, row.rule_id = verdict.colour, version, verdict.rule_id
    row.reason, row.reason_en, row.source = verdict.reason, verdict.reason_en, verdict.source
    row.legal_basis, row.manual_change_id = verdict.legal_basis, manual_change_id
    if not changed:
        return
    row.changed_by, row.changed_at = actor.name, utcnow()
    session.add(
        StatusChange(
            person_id=row.person_id,
            from_colour=previous,
            to_colour=verdict.colour,
            rule_version=version,
            rule_id=verdict.rule_id,
            source=verdict.source,
            legal_basis=verdict.legal_basis,
            actor=actor.name,
            manual_change_id=manual_change_id,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.status_changed",
        entity_type="person",
        entity_id=row.person_id,
        reason=verdict.legal_basis,
        detail={
            "from": previous,
            "to": verdict.colour,
            "rule": verdict.rule_id,
            "rule_version": version,
            "source": verdict.source,
            "manual_change_id": manual_change_id,
        },
    )
    outbox.emit(
        session,
        StatusChanged(
            person_id=row.person_id,
            from_colour=previous,
            to_colour=verdict.colour,
            rule_id=verdict.rule_id,
            manual=manual_change_id is not None,
        ),
    )


def history(session: Session, *, person_id: int) -> list[StatusChange]:
    return list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.person_id == person_id)
            .order_by(StatusChange.id)
        )
    )


def issue_code(
    session: Session, *, actor: Actor, person_id: int | None = None
) -> tuple[str, PersonStatus, datetime]:
    """制码: a fresh signed personal code (the resident's own, or for a person by staff)."""
    if actor.kind is ActorKind.person:
        if person_id is not None and person_id != actor.person_id:
            raise DomainError(
                "citycode.not_your_code", "只能获取本人的码", "Only your own code", status=403
            )
        person_id = actor.person_id
    else:
        actor.require_role(Role.health_authority)
    if person_id is None:
        raise DomainError(
            "citycode.person_required", "缺少人员", "A person is required", status=422
        )
    row = refresh_status(session, person_id=person_id, actor=actor)
    now = utcnow().replace(microsecond=0)
    ttl = timedelta(seconds=settings_of(session).code_ttl_seconds)
    claims = codes.person_claims(
        token=bytes.fromhex(row.token),
        status=row.colour,
        rule_version=row.rule_version,
        issued_at=now,
        ttl=ttl,
    )
    if row.last_negative_test_at is not None:
        body = claims[cose.CLAIM_CITYCODE]
        assert isinstance(body, dict)
        body["x"] = int(row.last_negative_test_at.timestamp())
    return cose.encode(active_signer(session, "person"), claims), row, now + ttl


# Four eyes


def propose_manual_change(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    colour: str,
    reason: str,
    legal_basis: str,
    valid_days: int = 14,
) -> ManualChange:
    """One official proposes a colour by hand; nothing changes until another approves."""
    actor.require_role(Role.health_authority)
    identity_service.get_person_or_raise(session, person_id)
    if colour not in ("green", "yellow", "red"):
        raise DomainError(
            "citycode.bad_colour", "颜色无效", "Colour must be green, yellow or red", status=422
        )
    row = ManualChange(
        person_id=person_id,
        colour=colour,
        reason=reason,
        legal_basis=legal_basis,
        proposed_by=actor.id,
        valid_until=utcnow() + timedelta(days=valid_days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.manual_change_proposed",
        entity_type="citycode_manual_change",
        entity_id=row.id,
        reason=legal_basis,
        detail={"person_id": person_id, "colour": colour},
    )
    return row


def decide_manual_change(
    session: Session, *, actor: Actor, change_id: int, approve: bool
) -> ManualChange:
    """A second official approves (applied at once) or rejects; the proposer may not."""
    actor.require_role(Role.health_authority)
    change = session.get(ManualChange, change_id)
    if change is None:
        raise not_found("citycode.unknown_manual_change", "人工变更申请", "Manual change")
    if change.status != "pending":
        raise DomainError(
            "citycode.manual_change_decided",
            "该申请已处理",
            "This change was already decided",
            status=409,
        )
    if change.proposed_by == actor.id:
        raise DomainError(
            "citycode.four_eyes",
            "人工变更须由另一名工作人员审核",
            "A manual change needs a second official to approve it",
            status=403,
        )
    change.status = "applied" if approve else "rejected"
    change.decided_by, change.decided_at = actor.id, utcnow()
    audit.record(
        session,
        actor,
        "citycode.manual_change_" + change.status,
        entity_type="citycode_manual_change",
        entity_id=change.id,
        detail={"person_id": change.person_id, "proposed_by": change.proposed_by},
    )
    if approve:
        row = status_row(session, change.person_id)
        rule_set = active_rule_set(session)
        verdict = rules.Verdict(
            change.colour,
            "manual",
            change.reason,
            "Manual change (four eyes)",
            "manual",
            change.legal_basis,
        )
        _apply(
            session,
            row,
            verdict,
            version=rule_set.version if rule_set else 0,
            actor=actor,
            manual_change_id=change.id,
        )
    return change


def pending_manual_changes(session: Session) -> list[ManualChange]:
    return list(
        session.scalars(
            select(ManualChange).where(ManualChange.status == "pending").order_by(ManualChange.id)
        )
    )


# Corrections (纠错)


def file_correction(session: Session, *, actor: Actor, reason: str) -> Correction:
    """A resident disputes their colour; the health commission owns it, with a deadline."""
    if actor.kind is not ActorKind.person or actor.person_id is None:
        raise DomainError(
            "citycode.residents_only", "仅限居民本人申请", "Residents only", status=403
        )
    text = reason.strip()
    if not text:
        raise DomainError(
            "citycode.reason_required", "请说明理由", "A reason is required", status=422
        )
    row = status_row(session, actor.person_id)
    department = identity_service.get_department_by_name(session, HEALTH_DEPARTMENT)
    deadline = workdays.calendar_for(session).add_workdays(
        utcnow().date(), settings_of(session).correction_workdays
    )
    correction = Correction(
        person_id=actor.person_id,
        colour_disputed=row.colour,
        reason_ciphertext=cipher_of(session).encrypt(text, context=CORRECTION_CONTEXT),
        owner_department_id=department.id if department else None,
        deadline_date=deadline.day,
        deadline_provisional=deadline.provisional,
    )
    session.add(correction)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.correction_filed",
        entity_type="citycode_correction",
        entity_id=correction.id,
        detail={
            "deadline": deadline.day.isoformat(),
            "department_id": correction.owner_department_id,
        },
    )
    outbox.emit(
        session,
        CorrectionFiled(correction_id=correction.id, department_id=correction.owner_department_id),
    )
    return correction


def resolve_correction(
    session: Session, *, actor: Actor, correction_id: int, accepted: bool, resolution: str
) -> Correction:
    """The owning department answers; an accepted correction re-runs the rules."""
    actor.require_role(Role.health_authority)
    correction = session.get(Correction, correction_id)
    if correction is None:
        raise not_found("citycode.unknown_correction", "纠错申请", "Correction request")
    if correction.owner_department_id is not None:
        actor.require_department(correction.owner_department_id)
    if correction.status != "open":
        raise DomainError(
            "citycode.correction_closed", "该申请已办结", "Already resolved", status=409
        )
    correction.status = "accepted" if accepted else "rejected"
    correction.resolved_by, correction.resolved_at = actor.name, utcnow()
    correction.resolution = resolution
    audit.record(
        session,
        actor,
        "citycode.correction_" + correction.status,
        entity_type="citycode_correction",
        entity_id=correction.id,
        reason=resolution,
    )
    if accepted:
        row = status_row(session, correction.person_id)
        manual = session.get(ManualChange, row.manual_change_id) if row.manual_change_id else None
        if manual is not None:
            manual.valid_until = utcnow()  # the disputed hand-made colour ends here
        refresh_status(session, person_id=correction.person_id, actor=actor)
    return correction


def correction_reason(session: Session, correction: Correction) -> str:
    return cipher_of(session).decrypt(correction.reason_ciphertext, context=CORRECTION_CONTEXT)


def list_corrections(
    session: Session, *, person_id: int | None = None, open_only: bool = False
) -> list[Correction]:
    query = select(Correction).order_by(Correction.deadline_date, Correction.id)
    if person_id is not None:
        query = query.where(Correction.person_id == person_id)
    if open_only:
        query = query.where(Correction.status == "open")
    return list(session.scalars(query))
