"""Subscriptions: CRUD, matching (watched attributes, q, geoQ), delivery with retries."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.brain import notify
from citybrain.brain.models import NgsiNotification
from citybrain.core.db import utcnow
from tests.brain.receiver import receiver
from tests.factories.brain import CENTRE, traffic_flow, underpass

BASE = "/ngsi-ld/v1"


def _subscribe(client: TestClient, headers: dict[str, str], uri: str, **members: object) -> str:
    body = {
        "type": "Subscription",
        "entities": [{"type": "FloodMonitoring"}],
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}},
        **members,
    }
    response = client.post(f"{BASE}/subscriptions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def test_subscription_crud(client: TestClient, writer: dict[str, str]) -> None:
    sub_id = _subscribe(
        client,
        writer,
        "http://127.0.0.1:9/n",
        watchedAttributes=["currentLevel"],
        q="currentLevel>0.3",
    )
    got = client.get(f"{BASE}/subscriptions/{sub_id}", headers=writer).json()
    assert got["watchedAttributes"] == ["currentLevel"]
    assert got["entities"] == [{"type": "FloodMonitoring"}]
    assert got["status"] == "active" and got["notification"]["timesSent"] == 0
    patched = client.patch(
        f"{BASE}/subscriptions/{sub_id}",
        json={"q": "currentLevel>0.5", "isActive": False},
        headers=writer,
    )
    assert patched.status_code == 204, patched.text
    again = client.get(f"{BASE}/subscriptions/{sub_id}", headers=writer).json()
    assert again["q"] == "currentLevel>0.5" and again["status"] == "paused"
    listed = client.get(f"{BASE}/subscriptions", params={"count": "true"}, headers=writer)
    assert listed.headers["ngsild-results-count"] == "1"
    assert client.delete(f"{BASE}/subscriptions/{sub_id}", headers=writer).status_code == 204
    assert client.get(f"{BASE}/subscriptions/{sub_id}", headers=writer).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}},
        {"entities": [{"type": "X"}], "notification": {"endpoint": {"uri": "ftp://host/x"}}},
        {"entities": [{"type": "X"}], "notification": {"endpoint": {"uri": "not a url"}}},
        {"entities": [{"type": "X"}], "notification": {"endpoint": {"uri": "http://h:99999/x"}}},
        {
            "entities": [{"type": "X"}],
            "q": "a>>1",
            "notification": {"endpoint": {"uri": "http://h/x"}},
        },
        {
            "entities": [{"type": "X"}],
            "geoQ": {"georel": "near", "geometry": "Point", "coordinates": [1, 2]},
            "notification": {"endpoint": {"uri": "http://h/x"}},
        },
        {"entities": [{"type": "X"}]},
    ],
)
def test_bad_subscriptions(client: TestClient, writer: dict[str, str], body: dict) -> None:
    response = client.post(f"{BASE}/subscriptions", json=body, headers=writer)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_watched_attributes_and_q_select_notifications(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(
        f"{BASE}/entityOperations/create", json=[underpass(n) for n in range(3)], headers=writer
    )
    with receiver() as endpoint, httpx.Client() as http:
        _subscribe(
            client,
            writer,
            endpoint.url,
            watchedAttributes=["currentLevel"],
            q="currentLevel>=0.3",
            notification={
                "endpoint": {"uri": endpoint.url},
                "attributes": ["currentLevel"],
                "format": "keyValues",
            },
        )
        url = f"{BASE}/entities/{underpass(0)['id']}/attrs"
        client.patch(
            f"{url}/currentLevel", json={"value": 0.1}, headers=writer
        )  # below the threshold
        client.patch(f"{url}/name", json={"value": "新名字"}, headers=writer)  # not watched
        client.patch(f"{url}/currentLevel", json={"value": 0.35}, headers=writer)
        stats = notify.deliver_due(session, client=http)
        assert stats.delivered == 1
        (notification,) = endpoint.received
        assert notification["type"] == "Notification"
        assert notification["data"] == [
            {"id": underpass(0)["id"], "type": "FloodMonitoring", "currentLevel": 0.35}
        ]
        assert "ngsi-ld-core-context" in endpoint.headers[0]["Link"]
    sub = client.get(f"{BASE}/subscriptions", headers=writer).json()[0]
    assert sub["notification"]["timesSent"] == 1 and "lastSuccess" in sub["notification"]


def test_failed_deliveries_are_retried_then_delivered(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(f"{BASE}/entities", json=underpass(1), headers=writer)
    with receiver(fail_first=2) as endpoint, httpx.Client() as http:
        _subscribe(client, writer, endpoint.url)
        client.patch(
            f"{BASE}/entities/{underpass(1)['id']}/attrs/currentLevel",
            json={"value": 0.5},
            headers=writer,
        )
        now = utcnow()
        assert notify.deliver_due(session, client=http, now=now).retried == 1
        assert notify.deliver_due(session, client=http, now=now).attempted == 0  # not due yet
        assert notify.deliver_due(session, client=http, now=now + timedelta(seconds=2)).retried == 1
        assert (
            notify.deliver_due(session, client=http, now=now + timedelta(seconds=60)).delivered == 1
        )
        assert len(endpoint.received) == 1
    row = session.scalars(select(NgsiNotification)).one()
    assert row.status == "delivered" and row.attempts == 3


def test_unreachable_endpoint_is_kept_as_failed_never_dropped(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(f"{BASE}/entities", json=underpass(1), headers=writer)
    sub_id = _subscribe(client, writer, "http://127.0.0.1:9/closed")
    client.patch(
        f"{BASE}/entities/{underpass(1)['id']}/attrs/currentLevel",
        json={"value": 0.5},
        headers=writer,
    )
    now = utcnow()
    with httpx.Client() as http:
        for attempt in range(notify.MAX_ATTEMPTS):
            notify.deliver_due(session, client=http, now=now + timedelta(hours=attempt))
    row = session.scalars(select(NgsiNotification)).one()
    assert row.status == "failed" and row.attempts == notify.MAX_ATTEMPTS
    assert "ConnectError" in row.last_error
    status = client.get(f"{BASE}/subscriptions/{sub_id}", headers=writer).json()
    assert (
        status["status"] == "failed"
        and status["notification"]["timesFailed"] == notify.MAX_ATTEMPTS
    )
    assert notify.requeue_failed(session) == 1
    assert session.scalars(select(NgsiNotification)).one().status == "pending"


def test_geo_query_and_geo_subscription_select_the_same_entities(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    """Orion-LD #1668: a geoQ subscription fired outside the radius while the GET was right."""
    rng = random.Random(1668)
    lon0, lat0 = CENTRE
    entities = []
    for n in range(80):
        distance, bearing = rng.uniform(0, 1200), rng.uniform(0, 2 * math.pi)
        lat = lat0 + distance * math.cos(bearing) / 111_320
        lon = lon0 + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat0)))
        entities.append(traffic_flow(n, lon=lon, lat=lat))
    client.post(f"{BASE}/entityOperations/create", json=entities, headers=writer)
    geo = {"georel": "near;maxDistance==600", "geometry": "Point", "coordinates": [lon0, lat0]}
    queried = client.get(
        f"{BASE}/entities",
        params={
            "type": "TrafficFlowObserved",
            **geo,
            "coordinates": f"[{lon0},{lat0}]",
            "limit": 1000,
        },
        headers=writer,
    ).json()
    with receiver() as endpoint, httpx.Client() as http:
        client.post(
            f"{BASE}/subscriptions",
            json={
                "type": "Subscription",
                "entities": [{"type": "TrafficFlowObserved"}],
                "watchedAttributes": ["intensity"],
                "geoQ": geo,
                "notification": {"endpoint": {"uri": endpoint.url}},
            },
            headers=writer,
        )
        updates = [{"id": e["id"], "intensity": 500 + n} for n, e in enumerate(entities)]
        assert (
            client.post(f"{BASE}/entityOperations/update", json=updates, headers=writer).status_code
            == 204
        )
        notify.deliver_due(session, client=http)
        notified = {e["id"] for e in endpoint.entities()}
    expected = {e["id"] for e in queried}
    assert 10 < len(expected) < 70  # the radius really splits the set
    assert notified == expected
