"""At-least-once delivery end to end: the app's own worker thread, a real database file.

Orion-LD #1650 lost notifications with 100 entities × 5 updates a second apart; here
every one of the 500 updates must reach the receiver, each within a second or two.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citybrain.app import create_app
from citybrain.config import BrainSettings, Settings
from citybrain.core.db import make_engine
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity.dependencies import current_actor
from citybrain.models import Base
from tests.brain.receiver import receiver
from tests.factories.brain import underpass

pytestmark = pytest.mark.slow
BASE = "/ngsi-ld/v1"
OPERATOR = Actor(kind=ActorKind.staff, id="1", name="值班员", role=Role.command_centre_operator)


@pytest.fixture
def live_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'live.db'}",
        data_dir=tmp_path,
        pii_key=base64.b64encode(bytes(32)).decode(),
        secret_key="live-notification-test-secret-key-32b",
        brain=BrainSettings(notification_allowed_hosts=["127.0.0.1"]),
    )
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(settings)
    app.dependency_overrides[current_actor] = lambda: OPERATOR
    with TestClient(app) as client:  # the lifespan starts the notification worker
        yield client


def test_every_one_of_100_entities_times_5_updates_arrives(live_client: TestClient) -> None:
    entities = [underpass(n) for n in range(100)]
    created = live_client.post(f"{BASE}/entityOperations/create", json=entities)
    assert created.status_code == 201
    with receiver() as endpoint:
        subscribed = live_client.post(
            f"{BASE}/subscriptions",
            json={
                "type": "Subscription",
                "entities": [{"type": "FloodMonitoring"}],
                "watchedAttributes": ["currentLevel"],
                "notification": {"endpoint": {"uri": endpoint.url}, "format": "keyValues"},
            },
        )
        assert subscribed.status_code == 201
        sent: dict[tuple[str, float], float] = {}
        for round_ in range(5):
            started = time.monotonic()
            for n, entity in enumerate(entities):
                value = round(0.1 * round_ + n / 1000, 4)
                response = live_client.patch(
                    f"{BASE}/entities/{entity['id']}/attrs/currentLevel", json={"value": value}
                )
                assert response.status_code == 204
                sent[(entity["id"], value)] = time.monotonic()
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        deadline = time.monotonic() + 15
        while len(endpoint.entities()) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        received = {(e["id"], e["currentLevel"]) for e in endpoint.entities()}
        latencies = sorted(
            arrived - sent[(e["id"], e["currentLevel"])]
            for notification, arrived in zip(endpoint.received, endpoint.arrived, strict=True)
            for e in notification["data"]
        )
    assert received == set(sent)
    assert len(sent) == 500
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    assert p95 < 1.0, f"p95 notification latency {p95:.3f} s"
    status = live_client.get(f"{BASE}/subscriptions").json()[0]
    assert status["notification"]["timesSent"] >= 500
