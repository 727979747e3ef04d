"""A resident opens their code, the checkpoint page verifies it, the console shows the scan."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_login import log_in
from tests.live import LiveCity


def test_resident_code_checked_at_checkpoint_and_seen_by_health_authority(
    demo_city: LiveCity, browser: Browser, phone_page: Page, desktop_page: Page, artifacts_dir: Path
) -> None:
    log_in(phone_page, demo_city, "resident01")
    expect(phone_page.locator("#home-title")).to_be_visible()
    phone_page.goto(f"{demo_city.base_url}/citycode")
    expect(phone_page.locator("#code-qr svg")).to_be_visible()
    expect(phone_page.locator("#code-colour")).to_contain_text("常态码")
    phone_page.screenshot(path=str(artifacts_dir / "citycode-resident-phone.png"), full_page=True)
    code = (phone_page.locator("#code-text").text_content() or "").strip()
    assert code.startswith("CB1:")

    log_in(desktop_page, demo_city, "checkpoint")
    desktop_page.goto(f"{demo_city.base_url}/citycode/checkpoint")
    desktop_page.select_option("#venue-select", label="二七广场（public_place）")
    desktop_page.fill("#code-input", code)
    desktop_page.click("#check-button")
    expect(desktop_page.locator("#door-outcome")).to_have_attribute("data-outcome", "pass")
    desktop_page.screenshot(path=str(artifacts_dir / "citycode-checkpoint.png"), full_page=True)
    # A tampered code is refused with its own outcome.
    desktop_page.fill("#code-input", code[:-5] + "AAAAA")
    desktop_page.click("#check-button")
    expect(desktop_page.locator("#door-outcome")).to_have_attribute("data-outcome", "no_valid_code")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    console = context.new_page()
    try:
        log_in(console, demo_city, "health")
        console.goto(f"{demo_city.base_url}/citycode/console")
        recent = console.locator("#recent-scans tbody tr")  # newest first, demo scans below
        expect(recent.nth(0)).to_have_attribute("data-outcome", "no_valid_code")  # tampered
        expect(recent.nth(1)).to_have_attribute("data-outcome", "pass")
        expect(recent.nth(1)).to_contain_text("二七广场")
        console.screenshot(path=str(artifacts_dir / "citycode-console.png"), full_page=True)
    finally:
        context.close()
