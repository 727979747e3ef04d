"""A page's login cookie changes state only from the platform's own pages (no CSRF)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.identity.dependencies import TOKEN_COOKIE
from tests.factories.identity import PASSWORD, auth_headers, make_resident

READ_ALL = "/notifications/read-all"


@pytest.fixture
def cookie_client(client: TestClient, session: Session) -> TestClient:
    resident = make_resident(session)
    token = auth_headers(client, resident)["Authorization"].removeprefix("Bearer ")
    client.cookies.set(TOKEN_COOKIE, token)
    return client


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page too
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_a_cookie_request_from_another_site_is_refused(
    cookie_client: TestClient, headers: dict[str, str]
) -> None:
    answer = cookie_client.post(READ_ALL, headers=headers, follow_redirects=False)
    assert answer.status_code == 403
    assert answer.json()["code"] == "auth.cross_site_request"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},
        {},  # no browser headers at all: not a browser acting for someone else
    ],
)
def test_a_cookie_request_from_our_pages_goes_through(
    cookie_client: TestClient, headers: dict[str, str]
) -> None:
    answer = cookie_client.post(READ_ALL, headers=headers, follow_redirects=False)
    assert answer.status_code == 303


def test_reading_and_bearer_clients_are_not_affected(client: TestClient, session: Session) -> None:
    resident = make_resident(session)
    bearer = auth_headers(client, resident)
    cross = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    assert client.get("/api/v1/me", headers={**bearer, **cross}).status_code == 200
    answer = client.post(
        "/api/v1/auth/token",
        data={"username": resident.username, "password": PASSWORD},
        headers=cross,
    )
    assert answer.status_code == 200  # no cookie involved
