"""开办餐饮店 end to end in Chromium: one form, licence-satisfied materials, three clerks."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_login import log_in
from tests.live import LiveCity

CLERKS = {
    "郑州市市场监督管理局": "clerk.market-regulation",
    "郑州市消防救援支队": "clerk.fire-rescue",
    "郑州市城市管理局": "clerk.urban-management",
}


def _work_task(browser: Browser, city: LiveCity, url: str, department: str) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, city, CLERKS[department])
    page.goto(f"{city.base_url}/services/inbox")
    expect(page.locator("#inbox-table")).to_contain_text("SH")
    page.goto(url)
    task = page.locator(f'li[data-department="{department}"]')
    task.locator('[data-action="accept"]').click()
    while task.locator('[data-action="review"]').count():
        task.locator('[data-action="review"]').first.click()
    task.locator('[data-action="grant"]').click()
    expect(task).to_have_attribute("data-status", "granted")
    context.close()


def test_resident_opens_a_restaurant_in_one_application(
    demo_city: LiveCity, phone_page: Page, browser: Browser, artifacts_dir: Path
) -> None:
    page = phone_page
    log_in(page, demo_city, "resident01")
    page.goto(f"{demo_city.base_url}/services")
    page.locator('[data-bundle="开办餐饮店"]').click()
    page.locator('#questions-form input[name="q_registration"][value="held"]').check()
    page.locator('#questions-form input[name="q_need_3"][value="no"]').check()
    page.locator("#questions-submit").click()
    expect(page.locator("#member-list li")).to_have_count(3)
    licence_rows = page.locator('#material-list li[data-status="licence"]')
    expect(licence_rows.first).to_contain_text("营业执照")
    expect(page.locator("#f_business_name")).not_to_have_value("")  # prefilled from the licence
    page.screenshot(path=str(artifacts_dir / "servicehub-bundle-phone.png"), full_page=True)
    for field, value in {
        "contact_phone": "13800138000",
        "food_categories": "热食类制售",
        "business_area_m2": "80",
        "fire_safety_manager": "张三",
        "sign_location": "店门上方",
        "sign_area_m2": "6",
    }.items():
        page.fill(f"#f_{field}", value)
    page.locator("#apply-submit").click()
    expect(page.locator("#application-status")).to_have_attribute("data-status", "submitted")
    url = page.url
    assert re.search(r"/services/applications/\d+$", url)
    departments = page.locator("#task-list > li").evaluate_all(
        "items => items.map(i => i.dataset.department)"
    )
    assert sorted(departments) == sorted(CLERKS)

    for department in departments:
        _work_task(browser, demo_city, url, department)

    page.goto(url)
    expect(page.locator("#application-status")).to_have_attribute("data-status", "completed")
    expect(page.locator("#task-list .licence")).to_have_count(3)
    page.goto(f"{demo_city.base_url}/services/applications")
    for kind in ("food_business_licence", "fire_safety_permit", "outdoor_sign_permit"):
        expect(page.locator(f'#licence-list li[data-type="{kind}"]')).to_contain_text("有效")
    page.screenshot(path=str(artifacts_dir / "servicehub-done-phone.png"), full_page=True)
