"""The city code pages: resident code, checkpoint, venues, console (full pages and partials)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from tests.factories.citycode import health_actor, make_venue, set_up_keys
from tests.factories.identity import auth_headers, make_resident, make_staff

HTML = {"accept": "text/html"}


@pytest.fixture
def venue(city_session: Session):  # type: ignore[no-untyped-def]
    official = health_actor(city_session)
    set_up_keys(city_session, official)
    return make_venue(city_session, official, name="郑州东站")


def test_resident_sees_code_and_partial_refresh(
    client: TestClient, city_session: Session, venue
) -> None:  # type: ignore[no-untyped-def]
    headers = {**HTML, **auth_headers(client, make_resident(city_session))}
    page = client.get("/citycode", headers=headers)
    assert page.status_code == 200
    assert 'id="code-card"' in page.text and "<svg" in page.text and "every 60s" in page.text
    assert "<html" in page.text
    partial = client.get("/citycode", headers={**headers, "HX-Request": "true"})
    assert (
        partial.status_code == 200 and "<html" not in partial.text and "code-card" in partial.text
    )
    filed = client.post("/citycode/corrections", data={"reason": "信息有误"}, headers=headers)
    assert filed.status_code == 200 and "correction-filed" in filed.text


def test_checkpoint_checks_a_typed_code_and_console_shows_it(
    client: TestClient, city_session: Session, venue
) -> None:  # type: ignore[no-untyped-def]
    resident = {**HTML, **auth_headers(client, make_resident(city_session))}
    code = client.post("/api/v1/citycode/codes", json={}, headers=resident).json()["code"]
    operator = {**HTML, **auth_headers(client, make_staff(city_session, Role.checkpoint_operator))}
    page = client.get("/citycode/checkpoint", headers=operator)
    assert page.status_code == 200 and "郑州东站" in page.text
    checked = client.post(
        "/citycode/checkpoint/check", data={"venue_id": venue.id, "code": code}, headers=operator
    )
    assert checked.status_code == 200 and 'data-outcome="pass"' in checked.text
    bad = client.post(
        "/citycode/checkpoint/check",
        data={"venue_id": venue.id, "code": "CB1:000"},
        headers=operator,
    )
    assert 'data-outcome="no_valid_code"' in bad.text
    health = {**HTML, **auth_headers(client, make_staff(city_session, Role.health_authority))}
    console = client.get("/citycode/console", headers=health)
    assert console.status_code == 200
    assert console.text.count('data-outcome="pass"') == 1
    assert console.text.count('data-outcome="no_valid_code"') == 1
    assert client.get("/citycode/console", headers=operator).status_code == 403
    # A resident is refused the staff pages.
    assert client.get("/citycode/checkpoint", headers=resident).status_code == 403


def test_venue_registration_and_venue_code_page(
    client: TestClient, city_session: Session, venue
) -> None:  # type: ignore[no-untyped-def]
    health = {**HTML, **auth_headers(client, make_staff(city_session, Role.health_authority))}
    form = {
        "kind": "work_unit",
        "name": "测试单位",
        "operator_name": "某公司",
        "address": "金水区",
        "lon": "113.66",
        "lat": "34.75",
    }
    created = client.post("/citycode/venues", data=form, headers=health)
    assert created.status_code == 200 and "测试单位" in created.text
    outside = client.post(
        "/citycode/venues", data={**form, "lon": "116.4", "lat": "39.9"}, headers=health
    )
    assert outside.status_code == 422 and "flash--error" in outside.text
    code_page = client.get(f"/citycode/venues/{venue.id}/code", headers=health)
    assert code_page.status_code == 200 and "<svg" in code_page.text


def test_console_trace_needs_a_case(client: TestClient, city_session: Session, venue) -> None:  # type: ignore[no-untyped-def]
    health = {**HTML, **auth_headers(client, make_staff(city_session, Role.health_authority))}
    person = make_resident(city_session).person_id
    traced = client.post(
        "/citycode/console/trace", data={"case_id": "C-9", "person_id": person}, headers=health
    )
    assert traced.status_code == 200 and "trace-csv" in traced.text and "C-9" in traced.text
    missing = client.post("/citycode/console/trace", data={"person_id": person}, headers=health)
    assert missing.status_code == 422
