"""Two residents report the same overflowing bin in Chromium; the second report merges
into the first; the department handles it, the grid worker's check closes it, and
both residents see it closed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from citybrain.core import geo
from tests.browser.conftest import PHONE
from tests.browser.test_login import log_in
from tests.governance.live import a_point, start_small_city
from tests.live import LiveCity, stop_city


@pytest.fixture(scope="module")
def gov_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCity]:
    city = start_small_city(tmp_path_factory.mktemp("govbrowser"))
    yield city
    stop_city(city)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _page(browser: Browser, contexts: list[BrowserContext], *, phone: bool) -> Page:
    if phone:
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
        )
    else:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    contexts.append(context)
    return context.new_page()


def _report(page: Page, city: LiveCity, text: str, lon: float, lat: float) -> None:
    page.goto(f"{city.base_url}/governance/report")
    expect(page.locator("#district-map .leaflet-interactive").first).to_be_visible()
    page.locator("#district-map").click()  # the map fills the coordinates ...
    expect(page.locator("#lon")).not_to_have_value("")
    page.fill("#lon", f"{lon:.6f}")  # ... then the phone's position replaces them
    page.fill("#lat", f"{lat:.6f}")
    page.fill("#description", text)
    page.click("#report-submit")


def test_bin_reported_twice_is_merged_handled_and_closed_for_both(
    gov_city: LiveCity, browser: Browser, contexts: list[BrowserContext], artifacts_dir: Path
) -> None:
    lon, lat = a_point(gov_city)
    first = _page(browser, contexts, phone=True)
    log_in(first, gov_city, "resident01")
    _report(first, gov_city, "小区门口的垃圾箱满了，垃圾溢出来没人清理", lon, lat)
    expect(first.locator(".flash--success")).to_contain_text("已受理，案件编号")
    case_id = re.search(r"#(\d+)", first.locator(".flash--success").inner_text())
    assert case_id is not None
    number = case_id.group(1)

    second = _page(browser, contexts, phone=True)
    log_in(second, gov_city, "resident02")
    dx, _ = geo.metres_to_degrees(12, 0, lat=lat)
    _report(second, gov_city, "这个垃圾箱满了，垃圾溢出来了，没人清理", lon + dx, lat)
    expect(second.locator(".flash--success")).to_contain_text(f"已合并到案件 #{number}")
    second.screenshot(path=str(artifacts_dir / "governance-merged.png"), full_page=True)

    clerk = _page(browser, contexts, phone=False)
    log_in(clerk, gov_city, "clerk.urban-management")
    clerk.goto(f"{gov_city.base_url}/governance/inbox")
    clerk.click(f'tr[data-case="{number}"] a')
    clerk.click("#act-claim")
    expect(clerk.locator("#case-status")).to_have_attribute("data-status", "claimed")
    clerk.click("#act-feedback")
    expect(clerk.locator("#case-status")).to_have_attribute("data-status", "handled")

    grid = _page(browser, contexts, phone=True)
    log_in(grid, gov_city, "grid")
    grid.goto(f"{gov_city.base_url}/governance/grid")
    grid.locator(f'#to-check li[data-case="{number}"] button').first.click()
    expect(grid.locator(f'#to-check li[data-case="{number}"]')).to_have_count(0)

    for page in (first, second):
        page.goto(f"{gov_city.base_url}/governance/report")
        item = page.locator(f'#my-cases li[data-case="{number}"]')
        expect(item).to_have_attribute("data-status", "closed")
        expect(item.locator(".gv-status")).to_have_text("已结案")
    first.screenshot(path=str(artifacts_dir / "governance-closed.png"), full_page=True)
