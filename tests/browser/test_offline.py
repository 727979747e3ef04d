"""The app installs a service worker and keeps working when the connection drops."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import PHONE
from tests.live import LiveCity


def test_pages_seen_before_and_an_offline_page_show_without_a_network(
    demo_city: LiveCity, browser: Browser
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = context.new_page()
    page.goto(f"{demo_city.base_url}/login")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker, which caches the page
    expect(page.locator("#username")).to_be_visible()
    manifest = page.evaluate(
        "fetch('/static/manifest.webmanifest').then(r => r.json()).then(m => m.start_url)"
    )
    assert manifest == "/"
    context.set_offline(True)
    page.goto(f"{demo_city.base_url}/login")
    expect(page.locator("#username")).to_be_visible()
    page.goto(f"{demo_city.base_url}/never-visited")
    expect(page.locator("#offline-title")).to_contain_text("网络暂时不可用")
    context.close()
