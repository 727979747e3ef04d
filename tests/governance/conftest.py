"""Governance fixtures: the city with geometry and the departments the categories name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from citybrain.identity.models import Department
from tests.factories.governance import city_points, make_departments
from tests.governance.live import start_small_city
from tests.live import LiveCity, stop_city


@pytest.fixture
def gov_session(city_session: Session) -> Session:
    make_departments(city_session)
    return city_session


@pytest.fixture
def departments(gov_session: Session) -> dict[str, Department]:
    return make_departments(gov_session)


@pytest.fixture
def point(gov_session: Session) -> tuple[float, float]:
    return city_points(gov_session)[0]


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCity]:
    """A served demo city (60 residents) with the governance tables; stopped afterwards."""
    city = start_small_city(tmp_path_factory.mktemp("govcity"))
    yield city
    stop_city(city)
