"""Personal data at rest: AES-256-GCM encryption and an HMAC-SHA256 blind index.

The key lives outside the database (a key file or the environment). The blind
index lets a clerk find a person by 身份证号 without the database ever holding it:
it is keyed by a sub-key derived from the same master key, so without the key the
index cannot be tested against guessed numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from citybrain.config import Settings

NONCE_BYTES = 12
KEY_VERSION = b"\x01"


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class PiiCipher:
    """Encrypts, decrypts and indexes personal data with one 32-byte master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the personal-data key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"citybrain pii encryption v1"))
        self._index_key = _derive(master_key, b"citybrain pii blind index v1")

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        """Ciphertext bound to ``context`` (e.g. ``person.id_number``) so fields can't swap."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return KEY_VERSION + nonce + sealed

    def decrypt(self, ciphertext: bytes, *, context: str) -> str:
        if ciphertext[:1] != KEY_VERSION:
            raise ValueError("unknown personal-data key version")
        nonce, sealed = ciphertext[1 : 1 + NONCE_BYTES], ciphertext[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, context.encode()).decode()
        except InvalidTag:
            raise ValueError("personal data could not be decrypted with this key") from None

    def blind_index(self, plaintext: str, *, context: str) -> str:
        message = context.encode() + b"\x00" + plaintext.encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def load_master_key(settings: Settings) -> bytes:
    """The master key from the environment, a key file, or a new file in data_dir."""
    if settings.pii_key is not None:
        return base64.b64decode(settings.pii_key.get_secret_value())
    path = settings.pii_key_file or settings.data_dir / "pii.key"
    if not path.exists():
        if settings.pii_key_file is not None:
            raise FileNotFoundError(f"personal-data key file {path} does not exist")
        _write_secret_file(path, base64.b64encode(secrets.token_bytes(32)).decode())
    return base64.b64decode(path.read_text().strip())


def load_token_secret(settings: Settings) -> str:
    """The bearer-token signing secret from the environment or data_dir/secret.key."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        _write_secret_file(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def _write_secret_file(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content + "\n")


def cipher_of(session: Session) -> PiiCipher:
    """The cipher the session's factory was built with (see ``core.db.make_sessionmaker``)."""
    cipher = session.info.get("pii")
    if cipher is None:
        raise RuntimeError("this session carries no personal-data cipher")
    return cipher
