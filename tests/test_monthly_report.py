"""The monthly report (issue 5 item 6): the email to every owner on the first business day of the month, once,
and the same figures as PDF and CSV on /company/insights/report/."""

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from companies.models import Company
from insights.models import MonthlyReport
from insights.reports import monthly_report_data, monthly_report_pdf, previous_month
from insights.selectors import metrics
from insights.services import monthly_reports_send
from lib.dates import jst_today
from lib.models import ScheduledRun
from lib.periodic import JOBS, enqueue_due_jobs, first_business_day, monthly_on_first_business_day
from tests.conftest import Tenant, login, make_tenant, make_user
from tests.smtp import SmtpServer, plain_body
from tests.test_kpi_dashboard import NOTE, OCTOBER, SEPTEMBER, jst, october_funnel_data, shown_funnel_data
from tests.test_placements import pdf_text

pytestmark = pytest.mark.django_db

OCTOBER_LINK = "http://testserver/company/insights/?period=custom&start=2026-10-01&end=2026-10-31"


def test_the_slot_opens_at_ten_on_the_first_business_day_after_the_new_year_holidays() -> None:
    # 2027-01-01 is a holiday, 01-02/03 the weekend and the year-end break: January opens on Monday the 4th.
    assert first_business_day(2027, 1) == date(2027, 1, 4)
    for moment in (jst(2027, 1, 1, 10, 0), jst(2027, 1, 2, 12, 0), jst(2027, 1, 3, 23, 59), jst(2027, 1, 4, 9, 59)):
        assert monthly_on_first_business_day(moment) == "2026-12"
    assert monthly_on_first_business_day(jst(2027, 1, 4, 10, 0)) == "2027-01"
    assert monthly_on_first_business_day(jst(2027, 1, 31, 23, 59)) == "2027-01"


def test_the_slot_waits_for_a_month_that_starts_on_a_weekend_or_golden_week() -> None:
    # 2026-11-01 is a Sunday; Monday the 2nd is a business day (the 3rd is Culture Day).
    assert first_business_day(2026, 11) == date(2026, 11, 2)
    assert monthly_on_first_business_day(jst(2026, 11, 1, 10, 0)) == "2026-10"
    assert monthly_on_first_business_day(jst(2026, 11, 2, 10, 0)) == "2026-11"
    # 2027-05-01 is a Saturday and 05-03/04/05 are holidays: Thursday the 6th.
    assert first_business_day(2027, 5) == date(2027, 5, 6)
    assert monthly_on_first_business_day(jst(2027, 5, 5, 12, 0)) == "2027-04"
    assert monthly_on_first_business_day(jst(2027, 5, 6, 10, 0)) == "2027-05"
    # A month that starts on a business day opens on the 1st at ten, not before.
    assert monthly_on_first_business_day(jst(2026, 12, 1, 9, 59)) == "2026-11"
    assert monthly_on_first_business_day(jst(2026, 12, 1, 10, 0)) == "2026-12"


def test_the_scheduler_enqueues_the_job_once_a_month(tenant: Tenant) -> None:
    [job] = [job for job in JOBS if job.task_path == "insights.tasks.send_monthly_reports"]
    ScheduledRun.objects.create(job=job.name, slot="2026-12")  # December has run
    runs = [
        enqueue_due_jobs(now=moment, jobs=[job])
        for moment in (
            jst(2027, 1, 1, 10),
            jst(2027, 1, 4, 9, 59),
            jst(2027, 1, 4, 10, 0),
            jst(2027, 1, 4, 10, 1),
            jst(2027, 1, 20, 10),
        )
    ]
    assert runs == [[], [], [job.name], [], []]


def test_previous_month_crosses_the_year() -> None:
    assert previous_month(date(2027, 1, 4)) == date(2026, 12, 1)
    assert previous_month(date(2026, 11, 30)) == date(2026, 10, 1)


