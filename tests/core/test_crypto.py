"""Personal data is encrypted with AES-GCM and looked up through a keyed blind index."""

from __future__ import annotations

import os

import pytest

from citybrain.core.crypto import PiiCipher


def test_round_trip_and_fresh_nonces() -> None:
    cipher = PiiCipher(os.urandom(32))
    first = cipher.encrypt("11010519491231002X", context="person.id")
    second = cipher.encrypt("11010519491231002X", context="person.id")
    assert first != second
    assert b"11010519491231002X" not in first
    assert cipher.decrypt(first, context="person.id") == "11010519491231002X"


def test_ciphertext_is_bound_to_its_field() -> None:
    cipher = PiiCipher(os.urandom(32))
    sealed = cipher.encrypt("13812345678", context="person.phone")
    with pytest.raises(ValueError):
        cipher.decrypt(sealed, context="person.id")


def test_another_key_cannot_decrypt_or_match_the_index() -> None:
    mine, theirs = PiiCipher(os.urandom(32)), PiiCipher(os.urandom(32))
    sealed = mine.encrypt("13812345678", context="p")
    with pytest.raises(ValueError):
        theirs.decrypt(sealed, context="p")
    assert mine.blind_index("13812345678", context="p") != theirs.blind_index(
        "13812345678", context="p"
    )
    assert mine.blind_index("13812345678", context="p") == mine.blind_index(
        "13812345678", context="p"
    )


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        PiiCipher(b"short")
