"""The operator's network dashboard (/ops/insights/): the §5 KPIs over every company, rankings, credits
outstanding and fee revenue by month, from known data; operator-only."""

from datetime import date

import pytest
from django.test import Client

from accounts.models import User
from insights.selectors import metrics
from lib.dates import Period
from placements.models import Placement
from relay.models import CreditEntry
from tests.conftest import Tenant, login, make_tenant
from tests.placement_support import grant_credits
from tests.test_kpi_dashboard import (
    OCTOBER,
    OCTOBER_QUERY,
    SEPTEMBER,
    clicks,
    hire,
    jst,
    october_funnel_data,
    sent_email,
)
from tests.test_kpi_dashboard import referral as make_referral

pytestmark = pytest.mark.django_db

URL = "/ops/insights/"


def other_activity(outsider: Tenant) -> None:
    """October for the other company: 1 sent, 2 clicks, 1 registration counted; one click on November 1st."""
    sent_email(outsider, jst(2026, 10, 10, 9, 0))
    clicks(outsider, jst(2026, 10, 10, 9, 5), 2)
    clicks(outsider, jst(2026, 11, 1, 0, 0))
    make_referral(outsider, jst(2026, 10, 10, 9, 10), counted=jst(2026, 10, 11, 9, 0))


def test_it_sums_every_company_into_the_network_funnel(tenant: Tenant, outsider: Tenant) -> None:
    october_funnel_data(tenant)  # October: 3 sent, 6 clicks, 4 registrations, 3 counted
    other_activity(outsider)
    network = metrics.network_funnel(OCTOBER)
    assert (network.sent, network.clicks, network.registrations, network.counted) == (4, 8, 5, 4)
    per_company = [metrics.funnel(t.company, OCTOBER) for t in (tenant, outsider)]
    for step in ("sent", "clicks", "registrations", "counted"):
        assert getattr(network, step) == sum(getattr(f, step) for f in per_company)
    assert network.registration_rate == pytest.approx(5 / 8)
    assert metrics.funnel_total(metrics.funnels_by_company(OCTOBER)) == network
    grouped = {row.company_id: row for row in metrics.funnels_by_company(OCTOBER)}
    for t, f in zip((tenant, outsider), per_company, strict=True):
        row = grouped[t.company.pk]
        assert (row.sent, row.clicks, row.registrations, row.counted) == (f.sent, f.clicks, f.registrations, f.counted)


def test_it_cuts_the_network_periods_at_midnight_in_japan(tenant: Tenant, outsider: Tenant) -> None:
    make_referral(tenant, jst(2026, 10, 31, 23, 59), counted=jst(2026, 10, 31, 23, 59))  # 14:59 UTC, October
    make_referral(outsider, jst(2026, 11, 1, 0, 0), counted=jst(2026, 11, 1, 0, 0))  # 15:00 UTC Oct 31, November
    october, november = (
        metrics.network_funnel(OCTOBER),
        metrics.network_funnel(Period.months(last_month=date(2026, 11, 1))),
    )
    assert (october.registrations, october.counted) == (1, 1)
    assert (november.registrations, november.counted) == (1, 1)


