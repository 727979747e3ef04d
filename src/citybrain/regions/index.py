"""The in-memory spatial index behind ``service.locate``: where is this point?

Streets and grid cells are read once per process (per database) into two shapely
``STRtree``s and kept. Each look-up reads the one-row ``regions_boundary_revision``
and rebuilds the index when its token changed (a load here, in the CLI, or a
rolled-back load); ``invalidate_index`` drops cached indexes outright.
Look-ups are deterministic on shared edges: among every polygon that *covers* the
point (boundary included), the one with the lowest street code / grid-cell id wins,
so a point on a border always answers the same. A grid cell is only accepted if it
belongs to the chosen street, so cell, street and district never disagree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citybrain.regions.models import BoundaryRevision, Division, GridCell, Street

NEAR_EDGE_DEG: Final = 1e-7
"""A point this close (about 1 cm) to a street counts as inside it: absorbs slivers
between official boundaries drawn by different hands."""

_NONE: Final = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Location:
    """The answer to "where is this point": grid cell, street, district and zone."""

    lon: float
    lat: float
    street_code: str
    street_name: str
    division_code: str
    division_name: str
    grid_cell_code: str | None
    zone_code: str | None
    zone_name: str | None
    boundary_is_synthetic: bool


@dataclass(frozen=True)
class _StreetRow:
    code: str
    name: str
    division_code: str
    zone_code: str | None
    boundary_is_synthetic: bool
    boundary_wkt: str


@dataclass(frozen=True)
class _CellRow:
    code: str
    street_code: str
    boundary_wkt: str


def _lowest_per_input(pairs: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """For each of ``n`` inputs, the lowest tree index paired with it, or -1."""
    best = np.full(n, _NONE, dtype=np.int64)
    np.minimum.at(best, pairs[0], pairs[1])
    best[best == _NONE] = -1
    return best


class RegionIndex:
    """Streets and grid cells of one database in two STRtrees, sorted by code / id."""

    def __init__(
        self,
        streets: list[_StreetRow],
        cells: list[_CellRow],
        names: dict[str, str],
        token: str | None = None,
    ) -> None:
        self.token = token
        self.street_codes = np.array([s.code for s in streets], dtype=object)
        self._streets = streets
        self._names = names
        self._street_geoms = shapely.from_wkt([s.boundary_wkt for s in streets])
        self._street_tree = shapely.STRtree(self._street_geoms)
        street_pos = {code: i for i, code in enumerate(self.street_codes)}
        cells = [c for c in cells if c.street_code in street_pos]
        self.cell_codes = np.array([c.code for c in cells], dtype=object)
        self._cell_street = np.array([street_pos[c.street_code] for c in cells], dtype=np.int64)
        self._cell_geoms = shapely.from_wkt([c.boundary_wkt for c in cells])
        self._cell_tree = shapely.STRtree(self._cell_geoms)
        shapely.prepare(self._street_geoms)
        shapely.prepare(self._cell_geoms)

    @classmethod
    def from_session(cls, session: Session, token: str | None = None) -> RegionIndex:
        """Read every street and grid cell that has a boundary (plain rows, no ORM objects)."""
        street_rows = session.execute(
            select(
                Street.code,
                Street.name,
                Street.division_code,
                Street.zone_code,
                Street.boundary_is_synthetic,
                Street.boundary_wkt,
            )
            .where(Street.boundary_wkt.is_not(None))
            .order_by(Street.code)
        )
        cell_rows = session.execute(
            select(GridCell.code, GridCell.street_code, GridCell.boundary_wkt).order_by(GridCell.id)
        )
        names = {code: name for code, name in session.execute(select(Division.code, Division.name))}
        streets = [_StreetRow(*row) for row in street_rows]
        cells = [_CellRow(*row) for row in cell_rows]
        return cls(streets, cells, names, token)

    @property
    def is_empty(self) -> bool:
        return len(self._streets) == 0

    def street_indices(self, points: NDArray[np.object_]) -> NDArray[np.int64]:
        """Index of the street covering each point (lowest code on ties), -1 if none."""
        pairs = self._street_tree.query(points, predicate="covered_by")
        found = _lowest_per_input(pairs, len(points))
        missing = np.flatnonzero(found < 0)
        if missing.size:
            near = self._street_tree.query_nearest(
                points[missing], max_distance=NEAR_EDGE_DEG, all_matches=True
            )
            found[missing] = _lowest_per_input(near, missing.size)
        return found

    def cell_indices(
        self, points: NDArray[np.object_], street_idx: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """Index of the chosen street's grid cell covering each point (lowest id), or -1."""
        pairs = self._cell_tree.query(points, predicate="covered_by")
        same_street = self._cell_street[pairs[1]] == street_idx[pairs[0]]
        return _lowest_per_input(pairs[:, same_street], len(points))

    def locate_indices(
        self, lons: ArrayLike, lats: ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Street and grid-cell indices for WGS-84 points; -1 where nothing matches."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        street_idx = self.street_indices(points)
        return street_idx, self.cell_indices(points, street_idx)

    def location(self, lon: float, lat: float, street_i: int, cell_i: int) -> Location:
        """Assemble the ``Location`` for indices from ``locate_indices`` (street_i >= 0)."""
        street = self._streets[street_i]
        zone = street.zone_code
        return Location(
            lon=lon,
            lat=lat,
            street_code=street.code,
            street_name=street.name,
            division_code=street.division_code,
            division_name=self._names[street.division_code],
            grid_cell_code=str(self.cell_codes[cell_i]) if cell_i >= 0 else None,
            zone_code=zone,
            zone_name=self._names[zone] if zone else None,
            boundary_is_synthetic=street.boundary_is_synthetic,
        )


_lock = threading.Lock()
_indexes: dict[str, RegionIndex] = {}


def _cache_key(engine: Engine) -> str:
    url = engine.url
    key = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        key += f"#{id(engine)}"  # every in-memory database is its own
    return key


def current_token(session: Session) -> str | None:
    """Token of the boundaries this session sees; None before any load."""
    return session.scalar(select(BoundaryRevision.token).where(BoundaryRevision.id == 1))


def region_index(session: Session) -> RegionIndex:
    """The cached index for the session's database, rebuilt when boundaries changed."""
    key = _cache_key(session.get_bind().engine)
    token = current_token(session)
    with _lock:
        index = _indexes.get(key)
        if index is None or index.token != token:
            index = _indexes[key] = RegionIndex.from_session(session, token)
        return index


def invalidate_index(engine: Engine | None = None) -> None:
    """Forget the cached index of ``engine`` (of every database if None)."""
    with _lock:
        if engine is None:
            _indexes.clear()
        else:
            _indexes.pop(_cache_key(engine), None)
