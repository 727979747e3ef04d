from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.servicehub import load_catalog


@pytest.fixture
def hub(session: Session) -> Session:
    """The test session with the demo departments, catalog and bundles."""
    load_catalog(session)
    return session
