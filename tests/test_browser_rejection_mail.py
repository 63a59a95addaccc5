"""The rejection-mail journey in a real browser: an HR person imports the ATS export, sends sincere rejection
emails through the outbox, and a rejected applicant's personal link leads to a registration the company sees.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import Browser, BrowserContext, expect

from applicants.models import Applicant
from candidates.models import Candidate
from lib.dates import jst_today
from mailings.models import OutboundEmail, RejectionTemplate
from relay.models import Referral
from tests.browser import browser, fill_registration, mobile, screenshot, sign_in, site
from tests.conftest import Tenant

__all__ = ["browser", "mobile", "site"]  # fixtures

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}
HEADERS = ["候補者ID", "名前", "フリガナ", "メールアドレス", "募集職種", "選考ステップ", "選考終了日", "選考終了理由"]
ENDED = f"{jst_today() - timedelta(days=2):%Y/%m/%d}"  # a recent export: rejections stay mailable
ROWS = [
    ["H000101", "山田 花子", "ヤマダ ハナコ", "hanako@example.jp", "営業職", "一次面接", ENDED, "不採用"],
    ["H000102", "佐藤 一郎", "サトウ イチロウ", "ichiro@example.jp", "営業職", "一次面接", ENDED, "不採用"],
    ["H000103", "鈴木 次郎", "スズキ ジロウ", "jiro@@example", "営業職", "一次面接", ENDED, "不採用"],
]
PERSONAL_LINK = re.compile(r"http://\S+/r/[a-z0-9-]+\?ref=\S+")


def herp_export_in_cp932() -> bytes:
    """What HERP Hire hands a Japanese HR person: Shift_JIS (CP932) with CRLF line ends."""
    lines = [",".join(HEADERS), *(",".join(row) for row in ROWS)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def test_company_imports_its_ats_export_sends_rejection_emails_and_sees_the_registration(
    site: str, browser: Browser, mobile: BrowserContext, tenant: Tenant, mailoutbox: list[EmailMessage]
) -> None:
    office = browser.new_context(**DESKTOP)
    office.set_default_timeout(15_000)
    try:
        page = office.new_page()
        sign_in(page, site, tenant.owner)
        expect(page).to_have_url(f"{site}/company/")

        menu = page.get_by_role("navigation", name="メインメニュー")
        menu.get_by_text("応募者とお祈りメール").click()  # the menu group (<summary>)
        menu.get_by_role("link", name="取り込み").click()
        expect(page).to_have_url(f"{site}/company/applicants/imports/")
        page.get_by_label("CSV ファイル").set_input_files(
            {"name": "不採用者_11月.csv", "mimeType": "text/csv", "buffer": herp_export_in_cp932()}
        )
        page.get_by_role("button", name="内容を確認する").click()
        expect(page.get_by_role("heading", name="取り込み内容の確認")).to_be_visible()
        expect(page.locator(".stat", has_text="取り込み可能").locator(".value")).to_have_text("2")
        expect(page.locator(".stat", has_text="エラーのある行").locator(".value")).to_have_text("1")
        screenshot(page, "10-import-preview")

        page.get_by_role("button", name="2 件を取り込む").click()
        expect(page.locator("main")).to_contain_text("jiro@@example")
        expect(page.get_by_role("link", name="この取り込みの応募者に不採用通知を送る")).to_be_visible()
        screenshot(page, "11-import-report")
        assert sorted(Applicant.objects.filter(company=tenant.company).values_list("name", flat=True)) == [
            "佐藤 一郎",
            "山田 花子",
        ]

        page.get_by_role("link", name="この取り込みの応募者に不採用通知を送る").click()
        expect(page.get_by_role("heading", name="お祈りメールの送信")).to_be_visible()
        expect(page.locator(".stat", has_text="送信する件数").locator(".value")).to_have_text("2")
        # No template to pick: each applicant gets their stage's own (both were rejected after 一次面接).
        expect(page.locator("#group-counts")).to_contain_text("一次面接(中途): 2")
        page.get_by_role("button", name="確認へ進む").click()
        template = RejectionTemplate.objects.get(company=tenant.company, name="一次面接(中途)")
        group = page.locator(f"#group-{template.pk}")
        expect(group).to_contain_text("テンプレート「一次面接(中途)」: 2 件")
        expect(group.locator(".preview-body")).to_contain_text("一次面接にお越しいただき")
        expect(group.locator(".preview-body")).to_contain_text("様")
        screenshot(page, "12-send-confirm")
        page.get_by_role("button", name="この内容で送信する").click()

        expect(page.locator("main")).to_contain_text("送信済み")
        screenshot(page, "13-outbox")
        assert set(OutboundEmail.objects.values_list("status", flat=True)) == {OutboundEmail.Status.SENT}
        message = next(m for m in mailoutbox if m.to == ["hanako@example.jp"])
        assert "株式会社テスト商事" in str(message.subject) + str(message.body)
        assert "一次面接にお越しいただき" in str(message.body) and "応募書類を拝見し" not in str(message.body)
        found = PERSONAL_LINK.search(str(message.body))
        assert found, message.body

        phone = mobile.new_page()
        phone.goto(found.group(0))
        expect(phone.locator(".hero")).to_contain_text("株式会社テスト商事")
        fill_registration(phone, メールアドレス="ｈａｎａｋｏ＠example.jp")
        phone.get_by_label("利用規約と個人情報の取扱いに同意").check()
        # She lets the company know; without this its outbox would show her mail as clicked only.
        phone.get_by_label("ご登録いただいたことを 株式会社テスト商事 に知らせてよい").check()
        phone.get_by_role("button", name="同意して登録する").click()
        expect(phone.get_by_role("heading", name="ご案内のメールをお送りしました")).to_be_visible()

        hanako = Applicant.objects.get(company=tenant.company, email="hanako@example.jp")
        candidate = Candidate.objects.get(email_normalized="hanako@example.jp")
        assert Referral.objects.get(candidate=candidate).applicant_ref == hanako.ref

        page.reload()
        row = page.locator("tr", has_text="山田 花子")
        expect(row).to_contain_text("登録")
        other = page.locator("tr", has_text="佐藤 一郎")
        expect(other).to_contain_text("送信済み")
        screenshot(page, "14-outbox-registered")
    finally:
        office.close()


def test_another_company_cannot_open_the_import_or_the_outbox(
    site: str, browser: Browser, tenant: Tenant, outsider: Tenant
) -> None:
    from demo.applicants import seed_applicants

    batch = seed_applicants(company=tenant.company, count=3, actor=tenant.owner)
    context = browser.new_context(**DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, site, outsider.owner)
        for path in (f"/company/applicants/imports/{batch.pk}/", f"/company/mail/send/?import={batch.pk}"):
            response = page.goto(f"{site}{path}")
            assert response is not None
            assert response.status == 404, path
    finally:
        context.close()
