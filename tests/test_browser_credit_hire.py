"""The loop closes in a real browser: a company uses its free-introduction credit on a job order, the operator
introduces a candidate, the candidate accepts on My Page, the company marks the hire, the operator records the
placement, and the company sees the fee waived and the saving.
"""

import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from candidates.tokens import candidate_token_make
from placements.models import CreditReservation, Introduction, Placement, ProvisionRecord
from relay.services import company_credit_summary
from tests.browser import browser, mobile, screenshot, sign_in, site
from tests.conftest import Tenant, register_verified
from tests.introductions_support import make_job

__all__ = ["browser", "mobile", "site"]  # fixtures

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}


def desktop_page(browser: Browser, site: str, user: User) -> tuple[BrowserContext, Page]:
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site, user)
    return context, page


def move_selection(page: Page, status_label: str) -> None:
    page.get_by_label("選考状況").select_option(label=status_label)
    page.get_by_role("button", name="更新する").click()
    expect(page.locator(".messages")).to_be_visible()


def test_a_credit_hire_waives_the_fee_and_shows_the_saving(
    site: str, browser: Browser, mobile: BrowserContext, tenant: Tenant, outsider: Tenant, operator: User
) -> None:
    for n in range(10):
        register_verified(tenant.link, email=f"counted{n}@example.jp")
    assert company_credit_summary(tenant.company).available == 1
    job = make_job(tenant)
    # Rejected by another company, so nothing keeps this person away from the tenant (DESIGN.md rule 9).
    candidate = register_verified(
        outsider.link,
        name="高橋 美咲",
        furigana="タカハシ ミサキ",
        email="misaki@example.jp",
        skills="Python、SQL、Django",
    )

    company_context, company = desktop_page(browser, site, tenant.owner)
    operator_context, ops = desktop_page(browser, site, operator)
    try:
        company.goto(f"{site}/company/jobs/{job.pk}/")
        company.get_by_role("button", name="無料紹介枠を使う").click()
        expect(company.locator("main")).to_contain_text("確保中")
        screenshot(company, "20-credit-reserved")
        assert CreditReservation.objects.get(job_order=job).status == CreditReservation.Status.RESERVED
        assert company_credit_summary(tenant.company).reserved == 1

        ops.goto(f"{site}/ops/jobs/{job.pk}/matches/")
        row = ops.locator("tr", has_text="高橋 美咲")
        expect(row).to_be_visible()
        screenshot(ops, "21-matches")
        row.get_by_role("link", name="推薦する").click()
        ops.get_by_label("推薦コメント").fill("Python と Django での開発経験が求人の要件によく合っています。")
        ops.get_by_role("button", name="推薦してご本人に知らせる").click()
        expect(ops.locator(".messages")).to_be_visible()
        screenshot(ops, "22-proposed")
        introduction = Introduction.objects.get(job_order=job, candidate=candidate)
        assert introduction.status == Introduction.Status.PROPOSED

        company.goto(f"{site}/company/jobs/introductions/")
        expect(company.locator("main")).not_to_contain_text("高橋 美咲")  # nothing before the person accepts

        phone = mobile.new_page()
        phone.goto(settings.SITE_URL + reverse("candidates:magic", args=[candidate_token_make(candidate, "login")]))
        phone.goto(f"{site}/me/introductions/{introduction.pk}/")
        expect(phone.locator("main")).to_contain_text(tenant.company.name)
        phone.get_by_label("上記の項目を、この企業へ提供することに同意して、ご紹介を受けます。").check()
        phone.get_by_role("button", name="ご紹介を承諾する").click()
        expect(phone.locator("main")).to_contain_text("プロフィールをお渡ししました")
        screenshot(phone, "23-candidate-accepted")
        assert ProvisionRecord.objects.filter(candidate=candidate, company=tenant.company).count() == 1

        company.goto(f"{site}/company/jobs/introductions/{introduction.pk}/")
        expect(company.locator("main")).to_contain_text("高橋 美咲")
        for label in ("面接", "内定", "入社"):
            move_selection(company, label)
        introduction.refresh_from_db()
        assert introduction.status == Introduction.Status.HIRED

        ops.goto(f"{site}/ops/placements/")
        ops.get_by_role("link", name=re.compile("成約を登録する")).first.click()
        ops.get_by_label("入社日").fill("2026-12-01")
        ops.get_by_label("理論年収(円)").fill("６,０００,０００")
        ops.get_by_role("button", name="成約を登録する").click()
        expect(ops.locator(".messages")).to_be_visible()
        placement = Placement.objects.get(introduction=introduction)
        assert (placement.waived, placement.fee_yen, placement.total_yen) == (True, 0, 0)
        assert placement.saving_yen == 2_100_000  # 6,000,000 × 35 %

        company.goto(f"{site}/company/jobs/placements/")
        expect(company.locator("main")).to_contain_text("¥2,100,000")
        screenshot(company, "24-placement-saving")
        assert CreditReservation.objects.get(job_order=job).status == CreditReservation.Status.CONSUMED
        summary = company_credit_summary(tenant.company)
        assert (summary.used, summary.reserved, summary.available) == (1, 0, 0)
    finally:
        company_context.close()
        operator_context.close()
