"""The competitor-exclusion picker in a real browser: the company types part of a name, the matches appear as
it types (htmx, announced by an aria-live region), and one click excludes the competitor."""

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import User
from companies.services import company_create
from placements.models import CompanyExclusion
from tests.browser import browser, screenshot, sign_in, site
from tests.conftest import Tenant

__all__ = ["browser", "site"]  # fixtures

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}


def test_typing_a_name_offers_matches_and_one_click_excludes_the_competitor(
    site: str, browser: Browser, tenant: Tenant, operator: User
) -> None:
    for name in ("株式会社ライバル商事", "ライバル物産株式会社", "無関係テック株式会社"):
        company_create(name=name, name_kana="", contract_terms={}, actor=operator)
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site, tenant.owner)
    page.goto(f"{site}/company/jobs/exclusions/")
    expect(page.get_by_text("無関係テック株式会社")).to_have_count(0)
    page.get_by_label("除外する企業名").press_sequentially("ﾗｲﾊﾞﾙ", delay=30)
    matches = page.locator("#exclusion-matches")
    expect(matches.get_by_role("button", name="株式会社ライバル商事 を除外する")).to_be_visible()
    expect(matches.get_by_role("button", name="ライバル物産株式会社 を除外する")).to_be_visible()
    expect(matches.get_by_text("無関係テック株式会社")).to_have_count(0)
    screenshot(page, "exclusion-picker")
    matches.get_by_role("button", name="株式会社ライバル商事 を除外する").click()
    expect(page.locator(".messages")).to_contain_text("株式会社ライバル商事 を紹介先から除外しました")
    expect(page.locator("table")).to_contain_text("株式会社ライバル商事")
    assert list(CompanyExclusion.objects.values_list("excluded__name", flat=True)) == ["株式会社ライバル商事"]
    context.close()


def test_an_advisor_reads_both_texts_and_lists_a_profile(
    site: str, browser: Browser, tenant: Tenant, operator: User
) -> None:
    from placements.models import PoolListing
    from tests.introductions_support import person

    someone = person(tenant, name="小林 翼", career_summary="トヨタ自動車で5年、生産管理。連絡先 tsubasa(at)example.jp")
    listing = PoolListing.objects.get(candidate=someone)
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site, operator)
    page.get_by_text("求職者", exact=True).first.click()  # the menu group
    page.get_by_role("link", name="プール掲載確認").click()
    page.get_by_role("link", name="確認する").click()
    expect(page.locator("body")).to_contain_text("トヨタ自動車で5年")  # the person's own text, for the advisor
    expect(page.get_by_label("企業に公開する職務経歴の概要")).to_have_value(
        "（企業名）で5年、生産管理。連絡先 （連絡先）"
    )
    screenshot(page, "pool-review")
    page.get_by_role("button", name="掲載する", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("掲載しました")
    listing.refresh_from_db()
    assert listing.state == PoolListing.State.LISTED and listing.reviewed_by == operator
    context.close()
