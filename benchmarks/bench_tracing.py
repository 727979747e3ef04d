"""Contact tracing latency on realistic venue density: ``scans.trace`` against one raw SQL query.

Data: ``--n`` scans (default 10 million) over 14 days by n/50 people (50 scans each) at
n/700 venues chosen with a Zipf-like popularity (exponent 0.7: popular venues get
hundreds to a few thousand check-ins a day, most get a few); venue kinds mixed, each
with its dwell and minimum overlap.
raw:  the same question as one indexed SQL self-join per index person (SQLite).
ours: ``scans.trace`` for a case (index scans, contacts per venue window, owner look-up,
      trace row, audit, outbox), first hop.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser  # noqa: E402
from citybrain.citycode import rules, scans, status  # noqa: E402
from citybrain.citycode.models import Scan, Venue  # noqa: E402
from citybrain.core import ids  # noqa: E402
from citybrain.core.crypto import PiiCipher  # noqa: E402
from citybrain.core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from citybrain.core.security import Actor, ActorKind, Role  # noqa: E402
from citybrain.identity import service as identity_service  # noqa: E402
from citybrain.models import Base  # noqa: E402

ACTOR = Actor(kind=ActorKind.system, id="bench", name="bench", role=Role.health_authority)
SCANS_PER_PERSON = 50
CHUNK = 200_000
KIND_MIX = [
    (rules.VenueKind.public_place, 0.6),
    (rules.VenueKind.work_unit, 0.15),
    (rules.VenueKind.residential_compound, 0.15),
    (rules.VenueKind.traffic_checkpoint, 0.1),
]
RAW_QUERY = text(
    """
    SELECT DISTINCT c.person_token
    FROM citycode_scan AS v
    JOIN citycode_venue AS ve ON ve.id = v.venue_id
    JOIN citycode_scan AS c
      ON c.venue_id = v.venue_id
     AND c.scanned_at >= datetime(v.scanned_at,
                                  printf('-%d minutes', ve.dwell_minutes - ve.min_overlap_minutes))
     AND c.scanned_at <= datetime(v.scanned_at,
                                  printf('+%d minutes', ve.dwell_minutes - ve.min_overlap_minutes))
    WHERE v.person_token = :token AND v.scanned_at >= :since AND v.scanned_at <= :until
      AND c.person_token IS NOT NULL AND c.person_token != :token
    """
)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def main() -> None:
    arguments = parser(__doc__ or "", n=10_000_000)
    arguments.add_argument("--queries", type=int, default=50, help="Index cases to trace.")
    args = arguments.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    if engine.dialect.name != "sqlite":
        raise SystemExit("the raw query of this benchmark is written for SQLite")
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine, pii=PiiCipher(os.urandom(32)))
    rng = random.Random(args.seed)
    people = max(args.n // SCANS_PER_PERSON, 20)
    venue_count = max(args.n // 700, 10)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=14)
    queries = min(args.queries, people)
    generated = time.perf_counter()

    with factory() as session, transaction(session):
        kinds = [k for k, _ in KIND_MIX]
        weights = [w for _, w in KIND_MIX]
        venue_rows = []
        for i in range(venue_count):
            kind = rng.choices(kinds, weights)[0]
            dwell, overlap = rules.DEFAULT_DWELL[kind]
            venue_rows.append(
                Venue(
                    kind=kind.value,
                    name=f"venue {i}",
                    operator_name="bench",
                    address="bench",
                    lon=113.66,
                    lat=34.75,
                    grid_cell_code=None,
                    division_code="410105",
                    policy={},
                    dwell_minutes=dwell,
                    min_overlap_minutes=overlap,
                )
            )
        session.add_all(venue_rows)
        session.flush()
        venue_ids = [v.id for v in venue_rows]
        index_ids = []
        for i in range(queries):
            person = identity_service.build_person(
                session, name=f"病例{i}", id_number=ids.make_id_number("410105", start.date(), i)
            )
            session.add(person)
            session.flush()
            index_ids.append(person.id)
        index_tokens = [status.status_row(session, pid).token for pid in index_ids]

    popularity = list(itertools.accumulate(1 / (r + 1) ** 0.7 for r in range(venue_count)))
    total_weight = popularity[-1]
    span = 14 * 86_400

    def venue() -> int:
        return venue_ids[bisect.bisect_left(popularity, rng.random() * total_weight)]

    tokens = index_tokens + [f"{rng.getrandbits(128):032x}" for _ in range(people - queries)]
    insert = (
        "INSERT INTO citycode_scan (scan_id, venue_id, device_id, person_token, outcome, method,"
        " scanned_at, received_at) VALUES (?, ?, NULL, ?, 'pass', 'device_scan', ?, ?)"
    )
    received = _stamp(now)
    with engine.connect() as connection:
        for index in Scan.__table__.indexes:
            index.drop(connection)
        serial = 0
        batch: list[tuple[str, int, str, str, str]] = []
        for token in tokens:
            for _ in range(SCANS_PER_PERSON):
                at = start + timedelta(seconds=rng.randrange(span))
                batch.append((f"{serial:016x}", venue(), token, _stamp(at), received))
                serial += 1
            if len(batch) >= CHUNK:
                connection.exec_driver_sql(insert, batch)
                connection.commit()
                batch = []
        if batch:
            connection.exec_driver_sql(insert, batch)
        for index in Scan.__table__.indexes:
            index.create(connection)
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    generated = time.perf_counter() - generated

    raw_ms, ours_ms, agree, contacts = [], [], 0, []
    with factory() as session:
        for person_id, token in zip(index_ids, index_tokens, strict=True):
            t0 = time.perf_counter()
            raw = set(
                session.scalars(
                    RAW_QUERY, {"token": token, "since": _stamp(start), "until": _stamp(now)}
                )
            )
            raw_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            with transaction(session):
                query = scans.trace(
                    session, actor=ACTOR, case_id=f"bench-{person_id}", person_id=person_id, at=now
                )
            ours_ms.append((time.perf_counter() - t0) * 1000)
            found = {c["token"] for c in query.contacts}
            contacts.append(len(found))
            agree += len(found ^ raw) <= max(1, len(raw) // 100)

    def pct(values: list[float], q: int) -> float:
        return (
            round(statistics.quantiles(values, n=100)[q - 1], 2) if len(values) > 1 else values[0]
        )

    report = Report("citycode: contact tracing over 14 days")
    report.add("scans", serial)
    report.add("people", people)
    report.add("venues", venue_count)
    report.add("data generation and indexing", round(generated, 1), "s")
    report.add("contacts per case p50", int(statistics.median(contacts)))
    report.add("raw SQL p50", pct(raw_ms, 50), "ms")
    report.add("raw SQL p95", pct(raw_ms, 95), "ms")
    report.add("ours trace p50", pct(ours_ms, 50), "ms")
    report.add("ours trace p95", pct(ours_ms, 95), "ms")
    report.add("cases where ours and raw agree (±1%)", f"{agree}/{len(index_ids)}")
    report.ratio(
        "ours p50 vs raw p50 (time)", statistics.median(ours_ms), statistics.median(raw_ms)
    )
    report.print(args.json)


if __name__ == "__main__":
    main()
