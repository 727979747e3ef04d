"""One offline verifier, stage by stage, for city codes (``CB1:``) and EU DCCs (``HC1:``).

Stages in order: prefix, base45, decompression, cose (CBOR/COSE structure and CWT
claims), signature, expiry, key_usage, payload. The first that fails is named in the
result with its reason; nothing here touches a database or the network, so a
checkpoint needs only its cached trust list and a clock.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from citybrain.citycode import cose

STAGES = (
    "prefix",
    "base45",
    "decompression",
    "cose",
    "signature",
    "expiry",
    "key_usage",
    "payload",
)
MAX_CODE_CHARS = 4_096
MAX_INFLATED_BYTES = 64 * 1024
CLOCK_SKEW_SECONDS = 300

# hcert extended key usages: which certificate types a document signer may sign.
DCC_EKU = {
    "1.3.6.1.4.1.1847.2021.1.1": "t",
    "1.3.6.1.4.1.1847.2021.1.2": "v",
    "1.3.6.1.4.1.1847.2021.1.3": "r",
    "1.3.6.1.4.1.0.1847.2021.1.1": "t",
    "1.3.6.1.4.1.0.1847.2021.1.2": "v",
    "1.3.6.1.4.1.0.1847.2021.1.3": "r",
}
DCC_TYPES = frozenset({"t", "v", "r"})
CITY_USAGES = frozenset({"person", "venue"})


@dataclass(frozen=True)
class TrustedKey:
    """A public key a verifier accepts, with its validity and what it may sign."""

    kid: bytes
    alg: int
    public_key: Any
    usages: frozenset[str]
    not_before: datetime | None = None
    not_after: datetime | None = None
    label: str = ""


@dataclass
class TrustStore:
    """Keys grouped by kid: short kids collide, so every key with the kid is tried."""

    keys: dict[bytes, list[TrustedKey]] = field(default_factory=dict)

    def add(self, key: TrustedKey) -> None:
        self.keys.setdefault(key.kid, []).append(key)

    def candidates(self, kid: bytes) -> list[TrustedKey]:
        return self.keys.get(kid, [])

    def __len__(self) -> int:
        return sum(len(keys) for keys in self.keys.values())


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    stage: str | None
    reason: str | None
    kind: str | None = None  # "citycode" or "dcc"
    kid: str | None = None
    alg: str | None = None
    signer: str | None = None
    claims: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "stage": self.stage,
            "reason": self.reason,
            "kind": self.kind,
            "kid": self.kid,
            "alg": self.alg,
            "signer": self.signer,
            "claims": self.claims,
        }


class _Refused(Exception):
    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


def verify(
    text: str,
    trust: TrustStore,
    *,
    at: datetime | None = None,
    expected_usage: str | None = None,
) -> VerificationResult:
    """Verify a code string offline; the result names the first failed stage."""
    now = at or datetime.now(UTC)
    context: dict[str, Any] = {}
    try:
        claims = _verify(text.strip(), trust, now, expected_usage, context)
    except _Refused as refused:
        return VerificationResult(False, refused.stage, refused.reason, **context)
    return VerificationResult(True, None, None, claims=claims, **context)


def _verify(
    text: str,
    trust: TrustStore,
    now: datetime,
    expected_usage: str | None,
    context: dict[str, Any],
) -> dict[str, Any]:
    # prefix
    if len(text) > MAX_CODE_CHARS:
        raise _Refused("prefix", "code is too long")
    if text.startswith(cose.CITY_PREFIX):
        kind, body = "citycode", text[len(cose.CITY_PREFIX) :]
    elif text.startswith(cose.DCC_PREFIX):
        kind, body = "dcc", text[len(cose.DCC_PREFIX) :]
    else:
        raise _Refused("prefix", f"unknown prefix; expected {cose.CITY_PREFIX} or HC1:")
    context["kind"] = kind
    # base45
    try:
        compressed = base45.b45decode(body)
    except (ValueError, KeyError, TypeError):
        raise _Refused("base45", "not valid Base45") from None
    # decompression (bounded, so a zip bomb cannot exhaust memory)
    if compressed[:1] == b"\x78":
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(compressed, MAX_INFLATED_BYTES)
        except zlib.error:
            raise _Refused("decompression", "zlib data is corrupt or truncated") from None
        if inflater.unconsumed_tail or not inflater.eof:
            raise _Refused("decompression", "zlib data is truncated or too large")
    else:  # hcert allows uncompressed COSE; a city code is always compressed
        if kind == "citycode":
            raise _Refused("decompression", "not zlib-compressed")
        raw = compressed
    # cose
    protected_raw, protected, unprotected, payload, signature = _parse_sign1(raw)
    alg = protected.get(cose.HEADER_ALG, unprotected.get(cose.HEADER_ALG))
    kid = protected.get(cose.HEADER_KID, unprotected.get(cose.HEADER_KID))
    if not isinstance(alg, int) or alg not in cose.ALG_NAMES:
        raise _Refused("cose", f"unsupported alg {alg!r}")
    if not isinstance(kid, bytes) or not kid:
        raise _Refused("cose", "kid missing")
    context.update(kid=base64.b64encode(kid).decode(), alg=cose.ALG_NAMES[alg])
    claims = _parse_claims(payload)
    # signature
    data = cose.sig_structure(protected_raw, payload)
    candidates = trust.candidates(kid)
    if not candidates:
        raise _Refused("signature", "no trusted key has this kid")
    signer = next(
        (
            key
            for key in candidates
            if key.alg == alg and cose.verify_signature(alg, key.public_key, signature, data)
        ),
        None,
    )
    if signer is None:
        raise _Refused("signature", "signature does not verify under any key with this kid")
    context["signer"] = signer.label
    # expiry
    iat, exp = claims.get(cose.CLAIM_IAT), claims.get(cose.CLAIM_EXP)
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise _Refused("expiry", "iat or exp missing")
    stamp = now.timestamp()
    if iat > stamp + CLOCK_SKEW_SECONDS:
        raise _Refused("expiry", "issued in the future")
    if stamp >= exp:
        raise _Refused("expiry", "code has expired")
    if signer.not_before and now < signer.not_before:
        raise _Refused("expiry", "signer certificate is not yet valid")
    if signer.not_after and now > signer.not_after:
        raise _Refused("expiry", "signer certificate has expired")
    if signer.not_before and iat < signer.not_before.timestamp():
        raise _Refused("expiry", "issued before the signer certificate was valid")
    # key_usage and payload
    if kind == "dcc":
        return _check_dcc(claims, signer)
    return _check_citycode(claims, signer, expected_usage)


def _parse_sign1(raw: bytes) -> tuple[bytes, dict[Any, Any], dict[Any, Any], bytes, bytes]:
    try:
        message = cbor2.loads(raw)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError):
        raise _Refused("cose", "not valid CBOR") from None
    if isinstance(message, cbor2.CBORTag) and message.tag == cose.CWT_TAG:
        message = message.value
    if isinstance(message, cbor2.CBORTag):
        if message.tag != cose.COSE_SIGN1_TAG:
            raise _Refused("cose", f"unexpected CBOR tag {message.tag}")
        message = message.value
    # cbor2 >= 6 decodes arrays as tuples
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise _Refused("cose", "not a COSE_Sign1 array of four")
    protected_raw, unprotected, payload, signature = message
    if not isinstance(protected_raw, bytes) or not isinstance(unprotected, Mapping):
        raise _Refused("cose", "malformed COSE headers")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise _Refused("cose", "payload or signature is not a byte string")
    try:
        protected = cbor2.loads(protected_raw) if protected_raw else {}
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError):
        raise _Refused("cose", "protected header is not valid CBOR") from None
    if not isinstance(protected, Mapping):
        raise _Refused("cose", "protected header is not a map")
    return protected_raw, dict(protected), dict(unprotected), payload, signature


def _parse_claims(payload: bytes) -> dict[Any, Any]:
    try:
        claims = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError):
        raise _Refused("cose", "CWT payload is not valid CBOR") from None
    if not isinstance(claims, Mapping):
        raise _Refused("cose", "CWT payload is not a map")
    return dict(claims)


def _plain(value: Any) -> Any:
    """CBOR values as JSON-ready values (tuples to lists, bytes to base64)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _times(claims: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "iat": datetime.fromtimestamp(claims[cose.CLAIM_IAT], UTC).isoformat(),
        "exp": datetime.fromtimestamp(claims[cose.CLAIM_EXP], UTC).isoformat(),
    }
    if isinstance(claims.get(cose.CLAIM_ISS), str):
        out["iss"] = claims[cose.CLAIM_ISS]
    return out


