"""Fixtures of the brain's tests: hub users' headers on the in-process client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.brain import reader_headers, writer_headers


@pytest.fixture
def writer(client: TestClient, session: Session) -> dict[str, str]:
    return writer_headers(client, session)


@pytest.fixture
def reader(client: TestClient, session: Session) -> dict[str, str]:
    return reader_headers(client, session)