def test_every_owner_gets_one_email_per_month_even_when_the_job_runs_twice(
    operator: User, tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    Company.objects.update(created_at=jst(2026, 9, 1))
    late = make_tenant(operator, "新規株式会社", "newcomer")
    Company.objects.filter(pk=late.company.pk).update(created_at=jst(2026, 11, 1, 0, 0))  # after October
    second = make_user(
        "owner2@test-shoji.example.jp", name="第二 オーナー", company=tenant.company, company_role="owner"
    )
    make_user(
        "gone@test-shoji.example.jp",
        name="退職 オーナー",
        company=tenant.company,
        company_role="owner",
        is_active=False,
    )
    november_second = jst(2026, 11, 2, 10, 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_reports_send(now=november_second) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_reports_send(now=november_second) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_reports_send(now=jst(2026, 11, 30, 10, 0)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([tenant.owner.email, second.email, outsider.owner.email])
    assert set(MonthlyReport.objects.values_list("company_id", "month", "recipients")) == {
        (tenant.company.pk, date(2026, 10, 1), 2),
        (outsider.company.pk, date(2026, 10, 1), 1),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_reports_send(now=jst(2026, 12, 1, 10, 0)) == 3  # November: the newcomer too
    assert len(mail.outbox) == 7


def test_the_email_is_polite_japanese_with_the_months_figures_and_the_dashboard_link(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    shown_funnel_data(tenant)  # October: 3 sent, 12 clicks, 7 registrations, 6 counted; September: 1, 8, 6, 5
    Company.objects.update(created_at=jst(2026, 9, 1))
    smtp_server.handler.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        monthly_reports_send(now=jst(2026, 11, 2, 10, 0))
    [message] = [m for m in smtp_server.messages if m["To"] == tenant.owner.email]
    assert str(message["Subject"]).strip() == "【キャリアリレー】2026年10月の月次レポートをお届けします"
    body = plain_body(message).replace("\r\n", "\n")
    assert f"{tenant.company.name}\n{tenant.owner.name} 様" in body
    assert "誠にありがとうございます" in body and "よろしくお願い申し上げます" in body
    assert "■ 送信数(お祈りメール): 3(前月 1、+2)" in body
    assert "■ カウント済みの紹介: 6(前月 5、+1)" in body
    assert "■ 登録率(登録 / クリック): 58.3%(前月 75.0%、-16.7pt)" in body
    assert NOTE in body.replace("\n", "")
    assert "■ NPS(回答5件以上で表示): —(前月 —)" in body
    assert OCTOBER_LINK in body
    assert "http://testserver/company/insights/report/?month=2026-10\n" in body
    page = login(Client(), tenant.owner).get(OCTOBER_LINK.removeprefix("http://testserver"))
    assert "2026年10月 の成果です" in page.content.decode()


def test_the_pdf_carries_the_kpi_table_for_the_month_and_the_month_before(tenant: Tenant, owner_client: Client) -> None:
    shown_funnel_data(tenant)
    rows = metrics.kpi_rows(
        metrics.company_kpis(tenant.company, OCTOBER), metrics.company_kpis(tenant.company, SEPTEMBER)
    )
    response = owner_client.get("/company/insights/report.pdf?month=2026-10")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="monthly_report_202610.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "月次レポート 2026年10月" in text and tenant.company.name in text and "2026年9月" in text
    for row in rows:
        assert f"{row.label}\n{row.current}\n{row.previous}\n{row.delta}" in text
    raw = monthly_report_pdf(monthly_report_data(tenant.company, date(2026, 10, 1)), compress=False)
    assert "カウント済みの紹介\n6\n5\n+1" in pdf_text(raw)
    assert "前日までの集計です" in pdf_text(raw)


def test_the_csv_has_a_bom_and_exactly_the_kpi_rows(tenant: Tenant, owner_client: Client) -> None:
    october_funnel_data(tenant)
    response = owner_client.get("/company/insights/report.csv?month=２０２６年１０月")
    assert response.status_code == 200 and response.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["企業", tenant.company.name]
    assert lines[1] == ["指標", "2026年10月", "2026年9月", "増減"]
    rows = metrics.kpi_rows(
        metrics.company_kpis(tenant.company, OCTOBER), metrics.company_kpis(tenant.company, SEPTEMBER)
    )
    assert lines[2:-1] == [[r.label, r.current, r.previous, r.delta] for r in rows]
    assert lines[-1] == [NOTE]
    assert ["カウント済みの紹介", "5件未満", "5件未満", "—"] in lines  # 3 and 1: fewer than 5


def test_the_report_page_picks_a_month_and_members_may_download(tenant: Tenant) -> None:
    shown_funnel_data(tenant)
    member = login(Client(), tenant.member)
    page = member.get("/company/insights/report/?month=2026/10").content.decode()
    assert '<tr data-kpi="counted"><td>カウント済みの紹介</td><td class="num">6</td><td class="num">5</td>' in page
    assert NOTE in page
    assert 'href="/company/insights/report.pdf?month=2026-10"' in page
    assert member.get("/company/insights/report.pdf?month=2026-10").status_code == 200
    assert member.get("/company/insights/report.csv?month=2026-10").status_code == 200


def test_a_bad_or_future_month_answers_in_japanese_and_shows_last_month(tenant: Tenant, owner_client: Client) -> None:
    bad = owner_client.get("/company/insights/report/?month=2026-13").content.decode()
    assert "対象月は 2026-10 の形式でご入力ください。" in bad and "先月のレポートを表示しています" in bad
    future = owner_client.get("/company/insights/report/?month=2099-01").content.decode()
    assert "まだ始まっていない月のレポートは作成できません。" in future
    last = previous_month(jst_today())
    assert f'value="{last:%Y-%m}"' in future
    assert owner_client.get("/company/insights/report.csv?month=xx").status_code == 200


def test_another_company_only_ever_sees_its_own_report(tenant: Tenant, outsider_client: Client) -> None:
    october_funnel_data(tenant)
    csv_text = outsider_client.get("/company/insights/report.csv?month=2026-10").content.decode("utf-8-sig")
    assert tenant.company.name not in csv_text and "他社株式会社" in csv_text
    assert "カウント済みの紹介,5件未満,5件未満,—" in csv_text and "送信数(お祈りメール),0,0,+0" in csv_text
    pdf = pdf_text(outsider_client.get("/company/insights/report.pdf?month=2026-10").content)
    assert tenant.company.name not in pdf and "他社株式会社" in pdf
    page = outsider_client.get("/company/insights/report/?month=2026-10").content.decode()
    assert tenant.company.name not in page
    assert re.search(r'data-kpi="sent"><td>[^<]+</td><td class="num">0</td>', page)
    assert Client().get("/company/insights/report.pdf").status_code in (302, 404)
