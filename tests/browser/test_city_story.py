"""The whole city in one story, in Chromium, against the demo city on a real server.

A resident finds 开饭店 by typing "kfd", applies for the 开办餐饮店 bundle, sees the
market regulator's correction notice arrive on her home page without reloading, answers
it and gets her e-licences; she then reports an overflowing bin; the city-management
clerk works the case; and the command centre's cockpit shows the new case in its live
feed and the changed figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_login import log_in
from tests.governance.live import a_point
from tests.live import LiveCity

RESIDENT = "resident07"
MARKET = "clerk.market-regulation"
CLERKS = {
    "郑州市市场监督管理局": MARKET,
    "郑州市消防救援支队": "clerk.fire-rescue",
    "郑州市城市管理局": "clerk.urban-management",
}
LARGE = {"width": 1920, "height": 1080}
FORM = {
    "contact_phone": "13800138007",
    "food_categories": "热食类制售",
    "business_area_m2": "80",
    "fire_safety_manager": "李四",
    "sign_location": "店门上方",
    "sign_area_m2": "6",
}
PREFILLED_WITH_A_LICENCE = {
    "business_name": "郑州小李烩面馆",
    "business_address": "金水区经三路18号",
}


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _open(browser: Browser, contexts: list[BrowserContext], *, phone: bool) -> Page:
    if phone:
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, device_scale_factor=2
        )
    else:
        context = browser.new_context(viewport=LARGE, locale="zh-CN")
    contexts.append(context)
    return context.new_page()


def _figure(cockpit: Page, key: str) -> str:
    return cockpit.locator(f'#cockpit-figures [data-figure="{key}"] .ck-fig__value').inner_text()


def _find_and_apply(page: Page, city: LiveCity) -> tuple[str, str]:
    """Search by pinyin initials on the home page, open the bundle, fill, submit."""
    page.goto(f"{city.base_url}/")
    page.locator("#search-input").press_sequentially("kfd", delay=80)
    hit = page.locator('#search-hit-list li[data-kind="bundle"]').filter(has_text="开办餐饮店")
    expect(hit).to_have_count(1)
    hit.locator("a").click()
    page.locator('#questions-form input[name="q_registration"][value="held"]').check()
    page.locator('#questions-form input[name="q_need_3"][value="no"]').check()
    page.locator("#questions-submit").click()
    expect(page.locator("#member-list li")).to_have_count(3)
    for field, value in FORM.items():
        page.fill(f"#f_{field}", value)
    for field, value in PREFILLED_WITH_A_LICENCE.items():
        if not page.locator(f"#f_{field}").input_value():  # she holds no business licence
            page.fill(f"#f_{field}", value)
    page.locator("#apply-submit").click()
    expect(page.locator("#application-status")).to_have_attribute("data-status", "submitted")
    assert re.search(r"/services/applications/\d+$", page.url)
    return page.url, page.locator("#application-number").inner_text()


def _task(page: Page, department: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#task-list > li[data-department="{department}"]')


def _finish(page: Page, department: str) -> None:
    task = _task(page, department)
    if task.locator('[data-action="accept"]').count():
        task.locator('[data-action="accept"]').click()
    while task.locator('[data-action="review"]').count():
        task.locator('[data-action="review"]').first.click()
    task.locator('[data-action="grant"]').click()
    expect(task).to_have_attribute("data-status", "granted")


def test_one_story_through_the_whole_city(
    demo_city: LiveCity, browser: Browser, contexts: list[BrowserContext], artifacts_dir: Path
) -> None:
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    cockpit = _open(browser, contexts, phone=False)
    log_in(cockpit, demo_city, "command")
    cockpit.goto(f"{demo_city.base_url}/cockpit")
    expect(cockpit.locator("body")).to_have_attribute("data-ready", "1", timeout=10_000)
    applications_before = _figure(cockpit, "applications_today")
    cases_before = _figure(cockpit, "cases_open")

    resident = _open(browser, contexts, phone=True)
    log_in(resident, demo_city, RESIDENT)
    application_url, application_number = _find_and_apply(resident, demo_city)

    market = _open(browser, contexts, phone=False)
    log_in(market, demo_city, MARKET)
    market.goto(f"{demo_city.base_url}/inbox?q={application_number}")
    row = market.locator('tr[data-pillar="servicehub"]').filter(has_text=application_number)
    expect(row).to_have_count(1)
    market.screenshot(path=str(shots / "story-staff-inbox-large.png"), full_page=True)
    row.locator("a.inbox-ref").click()
    task = _task(market, "郑州市市场监督管理局")
    task.locator('[data-action="accept"]').click()
    expect(task).to_have_attribute("data-status", "accepted")

    resident.goto(f"{demo_city.base_url}/")
    notices = resident.locator("#home-notice-list li")
    before = notices.count()
    task = _task(market, "郑州市市场监督管理局")
    task.locator('textarea[name="materials"]').fill("食品安全管理制度\n从业人员健康证明")
    task.locator('[data-action="correct"]').click()
    expect(task).to_have_attribute("data-status", "correcting")
    expect(notices).to_have_count(before + 1, timeout=5_000)  # live, no reload
    expect(notices.first).to_contain_text("补正")
    resident.screenshot(path=str(shots / "story-correction-notice-phone.png"), full_page=True)

    resident.goto(application_url)
    expect(resident.locator("#task-list")).to_contain_text("食品安全管理制度")
    resident.locator("#correction-answered").click()
    expect(resident.locator("#application-status")).not_to_have_attribute(
        "data-status", "correcting"
    )
    for department, username in CLERKS.items():
        clerk = market if username == MARKET else _open(browser, contexts, phone=False)
        if clerk is not market:
            log_in(clerk, demo_city, username)
        clerk.goto(application_url)
        _finish(clerk, department)
    resident.goto(application_url)
    expect(resident.locator("#application-status")).to_have_attribute("data-status", "completed")
    expect(resident.locator("#task-list .licence")).to_have_count(3)

    lon, lat = a_point(demo_city)
    resident.goto(f"{demo_city.base_url}/governance/report")
    expect(resident.locator("#district-map .leaflet-interactive").first).to_be_visible()
    resident.fill("#lon", f"{lon:.6f}")
    resident.fill("#lat", f"{lat:.6f}")
    resident.fill("#description", "路口的垃圾桶满了，垃圾溢出来一地，好几天没人清理")
    resident.click("#report-submit")
    expect(resident.locator(".flash--success")).to_contain_text("已受理，案件编号")
    found = re.search(r"#(\d+)", resident.locator(".flash--success").inner_text())
    assert found is not None
    number = found.group(1)

    expect(cockpit.locator("#ck-feed-list")).to_contain_text(f"#{number}", timeout=2_000)
    for key, before_value in (
        ("cases_open", cases_before),
        ("applications_today", applications_before),
    ):
        value = cockpit.locator(f'#cockpit-figures [data-figure="{key}"] .ck-fig__value')
        expect(value).not_to_have_text(before_value, timeout=10_000)

    city_clerk = _open(browser, contexts, phone=False)
    log_in(city_clerk, demo_city, "clerk.urban-management")
    city_clerk.goto(f"{demo_city.base_url}/governance/inbox")
    city_clerk.click(f'tr[data-case="{number}"] a')
    city_clerk.click("#act-claim")
    expect(city_clerk.locator("#case-status")).to_have_attribute("data-status", "claimed")
    city_clerk.click("#act-feedback")
    expect(city_clerk.locator("#case-status")).to_have_attribute("data-status", "handled")

    resident.goto(f"{demo_city.base_url}/")
    expect(resident.locator("#home-report-list")).to_contain_text(number)
    resident.screenshot(path=str(shots / "story-resident-home-phone.png"), full_page=True)
    cockpit.screenshot(path=str(shots / "story-cockpit-large.png"))
