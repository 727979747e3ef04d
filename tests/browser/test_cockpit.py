"""The command centre's cockpit in Chromium over the full demo city: first render under
2 s, 14 domain tiles, the district map drawn and drilled into, a new case in the live
feed within 2 s, and screenshots at 1920×1080 and phone size."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_login import PASSWORD, log_in
from tests.governance.live import a_point
from tests.live import LiveCity

LARGE = {"width": 1920, "height": 1080}


def _screenshots() -> Path:
    folder = Path(os.environ.get("CITYBRAIN_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open_cockpit(page: Page, city: LiveCity) -> float:
    """Load /cockpit and wait for the map and chart; the first render in ms."""
    page.goto(f"{city.base_url}/cockpit")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=15_000)
    return float(page.evaluate("performance.getEntriesByName('cockpit-ready')[0].startTime"))


def _report_case(city: LiveCity, lon: float, lat: float) -> int:
    """A resident's report through the API, as another session would send it."""
    with httpx.Client(base_url=city.base_url, timeout=20) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "resident01", "password": PASSWORD}
        ).json()["access_token"]
        answer = client.post(
            "/api/v1/governance/cases",
            json={
                "channel": "app",
                "description": "驾驶舱测试：人行道上的井盖丢了，很危险，请尽快处理。",
                "lon": lon,
                "lat": lat,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["case"]["id"])


def _click_area(page: Page, lon: float, lat: float) -> None:
    """Click the map where (lon, lat) is drawn (ECharts converts it to a pixel)."""
    x, y = page.evaluate(
        "([lon, lat]) => echarts.getInstanceByDom(document.getElementById('ck-map'))"
        ".convertToPixel({seriesIndex: 0}, [lon, lat])",
        [lon, lat],
    )
    box = page.locator("#ck-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_the_command_centre_watches_the_city(demo_city: LiveCity, browser: Browser) -> None:
    shots = _screenshots()
    context = browser.new_context(viewport=LARGE, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, demo_city, "command")
    expect(page.locator('.site-nav a[href="/cockpit"]')).to_be_visible()

    first_render_ms = _open_cockpit(page, demo_city)
    # Measured and recorded, not asserted: a timed assertion only measures the CI machine.
    print(f"\ncockpit first render at 1920x1080: {first_render_ms:.0f} ms")
    (shots.parent / "cockpit-first-render.txt").write_text(f"{first_render_ms:.0f} ms\n")

    expect(page.locator(".ck-tile")).to_have_count(14)
    for tile in page.locator(".ck-tile").all():  # every status is said in words too
        expect(tile.locator(".ck-status")).not_to_be_empty()
    expect(page.locator("#ck-map canvas").first).to_be_visible()
    expect(page.locator("#ck-map")).to_have_attribute("data-areas", "12")
    expect(page.locator("#ck-map-note")).to_contain_text("演示用近似形状")
    expect(page.locator("#ck-live")).to_have_attribute("data-state", "live")
    open_before = page.locator('[data-figure="cases_open"] .ck-fig__value').inner_text()

    lon, lat = a_point(demo_city, "410105")
    case_id = _report_case(demo_city, lon, lat)
    sent = time.perf_counter()
    expect(page.locator(".ck-feed__item").first).to_contain_text(f"#{case_id} ", timeout=2_000)
    print(f"new case in the feed after {1000 * (time.perf_counter() - sent):.0f} ms")
    expect(page.locator('[data-figure="cases_open"] .ck-fig__value')).not_to_have_text(
        open_before, timeout=10_000
    )

    page.screenshot(path=str(shots / "cockpit-large.png"))

    _click_area(page, lon, lat)
    expect(page.locator("#ck-map")).to_have_attribute("data-level", "street")
    expect(page.locator("#ck-map")).to_have_attribute("data-parent", "410105")
    expect(page.locator("#ck-crumbs")).to_contain_text("金水区")
    page.wait_for_timeout(300)  # the new layer is drawn without animation
    streets = int(page.locator("#ck-map").get_attribute("data-areas") or 0)
    assert streets > 1
    _click_area(page, lon, lat)
    expect(page.locator("#ck-map")).to_have_attribute("data-level", "grid_cell")
    page.locator("#ck-crumbs button", has_text="郑州市").click()
    expect(page.locator("#ck-map")).to_have_attribute("data-level", "division")
    assert not errors, errors
    context.close()

    phone = browser.new_context(
        viewport=PHONE, locale="zh-CN", device_scale_factor=2, is_mobile=True, has_touch=True
    )
    small = phone.new_page()
    log_in(small, demo_city, "command")
    phone_ms = _open_cockpit(small, demo_city)
    print(f"cockpit first render on a phone (390x844): {phone_ms:.0f} ms")
    expect(small.locator(".ck-tile")).to_have_count(14)
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    small.screenshot(path=str(shots / "cockpit-phone.png"), full_page=True)
    phone.close()
