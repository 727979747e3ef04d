"""Residents read their own notices, as a list and live; nobody reads another's."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.errors import DomainError
from citybrain.identity.models import Account
from citybrain.notifications import service as notifications_service
from tests.factories.identity import auth_headers, make_resident


def _notify(session: Session, resident: Account, title: str) -> int:
    return notifications_service.send(
        session,
        topic="servicehub.application_accepted",
        title=title,
        title_en="Accepted",
        link="/apply/1",
        person_id=resident.person_id,
    ).id


def test_a_resident_sees_only_their_own_notices(client: TestClient, session: Session) -> None:
    mine, theirs = make_resident(session), make_resident(session)
    first = _notify(session, mine, "您的申请已受理")
    _notify(session, theirs, "别人的消息")
    page = client.get("/api/v1/notifications", headers=auth_headers(client, mine)).json()
    assert [m["id"] for m in page["items"]] == [first] and page["unread"] == 1
    other = client.post(f"/api/v1/notifications/{first}/read", headers=auth_headers(client, theirs))
    assert other.status_code == 404 and other.json()["code"] == "notifications.unknown_message"
    read = client.post(f"/api/v1/notifications/{first}/read", headers=auth_headers(client, mine))
    assert read.status_code == 200 and read.json()["read_at"]
    again = client.get("/api/v1/notifications", headers=auth_headers(client, mine)).json()
    assert again["unread"] == 0


def test_the_stream_delivers_new_notices_in_order(client: TestClient, session: Session) -> None:
    resident = make_resident(session)
    ids = [_notify(session, resident, f"消息{n}") for n in range(3)]
    headers = auth_headers(client, resident)
    with client.stream(
        "GET",
        "/api/v1/notifications/stream",
        params={"after_id": ids[0], "max_seconds": 0.5},
        headers=headers,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    delivered = [
        json.loads(line[len("data: ") :])["id"]
        for line in text.splitlines()
        if line.startswith('data: {"id"')
    ]
    assert delivered == ids[1:]
    assert "event: bye" in text


def test_a_notice_has_exactly_one_recipient(session: Session) -> None:
    with pytest.raises(ValueError):
        notifications_service.send(session, topic="x", title="x")


def test_machines_have_no_inbox() -> None:
    from citybrain.core.security import Actor, ActorKind

    device = Actor(kind=ActorKind.api_key, id="1", name="device")
    with pytest.raises(DomainError) as caught:
        notifications_service._recipient(device)
    assert caught.value.status == 403


def test_the_notices_page_lists_and_clears_them(client: TestClient, session: Session) -> None:
    resident = make_resident(session)
    _notify(session, resident, "需要补正材料")
    headers = {**auth_headers(client, resident), "Accept": "text/html"}
    page = client.get("/notifications", headers=headers)
    assert page.status_code == 200 and "需要补正材料" in page.text
    assert 'id="notice-count"' in page.text and ">1</span>" in page.text
    cleared = client.post("/notifications/read-all", headers=headers, follow_redirects=False)
    assert cleared.status_code == 303
    assert notifications_service.unread_count(session, actor=_actor(resident)) == 0


def _actor(account: Account):  # type: ignore[no-untyped-def]
    from citybrain.identity import service as identity_service

    return identity_service.actor_for(account)
