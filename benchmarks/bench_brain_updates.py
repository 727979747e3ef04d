"""The data hub's write path: single-attribute updates, a 2,000-entity upsert, aggregation.

raw:  bare executemany of observation rows into the same database (the insert limit).
ours: NGSI-LD partial attribute updates (PATCH .../attrs/{attr}), one transaction each,
      through the service for ``--seconds`` (60: sustained for a minute) and through the
      ASGI app over HTTP; two batch upserts of 1,000 entities; a PT1H aggrMethods query
      over ``--history-entities`` sensors × 30 days of 5-minute history (1,000 × 8,640 =
      8.64M rows by default), read a page of 100 entities at a time as a client would.

The schema is built by the migrations, so on PostgreSQL the history is partitioned by
month exactly as in production.
"""

from __future__ import annotations

import base64
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser, timer  # noqa: E402
from citybrain.brain import history as history_service  # noqa: E402
from citybrain.brain.models import NgsiEntity, NgsiObservation  # noqa: E402
from citybrain.brain.ngsi import batch, entities, store, temporal  # noqa: E402
from citybrain.brain.ngsi.context import core_context  # noqa: E402
from citybrain.core import migrate  # noqa: E402
from citybrain.core.db import make_engine, make_sessionmaker, transaction, utcnow  # noqa: E402
from citybrain.core.security import Actor, ActorKind, Role  # noqa: E402

OPERATOR = Actor(kind=ActorKind.staff, id="1", name="bench", role=Role.command_centre_operator)
CTX = core_context()
LEVEL = CTX.expand("currentLevel")


