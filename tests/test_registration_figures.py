"""Issue 11: a company never learns from a KPI figure whether one named person registered. Every
registration-derived figure a company sees (the KPI page and its CSV, the monthly report, the dashboard's funnel,
the API summary) counts only registrations before the start of today in Japan and shows 「5件未満」 below 5;
operators see the exact, live figures."""

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from time_machine import TimeMachineFixture

from accounts.models import User
from insights.reports import monthly_report_data
from insights.selectors import metrics
from insights.selectors.registrations import MIN_GROUP, RegistrationFigure, clamp, cutoff
from lib.dates import Period
from tests.conftest import Tenant, login
from tests.test_api import call, key_for
from tests.test_kpi_dashboard import NOTE, clicks, jst, page_rows, referral, sent_email

pytestmark = pytest.mark.django_db

NOW = jst(2027, 1, 20, 12, 0)  # a Wednesday, noon in Japan
TOMORROW = jst(2027, 1, 21, 9, 0)
TODAY_QUERY = "?period=custom&start=2027-01-20&end=2027-01-20"
JANUARY_QUERY = "?period=custom&start=2027-01-01&end=2027-01-31"


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    time_machine.move_to(NOW, tick=False)
    return time_machine


def registered(tenant: Tenant, at: datetime, n: int = 1) -> None:
    """`n` registrations at `at`, each counted an hour later (or at once, when that would be after now)."""
    for _ in range(n):
        referral(tenant, at, counted=at if at >= NOW - timedelta(hours=1) else at + timedelta(hours=1))


def kpi_value(page: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}"><div class="label">[^<]*</div><div class="value">([^<]*)</div>', page)
    assert match, key
    return match.group(1)


def csv_rows(response: Any) -> dict[str, list[str]]:
    text = response.content.decode("utf-8-sig")
    return {line[0]: line[1:] for line in csv.reader(io.StringIO(text)) if line}


def test_a_one_day_period_today_with_one_registration_shows_no_number(
    clock: TimeMachineFixture, tenant: Tenant, outsider: Tenant, operator: User
) -> None:
    # The company mailed one person this morning; that person clicked and registered an hour ago.
    sent_email(tenant, NOW - timedelta(hours=3))
    clicks(tenant, NOW - timedelta(hours=2))
    registered(tenant, NOW - timedelta(hours=1))
    owner = login(Client(), tenant.owner)
    page = owner.get("/company/insights/" + TODAY_QUERY).content.decode()
    assert (kpi_value(page, "sent"), kpi_value(page, "clicks")) == ("1", "1")
    assert kpi_value(page, "registrations") == "5件未満" and kpi_value(page, "counted") == "5件未満"
    assert kpi_value(page, "registration_rate") == "非表示" and kpi_value(page, "registration_rate_sent") == "非表示"
    rows = page_rows(page)
    assert rows["registrations"] == ["登録数", "5件未満", "5件未満", "—"]
    assert rows["registration_rate"] == ["登録率(登録 / クリック)", "非表示", "非表示", "—"]
    assert NOTE in page
    funnel = page.split('id="funnel-chart"', 1)[1].split("</svg>", 1)[0]
    bar = funnel.split('data-step="registrations"', 1)[1].split("</g>", 1)[0]
    assert bar.startswith(' data-value="5件未満"') and "100.0%" not in bar and ">1<" not in bar
    exported = csv_rows(owner.get("/company/insights/export.csv" + TODAY_QUERY))
    assert exported["登録数"] == ["5件未満", "5件未満", "—"]
    assert exported["カウント済みの紹介"] == ["5件未満", "5件未満", "—"]
    assert exported["送信数(お祈りメール)"] == ["1", "0", "+1"] and NOTE in exported
    # Another company sees its own (empty) figures and none of these; an operator has no company page.
    other = login(Client(), outsider.owner).get("/company/insights/" + TODAY_QUERY).content.decode()
    assert kpi_value(other, "sent") == "0" and tenant.company.name not in other
    assert login(Client(), operator).get("/company/insights/" + TODAY_QUERY).status_code == 404


