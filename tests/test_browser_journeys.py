"""Real-browser journeys through the live server: Debian's chromium driven by Playwright, on a phone-sized screen.

Screenshots of the pages a person sees land in `test-artifacts/` (git-ignored) for a look after the run.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from accounts.models import User
from candidates.models import Candidate
from relay.models import Referral
from tests.conftest import PASSWORD, Tenant, register_verified

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls the tests make while a
# browser is open are plain synchronous code, so Django's async-safety guard must stand aside.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

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
VERIFY_URL = re.compile(r"http://\S+/me/verify/\S+/")


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


def test_candidate_journey_from_relay_link_to_counted_referral_on_company_dashboard(
    site: str, mobile: BrowserContext, browser: Browser, tenant: Tenant, mailoutbox: list[EmailMessage]
) -> None:
    tenant.link.code = "demo"
    tenant.link.save()
    for n in range(9):
        register_verified(tenant.link, email=f"earlier{n}@example.jp")

    page = mobile.new_page()
    page.goto(f"{site}/r/demo")
    expect(page.locator(".hero")).to_contain_text("株式会社テスト商事")
    screenshot(page, "01-landing")

    fill_registration(page)
    page.get_by_label("利用規約と個人情報の取扱いに同意").check()
    page.get_by_role("button", name="同意して登録する").click()
    expect(page.get_by_role("heading", name="確認メールをお送りしました")).to_be_visible()
    expect(page.locator("main")).to_contain_text("HANAKO@example.jp")
    screenshot(page, "02-thanks")

    candidate = Candidate.objects.get(email_normalized="hanako@example.jp")
    assert (candidate.email, candidate.phone) == ("HANAKO@example.jp", "+819012345678")
    assert candidate.furigana == "ヤマダ ハナコ"
    assert (candidate.years_of_experience, candidate.desired_salary) == (5, 450)
    message = next(m for m in reversed(mailoutbox) if m.to == ["HANAKO@example.jp"])
    found = VERIFY_URL.search(str(message.body))
    assert found, message.body

    page.goto(found.group(0))
    expect(page.get_by_role("link", name="マイページ")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("メールアドレスの確認が完了しました")
    expect(page.locator("main h1")).to_contain_text("山田 花子 さんのマイページ")
    screenshot(page, "03-mypage")
    assert Referral.objects.get(candidate=candidate).status == Referral.Status.COUNTED

    office = browser.new_context(**PHONE)
    try:
        dashboard = office.new_page()
        sign_in(dashboard, site, tenant.owner)
        expect(dashboard).to_have_url(f"{site}/company/")
        expect(dashboard.locator("#next-credit")).to_contain_text("あと10人で無料紹介枠を獲得")
        expect(dashboard.locator("#next-credit")).to_contain_text("カウント済みの紹介 10 人")
        available = dashboard.locator(".stat", has_text="利用可能な無料紹介枠").locator(".value")
        expect(available).to_have_text(re.compile(r"^\s*1\s*枠\s*$"))
        screenshot(dashboard, "04-dashboard")
    finally:
        office.close()


def test_registration_form_keeps_typed_values_and_shows_japanese_errors(
    site: str, mobile: BrowserContext, tenant: Tenant
) -> None:
    page = mobile.new_page()
    page.goto(tenant.link.public_url)
    fill_registration(page, 電話番号="12345")
    page.get_by_role("button", name="同意して登録する").click()

    expect(page.locator(".form-errors")).to_contain_text("入力内容をご確認ください")
    expect(page.locator(".field.has-error", has=page.get_by_label("電話番号"))).to_contain_text(
        "電話番号を正しくご入力ください"
    )
    expect(page.locator(".field.has-error")).to_contain_text(
        ["電話番号を正しくご入力ください", "ご登録には利用規約と個人情報の取扱いへの同意が必要です"]
    )
    expect(page.get_by_label("氏名")).to_have_value("山田 花子")
    expect(page.get_by_label("電話番号")).to_have_value("12345")
    expect(page.get_by_label("お住まいの都道府県")).to_have_value("13")
    screenshot(page, "05-registration-errors")
    assert not Candidate.objects.exists()


def test_company_user_copies_snippet_and_sees_qr(site: str, browser: Browser, tenant: Tenant) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    try:
        page = context.new_page()
        sign_in(page, site, tenant.owner)
        expect(page).to_have_url(f"{site}/company/")
        page.goto(f"{site}/company/links/{tenant.link.pk}/")

        snippet = page.locator("pre#snippet")
        expect(snippet).to_contain_text(tenant.link.public_url)
        expect(snippet).to_contain_text("株式会社テスト商事 採用担当")
        expect(page.locator(".qr svg")).to_be_visible()

        page.get_by_role("button", name="文面をコピー").click()
        expect(page.get_by_role("button", name="コピーしました")).to_be_visible()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert tenant.link.public_url in copied
        assert copied.strip() == snippet.inner_text().strip()
        screenshot(page, "06-link-detail")
    finally:
        context.close()