def test_it_ranks_companies_by_counted_referrals_and_by_conversion(
    operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    third = make_tenant(operator, "三番目株式会社", "third")
    quiet = make_tenant(operator, "静か株式会社", "quiet")
    # tenant: 10 clicks, 2 registrations (1 counted); outsider: 4 clicks, 3 registrations (3 counted);
    # third: 2 clicks, 2 registrations (2 counted); quiet: nothing.
    clicks(tenant, jst(2026, 10, 5, 9), 10)
    make_referral(tenant, jst(2026, 10, 5, 10), counted=jst(2026, 10, 5, 11))
    make_referral(tenant, jst(2026, 10, 5, 10))
    clicks(outsider, jst(2026, 10, 6, 9), 4)
    for _ in range(3):
        make_referral(outsider, jst(2026, 10, 6, 10), counted=jst(2026, 10, 6, 11))
    clicks(third, jst(2026, 10, 7, 9), 2)
    for _ in range(2):
        make_referral(third, jst(2026, 10, 7, 10), counted=jst(2026, 10, 7, 11))
    rows = metrics.funnels_by_company(OCTOBER)
    assert quiet.company.pk not in {row.company_id for row in rows}
    by_counted = [row.company_id for row in metrics.ranking_by_counted(rows, 10)]
    assert by_counted == [outsider.company.pk, third.company.pk, tenant.company.pk]
    by_conversion = [row.company_id for row in metrics.ranking_by_conversion(rows, 10)]
    assert by_conversion == [third.company.pk, outsider.company.pk, tenant.company.pk]  # 100 %, 75 %, 20 %
    assert [row.company_id for row in metrics.ranking_by_counted(rows, 2)] == by_counted[:2]


def test_credits_outstanding_are_the_sum_of_every_companys_available_and_reserved_credits(
    operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    grants = [
        CreditEntry.objects.create(company=tenant.company, kind=CreditEntry.Kind.GRANT, amount=1) for _ in range(3)
    ]
    reserve = CreditEntry.objects.create(
        company=tenant.company, kind=CreditEntry.Kind.RESERVE, amount=-1, lot=grants[0]
    )
    CreditEntry.objects.create(company=outsider.company, kind=CreditEntry.Kind.GRANT, amount=1)
    debtor = make_tenant(operator, "借越株式会社", "debtor")
    CreditEntry.objects.create(company=debtor.company, kind=CreditEntry.Kind.REVERSAL, amount=-1)
    late = CreditEntry.objects.create(company=outsider.company, kind=CreditEntry.Kind.GRANT, amount=1)
    october_end = jst(2026, 10, 31, 23, 59)
    CreditEntry.objects.exclude(pk=late.pk).update(created_at=october_end)
    CreditEntry.objects.filter(pk=late.pk).update(created_at=jst(2026, 11, 1, 0, 0))  # after the period
    assert reserve.pk

    holders = metrics.credits_by_company(OCTOBER)
    # tenant: 2 available + 1 reserved; outsider: 1 available; the debtor holds nothing and offsets nothing.
    assert [(h.company_id, h.available, h.reserved, h.outstanding) for h in holders] == [
        (tenant.company.pk, 2, 1, 3),
        (outsider.company.pk, 1, 0, 1),
    ]
    per_company = [metrics.credits(t.company, OCTOBER) for t in (tenant, outsider, debtor)]
    liability = sum(c.available + c.reserved for c in per_company)
    assert liability == sum(h.outstanding for h in holders) == 4
    network = metrics.network_credits(OCTOBER)
    assert (network.available, network.reserved, network.earned) == (3, 1, 4)


def test_fee_revenue_by_month_is_net_of_refunds_and_counts_waived_placements(
    operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    grant_credits(tenant, 1)
    free = hire(tenant, operator, credit=True, salary=6_000_000, start=date(2026, 10, 31))  # waives 2,100,000
    paid = hire(tenant, operator, credit=False, salary=5_000_000, start=date(2026, 10, 1))  # 1,750,000
    Placement.objects.filter(pk=paid.pk).update(refund_yen=350_000)
    hire(outsider, operator, credit=False, salary=4_000_000, start=date(2026, 9, 30))  # 1,400,000 in September
    hire(outsider, operator, credit=False, salary=4_000_000, start=date(2026, 11, 1))  # outside the period
    assert free.fee_yen == 0 and free.saving_yen == 2_100_000

    months = metrics.revenue_by_month(Period.months(last_month=date(2026, 10, 1), count=2))
    assert [(m.month, m.placements, m.free_hires, m.fees_yen, m.saving_yen) for m in months] == [
        (date(2026, 9, 1), 1, 0, 1_400_000, 0),
        (date(2026, 10, 1), 2, 1, 1_400_000, 2_100_000),
    ]
    october = metrics.network_savings(OCTOBER)
    parts = [metrics.savings(t.company, OCTOBER) for t in (tenant, outsider)]
    assert october.fees_paid_yen == sum(p.fees_paid_yen for p in parts) == months[1].fees_yen
    assert october.saving_yen == sum(p.saving_yen for p in parts) == months[1].saving_yen
    assert october.free_hires == 1 and october.placements == 2
    # A custom period that starts mid-month counts only its own days of that month.
    partial = metrics.revenue_by_month(Period.days(date(2026, 10, 2), date(2026, 11, 1)))
    assert [(m.month, m.placements, m.fees_yen) for m in partial] == [
        (date(2026, 10, 1), 1, 0),
        (date(2026, 11, 1), 1, 1_400_000),
    ]


def test_an_empty_period_shows_zeros_and_no_rates(operator_client: Client) -> None:
    kpis = metrics.network_kpis(OCTOBER, today=date(2026, 11, 22))
    assert (kpis.funnel.sent, kpis.funnel.counted, kpis.credits.available, kpis.savings.placements) == (0, 0, 0, 0)
    assert kpis.funnel.registration_rate is None and kpis.savings.cost_reduction_rate is None and kpis.nps is None
    assert metrics.credits_by_company(OCTOBER) == []
    assert [m.placements for m in metrics.revenue_by_month(OCTOBER)] == [0]
    page = operator_client.get(URL + OCTOBER_QUERY).content.decode()
    assert "この期間にカウントされた紹介はありません" in page and "未消化の無料紹介枠はありません" in page


def test_the_page_shows_the_network_figures_rankings_liability_and_revenue(
    operator: User, operator_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    october_funnel_data(tenant)
    other_activity(outsider)
    for _ in range(2):
        CreditEntry.objects.create(company=tenant.company, kind=CreditEntry.Kind.GRANT, amount=1)
    CreditEntry.objects.filter(company=tenant.company).update(created_at=jst(2026, 10, 20))
    hire(outsider, operator, credit=False, salary=5_000_000, start=date(2026, 10, 15))
    response = operator_client.get(URL + OCTOBER_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<tr data-kpi="counted"><td>カウント済みの紹介</td><td class="num">4</td><td class="num">1</td>' in page
    assert 'data-kpi="declared_spend_yen"' not in page
    counted_table = page.split('id="ranking-counted"')[1].split("</table>")[0]
    assert counted_table.index(tenant.company.name) < counted_table.index(outsider.company.name)
    assert f'href="/ops/companies/{tenant.company.pk}/"' in counted_table
    liability = page.split('id="credit-liability"')[1].split("</div></div>")[0]
    assert '<div class="value">2</div>' in liability
    revenue = page.split('id="revenue-table"')[1].split("</table>")[0]
    assert (
        '<tr data-month="2026-10"><td>2026年10月</td><td class="num">1</td><td class="num">0</td>'
        '<td class="num">1,750,000</td>' in revenue
    )
    assert 'id="fees-chart"' in page and 'data-value="1750000"' in page
    previous = metrics.network_kpis(SEPTEMBER)
    assert previous.funnel.counted == 1


def test_company_users_get_404_and_only_operators_see_the_network(
    owner_client: Client, outsider_client: Client, tenant: Tenant, operator_client: Client
) -> None:
    assert owner_client.get(URL).status_code == 404
    assert outsider_client.get(URL).status_code == 404
    assert login(Client(), tenant.member).get(URL).status_code == 404
    assert Client().get(URL).status_code in (302, 404)
    assert operator_client.get(URL).status_code == 200