def test_four_registrations_yesterday_show_fewer_than_five_and_five_show_the_number(
    clock: TimeMachineFixture, tenant: Tenant, outsider: Tenant
) -> None:
    clicks(tenant, jst(2027, 1, 10, 9, 0), 10)
    registered(tenant, jst(2027, 1, 19, 10, 0), 4)
    owner = login(Client(), tenant.owner)
    page = owner.get("/company/insights/" + JANUARY_QUERY).content.decode()
    assert kpi_value(page, "registrations") == "5件未満" and kpi_value(page, "registration_rate") == "非表示"
    registered(tenant, jst(2027, 1, 18, 10, 0))
    page = owner.get("/company/insights/" + JANUARY_QUERY).content.decode()
    assert (kpi_value(page, "registrations"), kpi_value(page, "counted")) == ("5", "5")
    assert kpi_value(page, "registration_rate") == "50.0%"
    exported = csv_rows(owner.get("/company/insights/export.csv" + JANUARY_QUERY))
    assert exported["登録数"] == ["5", "5件未満", "—"]  # December: none, 「5件未満」 too
    report = csv_rows(owner.get("/company/insights/report.csv?month=2027-01"))
    assert report["登録数"][0] == "5" and report["登録率(登録 / クリック)"][0] == "50.0%"
    assert csv_rows(login(Client(), outsider.owner).get("/company/insights/report.csv?month=2027-01"))["登録数"] == [
        "5件未満",
        "5件未満",
        "—",
    ]


def snapshot(tenant: Tenant, api_key: str) -> dict[str, object]:
    """Every registration-derived figure the company can read, from every place it can read one."""
    owner = login(Client(), tenant.owner)
    page = owner.get("/company/insights/" + JANUARY_QUERY).content.decode()
    dashboard = owner.get("/company/").content.decode()
    summary = call(Client(), "get", "/api/v1/summary", api_key).json()
    return {
        "kpi_table": page_rows(page),
        "funnel_chart": page.split('id="funnel-chart"', 1)[1].split("</svg>", 1)[0],
        "monthly_table": page.split('id="monthly-table"', 1)[1].split("</table>", 1)[0],
        "csv": owner.get("/company/insights/export.csv" + JANUARY_QUERY).content,
        "report_csv": owner.get("/company/insights/report.csv?month=2027-01").content,
        "report_page": owner.get("/company/insights/report/?month=2027-01")
        .content.decode()
        .split('id="report-table"', 1)[1]
        .split("</table>", 1)[0],
        "dashboard_funnel": dashboard.split('id="funnel"', 1)[1].split("</table>", 1)[0],
        "api": {key: summary[key] for key in ("registrations", "registrations_shown", "registration_rate")},
    }


def test_a_registration_made_today_changes_no_company_figure_until_tomorrow(
    clock: TimeMachineFixture, tenant: Tenant
) -> None:
    api_key = key_for(tenant)
    sent_email(tenant, jst(2027, 1, 10, 9, 0))
    clicks(tenant, jst(2027, 1, 10, 9, 0), 10)
    registered(tenant, jst(2027, 1, 10, 10, 0), 5)
    before = snapshot(tenant, api_key)
    assert before["kpi_table"]["registrations"][1] == "5"  # type: ignore[index]

    registered(tenant, NOW)  # a named person registers (and is counted) while the company watches
    assert snapshot(tenant, api_key) == before
    clock.move_to(NOW + timedelta(hours=11, minutes=59), tick=False)  # 23:59 in Japan: still today
    assert snapshot(tenant, api_key) == before

    clock.move_to(TOMORROW, tick=False)
    after = snapshot(tenant, api_key)
    assert after["kpi_table"]["registrations"][1] == "6"  # type: ignore[index]
    assert after["kpi_table"]["counted"][1] == "6"  # type: ignore[index]
    assert after["api"] == {"registrations": 6, "registrations_shown": "6", "registration_rate": 0.6}


def test_the_credit_progress_stays_exact_and_live(clock: TimeMachineFixture, tenant: Tenant) -> None:
    registered(tenant, jst(2027, 1, 10, 10, 0), 6)
    registered(tenant, NOW)
    page = login(Client(), tenant.owner).get("/company/").content.decode()
    assert "あと3人で無料紹介枠を獲得" in page  # 7 counted of 10, today's included: the contract
    funnel = page.split('id="funnel"', 1)[1].split("</table>", 1)[0]
    # The funnel's registration figures: to yesterday (6, not 7); this month beside an empty last month is hidden.
    assert re.search(r"<th>累計</th><th[^>]*>0</th><th[^>]*>0</th><th[^>]*>6</th><th[^>]*>6</th>", funnel)


