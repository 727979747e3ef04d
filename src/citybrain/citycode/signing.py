"""Signer keys, the signed trust list, and the verifier's view of them.

Private keys are stored encrypted with the personal-data key. The trust list is a
COSE_Sign1 over a CBOR document ``{v, iat, exp, keys: [{kid, alg, der, use, until}]}``
signed by the trust-list key; a checkpoint caches it and verifies offline until it
expires (at least 72 hours after publication).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode import cose, verifier
from citybrain.citycode.events import KeyRevoked, KeyRotated, TrustListPublished
from citybrain.citycode.models import SignerKey, TrustList
from citybrain.citycode.settings import settings_of
from citybrain.core import audit, outbox
from citybrain.core.crypto import cipher_of
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, Role

KEY_CONTEXT = "citycode.signer_key"
TOKEN_CONTEXT = "citycode.person_token"
USAGES = ("person", "venue", "trust_list")


def person_token(session: Session, person_id: int) -> str:
    """The pseudonymous token of a person: a keyed HMAC of the row id, 32 hex characters."""
    return cipher_of(session).blind_index(str(person_id), context=TOKEN_CONTEXT)[:32]


def create_key(
    session: Session, *, actor: Actor, usage: str, profile: str | None = None
) -> SignerKey:
    """Generate a key for ``usage``; the previous active key of that usage is retired."""
    actor.require_role(Role.health_authority)
    if usage not in USAGES:
        raise DomainError(
            "citycode.bad_usage", "密钥用途无效", f"Unknown key usage {usage}", status=422
        )
    profile = profile or settings_of(session).profile
    if profile not in cose.PROFILES:
        raise DomainError(
            "citycode.bad_profile", "签名算法无效", f"Unknown profile {profile}", status=422
        )
    key = cose.generate_private_key(profile)
    der = cose.public_key_der(profile, key)
    row = SignerKey(
        kid=cose.kid_of(der).hex(),
        profile=profile,
        usage=usage,
        public_key_der=der,
        private_key_ciphertext=cipher_of(session).encrypt(
            cose.private_key_pem(profile, key).decode(), context=KEY_CONTEXT
        ),
        status="active",
    )
    now = utcnow()
    for old in session.scalars(
        select(SignerKey).where(SignerKey.usage == usage, SignerKey.status == "active")
    ):
        old.status, old.retired_at = "retired", now
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.key_created",
        entity_type="citycode_signer_key",
        entity_id=row.id,
        detail={"kid": row.kid, "usage": usage, "profile": profile},
    )
    outbox.emit(session, KeyRotated(key_id=row.id, kid=row.kid, usage=usage))
    return row


def revoke_key(session: Session, *, actor: Actor, key_id: int, reason: str) -> SignerKey:
    """Take a key out of the trust list; codes it signed stop verifying at the next list."""
    actor.require_role(Role.health_authority)
    row = session.get(SignerKey, key_id)
    if row is None:
        raise not_found("citycode.unknown_key", "签名密钥", "Signer key")
    if row.status != "revoked":
        row.status, row.revoked_at = "revoked", utcnow()
        audit.record(
            session,
            actor,
            "citycode.key_revoked",
            entity_type="citycode_signer_key",
            entity_id=row.id,
            reason=reason,
            detail={"kid": row.kid},
        )
        outbox.emit(session, KeyRevoked(key_id=row.id, kid=row.kid))
    return row


def list_keys(session: Session) -> list[SignerKey]:
    return list(session.scalars(select(SignerKey).order_by(SignerKey.id)))


def active_signer(session: Session, usage: str) -> cose.Signer:
    """The signer for new codes of ``usage``; a 409 when none was created."""
    row = session.scalar(
        select(SignerKey)
        .where(SignerKey.usage == usage, SignerKey.status == "active")
        .order_by(SignerKey.id.desc())
        .limit(1)
    )
    if row is None:
        raise DomainError(
            "citycode.no_signer",
            "尚未生成签名密钥",
            f"No active {usage} signing key; create one first",
            status=409,
        )
    return _signer_of(session, row)


def _signer_of(session: Session, row: SignerKey) -> cose.Signer:
    cache: dict[int, cose.Signer] = session.info.setdefault("citycode_signers", {})
    if row.id not in cache:
        pem = cipher_of(session).decrypt(row.private_key_ciphertext, context=KEY_CONTEXT)
        key = cose.load_private_key(row.profile, pem.encode())
        cache[row.id] = cose.Signer.from_key(row.profile, key, kid=bytes.fromhex(row.kid))
    return cache[row.id]


def trust_store(session: Session) -> verifier.TrustStore:
    """The server's own view: every key not revoked (retired keys verify until codes lapse)."""
    store = verifier.TrustStore()
    ttl = timedelta(seconds=settings_of(session).code_ttl_seconds)
    for row in session.scalars(
        select(SignerKey).where(
            SignerKey.status != "revoked", SignerKey.usage.in_(("person", "venue"))
        )
    ):
        store.add(_trusted(row, ttl))
    return store


