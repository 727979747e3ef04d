"""The resident's home on a phone (search by initials, a notice arriving live) and the
clerk's one inbox (filters), in Chromium against the served demo city; screenshots of
both at phone and large-screen sizes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.db import make_engine, transaction
from citybrain.identity.models import Account
from citybrain.notifications import service as notifications_service
from tests.browser.conftest import PHONE
from tests.browser.test_login import log_in
from tests.live import LiveCity

LARGE = {"width": 1920, "height": 1080}


@pytest.fixture
def screenshots() -> Path:
    path = Path(os.environ.get("CITYBRAIN_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


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
        context = browser.new_context(viewport=LARGE, locale="zh-CN")
    contexts.append(context)
    return context.new_page()


def _send_notice(city: LiveCity, username: str, title: str) -> None:
    """A notice for the resident, written by another process (as the pillars do)."""
    engine = make_engine(city.env["CITYBRAIN_DATABASE_URL"])
    try:
        with Session(engine) as session, transaction(session):
            account = session.scalar(select(Account).where(Account.username == username))
            assert account is not None and account.person_id is not None
            notifications_service.send(
                session,
                topic="test.browser",
                title=title,
                title_en="A test notice",
                link="/notifications",
                person_id=account.person_id,
            )
    finally:
        engine.dispose()


def test_resident_finds_the_restaurant_by_initials_and_sees_a_notice_arrive(
    demo_city: LiveCity, browser: Browser, contexts: list[BrowserContext], screenshots: Path
) -> None:
    page = _page(browser, contexts, phone=True)
    log_in(page, demo_city, "resident01")
    expect(page.locator("#home-title")).to_contain_text("我的郑州")
    expect(page.locator("#home-code-colour")).to_be_visible()
    page.fill("#search-input", "kfd")
    first = page.locator("#search-hit-list .search-hit").first
    expect(first).to_contain_text("开办餐饮店")
    expect(first).to_contain_text("开饭店")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "resident-home-phone.png"))

    page.evaluate("window.__notReloaded = true")
    expect(page.locator("#notice-bell")).to_be_visible()
    page.wait_for_timeout(1500)  # the event stream is open
    _send_notice(demo_city, "resident01", "「食品经营许可」已受理（浏览器测试）")
    notice = page.locator("#home-notice-list li").first
    expect(notice).to_contain_text("食品经营许可」已受理（浏览器测试）", timeout=10_000)
    assert page.evaluate("window.__notReloaded === true")
    expect(page.locator("#no-home-notices")).to_be_hidden()

    large = _page(browser, contexts, phone=False)
    log_in(large, demo_city, "resident01")
    expect(large.locator("#home-notice-list")).to_contain_text("浏览器测试")
    large.fill("#search-input", "kaifandian")
    expect(large.locator("#search-hit-list .search-hit").first).to_contain_text("开办餐饮店")
    large.evaluate("window.scrollTo(0, 0)")
    large.screenshot(path=str(screenshots / "resident-home-large.png"))


def test_clerk_opens_the_one_inbox_and_filters(
    demo_city: LiveCity, browser: Browser, contexts: list[BrowserContext], screenshots: Path
) -> None:
    phone = _page(browser, contexts, phone=True)
    log_in(phone, demo_city, "clerk.urban-management")
    phone.locator("#site-nav").get_by_role("link", name="工作台收件箱").click()
    expect(phone.locator("#inbox-all-title")).to_be_visible()
    rows = phone.locator("#inbox-table tbody tr[data-key]")
    expect(rows.first).to_be_visible()
    expect(phone.locator("#head-figures")).to_have_count(0)  # a clerk: no head figures
    phone.select_option("#inbox-pillar", "governance")
    expect(phone).to_have_url(re.compile(r"/inbox\?.*pillar=governance"))
    expect(phone.locator('#inbox-table tbody tr[data-pillar="servicehub"]')).to_have_count(0)
    expect(rows.first).to_have_attribute("data-pillar", "governance")
    phone.select_option("#inbox-level", "normal")
    expect(rows.first).to_have_attribute("data-level", "normal")
    levels = rows.evaluate_all("rows => rows.map(r => r.dataset.level)")
    assert levels and set(levels) == {"normal"}
    first_ref = rows.first.locator(".inbox-ref").inner_text()
    phone.fill("#inbox-q", first_ref)
    expect(phone.locator("#inbox-total")).to_have_text("1")
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(screenshots / "staff-inbox-phone.png"), full_page=True)

    large = _page(browser, contexts, phone=False)
    log_in(large, demo_city, "head.urban-management")
    large.goto(f"{demo_city.base_url}/inbox")
    expect(large.locator("#head-figures")).to_be_visible()
    expect(large.locator("#case-figures")).to_contain_text("结案率")
    large.click("#sort-deadline")  # the latest deadline first
    expect(large.locator("#sort-deadline").locator("xpath=..")).to_have_attribute(
        "aria-sort", "descending"
    )
    large.evaluate("window.scrollTo(0, 0)")
    large.screenshot(path=str(screenshots / "staff-inbox-large.png"), full_page=True)
