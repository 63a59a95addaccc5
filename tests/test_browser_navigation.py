"""The grouped staff menu in a real browser: groups open and close as people expect on a desktop, and on a phone
the menu folds behind one button instead of a strip that hides most of it (issue 15, point 1)."""

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import PHONE, browser, screenshot, sign_in, site
from tests.conftest import Tenant

__all__ = ["browser", "site"]  # fixtures

pytestmark = pytest.mark.browser

OFFICE: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1366, "height": 800}}


def test_on_a_desktop_each_group_opens_its_list_one_at_a_time_and_escape_closes_it(
    site: str, browser: Browser, tenant: Tenant
) -> None:
    context = browser.new_context(**OFFICE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, site, tenant.owner)
        menu = page.get_by_role("navigation", name="メインメニュー")
        box = menu.bounding_box()
        assert box is not None and box["height"] < 60, "one row of groups at 1366 px"
        expect(menu.get_by_role("link", name="送信状況")).to_be_hidden()
        expect(page.get_by_role("button", name="メニュー")).to_be_hidden()  # only narrow screens fold the menu

        menu.get_by_text("応募者とお祈りメール").click()
        expect(menu.get_by_role("link", name="送信状況")).to_be_visible()
        menu.get_by_text("設定", exact=True).click()
        expect(menu.get_by_role("link", name="送信状況")).to_be_hidden()  # the other group closed
        expect(menu.get_by_role("link", name="メール送信設定")).to_be_visible()
        page.keyboard.press("Escape")
        expect(menu.get_by_role("link", name="メール送信設定")).to_be_hidden()

        menu.get_by_text("応募者とお祈りメール").click()
        menu.get_by_role("link", name="送信状況").click()
        expect(page).to_have_url(f"{site}/company/mail/outbox/")
        expect(menu.locator('a[aria-current="page"]')).to_have_text("送信状況")  # inside the folded group
        screenshot(page, "navigation-desktop")
    finally:
        context.close()


def test_on_a_phone_the_menu_opens_from_one_button_and_leads_anywhere(
    site: str, browser: Browser, tenant: Tenant
) -> None:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, site, tenant.owner)
        menu = page.get_by_role("navigation", name="メインメニュー")
        toggle = page.get_by_role("button", name="メニュー")
        expect(menu).to_be_hidden()
        expect(toggle).to_have_attribute("aria-expanded", "false")

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(menu.get_by_text("求人とご紹介")).to_be_visible()
        menu.get_by_text("求人とご紹介").click()
        screenshot(page, "navigation-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "nothing sticks out sideways"
        menu.get_by_role("link", name="人材プール").click()
        expect(page).to_have_url(f"{site}/company/pool/")
        expect(menu).to_be_hidden()  # a new page starts with the menu folded
    finally:
        context.close()
