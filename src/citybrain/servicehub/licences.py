"""E-licences (电子证照): issued on a grant, signed by the issuing department.

Each department signs with its own Ed25519 key, derived from the installation's
master key (never stored in the database), so any copy of a licence can be checked
against the department's public key.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from citybrain.core import audit
from citybrain.core.crypto import load_master_key
from citybrain.core.errors import DomainError, not_found
from citybrain.core.logging import mask_text
from citybrain.core.outbox import emit
from citybrain.core.security import Actor, ActorKind
from citybrain.servicehub import rules
from citybrain.servicehub.events import LicenceIssued
from citybrain.servicehub.models import Licence

# Payload values the platform generates (application numbers can look like ID numbers).
REFERENCE_KEYS = frozenset({"application"})


def _issuer_key(session: Session, department_id: int) -> Ed25519PrivateKey:
    settings = session.info.get("settings")
    if settings is None:
        raise RuntimeError("this session carries no settings to derive signing keys from")
    cache: dict[int, Ed25519PrivateKey] = session.info.setdefault("licence_keys", {})
    if department_id not in cache:
        seed = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=f"citybrain licence signing v1 department {department_id}".encode(),
        ).derive(load_master_key(settings))
        cache[department_id] = Ed25519PrivateKey.from_private_bytes(seed)
    return cache[department_id]


def public_key(session: Session, department_id: int) -> Ed25519PublicKey:
    return _issuer_key(session, department_id).public_key()


def public_key_b64(session: Session, department_id: int) -> str:
    raw = public_key(session, department_id).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def issue(
    session: Session,
    *,
    actor: Actor,
    type_code: str,
    issuer_department_id: int,
    person_id: int | None = None,
    enterprise_id: int | None = None,
    holder_name: str,
    issued_on: date,
    valid_until: date | None = None,
    detail: dict[str, Any] | None = None,
) -> Licence:
    """Create and sign one licence for a person or an enterprise."""
    if type_code not in rules.LICENCE_TYPES:
        raise DomainError(
            "servicehub.licence_type", "证照类型不存在", "Unknown licence type", status=422
        )
    if (person_id is None) == (enterprise_id is None):
        raise DomainError(
            "servicehub.licence_holder",
            "证照持有人应为个人或企业之一",
            "A licence has exactly one holder",
            status=422,
        )
    holder_kind = "person" if person_id is not None else "enterprise"
    holder_name, detail = _without_personal_numbers(holder_name, detail or {})
    number = f"{issued_on:%Y%m%d}{issuer_department_id:04d}{secrets.token_hex(6).upper()}"
    payload = {
        "type": type_code,
        "type_name": rules.LICENCE_TYPES[type_code][0],
        "number": number,
        "holder_kind": holder_kind,
        "holder_ref": person_id if person_id is not None else enterprise_id,
        "holder_name": holder_name,
        "issuer": issuer_department_id,
        "issued_on": issued_on.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        **detail,
    }
    signature = _issuer_key(session, issuer_department_id).sign(_canonical(payload))
    licence = Licence(
        type_code=type_code,
        number=number,
        holder_kind=holder_kind,
        person_id=person_id,
        enterprise_id=enterprise_id,
        issuer_department_id=issuer_department_id,
        issued_on=issued_on,
        valid_until=valid_until,
        payload=payload,
        signature=signature,
    )
    session.add(licence)
    session.flush()
    audit.record(
        session,
        actor,
        "servicehub.licence_issued",
        entity_type="servicehub_licence",
        entity_id=licence.id,
        detail={"type": type_code, "number": number},
    )
    emit(session, LicenceIssued(licence.id, type_code, issuer_department_id))
    return licence


def _without_personal_numbers(
    holder_name: str, detail: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Mask any 身份证号 or mobile number in the text a licence carries.

    The payload is stored in clear and shown to whoever verifies the licence, so the
    holder is named (a name is fine) and referred to by id (``holder_ref``), never by
    ID or phone number; text typed by the applicant (a business name) is masked in case
    it holds one. References the platform made (``REFERENCE_KEYS``) are kept as they are.
    """
    return mask_text(holder_name), {
        key: mask_text(value) if isinstance(value, str) and key not in REFERENCE_KEYS else value
        for key, value in detail.items()
    }


def signature_ok(session: Session, licence: Licence) -> bool:
    try:
        public_key(session, licence.issuer_department_id).verify(
            licence.signature, _canonical(licence.payload)
        )
    except InvalidSignature:
        return False
    return licence.payload.get("number") == licence.number


def is_valid(session: Session, licence: Licence, *, on: date) -> bool:
    if licence.revoked_at is not None:
        return False
    if licence.valid_until is not None and licence.valid_until < on:
        return False
    return signature_ok(session, licence)


def holdings(
    session: Session, *, person_id: int | None, enterprise_id: int | None, on: date
) -> dict[str, Licence]:
    """The holder's valid licences by type (the newest of each type)."""
    conditions = []
    if person_id is not None:
        conditions.append(Licence.person_id == person_id)
    if enterprise_id is not None:
        conditions.append(Licence.enterprise_id == enterprise_id)
    if not conditions:
        return {}
    rows = session.scalars(
        select(Licence).where(or_(*conditions)).order_by(Licence.issued_on, Licence.id)
    )
    return {lic.type_code: lic for lic in rows if is_valid(session, lic, on=on)}


def list_for(session: Session, *, actor: Actor) -> list[Licence]:
    """The licences the caller holds (a resident's own, an enterprise's own)."""
    if actor.kind is ActorKind.person and actor.person_id is not None:
        where = Licence.person_id == actor.person_id
    elif actor.kind is ActorKind.enterprise and actor.enterprise_id is not None:
        where = Licence.enterprise_id == actor.enterprise_id
    else:
        return []
    return list(session.scalars(select(Licence).where(where).order_by(Licence.id.desc())))


def get_or_raise(session: Session, licence_id: int) -> Licence:
    licence = session.get(Licence, licence_id)
    if licence is None:
        raise not_found("servicehub.licence_not_found", "电子证照", "E-licence")
    return licence
