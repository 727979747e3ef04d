"""The home's search: pinyin, initials, colloquial aliases, hanzi fragments, and limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.portal import search as portal_search
from citybrain.servicehub import bundles, catalog
from tests.factories.identity import auth_headers, make_resident
from tests.factories.servicehub import load_catalog


@pytest.fixture
def hub(session: Session) -> Session:
    """The test session with the demo departments, catalog and bundles."""
    load_catalog(session)
    return session


@pytest.mark.parametrize("query", ["kfd", "kaifandian", "开饭店", "KFD", "kai fan dian"])
def test_colloquial_restaurant_finds_the_restaurant_bundle_first(hub: Session, query: str) -> None:
    hits = portal_search.search(hub, query=query)
    assert hits, query
    assert (hits[0].kind, hits[0].name) == ("bundle", "开办餐饮店")
    assert hits[0].matched == "开饭店"
    assert hits[0].href.startswith("/services/bundles/")


def test_partial_hanzi_and_official_initials_find_bundles_and_items(hub: Session) -> None:
    names = [h.name for h in portal_search.search(hub, query="餐饮")]
    assert "开办餐饮店" in names
    assert portal_search.search(hub, query="kbcyd")[0].name == "开办餐饮店"
    items = portal_search.search(hub, query="身份证", limit=20)
    assert any(h.kind == "item" and "身份证" in h.name for h in items)


def test_other_aliases_lead_where_residents_expect(hub: Session) -> None:
    assert portal_search.search(hub, query="生孩子")[0].name == "新生儿出生"
    assert portal_search.search(hub, query="bantuixiu")[0].name == "退休"
    assert portal_search.search(hub, query="kgs")[0].name.startswith("企业开办")


def test_every_alias_names_something_in_the_demo_catalog(hub: Session) -> None:
    bundle_names = {b.name for b in bundles.list_bundles(hub)}
    _, items = catalog.list_items(hub, app_only=True, limit=1000)
    item_names = {i.name for i in items}
    for alias in portal_search.aliases():
        known = bundle_names if alias.kind == "bundle" else item_names
        assert alias.target in known, alias


@pytest.mark.parametrize("query", ["qqxxzzvv", "", "   ", "！？"])
def test_nonsense_or_empty_finds_nothing(hub: Session, query: str) -> None:
    assert portal_search.search(hub, query=query) == []


def test_api_answers_json_and_refuses_an_over_long_query(client: TestClient, hub: Session) -> None:
    answer = client.get("/api/v1/portal/search", params={"q": "kfd"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["query"] == "kfd"
    assert body["items"][0]["name"] == "开办餐饮店" and body["items"][0]["kind"] == "bundle"
    assert client.get("/api/v1/portal/search", params={"q": "qqxxzzvv"}).json()["items"] == []
    too_long = client.get("/api/v1/portal/search", params={"q": "开" * 65})
    assert too_long.status_code == 422
    error = too_long.json()
    assert error["code"] == "request.invalid" and error["message"] and error["message_en"]
    assert client.get("/api/v1/portal/search", params={"q": "kfd", "limit": 0}).status_code == 422
    for control in ("\x00", "kfd\x07", "\x7f"):
        refused = client.get("/api/v1/portal/search", params={"q": control})
        assert refused.status_code == 422 and refused.json()["code"] == "request.invalid"
    assert client.get("/search", params={"q": "\x00"}).status_code == 422


def test_htmx_partial_and_full_page(client: TestClient, hub: Session) -> None:
    partial = client.get("/search", params={"q": "kaifandian"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="search-hit-list"' in partial.text
    assert "开办餐饮店" in partial.text and "开饭店" in partial.text
    empty = client.get("/search", params={"q": "qqxxzzvv"}, headers={"HX-Request": "true"})
    assert 'id="search-empty"' in empty.text
    resident = make_resident(hub)
    page = client.get(
        "/search",
        params={"q": "kfd"},
        headers={**auth_headers(client, resident), "Accept": "text/html"},
    )
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "开办餐饮店" in page.text
