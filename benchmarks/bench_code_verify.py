"""Offline code verification: our stage-by-stage verifier against a bare signature check.

raw:  ``cryptography`` verify of the same COSE signature (ES256 / Ed25519; tongsuopy for SM2).
ours: ``verifier.verify`` from the QR string: prefix, Base45, zlib, COSE/CBOR, kid
      look-up, signature, expiry, key usage, payload — for city codes and EU DCCs (HC1).
No database is used (``--db`` is accepted for the common interface).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser, timer  # noqa: E402
from citybrain.citycode import codes, cose, gm, verifier  # noqa: E402


def _raw_rate(alg: int, public_key: Any, code: str, n: int) -> float:
    """Verifications/s of the bare signature over the already-built Sig_structure."""
    import zlib

    import base45

    message = cbor2.loads(zlib.decompress(base45.b45decode(code[4:])))
    protected, _unprotected, payload, signature = message.value
    data = cose.sig_structure(protected, payload)
    with timer() as elapsed:
        for _ in range(n):
            if not cose.verify_signature(alg, public_key, signature, data):
                raise SystemExit("raw verification failed")
    return n / elapsed()


def _ours(code: str, store: verifier.TrustStore, n: int, at: datetime) -> tuple[float, float]:
    """(verifications/s, p99 ms) of the full path from the string."""
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        result = verifier.verify(code, store, at=at)
        latencies.append(time.perf_counter() - t0)
        if not result.valid:
            raise SystemExit(f"verification failed: {result.stage} {result.reason}")
    total = time.perf_counter() - started
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 100 else max(latencies)
    return n / total, p99 * 1000


DCC = {
    "ver": "1.3.0",
    "nam": {"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Erika", "gnt": "ERIKA"},
    "dob": "1964-08-12",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-05-29",
            "co": "DE",
            "is": "Robert Koch-Institut",
            "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W",
        }
    ],
}


def _dsc(now: datetime) -> tuple[Any, x509.Certificate]:
    """A self-issued ES256 document-signer certificate limited to vaccinations."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DSC bench")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=300))
        .add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def main() -> None:
    args = parser(__doc__ or "", n=20_000).parse_args()
    report = Report("citycode: offline verification (one core)")
    now = datetime.now(UTC)
    profiles = ["es256", "ed25519"] + (["sm2"] if gm.AVAILABLE else [])
    for profile in profiles:
        key = cose.generate_private_key(profile)
        der = cose.public_key_der(profile, key)
        signer = cose.Signer.from_key(profile, key)
        store = verifier.TrustStore()
        trusted = verifier.trusted_key_from_public_der(der)
        store.add(trusted)
        claims = codes.person_claims(
            token=os.urandom(16),
            status="green",
            rule_version=1,
            issued_at=now,
            ttl=timedelta(hours=24),
        )
        code = cose.encode(signer, claims)
        n = args.n if profile != "sm2" else max(args.n // 4, 50)
        raw = _raw_rate(signer.alg, trusted.public_key, code, n)
        ours, p99 = _ours(code, store, n, now)
        report.add(f"{profile} raw signature verify", round(raw, 1), "/s")
        report.add(f"{profile} ours full verify", round(ours, 1), "/s")
        report.add(f"{profile} ours p99", round(p99, 3), "ms")
        report.add(f"{profile} code length", len(code), "chars")
        report.ratio(f"{profile} ours vs raw", ours, raw)
    # An EU DCC with an ES256 document signer certificate.
    dsc_key, cert = _dsc(now)
    hc1 = cose.encode(
        cose.Signer(cose.ES256, cose.kid_of(cert.public_bytes(Encoding.DER)), dsc_key),
        {
            cose.CLAIM_ISS: "DE",
            cose.CLAIM_IAT: int(now.timestamp()) - 3600,
            cose.CLAIM_EXP: int(now.timestamp()) + 86_400,
            cose.CLAIM_HCERT: {1: DCC},
        },
        prefix=cose.DCC_PREFIX,
    )
    store = verifier.TrustStore()
    store.add(verifier.trusted_key_from_certificate(cert))
    raw = _raw_rate(cose.ES256, cert.public_key(), hc1, args.n)
    ours, p99 = _ours(hc1, store, args.n, now)
    report.add("dcc es256 raw signature verify", round(raw, 1), "/s")
    report.add("dcc es256 ours full verify", round(ours, 1), "/s")
    report.add("dcc es256 ours p99", round(p99, 3), "ms")
    report.ratio("dcc es256 ours vs raw", ours, raw)
    report.print(args.json)


if __name__ == "__main__":
    main()
