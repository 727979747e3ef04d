"""A clerk logs in through the login page and lands on their department's home page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from citybrain.config import Settings
from tests.live import LiveCity

PASSWORD = Settings().demo.password.get_secret_value()


def log_in(page: Page, city: LiveCity, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{city.base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()


def test_clerk_sees_their_department_home(
    demo_city: LiveCity, desktop_page: Page, artifacts_dir: Path
) -> None:
    log_in(desktop_page, demo_city, "clerk.market-regulation")
    expect(desktop_page.locator("#home-title")).to_contain_text("郑州市市场监督管理局")
    expect(desktop_page.locator("#user-role-label")).to_have_text("部门窗口人员")
    desktop_page.screenshot(path=str(artifacts_dir / "clerk-home-desktop.png"), full_page=True)


def test_wrong_password_shows_a_clear_message(demo_city: LiveCity, phone_page: Page) -> None:
    log_in(phone_page, demo_city, "clerk.market-regulation", "not-the-password")
    expect(phone_page.locator("#login-error")).to_contain_text("用户名或密码错误")
    expect(phone_page).to_have_url(f"{demo_city.base_url}/login")


def test_pages_need_a_login_and_come_back_after_it(
    demo_city: LiveCity, phone_page: Page, artifacts_dir: Path
) -> None:
    phone_page.goto(f"{demo_city.base_url}/")
    expect(phone_page).to_have_url(f"{demo_city.base_url}/login")
    phone_page.screenshot(path=str(artifacts_dir / "login-phone.png"), full_page=True)
    log_in(phone_page, demo_city, "resident01")
    expect(phone_page.locator("#home-title")).to_be_visible()
    phone_page.get_by_role("button", name="退出").click()
    expect(phone_page).to_have_url(f"{demo_city.base_url}/login")
