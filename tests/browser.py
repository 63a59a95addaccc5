"""Shared pieces of the real-browser tests: Debian's chromium driven by Playwright, and a phone-sized screen.

Import the fixtures `browser`, `site` and `mobile` into a test module to use them.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from accounts.models import User
from tests.conftest import PASSWORD

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls the tests make while a
# browser is open are plain synchronous code, so Django's async-safety guard must stand aside.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "ja-JP",
    "timezone_id": "Asia/Tokyo",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """The live server's address, also used for every absolute URL the app writes (emails, relay links)."""
    settings.SITE_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def mobile(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, site: str, user: User) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()


def fill_registration(page: Page, **overrides: str) -> None:
    """Type a profile the way a Japanese job seeker does: full-width letters and digits, hiragana furigana."""
    values = {
        "氏名": "山田 花子",
        "フリガナ": "やまだ はなこ",
        "メールアドレス": "ＨＡＮＡＫＯ＠example.jp",
        "電話番号": "０９０－１２３４－５６７８",
        "社会人経験年数": "５",
        "スキル・資格": "法人営業、普通自動車免許",
        "希望年収": "４５０",
        "職務経歴の概要": "食品メーカーで法人営業を5年担当しました。",
        **overrides,
    }
    for label, value in values.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("お住まいの都道府県").select_option(label="東京都")
    page.get_by_label("希望職種").select_option(label="営業")