def test_a_month_alone_below_five_hides_another_month_too(clock: TimeMachineFixture, tenant: Tenant) -> None:
    registered(tenant, jst(2026, 11, 10, 10, 0), 3)
    registered(tenant, jst(2026, 12, 10, 10, 0), 8)
    page = (
        login(Client(), tenant.owner)
        .get("/company/insights/?period=custom&start=2026-11-01&end=2026-12-31")
        .content.decode()
    )
    assert kpi_value(page, "registrations") == "11"
    monthly = page.split('id="monthly-table"', 1)[1].split("</table>", 1)[0]
    november = monthly.split('data-month="2026-11"', 1)[1].split("</tr>", 1)[0]
    december = monthly.split('data-month="2026-12"', 1)[1].split("</tr>", 1)[0]
    assert "5件未満" in november and "非表示" in december and ">8<" not in december  # 11 − 8 would give 3


def test_the_dashboard_never_leaves_one_month_to_subtract_from_the_cumulative_figure(
    clock: TimeMachineFixture, tenant: Tenant, outsider: Tenant
) -> None:
    registered(tenant, jst(2027, 1, 10, 10, 0), 3)
    registered(tenant, jst(2026, 12, 10, 10, 0), 8)
    page = login(Client(), tenant.owner).get("/company/").content.decode()
    funnel = page.split('id="funnel"', 1)[1].split("</table>", 1)[0]
    this_month = funnel.split("<td>今月</td>", 1)[1].split("</tr>", 1)[0]
    last_month = funnel.split("<td>先月</td>", 1)[1].split("</tr>", 1)[0]
    assert "5件未満" in this_month and "非表示" in last_month and ">8<" not in last_month  # 11 − 8 would give 3
    assert re.search(r"累計</th>.*>11</th>", funnel, re.S)
    other = login(Client(), outsider.owner).get("/company/").content.decode()
    assert ">11<" not in other.split('id="funnel"', 1)[1].split("</table>", 1)[0]


def test_the_monthly_report_email_counts_to_the_start_of_its_day(tenant: Tenant) -> None:
    registered(tenant, jst(2026, 12, 31, 23, 30), 5)  # late on December 31 in Japan
    early = monthly_report_data(tenant.company, jst(2026, 12, 1).date(), today=jst(2026, 12, 31).date())
    late = monthly_report_data(tenant.company, jst(2026, 12, 1).date(), today=jst(2027, 1, 4).date())
    assert {row.key: row.current for row in early.rows}["registrations"] == "5件未満"
    assert {row.key: row.current for row in late.rows}["registrations"] == "5"


def test_operators_see_the_exact_live_network_figures(
    clock: TimeMachineFixture, tenant: Tenant, operator: User
) -> None:
    sent_email(tenant, NOW - timedelta(hours=3))
    clicks(tenant, NOW - timedelta(hours=2))
    registered(tenant, NOW - timedelta(hours=1))
    page = login(Client(), operator).get("/ops/insights/" + TODAY_QUERY).content.decode()
    assert (kpi_value(page, "registrations"), kpi_value(page, "counted")) == ("1", "1")
    assert kpi_value(page, "registration_rate") == "100.0%"
    today = Period.days(NOW.date(), NOW.date())
    assert metrics.network_funnel(today).registrations == metrics.funnel(tenant.company, today).registrations == 1
    assert metrics.company_kpis(tenant.company, today).funnel.registrations == 0  # the company's: to yesterday
    assert login(Client(), tenant.owner).get("/ops/insights/").status_code in (302, 403, 404)


def test_the_count_ends_at_the_start_of_today_in_japan() -> None:
    assert cutoff(jst(2027, 1, 20, 0, 0)) == cutoff(jst(2027, 1, 20, 23, 59)) == jst(2027, 1, 20)
    january = Period.days(jst(2027, 1, 1).date(), jst(2027, 1, 31).date())
    assert clamp(january, NOW) == jst(2027, 1, 20) and clamp(january, jst(2027, 3, 1)) == january.end
    assert clamp(None, NOW) == jst(2027, 1, 20)


@given(st.integers(min_value=0, max_value=10**7))
def test_a_figure_below_five_never_shows_its_number(count: int) -> None:
    figure = RegistrationFigure(count)
    assert figure.is_hidden == (count < MIN_GROUP)
    if figure.is_hidden:
        assert figure.display == "5件未満" and figure.value is None
    else:
        assert figure.display == f"{count:,}" and figure.value == count
