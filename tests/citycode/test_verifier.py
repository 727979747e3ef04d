"""The code container and the one verifier, stage by stage (no database)."""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, datetime, timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives import serialization

from citybrain.citycode import codes, cose, gm, verifier
from tests.factories.citycode import (
    EKU_TEST,
    EKU_VACCINATION,
    dcc_signer,
    make_dsc,
    make_hc1,
)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PROFILES = ["es256", "ed25519"] + (["sm2"] if gm.AVAILABLE else [])


def _signer(profile: str) -> tuple[cose.Signer, verifier.TrustStore]:
    key = cose.generate_private_key(profile)
    signer = cose.Signer.from_key(profile, key)
    store = verifier.TrustStore()
    store.add(verifier.trusted_key_from_public_der(cose.public_key_der(profile, key)))
    return signer, store


def _person_code(signer: cose.Signer, *, at: datetime = NOW, hours: int = 24) -> str:
    claims = codes.person_claims(
        token=bytes(range(16)),
        status="green",
        rule_version=3,
        issued_at=at,
        ttl=timedelta(hours=hours),
    )
    return cose.encode(signer, claims)


@pytest.mark.parametrize("profile", PROFILES)
def test_round_trip_for_each_profile(profile: str) -> None:
    signer, store = _signer(profile)
    code = _person_code(signer)
    assert code.startswith("CB1:") and len(code) <= codes.MAX_QR_CHARS
    result = verifier.verify(code, store, at=NOW + timedelta(minutes=1))
    assert result.valid, result
    assert result.stage is None
    assert result.claims is not None
    assert result.claims["token"] == bytes(range(16)).hex()
    assert result.claims["status"] == "green"
    assert result.claims["rule_version"] == 3
    assert result.alg == cose.ALG_NAMES[cose.PROFILES[profile]]


def test_sm2_profile_is_available_here() -> None:
    # tongsuopy installs on this platform; the SM2 round trip above must really run.
    assert gm.AVAILABLE


def test_qr_is_alphanumeric_with_error_correction_q() -> None:
    signer, _ = _signer("es256")
    code = _person_code(signer)
    svg = codes.qr_svg(code)
    assert svg.startswith("<svg")
    assert codes.qr_version(code) <= 15


@pytest.mark.parametrize(
    ("mangle", "stage"),
    [
        (lambda c: "XX1:" + c[4:], "prefix"),
        (lambda c: c[:4] + "!!!" + c[4:], "base45"),
        (lambda c: c[: 4 + (len(c) - 4) // 3 * 3 - 2], "base45"),  # 3k+1 characters
        (lambda c: c[: 4 + (len(c) - 4) // 3 * 3 - 6], "decompression"),  # truncated stream
        (lambda c: c[:4] + base45.b45encode(zlib.compress(b"abc")[:-3]).decode(), "decompression"),
        (lambda c: c[:4] + base45.b45encode(zlib.compress(b"\xff\x00")).decode(), "cose"),
        (
            lambda c: c[:4] + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))).decode(),
            "cose",
        ),
    ],
)
def test_broken_codes_name_their_stage(mangle, stage: str) -> None:  # type: ignore[no-untyped-def]
    signer, store = _signer("es256")
    result = verifier.verify(mangle(_person_code(signer)), store, at=NOW)
    assert not result.valid
    assert result.stage == stage


def _tamper(code: str) -> str:
    message = cbor2.loads(zlib.decompress(base45.b45decode(code[4:])))
    protected, unprotected, payload, signature = message.value
    claims = cbor2.loads(payload)
    claims[cose.CLAIM_CITYCODE]["s"] = "red"
    forged = cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature])
    return "CB1:" + base45.b45encode(zlib.compress(cbor2.dumps(forged))).decode()


@pytest.mark.parametrize("profile", PROFILES)
def test_altered_code_fails_at_signature(profile: str) -> None:
    signer, store = _signer(profile)
    result = verifier.verify(_tamper(_person_code(signer)), store, at=NOW)
    assert (result.valid, result.stage) == (False, "signature")


def test_foreign_key_signed_code_fails_at_signature() -> None:
    _, store = _signer("es256")
    foreign, _ = _signer("es256")
    result = verifier.verify(_person_code(foreign), store, at=NOW)
    assert (result.valid, result.stage) == (False, "signature")
    assert result.reason == "no trusted key has this kid"


