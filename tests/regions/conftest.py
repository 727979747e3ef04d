"""Regions fixtures on top of the shared ``session``: reference rows, synthetic geometry."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from citybrain.regions import geometry, reference
from tests.conftest import DEMO_SEED as SEED


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
def loaded(city_session: Session) -> Session:
    """The shared session with divisions, streets and synthetic geometry (seed ``SEED``)."""
    return city_session
