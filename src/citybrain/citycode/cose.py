"""The container of the city code: CWT claims, COSE_Sign1, zlib, Base45, a short prefix.

The same chain as the EU Digital COVID Certificate (hcert 1.0.x): ``PREFIX + Base45(
zlib(COSE_Sign1(CWT)))``. Pure functions and key wrappers, no database.

Signature profiles: ES256 (COSE -7, raw r‖s), EdDSA/Ed25519 (-8), PS256 (-37, verify
only, for DCC signers) and SM2 with SM3 (a private-use value, see ``gm.py``).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Any

import base45
import cbor2
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from citybrain.citycode import gm

CITY_PREFIX = "CB1:"
DCC_PREFIX = "HC1:"

ES256 = -7
EDDSA = -8
PS256 = -37
# COSE has no SM2 value; -70001 lies in the private-use range (below -65536).
SM2_SM3 = -70001

ALG_NAMES = {ES256: "ES256", EDDSA: "EdDSA", PS256: "PS256", SM2_SM3: "SM2-SM3"}
PROFILES = {"es256": ES256, "ed25519": EDDSA, "sm2": SM2_SM3}

HEADER_ALG = 1
HEADER_KID = 4
COSE_SIGN1_TAG = 18
CWT_TAG = 61

CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_CTI = 7
CLAIM_HCERT = -260
# Private-use claim holding the city code's own payload (see ``codes.py``).
CLAIM_CITYCODE = -70000


def kid_of(der: bytes) -> bytes:
    """First 8 bytes of SHA-256 over a public key's (or certificate's) DER."""
    return hashlib.sha256(der).digest()[:8]


# Keys


def generate_private_key(profile: str) -> Any:
    if profile == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    if profile == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if profile == "sm2":
        return gm.generate_private_key()
    raise ValueError(f"unknown signature profile {profile!r}")


def private_key_pem(profile: str, key: Any) -> bytes:
    if profile == "sm2":
        return gm.private_key_pem(key)
    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def load_private_key(profile: str, pem: bytes) -> Any:
    if profile == "sm2":
        return gm.load_private_key(pem)
    return serialization.load_pem_private_key(pem, password=None)


def public_key_der(profile: str, key: Any) -> bytes:
    if profile == "sm2":
        return gm.public_key_der(key)
    public = key.public_key() if hasattr(key, "private_bytes") else key
    return bytes(
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def load_public_key_der(der: bytes) -> tuple[int, Any]:
    """(alg, key) from SubjectPublicKeyInfo DER: EC P-256, Ed25519, RSA or SM2."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        if not gm.AVAILABLE:
            raise ValueError("not a supported public key") from None
        try:
            return SM2_SM3, gm.load_public_key_der(der)
        except ValueError as error:
            raise ValueError("not a supported public key (P-256, Ed25519, RSA, SM2)") from error
    return alg_for_public_key(key), key


def alg_for_public_key(key: Any) -> int:
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name != "secp256r1":
            raise ValueError(f"unsupported curve {key.curve.name}")
        return ES256
    if isinstance(key, ed25519.Ed25519PublicKey):
        return EDDSA
    if isinstance(key, rsa.RSAPublicKey):
        return PS256
    raise ValueError("unsupported public key type")


@dataclass(frozen=True)
class Signer:
    """A private key able to sign COSE_Sign1 structures under its kid."""

    alg: int
    kid: bytes
    key: Any

    @classmethod
    def from_key(cls, profile: str, key: Any, kid: bytes | None = None) -> Signer:
        alg = PROFILES[profile]
        return cls(alg=alg, kid=kid or kid_of(public_key_der(profile, key)), key=key)

    def sign(self, data: bytes) -> bytes:
        if self.alg == ES256:
            r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if self.alg == EDDSA:
            return bytes(self.key.sign(data))
        if self.alg == PS256:
            return bytes(
                self.key.sign(
                    data,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                    hashes.SHA256(),
                )
            )
        if self.alg == SM2_SM3:
            return gm.sign(self.key, data)
        raise ValueError(f"cannot sign with alg {self.alg}")


def verify_signature(alg: int, public_key: Any, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` over ``data`` verifies under ``public_key`` with ``alg``."""
    try:
        if alg == ES256:
            if len(signature) != 64 or not isinstance(public_key, ec.EllipticCurvePublicKey):
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == EDDSA:
            if not isinstance(public_key, ed25519.Ed25519PublicKey):
                return False
            public_key.verify(signature, data)
            return True
        if alg == PS256:
            if not isinstance(public_key, rsa.RSAPublicKey):
                return False
            public_key.verify(
                signature,
                data,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                hashes.SHA256(),
            )
            return True
        if alg == SM2_SM3:
            return gm.AVAILABLE and gm.verify(public_key, signature, data)
    except InvalidSignature:
        return False
    return False


# Envelope


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign1(signer: Signer, payload: bytes) -> bytes:
    """A tagged COSE_Sign1 with alg and kid in the protected header."""
    protected = cbor2.dumps({HEADER_ALG: signer.alg, HEADER_KID: signer.kid})
    signature = signer.sign(sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def encode(signer: Signer, claims: dict[int, Any], *, prefix: str = CITY_PREFIX) -> str:
    """Claims → CWT → COSE_Sign1 → zlib → Base45 behind ``prefix``."""
    message = sign1(signer, cbor2.dumps(claims))
    return prefix + base45.b45encode(zlib.compress(message, 9)).decode("ascii")
