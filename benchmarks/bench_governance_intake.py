"""Event intake (normalise, classify, de-duplicate, dispatch) against many open cases.

raw:  a bare executemany insert of case rows into governance_case (the database's
      write limit for this table on this machine).
ours: intake.intake per report — point → grid cell/street/district, category given or
      suggested by the classifier (half the reports), duplicate check within 250 m and
      30 days, 立案 and 派遣 with the time limit, audit and outbox rows — committed in
      batches of 100. Also: single-point grid look-ups per second and the duplicate
      check time (mean and p95) over the open cases.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Table, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser, timer  # noqa: E402
from citybrain.config import Settings  # noqa: E402
from citybrain.core.db import make_engine, transaction, utcnow  # noqa: E402
from citybrain.core.security import SYSTEM  # noqa: E402
from citybrain.governance import classify, corpus, dedupe, intake, rules  # noqa: E402
from citybrain.governance.models import Case  # noqa: E402
from citybrain.identity.models import Department  # noqa: E402
from citybrain.models import Base  # noqa: E402
from citybrain.regions import service as regions_service  # noqa: E402
from citybrain.regions.models import GridCell  # noqa: E402
from citybrain.runtime import session_factory  # noqa: E402

CASE_TABLE: Table = Case.__table__  # type: ignore[assignment]
BATCH = 100


def _setup(factory: Any, seed: int) -> None:
    with factory() as session, transaction(session):
        if not regions_service.list_streets(session):
            regions_service.load_reference(session)
            regions_service.load_synthetic_geometry(session, seed=seed)
        names = {c.department for c in rules.categories().values()}
        existing = set(session.scalars(select(Department.name)))
        for name in sorted(names - existing):
            session.add(
                Department(name=name, short_name=name[-8:], kind="组成部门", division_code="410100")
            )


def _case_rows(
    rng: random.Random, points: list[tuple[float, float]], count: int
) -> list[dict[str, Any]]:
    now = utcnow()
    codes = list(rules.categories())
    rows = []
    for _ in range(count):
        lon, lat = rng.choice(points)
        lon, lat = lon + rng.gauss(0, 0.002), lat + rng.gauss(0, 0.002)
        code = rng.choice(codes)
        rows.append(
            {
                "token": uuid.uuid4().hex,
                "channel": "hotline",
                "status": "dispatched",
                "category_code": code,
                "description": f"{rules.categories()[code].name}问题，请处理",
                "lon": lon,
                "lat": lat,
                "location_source": "point",
                "geo_bucket": rules.bucket_of(lon, lat),
                "accepted_at": now - timedelta(days=rng.uniform(0, 29)),
                "updated_at": now,
                "time_limit": 5,
                "time_unit": "workdays",
            }
        )
    return rows


def main() -> None:
    arguments = parser(__doc__ or "", n=2_000)
    arguments.add_argument(
        "--open", type=int, default=None, help="Open cases already stored (default 100,000)."
    )
    args = arguments.parse_args()
    open_cases = args.open if args.open is not None else (100_000 if args.n >= 1000 else 2_000)
    workdir = tempfile.TemporaryDirectory(prefix="bench-governance-")
    url = args.db or f"sqlite:///{workdir.name}/bench.db"
    settings = Settings(database_url=url, data_dir=Path(workdir.name))
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = session_factory(settings, engine)
    _setup(factory, args.seed)
    rng = random.Random(args.seed)
    with factory() as session:
        points = [
            (float(x), float(y))
            for x, y in session.execute(select(GridCell.centroid_lon, GridCell.centroid_lat))
        ]
    cells = len(points)
    report = Report(
        f"governance intake: {args.n:,} reports against {open_cases:,} open cases, "
        f"{cells:,} grid cells"
    )

    # raw: bare executemany insert of case rows (also fills the open-case background).
    rows = _case_rows(rng, points, open_cases)
    with factory() as session, transaction(session), timer() as raw_elapsed:
        for start in range(0, len(rows), 5_000):
            session.execute(insert(CASE_TABLE), rows[start : start + 5_000])
    raw_rate = open_cases / raw_elapsed()
    report.add("raw executemany insert", round(raw_rate), "rows/s")

    # grid look-ups, one point at a time as intake does them.
    probes = [rng.choice(points) for _ in range(min(args.n, 5_000))]
    with factory() as session:
        regions_service.locate(session, lon=probes[0][0], lat=probes[0][1])
        with timer() as locate_elapsed:
            for lon, lat in probes:
                regions_service.locate(session, lon=lon, lat=lat)
    report.add("grid look-ups (single point)", round(len(probes) / locate_elapsed()), "points/s")

    # classification alone, batched.
    texts = [
        corpus.describe(rng, rng.choice(list(rules.categories().values()))) for _ in range(500)
    ]
    classify.suggest(texts[:10])
    with timer() as classify_elapsed:
        classify.suggest(texts)
    report.add("classification", round(len(texts) / classify_elapsed()), "texts/s")

    # duplicate check over the open cases.
    durations = []
    with factory() as session:
        now = utcnow()
        for lon, lat in probes[:500]:
            code = rng.choice(list(rules.categories()))
            with timer() as one:
                dedupe.nearby(
                    session, category_code=code, lon=lon, lat=lat, text="垃圾满了", now=now
                )
            durations.append(one() * 1000)
    report.add("dedup check mean", round(statistics.fmean(durations), 3), "ms")
    report.add("dedup check p95", round(float(np.percentile(durations, 95)), 3), "ms")

    # ours: the whole intake, committed in batches.
    categories = list(rules.categories().values())
    reports = []
    for i in range(args.n):
        lon, lat = rng.choice(points)
        category = rng.choice(categories)
        reports.append(
            intake.Report(
                channel="open311" if i % 2 else "app",
                description=corpus.describe(rng, category),
                category_code=category.code if i % 2 else None,
                lon=lon + rng.gauss(0, 0.0005),
                lat=lat + rng.gauss(0, 0.0005),
            )
        )
    merged = 0
    with timer() as ours_elapsed:
        for start in range(0, len(reports), BATCH):
            with factory() as session, transaction(session):
                for item in reports[start : start + BATCH]:
                    result = intake.intake(session, report=item, actor=SYSTEM)
                    merged += result.merged_into is not None
    ours_rate = args.n / ours_elapsed()
    report.add("ours intake", round(ours_rate, 1), "events/s")
    report.ratio("ours / raw insert", ours_rate, raw_rate)
    report.add("merged as duplicates", merged)
    with factory() as session:
        report.add("cases stored", int(session.scalar(select(func.count(Case.id))) or 0))
    report.print(args.json)
    engine.dispose()
    workdir.cleanup()


if __name__ == "__main__":
    main()
