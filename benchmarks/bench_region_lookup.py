"""Point → grid cell → street → district: our look-up against a bare STRtree query.

raw:  shapely 2 STRtree.query(points, predicate="intersects") over the grid cells alone.
ours: regions_service.locate_many (cells, streets, districts, boundary rules, results).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser, timer  # noqa: E402
from citybrain.core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from citybrain.models import Base  # noqa: E402
from citybrain.regions import service as regions_service  # noqa: E402
from citybrain.regions.models import GridCell  # noqa: E402


def main() -> None:
    args = parser(__doc__ or "", n=200_000).parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    with factory() as session, transaction(session):
        if not regions_service.list_streets(session):
            regions_service.load_reference(session)
            regions_service.load_synthetic_geometry(session, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    with factory() as session:
        cells = [shapely.from_wkt(w) for (w,) in session.query(GridCell.boundary_wkt)]
        bounds = shapely.total_bounds(cells)
        # Half the points inside grid cells (the dense urban case), half anywhere in the city.
        near = rng.choice(len(cells), args.n // 2)
        centres = shapely.centroid(np.array(cells, dtype=object)[near])
        lons = np.concatenate(
            [
                shapely.get_x(centres) + rng.normal(0, 3e-4, near.size),
                rng.uniform(112.8, 114.1, args.n - near.size),
            ]
        )
        lats = np.concatenate(
            [
                shapely.get_y(centres) + rng.normal(0, 3e-4, near.size),
                rng.uniform(34.3, 34.95, args.n - near.size),
            ]
        )
        points = shapely.points(lons, lats)
        tree = STRtree(cells)
        with timer() as raw_elapsed:
            tree.query(points, predicate="intersects")
        raw = raw_elapsed()
        regions_service.locate_many(session, lons=lons[:1000].tolist(), lats=lats[:1000].tolist())
        with timer() as ours_elapsed:
            found = regions_service.locate_many(session, lons=lons.tolist(), lats=lats.tolist())
        ours = ours_elapsed()
    report = Report(
        f"region look-up, {args.n:,} points, {len(cells):,} grid cells "
        f"(bbox {bounds.round(2).tolist()})"
    )
    report.add("raw STRtree query", round(args.n / raw), "points/s")
    report.add("ours locate_many", round(args.n / ours), "points/s")
    report.ratio("ours / raw", args.n / ours, args.n / raw)
    report.add("points inside the city", sum(f is not None for f in found))
    report.print(args.json)
    engine.dispose()


if __name__ == "__main__":
    main()
