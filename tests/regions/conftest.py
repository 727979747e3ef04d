"""Regions fixtures on top of the shared ``session``: reference rows, synthetic geometry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from citybrain.regions import geometry, reference, service
from citybrain.regions.index import invalidate_index

SEED = 20201220


@pytest.fixture(scope="session")
def synthetic() -> geometry.SyntheticGeometry:
    """The demo geometry for the packaged streets, generated once (pure, no database)."""
    streets = reference.read_streets(reference.read_divisions())
    return geometry.generate(
        seed=SEED,
        county_of={s.code: s.division_code for s in streets},
        zone_of={s.code: s.zone_code for s in streets},
    )


@pytest.fixture
def reference_session(session: Session) -> Iterator[Session]:
    """The shared session with the packaged divisions and streets, no boundaries."""
    service.load_reference(session)
    yield session
    invalidate_index()


@pytest.fixture
def loaded(reference_session: Session) -> Session:
    """The shared session with divisions, streets and synthetic geometry (seed ``SEED``)."""
    service.load_synthetic_geometry(reference_session, seed=SEED)
    return reference_session
