"""Batched scan ingest: ``scans.ingest_batch`` against a bare executemany insert.

raw:  DBAPI executemany of the same rows into a table with the same columns and the
      same unique and secondary indexes, one transaction per batch.
ours: signed batches of 5,000 through ``scans.ingest_batch`` (Ed25519 batch signature,
      duplicate check by scan id, insert, audit row, outbox event), one commit per batch;
      then the same batches retried (all duplicates, nothing added).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser, timer  # noqa: E402
from citybrain.citycode import scans  # noqa: E402
from citybrain.citycode.models import Device, Scan, Venue  # noqa: E402
from citybrain.core.crypto import PiiCipher  # noqa: E402
from citybrain.core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from citybrain.core.security import Actor, ActorKind, Role  # noqa: E402
from citybrain.models import Base  # noqa: E402

BATCH = 5_000
RAW_TABLE = """CREATE TABLE IF NOT EXISTS bench_raw_scan (
    id INTEGER PRIMARY KEY, scan_id VARCHAR(36) UNIQUE, venue_id INTEGER, device_id INTEGER,
    person_token VARCHAR(32), outcome VARCHAR(16), method VARCHAR(16),
    scanned_at VARCHAR(32), received_at VARCHAR(32))"""
RAW_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_bench_raw_venue ON bench_raw_scan (venue_id, scanned_at)",
    "CREATE INDEX IF NOT EXISTS ix_bench_raw_token ON bench_raw_scan (person_token, scanned_at)",
    "CREATE INDEX IF NOT EXISTS ix_bench_raw_at ON bench_raw_scan (scanned_at)",
)
ACTOR = Actor(kind=ActorKind.system, id="bench", name="bench", role=Role.health_authority)


def main() -> None:
    args = parser(__doc__ or "", n=200_000).parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine, pii=PiiCipher(os.urandom(32)))
    rng = random.Random(args.seed)
    key = ed25519.Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with factory() as session, transaction(session):
        venue = Venue(
            kind="public_place",
            name="bench",
            operator_name="bench",
            address="bench",
            lon=113.66,
            lat=34.75,
            grid_cell_code=None,
            division_code="410105",
            policy={},
            dwell_minutes=60,
            min_overlap_minutes=15,
        )
        session.add(venue)
        session.flush()
        device = Device(venue_id=venue.id, name="bench", public_key_der=der)
        session.add(device)
        session.flush()
        device_id, venue_id = device.id, venue.id
    now = datetime.now(UTC)
    tokens = [f"{rng.getrandbits(128):032x}" for _ in range(max(args.n // 20, 10))]
    items = [
        scans.ScanIn(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            rng.choice(tokens),
            "pass",
            now - timedelta(seconds=rng.randrange(14 * 86_400)),
        )
        for _ in range(args.n)
    ]
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]

    # raw: the same rows, executemany, one transaction per batch
    raw_rows = [
        [
            (
                s.scan_id,
                venue_id,
                device_id,
                s.person_token,
                s.outcome,
                "device_scan",
                s.scanned_at.isoformat(),
                now.isoformat(),
            )
            for s in batch
        ]
        for batch in batches
    ]
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    insert_sql = (
        "INSERT INTO bench_raw_scan (scan_id, venue_id, device_id, person_token, outcome, "
        f"method, scanned_at, received_at) VALUES ({', '.join([mark] * 8)})"
    )
    with engine.connect() as connection:
        connection.exec_driver_sql(RAW_TABLE)
        for statement in RAW_INDEXES:
            connection.exec_driver_sql(statement)
        connection.commit()
        with timer() as raw_elapsed:
            for rows in raw_rows:
                connection.exec_driver_sql(insert_sql, rows)
                connection.commit()
        raw = args.n / raw_elapsed()

    signed = [
        (f"batch-{i}", batch, key.sign(scans.batch_signing_bytes(device_id, f"batch-{i}", batch)))
        for i, batch in enumerate(batches)
    ]

    def upload() -> int:
        stored = 0
        for batch_id, batch, signature in signed:
            with factory() as session, transaction(session):
                ack = scans.ingest_batch(
                    session,
                    actor=ACTOR,
                    device_id=device_id,
                    batch_id=batch_id,
                    scans=batch,
                    signature=signature,
                )
                stored += ack.stored
        return stored

    with timer() as ours_elapsed:
        stored = upload()
    ours = args.n / ours_elapsed()
    with timer() as retry_elapsed:
        again = upload()
    retry = args.n / retry_elapsed()
    with factory() as session:
        count = session.scalar(select(func.count()).select_from(Scan))
    if stored != args.n or again != 0 or count != args.n:
        raise SystemExit(f"ingest lost or doubled scans: {stored=} {again=} {count=}")

    report = Report("citycode: batched scan ingest")
    report.add("scans", args.n)
    report.add("batch size", BATCH)
    report.add("raw executemany insert", round(raw, 1), "rows/s")
    report.add("ours signed batch ingest", round(ours, 1), "scans/s")
    report.add("ours retried batches (all duplicates)", round(retry, 1), "scans/s")
    report.ratio("ours vs raw", ours, raw)
    report.print(args.json)


if __name__ == "__main__":
    main()
