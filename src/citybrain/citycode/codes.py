"""The claims of the two city codes and their QR pictures (pure, no database).

Personal code: ``{k: "person", t: 16-byte pseudonymous token, s: status, r: rule
version}``. Venue code: ``{k: "venue", v: venue id, n: 8-byte nonce}``, valid for one
rotation window only. The token is an HMAC of the person's row id under the
personal-data key (see ``keys.person_token``): it never carries the 身份证号.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import segno

from citybrain.citycode import cose

ISSUER = "CN-410100"
MAX_QR_CHARS = 600


def person_claims(
    *, token: bytes, status: str, rule_version: int, issued_at: datetime, ttl: timedelta
) -> dict[int, object]:
    return {
        cose.CLAIM_ISS: ISSUER,
        cose.CLAIM_IAT: int(issued_at.timestamp()),
        cose.CLAIM_EXP: int((issued_at + ttl).timestamp()),
        cose.CLAIM_CITYCODE: {"k": "person", "t": token, "s": status, "r": rule_version},
    }


def venue_claims(
    *, venue_id: int, window_start: datetime, window: timedelta, nonce: bytes | None = None
) -> dict[int, object]:
    return {
        cose.CLAIM_ISS: ISSUER,
        cose.CLAIM_IAT: int(window_start.timestamp()),
        cose.CLAIM_EXP: int((window_start + window).timestamp()),
        cose.CLAIM_CITYCODE: {"k": "venue", "v": venue_id, "n": nonce or os.urandom(8)},
    }


def qr_svg(code: str, *, scale: int = 4) -> str:
    """The code as an inline SVG QR: alphanumeric mode, error correction Q."""
    qr = segno.make_qr(code, error="q", mode="alphanumeric", boost_error=False)
    return str(qr.svg_inline(scale=scale, border=2))


def qr_version(code: str) -> int:
    qr = segno.make_qr(code, error="q", mode="alphanumeric", boost_error=False)
    return int(qr.version)
