"""Pages work offline: every script, style and image they load is served by us."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from tests.factories.identity import auth_headers, make_staff

ASSET = re.compile(r"""(?:src|href|action)\s*=\s*["']([^"']+)["']""")


def _assets(html: str) -> set[str]:
    return set(ASSET.findall(html))


def _check_local(client: TestClient, html: str) -> None:
    for url in _assets(html):
        assert not re.match(r"^(https?:)?//", url), f"external URL {url}"
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


def test_login_page_and_api_docs_load_nothing_from_outside(
    client: TestClient, session: Session
) -> None:
    login = client.get("/login")
    assert login.status_code == 200 and 'lang="zh-CN"' in login.text
    _check_local(client, login.text)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "<script" not in docs.text.split("</head>")[1]
    assert "POST" in docs.text and "/api/v1/auth/token" in docs.text
    assert 'id="schema-CaseOut"' in docs.text and 'href="#schema-CaseOut"' in docs.text
    _check_local(client, docs.text)
    clerk = make_staff(session, Role.department_clerk)
    home = client.get("/", headers={**auth_headers(client, clerk), "Accept": "text/html"})
    assert home.status_code == 200
    _check_local(client, home.text)


def test_unknown_page_is_a_chinese_error_page_and_unknown_api_is_json(client: TestClient) -> None:
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["code"] == "http.not_found"


def test_home_offers_the_pages_of_the_role(client: TestClient, session: Session) -> None:
    from tests.factories.identity import make_resident

    resident = make_resident(session)
    home = client.get("/", headers={**auth_headers(client, resident), "Accept": "text/html"})
    assert home.status_code == 200
    assert "常用入口" in home.text and 'href="/services"' in home.text
    assert 'href="/governance/intake"' not in home.text  # a hotline page, not a resident's


def test_the_service_worker_cache_is_named_after_the_static_files(client: TestClient) -> None:
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["service-worker-allowed"] == "/"
    name = re.search(r'var CACHE = "citybrain-([0-9a-f]{16})";', worker.text)
    assert name is not None, "the cache name carries a digest of the static files"
    for asset in re.findall(r'"(/static/[^"]+)"', worker.text):
        assert client.get(asset).status_code == 200, asset
