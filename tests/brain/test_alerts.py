"""Scenario alert rules raise Alert entities and brain.alert_raised events, once per episode."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.brain import notify
from citybrain.core.models import OutboxEvent
from tests.brain.receiver import receiver
from tests.factories.brain import underpass

BASE = "/ngsi-ld/v1"
SENSOR = underpass(3)["id"]


def _events(session: Session, name: str) -> list[dict]:
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
    )
    return [row.payload for row in rows]


def _level(client: TestClient, headers: dict[str, str], value: float) -> None:
    response = client.patch(
        f"{BASE}/entities/{SENSOR}/attrs/currentLevel", json={"value": value}, headers=headers
    )
    assert response.status_code == 204, response.text


def test_waterlogging_raises_one_alert_per_rule_until_resolved(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(f"{BASE}/entities", json=underpass(3, level=0.05), headers=writer)
    assert _events(session, "brain.alert_raised") == []
    _level(client, writer, 0.22)
    raised = _events(session, "brain.alert_raised")
    assert {e["scenario_id"] for e in raised} == {"emergency-01", "emergency-06"}
    first = next(e for e in raised if e["scenario_id"] == "emergency-01")
    assert first["category_name"] == "道路积水" and first["opens_case"] is True
    assert first["department"].startswith("郑州市应急管理局")
    assert first["source_entity_id"] == SENSOR and first["lon"] is not None
    alerts = client.get(
        f"{BASE}/entities", params={"type": "Alert", "q": 'alertStatus=="active"'}, headers=writer
    ).json()
    assert len(alerts) == 2
    assert {a["alertSource"]["object"] for a in alerts} == {SENSOR}
    assert alerts[0]["severity"]["value"] == "high"
    assert alerts[0]["location"]["type"] == "GeoProperty"
    # a second reading over the threshold at the same underpass raises nothing new
    _level(client, writer, 0.30)
    assert len(_events(session, "brain.alert_raised")) == 2
    # the water goes down: both alerts resolve
    _level(client, writer, 0.02)
    assert len(_events(session, "brain.alert_resolved")) == 2
    resolved = client.get(
        f"{BASE}/entities", params={"type": "Alert", "q": 'alertStatus=="resolved"'}, headers=writer
    )
    assert len(resolved.json()) == 2
    # and a new episode raises them again
    _level(client, writer, 0.4)
    assert len(_events(session, "brain.alert_raised")) == 4


def test_alerts_reach_subscribers(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(f"{BASE}/entities", json=underpass(3, level=0.05), headers=writer)
    with receiver() as endpoint, httpx.Client() as http:
        client.post(
            f"{BASE}/subscriptions",
            json={
                "type": "Subscription",
                "entities": [{"type": "Alert"}],
                "q": 'severity=="high"',
                "notification": {"endpoint": {"uri": endpoint.url}, "format": "keyValues"},
            },
            headers=writer,
        )
        _level(client, writer, 0.5)
        notify.deliver_due(session, client=http)
        data = endpoint.entities()
    assert {a["subCategory"] for a in data} == {"emergency-01.alert-1", "emergency-06.alert-1"}
    assert all(a["alertSource"] == SENSOR for a in data)


def test_batch_updates_are_evaluated_too(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    sensors = [underpass(n, level=0.05) for n in range(5)]
    client.post(f"{BASE}/entityOperations/create", json=sensors, headers=writer)
    flooded = [
        {"id": s["id"], "currentLevel": 0.2 if n % 2 == 0 else 0.01} for n, s in enumerate(sensors)
    ]
    assert (
        client.post(f"{BASE}/entityOperations/update", json=flooded, headers=writer).status_code
        == 204
    )
    sources = {e["source_entity_id"] for e in _events(session, "brain.alert_raised")}
    assert sources == {sensors[0]["id"], sensors[2]["id"], sensors[4]["id"]}
