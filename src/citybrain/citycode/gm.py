"""The 国密 profile: SM2 signatures over SM3, through ``tongsuopy`` when it is installed.

``cryptography`` has SM3 and SM4 but no SM2. COSE registers no SM2 algorithm (the one
draft, draft-dang-webauthn-sm2-00, expired), so this profile uses a private-use ``alg``
value, ``SM2_SM3`` in ``cose.py``. Signatures travel as raw r‖s (64 bytes), like ES256.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature as _decode

try:  # pragma: no cover - exercised when tongsuopy is absent
    from tongsuopy.crypto import hashes as _hashes
    from tongsuopy.crypto import serialization as _serialization
    from tongsuopy.crypto.asymciphers import ec as _ec
    from tongsuopy.crypto.asymciphers.utils import encode_dss_signature as _encode
    from tongsuopy.crypto.exceptions import InvalidSignature as _InvalidSignature
    from tongsuopy.crypto.exceptions import UnsupportedAlgorithm as _UnsupportedAlgorithm

    AVAILABLE = True
except ImportError:  # pragma: no cover
    AVAILABLE = False


class Sm2Unavailable(RuntimeError):
    """Raised when the SM2 profile is asked for and no backend is installed."""


def _need() -> None:
    if not AVAILABLE:
        raise Sm2Unavailable("the SM2 profile needs the tongsuopy package")


def generate_private_key() -> Any:
    _need()
    return _ec.generate_private_key(_ec.SM2())


def private_key_pem(key: Any) -> bytes:
    return bytes(
        key.private_bytes(
            _serialization.Encoding.PEM,
            _serialization.PrivateFormat.PKCS8,
            _serialization.NoEncryption(),
        )
    )


def load_private_key(pem: bytes) -> Any:
    _need()
    return _serialization.load_pem_private_key(pem, password=None)


def public_key_der(key: Any) -> bytes:
    public = key.public_key() if hasattr(key, "private_bytes") else key
    return bytes(
        public.public_bytes(
            _serialization.Encoding.DER, _serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def load_public_key_der(der: bytes) -> Any:
    """An SM2 public key from SubjectPublicKeyInfo DER; ValueError if it is not SM2."""
    _need()
    try:
        key = _serialization.load_der_public_key(der)
    except (TypeError, _UnsupportedAlgorithm) as error:
        raise ValueError("not an SM2 public key") from error
    if not isinstance(key, _ec.EllipticCurvePublicKey) or key.curve.name.lower() != "sm2":
        raise ValueError("not an SM2 public key")
    return key


def sign(key: Any, data: bytes) -> bytes:
    """Raw r‖s (64 bytes) SM2 signature with SM3 and the default user ID."""
    r, s = _decode(key.sign(data, _ec.ECDSA(_hashes.SM3())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(public_key: Any, signature: bytes, data: bytes) -> bool:
    if len(signature) != 64:
        return False
    der = _encode(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, data, _ec.ECDSA(_hashes.SM3()))
    except _InvalidSignature:
        return False
    return True
