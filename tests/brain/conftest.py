"""Fixtures of the brain's tests: hub users' headers on the in-process client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.config import Settings
from tests.factories.brain import reader_headers, writer_headers

# The tests' notification receiver listens on loopback, which the SSRF guard refuses
# unless the operator allows it.
RECEIVER_HOSTS = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def allow_loopback_receiver(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings.brain, "notification_allowed_hosts", RECEIVER_HOSTS)


@pytest.fixture
def writer(client: TestClient, session: Session) -> dict[str, str]:
    return writer_headers(client, session)


@pytest.fixture
def reader(client: TestClient, session: Session) -> dict[str, str]:
    return reader_headers(client, session)
