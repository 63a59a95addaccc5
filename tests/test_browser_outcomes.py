"""The HR person's journey when the ATS export is the real thing, in a real browser: a HERP Hire file lists hired,
withdrawn and still-in-selection people beside the rejected ones and one reason nobody has mapped. Only the
rejected are imported; the unmapped words wait in 確認待ち until the person decides, once, for good; the send
confirmation then gives each applicant their own stage's text.

The file is shaped as HERP Hire's applications CSV names its columns (候補者ID / 名前 / 募集職種 / 選考ステップ /
選考終了日 / 選考終了理由; 選考終了理由 is 不採用 / 応募者辞退 / 入社決定 / 非選考対象, empty while selection goes on).
"""

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from applicants.models import Applicant, AtsMapping
from lib.dates import jst_today
from mailings.models import OutboundEmail, RejectionTemplate
from tests.browser import browser, screenshot, sign_in, site
from tests.conftest import Tenant

__all__ = ["browser", "site"]  # fixtures

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1366, "height": 800}}
HEADERS = ["候補者ID", "名前", "フリガナ", "メールアドレス", "募集職種", "選考ステップ", "選考終了日", "選考終了理由"]
ENDED = f"{jst_today() - timedelta(days=3):%Y/%m/%d}"
ROWS = [
    ["H201", "山田 花子", "ヤマダ ハナコ", "hanako@example.jp", "営業職", "二次面接", ENDED, "不採用"],
    ["H202", "中村 健", "ナカムラ ケン", "ken@example.jp", "営業職", "最終面接", ENDED, "入社決定"],
    ["H203", "小林 優", "コバヤシ ユウ", "yu@example.jp", "営業職", "一次面接", ENDED, "応募者辞退"],
    ["H204", "加藤 凛", "カトウ リン", "rin@example.jp", "営業職", "一次面接", "", ""],
    ["H205", "吉田 蒼", "ヨシダ アオイ", "aoi@example.jp", "営業職", "カジュアル面談", ENDED, "スキルミスマッチ"],
]


def herp_export() -> bytes:
    return ("\r\n".join([",".join(HEADERS), *(",".join(row) for row in ROWS)]) + "\r\n").encode("cp932")


def test_only_the_rejected_are_mailed_and_unmapped_words_wait_for_the_hr_persons_decision(
    site: str, browser: Browser, tenant: Tenant
) -> None:
    office = browser.new_context(**DESKTOP)
    office.set_default_timeout(15_000)
    try:
        page = office.new_page()
        sign_in(page, site, tenant.owner)
        page.goto(f"{site}/company/applicants/imports/")
        page.get_by_label("CSV ファイル").set_input_files(
            {"name": "HERP_応募一覧.csv", "mimeType": "text/csv", "buffer": herp_export()}
        )
        page.get_by_role("button", name="内容を確認する").click()
        expect(page.locator(".stat", has_text="取り込み可能").locator(".value")).to_have_text("2")
        expect(page.locator(".stat", has_text="対象外").locator(".value")).to_have_text("3")
        expect(page.locator("tr", has_text="中村 健")).to_contain_text("入社決定のため")
        expect(page.locator("tr", has_text="小林 優")).to_contain_text("応募者辞退のため")
        expect(page.locator("tr", has_text="加藤 凛")).to_contain_text("選考中のため")
        expect(page.locator("tr", has_text="吉田 蒼")).to_contain_text("確認待ち")
        screenshot(page, "30-import-preview-outcomes")
        page.get_by_role("button", name="2 件を取り込む").click()
        expect(page.get_by_role("link", name="この取り込みの応募者に不採用通知を送る")).to_be_visible()
        assert set(Applicant.objects.filter(company=tenant.company).values_list("name", flat=True)) == {
            "山田 花子",
            "吉田 蒼",
        }

        expect(page.locator("main")).to_contain_text("1 名は選考終了理由の確認待ちのため")
        report = page.url

        # Before deciding, the held person is listed as not sent.
        page.get_by_role("link", name="この取り込みの応募者に不採用通知を送る").click()
        expect(page.locator(".stat", has_text="送信する件数").locator(".value")).to_have_text("1")
        expect(page.locator("main")).to_contain_text("スキルミスマッチ")

        page.goto(report)
        page.get_by_role("link", name="確認待ちの応募者を見る").click()
        row = page.locator("tr", has_text="吉田 蒼")
        expect(row).to_contain_text("選考終了理由の確認待ち")
        row.get_by_label("選考終了理由").select_option(label="不採用")
        row.get_by_text("この表記を今後も同じ理由として扱う").click()
        row.get_by_role("button", name="確定").click()
        expect(page.locator("main")).to_contain_text("1 名の選考終了理由を「不採用」として確定しました。")
        screenshot(page, "31-review-released")
        assert AtsMapping.objects.filter(company=tenant.company, kind="reason", label="スキルミスマッチ").exists()
        assert not OutboundEmail.objects.exists()  # deciding sends nothing by itself

        page.goto(f"{site}/company/applicants/imports/")
        page.get_by_role("link", name="HERP_応募一覧.csv").first.click()
        page.get_by_role("link", name="この取り込みの応募者に不採用通知を送る").click()
        expect(page.locator(".stat", has_text="送信する件数").locator(".value")).to_have_text("2")
        page.get_by_role("button", name="確認へ進む").click()
        second = RejectionTemplate.objects.get(company=tenant.company, stage="second_interview", track="mid_career")
        casual = RejectionTemplate.objects.get(company=tenant.company, stage="casual_interview", track="mid_career")
        expect(page.locator(f"#group-{second.pk}")).to_contain_text("二次面接にお越しいただき")
        expect(page.locator(f"#group-{second.pk}")).to_contain_text("山田 花子")
        expect(page.locator(f"#group-{casual.pk}")).to_contain_text("吉田 蒼")
        screenshot(page, "32-send-confirm-per-stage")
        page.get_by_role("button", name="この内容で送信する").click()
        expect(page.locator("main")).to_contain_text("送信")
        mailed = set(OutboundEmail.objects.values_list("to_email", flat=True))
        assert mailed == {"hanako@example.jp", "aoi@example.jp"}
    finally:
        office.close()