def _check_dcc(claims: dict[Any, Any], signer: TrustedKey) -> dict[str, Any]:
    hcert = claims.get(cose.CLAIM_HCERT)
    dcc = hcert.get(1) if isinstance(hcert, Mapping) else None
    if not isinstance(dcc, Mapping):
        raise _Refused("payload", "hcert claim -260 with a DCC under key 1 is missing")
    types = [t for t in DCC_TYPES if t in dcc]
    if len(types) != 1:
        raise _Refused("payload", "a DCC holds exactly one of v, t, r")
    if types[0] not in signer.usages:
        raise _Refused("key_usage", f"signer may not sign certificates of type {types[0]}")
    problem = _dcc_schema_problem(dcc, types[0])
    if problem:
        raise _Refused("payload", problem)
    return {**_times(claims), "type": types[0], "dcc": _plain(dcc)}


_DCC_ENTRY_FIELDS = {
    "v": ("tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci"),
    "t": ("tg", "tt", "sc", "tr", "tc", "co", "is", "ci"),
    "r": ("tg", "fr", "co", "is", "df", "du", "ci"),
}


def _dcc_schema_problem(dcc: Mapping[Any, Any], kind: str) -> str | None:
    """The structural rules of the DCC schema 1.3 (value sets are not enforced there either)."""
    if not isinstance(dcc.get("ver"), str):
        return "ver missing"
    name = dcc.get("nam")
    if not isinstance(name, Mapping) or not isinstance(name.get("fnt"), str):
        return "nam.fnt missing"
    if not isinstance(dcc.get("dob"), str):
        return "dob missing"
    entries = dcc.get(kind)
    if not isinstance(entries, list | tuple) or len(entries) != 1:
        return f"{kind} must hold exactly one entry"
    entry = entries[0]
    if not isinstance(entry, Mapping):
        return f"{kind}[0] is not an object"
    missing = [f for f in _DCC_ENTRY_FIELDS[kind] if f not in entry]
    if kind == "t":  # tr is required for NAAT only in later versions; sc and tt always
        missing = [f for f in missing if f not in ("tr", "tc")]
    if missing:
        return f"{kind}[0] lacks {', '.join(missing)}"
    return None