def sensor(n: int, run: str) -> dict[str, object]:
    return {
        "id": f"urn:ngsi-ld:FloodMonitoring:{run}-{n:05d}",
        "type": "FloodMonitoring",
        "currentLevel": {"type": "Property", "value": 0.001 * (n % 50), "unitCode": "MTR"},
        "name": {"type": "Property", "value": f"下穿隧道{n}"},
        "location": {
            "type": "GeoProperty",
            "value": {
                "type": "Point",
                "coordinates": [113.6 + n % 100 * 0.001, 34.7 + n // 100 * 0.001],
            },
        },
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def raw_insert_rate(factory, count: int) -> float:  # type: ignore[no-untyped-def]
    with factory() as session, transaction(session):
        pk = session.execute(
            insert(NgsiEntity).returning(NgsiEntity.id),
            [{"entity_id": "urn:ngsi-ld:Raw:1", "entity_type": "Raw"}],
        ).scalar_one()
    now = utcnow()
    rows = [
        {
            "entity_pk": pk,
            "name": LEVEL,
            "kind": "Property",
            "value_num": float(i),
            "body": {"type": "Property", "value": float(i)},
            "observed_at": now,
            "observed_ms": int(now.timestamp() * 1000),
            "created_at": now,
            "source": "raw",
        }
        for i in range(count)
    ]
    with factory() as session, transaction(session), timer() as elapsed:
        session.execute(insert(NgsiObservation), rows)
    return count / elapsed()


def service_updates(factory, ids: list[str], seconds: float, seed: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Single-attribute updates back to back for ``seconds``; their latencies."""
    rng = random.Random(seed)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(latencies) < 20:
        entity_id = rng.choice(ids)
        started = time.perf_counter()
        with factory() as session, transaction(session):
            entities.update_attribute(
                session,
                entity_id=entity_id,
                attr="currentLevel",
                raw={"value": round(rng.random() / 10, 3)},
                ctx=CTX,
                actor=OPERATOR,
            )
        latencies.append(time.perf_counter() - started)
    return latencies


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_updates(
    factory, url: str, folder: Path, ids: list[str], updates: int, seed: int, clients: int
) -> tuple[list[float], float, float]:  # type: ignore[no-untyped-def]
    """PATCH over HTTP against a real ``uvicorn`` process, authenticated by API key.

    Returns the PATCH latencies, their wall time, and the rate of bare ``GET /healthz``
    round trips with the same clients (the HTTP stack's own limit on this machine).
    """
    import httpx

    from citybrain.core.security import OPERATOR as CLI
    from citybrain.identity import service as identity_service

    with factory() as session, transaction(session):
        key = identity_service.create_api_key(
            session, actor=CLI, name="bench feed", scopes=["brain:ngsi_write"]
        ).key
    port = _free_port()
    env = {
        **os.environ,
        "CITYBRAIN_DATABASE_URL": url,
        "CITYBRAIN_DATA_DIR": str(folder),
        "CITYBRAIN_PII_KEY": base64.b64encode(bytes(32)).decode(),
        "CITYBRAIN_SECRET_KEY": "benchmark-secret-key-of-enough-length",
        "CITYBRAIN_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "citybrain.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        per_client = max(1, updates // clients)
        latencies: list[float] = []
        lock = threading.Lock()

        def work(offset: int) -> None:
            rng = random.Random(seed + offset)
            mine = []
            with httpx.Client(base_url=base, headers={"X-API-Key": key}) as http:
                for _ in range(per_client):
                    entity_id = rng.choice(ids)
                    started = time.perf_counter()
                    response = http.patch(
                        f"/ngsi-ld/v1/entities/{entity_id}/attrs/currentLevel",
                        json={"value": round(rng.random() / 10, 3)},
                    )
                    mine.append(time.perf_counter() - started)
                    assert response.status_code == 204, response.text
            with lock:
                latencies.extend(mine)

        def ping(count: int) -> None:
            with httpx.Client(base_url=base) as http:
                for _ in range(count):
                    http.get("/healthz")

        pings = [threading.Thread(target=ping, args=(per_client // 2,)) for _ in range(clients)]
        started_all = time.perf_counter()
        for thread in pings:
            thread.start()
        for thread in pings:
            thread.join()
        ping_rate = clients * (per_client // 2) / (time.perf_counter() - started_all)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
        started_all = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return latencies, time.perf_counter() - started_all, ping_rate
    finally:
        server.terminate()
        server.wait(15)


HISTORY_START = datetime(2026, 10, 1, tzinfo=UTC)

_SQLITE_HISTORY = """
WITH RECURSIVE step(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM step WHERE n < :steps - 1)
INSERT INTO brain_observation
  (entity_pk, name, kind, value_num, body, observed_at, observed_ms, created_at, source)
SELECT e.id, :name, 'Property', (step.n % 288) / 1000.0,
  json_object('type', 'Property', 'value', (step.n % 288) / 1000.0),
  strftime('%Y-%m-%d %H:%M:%S', (:start + step.n * :step_ms) / 1000, 'unixepoch') || '.000000',
  :start + step.n * :step_ms,
  strftime('%Y-%m-%d %H:%M:%S', (:start + step.n * :step_ms) / 1000, 'unixepoch') || '.000000',
  'bench'
FROM brain_entity e CROSS JOIN step
WHERE e.id BETWEEN :first AND :last
ORDER BY e.id, step.n
"""

_POSTGRESQL_HISTORY = """
INSERT INTO brain_observation
  (entity_pk, name, kind, value_num, body, observed_at, observed_ms, created_at, source)
SELECT e.id, :name, 'Property', (step.n % 288) / 1000.0,
  json_build_object('type', 'Property', 'value', (step.n % 288) / 1000.0),
  to_timestamp((:start + step.n * :step_ms) / 1000.0),
  :start + step.n * :step_ms,
  to_timestamp((:start + step.n * :step_ms) / 1000.0),
  'bench'
FROM brain_entity e CROSS JOIN generate_series(0::bigint, :steps - 1) AS step(n)
WHERE e.id BETWEEN :first AND :last
ORDER BY step.n, e.id
"""


def history(factory, engine, entity_count: int, days: int, step_minutes: int) -> int:  # type: ignore[no-untyped-def]
    """Synthetic 5-minute history for ``entity_count`` sensors, generated inside the database.

    (Python would spend minutes building 8.64M rows; the database writes them directly,
    100 sensors per transaction.)
    """
    steps = days * 24 * 60 // step_minutes
    kind = engine.dialect.name
    with factory() as session, transaction(session):
        history_service.ensure_partitions(session, now=utcnow(), since=HISTORY_START)
        pks = [
            session.execute(
                insert(NgsiEntity).returning(NgsiEntity.id),
                [
                    {
                        "entity_id": f"urn:ngsi-ld:FloodMonitoring:hist-{n:05d}",
                        "entity_type": CTX.expand("FloodMonitoring"),
                    }
                ],
            ).scalar_one()
            for n in range(entity_count)
        ]
    statement = text(_POSTGRESQL_HISTORY if kind == "postgresql" else _SQLITE_HISTORY)
    for start in range(0, len(pks), 100):
        chunk = pks[start : start + 100]
        with factory() as session, transaction(session):
            session.execute(
                statement,
                {
                    "steps": steps,
                    "name": LEVEL,
                    "start": int(HISTORY_START.timestamp() * 1000),
                    "step_ms": step_minutes * 60_000,
                    "first": chunk[0],
                    "last": chunk[-1],
                },
            )
    if kind == "postgresql":  # what autovacuum would do: statistics and the visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE brain_observation"))
    with factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(NgsiObservation)
                .where(NgsiObservation.entity_pk.between(pks[0], pks[-1]))
            )
            or 0
        )


def main() -> None:
    arguments = parser(__doc__ or "", n=60_000)
    arguments.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="How long the single-attribute updates run (sustained rate and p95).",
    )
    arguments.add_argument(
        "--history-entities",
        type=int,
        default=1_000,
        help="Sensors with 30 days of 5-minute history for the aggregation "
        "(capped at --n / 20, so a small --n stays small).",
    )
    arguments.add_argument("--clients", type=int, default=4, help="Concurrent HTTP clients.")
    args = arguments.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.db or f"sqlite:///{folder}/bench.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    run = f"r{int(time.time())}"
    report = Report(
        f"data hub: single-attribute updates for {args.seconds:g} s, 2,000-entity upsert, "
        f"PT1H aggregation ({engine.dialect.name})"
    )

    raw_rows = max(2_000, min(args.n, 100_000))
    raw = raw_insert_rate(factory, raw_rows)
    report.add("raw executemany insert", round(raw), "rows/s")

    upsert_times = []
    for part in range(2):
        chunk = [sensor(n, run) for n in range(part * 1000, part * 1000 + 1000)]
        with factory() as session, transaction(session), timer() as elapsed:
            result = batch.upsert(session, raw=chunk, ctx=CTX, actor=OPERATOR)
        assert not result.errors
        upsert_times.append(elapsed())
    report.add("2,000-entity batch upsert (create)", round(sum(upsert_times), 3), "s")
    again = [sensor(n, run) for n in range(2000)]
    with timer() as elapsed:
        for part in range(2):
            with factory() as session, transaction(session):
                batch.upsert(
                    session, raw=again[part * 1000 : part * 1000 + 1000], ctx=CTX, actor=OPERATOR
                )
    report.add("2,000-entity batch upsert (replace)", round(elapsed(), 3), "s")

    ids = [f"urn:ngsi-ld:FloodMonitoring:{run}-{n:05d}" for n in range(2000)]
    with timer() as elapsed:
        latencies = service_updates(factory, ids, args.seconds, args.seed)
    service_n, service_s = len(latencies), elapsed()
    rate = service_n / service_s
    report.add("ours update_attribute (service), sustained", round(rate), "updates/s")
    report.add("ours service updates timed", service_n)
    report.add("ours service seconds sustained", round(service_s, 1), "s")
    report.add("ours service p95 latency", round(percentile(latencies, 0.95) * 1000, 2), "ms")
    report.ratio("ours service / raw", rate, raw)
    http_n = max(100, args.n // 10)
    latencies, seconds, ping_rate = http_updates(
        factory, url, folder, ids, http_n, args.seed + 1, args.clients
    )
    http_rate = len(latencies) / seconds
    report.add("raw HTTP round trip (GET /healthz)", round(ping_rate), "requests/s")
    report.add(
        f"ours PATCH over HTTP (uvicorn, {args.clients} clients)", round(http_rate), "updates/s"
    )
    report.add("ours PATCH p95 latency", round(percentile(latencies, 0.95) * 1000, 2), "ms")
    report.add("ours PATCH median latency", round(statistics.median(latencies) * 1000, 2), "ms")
    report.ratio("ours PATCH / raw HTTP round trip", http_rate, ping_rate)
    report.add("updates timed (service + HTTP)", service_n + http_n)

    entity_count = max(2, min(args.history_entities, args.n // 20))
    with timer() as elapsed:
        rows = history(factory, engine, entity_count, 30, 5)
    report.add("history generated (in SQL)", round(elapsed(), 1), "s")
    with factory() as session:
        found = store.search(
            session, types=[CTX.expand("FloodMonitoring")], ids=None, id_pattern=None, geoquery=None
        )
        hist = [e for e in found if e.entity_id.startswith("urn:ngsi-ld:FloodMonitoring:hist-")]
        spec = temporal.parse_temporal(
            timerel="between",
            time_at="2026-10-01T00:00:00Z",
            end_time_at="2026-10-31T00:00:00Z",
            last_n=None,
            aggr_methods="avg,min,max,sum,totalCount",
            aggr_period="PT1H",
            options=None,
        )
        periods = 0
        with timer() as elapsed:
            for start in range(0, len(hist), 100):  # pages of 100 entities, as a client would
                page = hist[start : start + 100]
                result = temporal.temporal_entities(
                    session, page, ctx=CTX, spec=spec, attrs=[LEVEL]
                )
                periods += sum(len(e["currentLevel"]["avg"]) for e in result)
    report.add("aggrMethods PT1H over history", round(elapsed(), 3), "s")
    report.add("history rows aggregated", rows)
    report.add("history rows aggregated per second", round(rows / elapsed()), "rows/s")
    report.add("history sensors × periods", f"{entity_count} × {periods // max(1, entity_count)}")
    report.print(args.json)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()


if __name__ == "__main__":
    main()
