"""No page or asset the server sends points outside it; every page speaks English too.

Every role of the demo city logs in to a real ``citybrain serve``; the crawl follows
each same-site link from the home page and reads every page and every script, style,
image and manifest those pages load. A page may hold no external URL at all; a
vendored library may hold only the identifiers listed in ``NOT_FETCHED`` (XML
namespaces and licence comments that no browser requests), so an upgrade that brings a
new URL fails here until someone reads it. Every page carries the language switch and
an English heading (Chinese first; the switch hides or shows the English).
"""

from __future__ import annotations

import gzip
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import requests

from citybrain.config import Settings
from citybrain.portal.rendering import PORTAL_DIR
from tests.live import LiveCity

pytestmark = pytest.mark.slow

PASSWORD = Settings().demo.password.get_secret_value()
ROLES = [
    "resident01",
    "enterprise01",
    "clerk.market-regulation",
    "head.urban-management",
    "agent",
    "grid",
    "command",
    "checkpoint",
    "health",
    "admin",
]
PAGES_PER_ROLE = 40
SCRIPT_BUDGET_GZ = 500 * 1024
URL = re.compile(r"""(?:https?:)?//[a-z0-9][a-z0-9.-]*\.[a-z]{2,}[^\s"'<>)\\]*""", re.I)
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
XML_NAMESPACES = {
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/xmlns/",
    "http://www.w3.org/XML/1998/namespace",
}
# Per vendored file: URLs inside it that are never requested, and why.
NOT_FETCHED = {
    "echarts": XML_NAMESPACES  # SVG renderer namespaces
    | {
        "http://www.apache.org/licenses/LICENSE-2.0",  # licence comment
        "https://github.com/ecomfe/zrender/blob/master/LICENSE",  # licence comment
    },
    "leaflet": {
        "http://www.w3.org/2000/svg",
        "https://leafletjs.com",  # licence comment; attribution link (our maps switch it off)
        "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",  # CSS comment
        "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",  # CSS comment
    },
}


class _Links(HTMLParser):
    """Every URL an element of the page names, and the text of inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src", "action", "poster", "data", "formaction"):
                self.links.append((tag, name, value))
            elif name == "srcset":
                for part in value.split(","):
                    self.links.append((tag, name, part.strip().split(" ")[0]))
            elif name.startswith("data-") and value.startswith(("/", "http", "//")):
                self.links.append((tag, name, value))


def _is_external(url: str, base: str) -> bool:
    absolute = urljoin(base, url)
    parts = urlsplit(absolute)
    if parts.scheme in ("data", "blob", "javascript", "mailto", "tel"):
        return parts.scheme == "javascript"
    return parts.netloc != urlsplit(base).netloc


def _log_in(city: LiveCity, username: str) -> requests.Session:
    browser = requests.Session()
    browser.headers["Accept"] = "text/html"
    answer = browser.post(
        f"{city.base_url}/login",
        data={"username": username, "password": PASSWORD, "next": "/"},
        timeout=30,
    )
    assert answer.status_code == 200 and "/login" not in answer.url, username
    return browser


def _crawl(city: LiveCity, browser: requests.Session) -> tuple[dict[str, str], set[str]]:
    """Pages reachable from the home page (HTML by URL) and the assets they load."""
    pages: dict[str, str] = {}
    assets: set[str] = set()
    queue = deque([f"{city.base_url}/"])
    seen = set(queue)
    while queue and len(pages) < PAGES_PER_ROLE:
        url = queue.popleft()
        answer = browser.get(url, timeout=30)
        assert answer.status_code < 500, f"{url} answered {answer.status_code}"
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        pages[url] = answer.text
        parser = _Links()
        parser.feed(answer.text)
        for tag, attribute, value in parser.links:
            assert not _is_external(value, url), f"{url}: <{tag} {attribute}={value!r}>"
            target = urldefrag(urljoin(url, value)).url
            if not target.startswith(city.base_url):
                continue
            if tag in ("script", "img", "source") or (tag == "link" and attribute == "href"):
                assets.add(target)
            elif tag == "a" and target not in seen and "/logout" not in target:
                path = urlsplit(target).path
                if not path.startswith(("/api/", "/openapi", "/metrics", "/ngsi-ld", "/open311")):
                    seen.add(target)
                    queue.append(target)
    return pages, assets


def _library(url: str) -> str:
    path = urlsplit(url).path
    return next((name for name in NOT_FETCHED if f"/vendor/{name}" in path), "")


def test_no_page_or_asset_points_outside_the_server(demo_city: LiveCity) -> None:
    pages: dict[str, str] = {}
    assets: set[str] = {f"{demo_city.base_url}/sw.js", f"{demo_city.base_url}/offline"}
    for username in ROLES:
        role_pages, role_assets = _crawl(demo_city, _log_in(demo_city, username))
        pages.update(role_pages)
        assets |= role_assets
    print(f"crawled {len(pages)} pages and {len(assets)} assets")
    assert len(pages) >= 40, sorted(pages)
    for url, html in pages.items():
        found = set(URL.findall(html)) - XML_NAMESPACES
        assert not found, f"{url} names external URLs {sorted(found)}"
        assert 'id="lang-toggle"' in html, f"{url} has no language switch"
        heading = H1.search(html)
        assert heading, f"{url} has no <h1>"
        english = 'lang="en"' in heading.group(1) or 'id="error-message-en"' in html
        assert english, f"{url}: its <h1> has no English"
    text_types = ("javascript", "css", "json", "svg", "html", "manifest")
    checked = 0
    for url in sorted(assets):
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 200, url
        if not any(kind in answer.headers.get("content-type", "") for kind in text_types):
            continue
        found = set(URL.findall(answer.text)) - NOT_FETCHED.get(_library(url), XML_NAMESPACES)
        assert not found, f"{url} names external URLs {sorted(found)}"
        assert "sourceMappingURL" not in answer.text, f"{url} asks for a source map"
        checked += 1
    assert checked >= 5


def test_vendored_scripts_add_up_to_under_500_kb_gzipped() -> None:
    static = PORTAL_DIR / "static"
    scripts = sorted(static.rglob("*.js"))
    sizes = {path: len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in scripts}
    vendored = sum(size for path, size in sizes.items() if "vendor" in path.parts)
    everything = sum(sizes.values())
    for path, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"{size / 1024:8.1f} KB gz  {Path(path).relative_to(static)}")
    print(f"vendored scripts {vendored / 1024:.1f} KB gz; with our own {everything / 1024:.1f} KB")
    assert vendored < SCRIPT_BUDGET_GZ
    assert everything < SCRIPT_BUDGET_GZ
