"""Real-browser journeys through the live server: Debian's chromium driven by Playwright, on a phone-sized screen.

Screenshots of the pages a person sees land in `test-artifacts/` (git-ignored) for a look after the run.
"""

import re

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import Browser, BrowserContext, expect

from candidates.models import Candidate
from relay.models import Referral
from tests.browser import PHONE, browser, fill_registration, mobile, screenshot, sign_in, site
from tests.conftest import Tenant, register_verified

__all__ = ["browser", "mobile", "site"]  # fixtures

pytestmark = pytest.mark.browser

VERIFY_URL = re.compile(r"http://\S+/me/verify/\S+/")


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
    expect(page.get_by_role("heading", name="ご案内のメールをお送りしました")).to_be_visible()
    # The page names no address: the same page whether or not the address was registered already.
    expect(page.locator("main")).not_to_contain_text("HANAKO@example.jp")
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


def test_the_call_to_register_is_on_the_first_phone_screen_and_leads_to_the_form(
    site: str, mobile: BrowserContext, tenant: Tenant
) -> None:
    tenant.company.landing_message = "ご応募いただき、誠にありがとうございました。\n次のご縁を応援しております。"
    tenant.company.save()
    page = mobile.new_page()
    page.goto(f"{site}/r/{tenant.link.code}")

    cta = page.get_by_role("link", name="無料で登録する(必須項目の入力は約1分)")
    box = cta.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["viewport"]["height"], "visible without scrolling"
    cta.click()
    expect(page.get_by_label("氏名")).to_be_in_viewport()
