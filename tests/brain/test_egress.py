"""The SSRF guard: notification endpoints may not reach internal addresses unless allowed."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.brain import notify
from citybrain.brain.ngsi import egress
from citybrain.brain.ngsi.problems import NgsiError, ProblemType
from citybrain.config import Settings
from tests.brain.receiver import receiver
from tests.factories.brain import underpass

BASE = "/ngsi-ld/v1"
PUBLIC = "93.184.216.34"


def _resolver(*addresses: str) -> egress.Resolver:
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:9/n",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://[::1]:8080/hook",
        "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 form of the metadata address
        "http://[64:ff9b::7f00:1]/",  # NAT64 loopback
        "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
        "http://[::7f00:1]/",  # IPv4-compatible loopback
    ],
)
def test_internal_addresses_are_refused(uri: str) -> None:
    with pytest.raises(NgsiError) as refused:
        egress.check(uri, [])
    assert refused.value.problem is ProblemType.BadRequestData


def test_public_addresses_and_allowed_ones_pass() -> None:
    assert egress.check(f"http://{PUBLIC}/hook", []).addresses == (PUBLIC,)
    assert egress.check("http://127.0.0.1:9/n", ["127.0.0.1"])
    assert egress.check("http://10.1.2.3/hook", ["10.0.0.0/8"])
    with pytest.raises(NgsiError):
        egress.check("http://10.1.2.3/hook", ["10.9.0.0/16", "other.internal"])


def test_names_are_judged_by_every_address_they_resolve_to() -> None:
    with pytest.raises(NgsiError):
        egress.check("http://hooks.example/x", [], resolver=_resolver(PUBLIC, "10.0.0.5"))
    with pytest.raises(NgsiError):
        egress.check("http://localhost:8000/x", [], resolver=_resolver("127.0.0.1"))
    allowed = egress.check(
        "http://hooks.internal/x", ["hooks.internal"], resolver=_resolver("10.0.0.5")
    )
    assert allowed.addresses == ("10.0.0.5",)
    # A name that does not resolve (yet) passes; delivery checks again.
    assert egress.check("http://not-yet.example/x", [], resolver=_resolver()).addresses == ()


def test_delivery_connects_to_the_address_that_was_checked() -> None:
    target = egress.check("https://hooks.example:8443/n?x=1", [], resolver=_resolver(PUBLIC))
    url, headers, extensions = egress.pin("https://hooks.example:8443/n?x=1", target)
    assert url == f"https://{PUBLIC}:8443/n?x=1"
    assert headers == {"Host": "hooks.example:8443"}
    assert extensions == {"sni_hostname": "hooks.example"}
    with_user = egress.pin("http://u:p@hooks.example/n", target)
    assert with_user == (f"http://u:p@{PUBLIC}/n", {"Host": "hooks.example"}, {})
    literal = egress.check("http://127.0.0.1:9/n", ["127.0.0.1"])
    assert egress.pin("http://127.0.0.1:9/n", literal) == ("http://127.0.0.1:9/n", {}, {})


def _subscription(uri: str) -> dict[str, object]:
    return {
        "type": "Subscription",
        "entities": [{"type": "FloodMonitoring"}],
        "notification": {"endpoint": {"uri": uri}, "format": "keyValues"},
    }


def test_creating_or_moving_a_subscription_to_an_internal_address_is_bad_request(
    client: TestClient,
    writer: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings.brain, "notification_allowed_hosts", [])
    refused = client.post(
        f"{BASE}/subscriptions", json=_subscription("http://127.0.0.1:9/n"), headers=writer
    )
    assert refused.status_code == 400
    assert refused.json()["type"].endswith("/BadRequestData")
    assert "notification_allowed_hosts" in refused.json()["detail"]
    created = client.post(
        f"{BASE}/subscriptions", json=_subscription(f"http://{PUBLIC}:9/n"), headers=writer
    )
    assert created.status_code == 201, created.text
    sub_id = created.headers["location"].rsplit("/", 1)[-1]
    moved = client.patch(
        f"{BASE}/subscriptions/{sub_id}",
        json={"notification": {"endpoint": {"uri": "http://169.254.169.254/latest"}}},
        headers=writer,
    )
    assert moved.status_code == 400
    assert moved.json()["type"].endswith("/BadRequestData")


def test_delivery_checks_the_endpoint_again(
    client: TestClient,
    writer: dict[str, str],
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client.post(f"{BASE}/entityOperations/create", json=[underpass(0)], headers=writer)
    with receiver() as endpoint, httpx.Client() as http:
        created = client.post(
            f"{BASE}/subscriptions", json=_subscription(endpoint.url), headers=writer
        )
        assert created.status_code == 201
        client.patch(
            f"{BASE}/entities/{underpass(0)['id']}/attrs/currentLevel",
            json={"value": 0.4},
            headers=writer,
        )
        # The operator withdraws the permission before the notification goes out.
        monkeypatch.setattr(settings.brain, "notification_allowed_hosts", [])
        stats = notify.deliver_due(session, client=http)
        assert stats.delivered == 0 and stats.retried == 1
        assert "internal address" in stats.errors[0]
        assert endpoint.received == []


def test_a_name_that_does_not_resolve_at_delivery_is_retried_not_sent(
    client: TestClient,
    writer: dict[str, str],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(egress, "resolve", lambda host, port: [])
    client.post(f"{BASE}/entityOperations/create", json=[underpass(0)], headers=writer)
    created = client.post(
        f"{BASE}/subscriptions", json=_subscription("http://rebind.example/n"), headers=writer
    )
    assert created.status_code == 201, created.text
    client.patch(
        f"{BASE}/entities/{underpass(0)['id']}/attrs/currentLevel",
        json={"value": 0.4},
        headers=writer,
    )
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(204))
    with httpx.Client(transport=transport) as http:
        stats = notify.deliver_due(session, client=http)
    assert stats.delivered == 0 and stats.retried == 1
    assert "did not resolve" in stats.errors[0]
    assert sent == [], "the HTTP client must never resolve an unchecked name itself"
