"""Other doors (就医一卡通, transit gates, libraries): purpose-limited code resolution.

An organisation applies to use the code for one purpose; an administrator approves and
it receives an API key with the scope ``citycode:resolve_<purpose>``. Resolving a code
answers only what that purpose allows, and every resolution is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from citybrain.citycode import signing, status, verifier
from citybrain.citycode.models import UseApplication
from citybrain.core import audit
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity import service as identity_service

PURPOSES = ("hospital", "gate")


@dataclass(frozen=True)
class Resolution:
    purpose: str
    passes: bool
    status: str
    name: str | None = None
    id_number: str | None = None
    insurance_number: str | None = None


def apply_for_use(
    session: Session, *, actor: Actor, organisation: str, purpose: str
) -> UseApplication:
    """健康码调用申请: staff apply on an organisation's behalf for one purpose."""
    if actor.kind is not ActorKind.staff:
        raise DomainError("auth.staff_only", "仅限工作人员", "Staff only", status=403)
    if purpose not in PURPOSES:
        raise DomainError(
            "citycode.bad_purpose", "用途无效", f"Unknown purpose {purpose}", status=422
        )
    row = UseApplication(organisation=organisation.strip(), purpose=purpose, applied_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.use_applied",
        entity_type="citycode_use_application",
        entity_id=row.id,
        detail={"purpose": purpose},
    )
    return row


def decide_use(
    session: Session, *, actor: Actor, application_id: int, approve: bool
) -> tuple[UseApplication, str | None]:
    """An administrator decides; approval issues a key scoped to the purpose (shown once)."""
    actor.require_role(Role.admin)
    row = session.get(UseApplication, application_id)
    if row is None:
        raise not_found("citycode.unknown_use_application", "调用申请", "Use application")
    if row.status != "pending":
        raise DomainError("citycode.use_decided", "该申请已处理", "Already decided", status=409)
    key = None
    row.status, row.decided_by = ("approved" if approve else "rejected"), actor.id
    if approve:
        issued = identity_service.create_api_key(
            session,
            actor=actor,
            name=row.organisation[:64],
            scopes=[f"citycode:resolve_{row.purpose}"],
        )
        row.api_key_id, key = issued.record.id, issued.key
    audit.record(
        session,
        actor,
        "citycode.use_" + row.status,
        entity_type="citycode_use_application",
        entity_id=row.id,
    )
    return row, key


def resolve(session: Session, *, actor: Actor, code: str) -> Resolution:
    """What a hospital or gate may learn from a code, for the purpose its key holds."""
    purpose = next((p for p in PURPOSES if f"citycode:resolve_{p}" in actor.scopes), None)
    if actor.kind is not ActorKind.api_key or purpose is None:
        raise DomainError(
            "auth.scope_required",
            "该密钥没有调用健康码的权限",
            "This key may not resolve codes",
            status=403,
        )
    result = verifier.verify(code, signing.trust_store(session), expected_usage="person")
    if not result.valid or result.claims is None:
        raise DomainError(
            "citycode.code_invalid",
            "码无效",
            f"The code is not valid ({result.stage}: {result.reason})",
            status=422,
            stage=result.stage,
        )
    colour = str(result.claims["status"])
    passes = colour in ("none", "green")
    owner = status.person_for_token(session, str(result.claims["token"]))
    audit.record(
        session,
        actor,
        "citycode.code_resolved",
        entity_type="citycode_use",
        entity_id=purpose,
        detail={"purpose": purpose, "passes": passes},
    )
    if purpose == "gate" or owner is None:
        return Resolution(purpose, passes, colour)
    person = identity_service.get_person_or_raise(session, owner.person_id)
    return Resolution(purpose, passes, colour, name=person.name, id_number=person.id_number_masked)