def test_colliding_kids_are_all_tried() -> None:
    signer, store = _signer("es256")
    other = cose.generate_private_key("es256")
    # Another key published under the same kid must not hide the right one.
    impostor = verifier.trusted_key_from_public_der(cose.public_key_der("es256", other))
    collision = verifier.TrustStore()
    collision.add(verifier.TrustedKey(signer.kid, cose.ES256, impostor.public_key, frozenset()))
    for key in store.candidates(signer.kid):
        collision.add(key)
    assert verifier.verify(_person_code(signer), collision, at=NOW).valid


@pytest.mark.parametrize("profile", PROFILES)
def test_expired_code_fails_at_expiry(profile: str) -> None:
    signer, store = _signer(profile)
    code = _person_code(signer, hours=1)
    assert verifier.verify(code, store, at=NOW + timedelta(minutes=59)).valid
    result = verifier.verify(code, store, at=NOW + timedelta(hours=1))
    assert (result.valid, result.stage) == (False, "expiry")


def test_key_usage_limits_what_a_key_may_sign() -> None:
    key = cose.generate_private_key("ed25519")
    signer = cose.Signer.from_key("ed25519", key)
    store = verifier.TrustStore()
    der = cose.public_key_der("ed25519", key)
    store.add(verifier.trusted_key_from_public_der(der, usages={"venue"}))
    result = verifier.verify(_person_code(signer), store, at=NOW)
    assert (result.valid, result.stage) == (False, "key_usage")


def test_payload_schema_is_checked() -> None:
    signer, store = _signer("es256")
    claims = codes.person_claims(
        token=b"short", status="green", rule_version=1, issued_at=NOW, ttl=timedelta(hours=1)
    )
    result = verifier.verify(cose.encode(signer, claims), store, at=NOW)
    assert (result.valid, result.stage) == (False, "payload")


# EU Digital COVID Certificates


def _dcc_store(cert) -> verifier.TrustStore:  # type: ignore[no-untyped-def]
    store = verifier.TrustStore()
    store.add(verifier.trusted_key_from_certificate(cert))
    return store


@pytest.mark.parametrize("algorithm", ["es256", "ps256"])
def test_dcc_round_trip(algorithm: str) -> None:
    key, cert = make_dsc(algorithm, eku=[EKU_VACCINATION])
    code = make_hc1(dcc_signer(key, cert))
    result = verifier.verify(code, _dcc_store(cert))
    assert result.valid, result
    assert result.kind == "dcc"
    assert result.alg == ("ES256" if algorithm == "es256" else "PS256")
    assert result.claims is not None and result.claims["type"] == "v"
    assert result.claims["dcc"]["nam"]["fnt"] == "MUSTERFRAU"


def test_dcc_signer_without_the_usage_is_refused() -> None:
    key, cert = make_dsc("es256", eku=[EKU_TEST])
    result = verifier.verify(make_hc1(dcc_signer(key, cert)), _dcc_store(cert))
    assert (result.valid, result.stage) == (False, "key_usage")


def test_dcc_signer_certificate_validity_is_checked() -> None:
    start = datetime.now(UTC) - timedelta(days=400)
    key, cert = make_dsc("es256", not_before=start, days=365)
    code = make_hc1(
        dcc_signer(key, cert), issued=start + timedelta(days=300), valid=timedelta(days=200)
    )
    result = verifier.verify(code, _dcc_store(cert))
    assert (result.valid, result.stage) == (False, "expiry")
    assert "certificate" in (result.reason or "")


def test_dcc_with_two_certificate_types_fails_schema() -> None:
    key, cert = make_dsc("es256")
    dcc = make_dcc_both()
    result = verifier.verify(make_hc1(dcc_signer(key, cert), dcc=dcc), _dcc_store(cert))
    assert (result.valid, result.stage) == (False, "payload")


def make_dcc_both() -> dict:  # type: ignore[type-arg]
    from tests.factories.citycode import vaccination_dcc

    dcc = vaccination_dcc()
    dcc["r"] = [{"tg": "840539006"}]
    return dcc


def test_load_signers_reads_pem_and_base64_der() -> None:
    key, cert = make_dsc("es256")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    ed = cose.generate_private_key("ed25519")
    line = base64.b64encode(cose.public_key_der("ed25519", ed)).decode()
    store = verifier.load_signers(pem + "\n# a comment\n" + line + "\n")
    assert len(store) == 2
    assert verifier.verify(make_hc1(dcc_signer(key, cert)), store).valid
    assert verifier.verify(_person_code(cose.Signer.from_key("ed25519", ed)), store, at=NOW).valid
