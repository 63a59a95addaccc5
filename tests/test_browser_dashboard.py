"""The KPI dashboard in a real browser: the SVG charts render, in proportion, with the figures of the table."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from insights.selectors.registrations import cutoff
from lib.dates import JST
from mailings.models import OutboundEmail
from relay.models import Click, Referral
from tests.browser import browser, screenshot, sign_in, site
from tests.conftest import Tenant

__all__ = ["browser", "site"]  # fixtures

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}


def yesterday_data(tenant: Tenant) -> str:
    """Yesterday noon in Japan (a company sees registrations up to yesterday, none below 5): 20 sent, 16 clicks,
    8 registrations (1 invalidated, 1 pending) through 8 of the mails, 6 counted. Returns yesterday as YYYY-MM-DD."""
    moment = cutoff() - timedelta(hours=12)
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            company=tenant.company,
            kind=OutboundEmail.Kind.REJECTION,
            idempotency_key=f"browser-{n}",
            to_email="someone@example.jp",
            subject="選考結果のご連絡",
            body="本文",
            send_after=moment,
            status=OutboundEmail.Status.SENT,
            sent_at=moment,
            # 8 of the 20 mails were clicked and led to the registrations below (§5: registrations / sent).
            clicked_at=moment if n < 8 else None,
            registered_at=moment if n < 8 else None,
        )
        for n in range(20)
    )
    made = Click.objects.bulk_create([Click(link=tenant.link, company=tenant.company) for _ in range(16)])
    Click.objects.filter(pk__in=[c.pk for c in made]).update(created_at=moment)
    for status in ("counted",) * 6 + ("pending", "invalidated"):
        Referral.objects.create(
            company=tenant.company,
            link=tenant.link,
            registered_at=moment,
            counted_at=moment if status == "counted" else None,
            status=status,
        )
    return f"{timezone.localtime(moment, JST):%Y-%m-%d}"


def test_the_dashboard_draws_the_funnel_and_monthly_charts_with_the_right_figures(
    site: str, browser: Browser, tenant: Tenant
) -> None:
    day = yesterday_data(tenant)
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, site, tenant.owner)
        page.get_by_role("link", name="KPIダッシュボード(期間別の推移・グラフ・削減額)").click()
        expect(page.get_by_role("heading", name="KPIダッシュボード", exact=True)).to_be_visible()
        page.goto(f"{site}/company/insights/?period=custom&start={day}&end={day}")
        funnel = page.get_by_role("img", name="送信 → クリック → 登録 → カウントの推移")
        expect(funnel).to_be_visible()
        widths = {}
        for step, value in (("sent", 20), ("clicks", 16), ("registrations", 8), ("counted", 6)):
            bar = funnel.locator(f'g[data-step="{step}"]')
            expect(bar).to_have_attribute("data-value", str(value))
            box = bar.locator("rect").bounding_box()
            assert box is not None and box["height"] > 10
            widths[step] = box["width"]
        # Drawn in proportion: 20 : 16 : 8 : 6.
        assert widths["sent"] > widths["clicks"] > widths["registrations"] > widths["counted"] > 0
        assert widths["clicks"] / widths["sent"] == pytest.approx(0.8, abs=0.02)
        assert widths["counted"] / widths["sent"] == pytest.approx(0.3, abs=0.02)
        expect(funnel).to_contain_text("50.0%")  # registrations / clicks
        referrals = page.get_by_role("img", name="月別のカウント済みの紹介")
        expect(referrals.locator("g.bar").last).to_have_attribute("data-value", "6")
        month_bar = referrals.locator("g.bar").last.locator("rect").bounding_box()
        assert month_bar is not None and month_bar["height"] > 50
        table = page.locator("#kpi-table")
        expect(table.locator('tr[data-kpi="registration_rate"] td').nth(1)).to_have_text("50.0%")
        expect(table.locator('tr[data-kpi="registration_rate_sent"] td').nth(1)).to_have_text("40.0%")
        expect(table.locator('tr[data-kpi="counted"] td').nth(1)).to_have_text("6")
        screenshot(page, "50-kpi-dashboard")

        page.get_by_label("期間", exact=True).select_option(label="直近12か月")
        page.get_by_role("button", name="表示").click()
        referrals = page.get_by_role("img", name="月別のカウント済みの紹介")
        expect(referrals.locator("g.bar")).to_have_count(12)
        expect(referrals.locator('g.bar[data-value="6"]')).to_have_count(1)
        # A month with fewer than 5 (none, here) draws no bar and no number.
        expect(referrals.locator("g.bar").first).to_have_attribute("data-value", "5件未満")
        expect(page.locator("#monthly-table tbody tr")).to_have_count(12)
        screenshot(page, "51-kpi-dashboard-12-months")
    finally:
        context.close()