def _trusted(row: SignerKey, ttl: timedelta) -> verifier.TrustedKey:
    key = verifier.trusted_key_from_public_der(
        row.public_key_der, usages={row.usage}, label=f"citycode {row.usage} {row.kid}"
    )
    if row.retired_at is None:
        return key
    return verifier.TrustedKey(
        kid=key.kid,
        alg=key.alg,
        public_key=key.public_key,
        usages=key.usages,
        not_after=row.retired_at + ttl,
        label=key.label,
    )


def publish_trust_list(session: Session, *, actor: Actor) -> TrustList:
    """Sign and store the next version of the trust list."""
    actor.require_role(Role.health_authority)
    signer = active_signer(session, "trust_list")
    settings = settings_of(session)
    ttl = timedelta(seconds=settings.code_ttl_seconds)
    now = utcnow().replace(microsecond=0)
    version = (session.scalar(select(func.max(TrustList.version))) or 0) + 1
    entries = []
    for row in session.scalars(
        select(SignerKey)
        .where(SignerKey.status != "revoked", SignerKey.usage.in_(("person", "venue")))
        .order_by(SignerKey.id)
    ):
        until = int((row.retired_at + ttl).timestamp()) if row.retired_at else None
        entries.append(
            {
                "kid": bytes.fromhex(row.kid),
                "der": row.public_key_der,
                "use": row.usage,
                "until": until,
            }
        )
    expires = now + timedelta(hours=settings.trust_list_validity_hours)
    body = {
        "v": version,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "keys": entries,
    }
    document = zlib.compress(cose.sign1(signer, cbor2.dumps(body)), 9)
    published = TrustList(
        version=version,
        issued_at=now,
        expires_at=expires,
        document=document,
        key_count=len(entries),
    )
    session.add(published)
    session.flush()
    audit.record(
        session,
        actor,
        "citycode.trust_list_published",
        entity_type="citycode_trust_list",
        entity_id=published.id,
        detail={"version": version, "keys": len(entries)},
    )
    outbox.emit(session, TrustListPublished(version=version, key_count=len(entries)))
    return published


def latest_trust_list(session: Session) -> TrustList:
    row = session.scalar(select(TrustList).order_by(TrustList.version.desc()).limit(1))
    if row is None:
        raise not_found("citycode.no_trust_list", "信任列表", "Trust list")
    return row


def trust_anchor(session: Session) -> bytes:
    """The public key (DER) of the active trust-list signer, for provisioning checkpoints."""
    row = session.scalar(
        select(SignerKey)
        .where(SignerKey.usage == "trust_list", SignerKey.status == "active")
        .order_by(SignerKey.id.desc())
        .limit(1)
    )
    if row is None:
        raise not_found("citycode.no_trust_anchor", "信任列表签名密钥", "Trust-list key")
    return row.public_key_der


class TrustListRefused(ValueError):
    """A cached trust list that may not be used (bad signature, expired, malformed)."""


def open_trust_list(
    document: bytes, *, anchor_der: bytes, at: datetime | None = None
) -> tuple[int, verifier.TrustStore]:
    """Check a trust list offline against the anchor key; (version, store) or TrustListRefused."""
    now = at or datetime.now(UTC)
    try:
        message = cbor2.loads(zlib.decompress(document))
        protected_raw, _unprotected, payload, signature = message.value
        alg = cbor2.loads(protected_raw)[cose.HEADER_ALG]
        anchor_alg, anchor = cose.load_public_key_der(anchor_der)
    except (zlib.error, cbor2.CBORDecodeError, AttributeError, ValueError, TypeError, KeyError):
        raise TrustListRefused("trust list is malformed") from None
    if alg != anchor_alg or not cose.verify_signature(
        alg, anchor, signature, cose.sig_structure(protected_raw, payload)
    ):
        raise TrustListRefused("trust list signature does not verify")
    body: dict[str, Any] = cbor2.loads(payload)
    if now.timestamp() >= body["exp"]:
        raise TrustListRefused("trust list has expired; fetch a new one")
    store = verifier.TrustStore()
    for entry in body["keys"]:
        key = verifier.trusted_key_from_public_der(entry["der"], usages={entry["use"]})
        if entry["until"] is not None:
            key = verifier.TrustedKey(
                kid=key.kid,
                alg=key.alg,
                public_key=key.public_key,
                usages=key.usages,
                not_after=datetime.fromtimestamp(entry["until"], UTC),
            )
        store.add(key)
    return int(body["v"]), store