CITY_STATUSES = frozenset({"none", "green", "yellow", "red"})


def _check_citycode(
    claims: dict[Any, Any], signer: TrustedKey, expected_usage: str | None
) -> dict[str, Any]:
    body = claims.get(cose.CLAIM_CITYCODE)
    if not isinstance(body, Mapping):
        raise _Refused("payload", "city code claim missing")
    usage = body.get("k")
    if usage not in CITY_USAGES:
        raise _Refused("payload", "unknown code kind")
    if usage not in signer.usages:
        raise _Refused("key_usage", f"signer may not sign {usage} codes")
    if expected_usage and usage != expected_usage:
        raise _Refused("key_usage", f"a {usage} code is not accepted here")
    if usage == "person":
        token, status, rule = body.get("t"), body.get("s"), body.get("r")
        if not isinstance(token, bytes) or len(token) != 16:
            raise _Refused("payload", "person token must be 16 bytes")
        if status not in CITY_STATUSES or not isinstance(rule, int):
            raise _Refused("payload", "status or rule version malformed")
        tested = body.get("x")
        if tested is not None and not isinstance(tested, int):
            raise _Refused("payload", "test time malformed")
        return {
            **_times(claims),
            "kind": "person",
            "token": token.hex(),
            "status": status,
            "rule_version": rule,
            "tested": tested,
        }
    venue, nonce = body.get("v"), body.get("n")
    if not isinstance(venue, int) or not isinstance(nonce, bytes) or len(nonce) != 8:
        raise _Refused("payload", "venue id or nonce malformed")
    return {**_times(claims), "kind": "venue", "venue_id": venue, "nonce": nonce.hex()}


# Loading signer lists (certificates or public keys, PEM or base64 DER)


def trusted_key_from_certificate(cert: x509.Certificate, *, label: str = "") -> TrustedKey:
    """A DCC document signer: kid over the certificate, validity and EKU from it."""
    der = cert.public_bytes(serialization.Encoding.DER)
    alg = cose.alg_for_public_key(cert.public_key())
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        usages = frozenset(DCC_EKU[o.dotted_string] for o in eku if o.dotted_string in DCC_EKU)
    except (x509.ExtensionNotFound, ValueError):  # malformed extensions count as no EKU
        usages = frozenset()
    return TrustedKey(
        kid=cose.kid_of(der),
        alg=alg,
        public_key=cert.public_key(),
        usages=usages or DCC_TYPES,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        label=label or cert.subject.rfc4514_string(),
    )


def trusted_key_from_public_der(
    der: bytes, *, usages: Iterable[str] = CITY_USAGES, label: str = ""
) -> TrustedKey:
    alg, key = cose.load_public_key_der(der)
    usage_set = frozenset(usages) | (DCC_TYPES if alg == cose.PS256 else frozenset())
    return TrustedKey(kid=cose.kid_of(der), alg=alg, public_key=key, usages=usage_set, label=label)


def load_signers(text: str) -> TrustStore:
    """Signer certificates or public keys, PEM blocks or base64 DER one a line."""
    store = TrustStore()
    for blob in _blobs(text):
        try:
            cert = x509.load_der_x509_certificate(blob)
        except ValueError:
            store.add(trusted_key_from_public_der(blob, usages=CITY_USAGES | DCC_TYPES))
        else:
            store.add(trusted_key_from_certificate(cert))
    return store


def _blobs(text: str) -> list[bytes]:
    blobs: list[bytes] = []
    pem_lines: list[str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-----BEGIN"):
            pem_lines = []
        elif line.startswith("-----END"):
            if pem_lines is not None:
                blobs.append(base64.b64decode("".join(pem_lines)))
            pem_lines = None
        elif pem_lines is not None:
            pem_lines.append(line)
        else:
            blobs.append(base64.b64decode(line, validate=True))
    return blobs
