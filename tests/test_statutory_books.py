"""Statutory books (求人管理簿・求職管理簿・手数料管理簿, 職業安定法施行規則24条の8) and the yearly figures (職業紹介
事業報告, 人材サービス総合サイト): what they show, that they survive deletion for 2 years, and that they add up."""

import csv
import io
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from candidates.services import candidate_delete
from companies.models import Company
from demo.placements import seed_placements
from lib.dates import JST, jst_today
from placements.fees import DISCLOSURE_MINIMUM_PLACEMENTS, actual_fee_rate
from placements.models import BookSnapshot, Introduction, JobOrder, Placement
from placements.selectors.books import fee_book, fiscal_year_bounds, fiscal_year_of, job_order_book, job_seeker_book
from placements.selectors.reports import annual_report, disclosure_figures
from placements.services.books import book_snapshots_purge
from placements.services.jobs import job_order_set_status
from placements.services.placements import placement_record, placement_record_leaving
from tests.conftest import Tenant
from tests.placement_support import grant_credits, introduce, make_job, source_candidate


def csv_lines(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def streamed(client: Client, path: str) -> bytes:
    response: Any = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


def hire(job: JobOrder, operator: User, *, start: date, salary: int, **person: Any) -> Placement:
    introduction = introduce(job, operator, Introduction.Status.HIRED, **person)
    return placement_record(introduction=introduction, start_date=start, annual_salary_yen=salary, actor=operator)


# --- the formula ---------------------------------------------------------------------------------------------------


def half_up_tenths(fees: int, salaries: int) -> Fraction:
    exact = Fraction(fees * 100, salaries)
    return Fraction(int(exact * 10 + Fraction(1, 2)), 10)


@given(
    fees=st.integers(min_value=0, max_value=10**10),
    salaries=st.integers(min_value=1, max_value=10**11),
    placements=st.integers(min_value=DISCLOSURE_MINIMUM_PLACEMENTS + 1, max_value=10**5),
)
def test_the_actual_fee_rate_is_fees_over_pay_rounded_half_up_to_one_decimal(
    fees: int, salaries: int, placements: int
) -> None:
    rate = actual_fee_rate(fee_total_yen=fees, salary_total_yen=salaries, placements=placements)
    assert rate is not None
    assert Fraction(rate) == half_up_tenths(fees, salaries)
    assert abs(Fraction(rate) - Fraction(fees * 100, salaries)) <= Fraction(1, 20)
    assert rate.as_tuple().exponent == -1  # always one decimal: 35.0, never 35


@given(
    fees=st.integers(min_value=0, max_value=10**10),
    salaries=st.integers(min_value=0, max_value=10**11),
    placements=st.integers(min_value=0, max_value=DISCLOSURE_MINIMUM_PLACEMENTS),
)
def test_ten_placements_or_fewer_are_never_published(fees: int, salaries: int, placements: int) -> None:
    assert actual_fee_rate(fee_total_yen=fees, salary_total_yen=salaries, placements=placements) is None


def test_the_rate_rounds_half_up_at_the_boundary() -> None:
    assert str(actual_fee_rate(fee_total_yen=1225, salary_total_yen=10000, placements=11)) == "12.3"
    assert str(actual_fee_rate(fee_total_yen=1224, salary_total_yen=10000, placements=11)) == "12.2"
    assert str(actual_fee_rate(fee_total_yen=35, salary_total_yen=100, placements=11)) == "35.0"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_day_falls_in_the_fiscal_year_that_starts_on_the_april_before_it(day: date) -> None:
    first, after = fiscal_year_bounds(fiscal_year_of(day))
    assert first <= day < after and first.month == 4 and first.day == 1


# --- the books -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_books_show_what_is_held_and_say_未登録_for_what_is_not(
    operator: User, tenant: Tenant, operator_client: Client, outsider_client: Client
) -> None:
    job = make_job(tenant, title="営業職(東京)")
    placement = hire(job, operator, start=date(2026, 5, 1), salary=5_000_000, name="帳簿 太郎")
    jobs_csv = csv_lines(streamed(operator_client, "/ops/books/job-orders/?format=csv"))
    header, row = jobs_csv[0], next(line for line in jobs_csv if "営業職(東京)" in line)
    cells = dict(zip(header, row, strict=True))
    assert cells["求人者の氏名又は名称"] == tenant.company.name
    assert cells["所在地"] == "未登録" and cells["有効期間"] == "未登録"
    assert cells["連絡先"] == tenant.owner.email
    assert cells["就業場所"] == "東京都千代田区丸の内1-1-1 本社"
    assert "期間の定めなし(無期)" in cells["雇用形態・雇用期間"]
    assert cells["採用の有無"] == "採用あり(1名)"

    seekers = csv_lines(streamed(operator_client, "/ops/books/job-seekers/?format=csv"))
    cells = dict(zip(seekers[0], next(line for line in seekers if "帳簿 太郎" in line), strict=True))
    assert cells["生年月日・年齢"] == "未登録"
    assert cells["就職先"].startswith(tenant.company.name) and "2026/05/01" in cells["就職先"]

    fees = csv_lines(streamed(operator_client, "/ops/books/fees/?format=csv"))
    cells = dict(zip(fees[0], fees[1], strict=True))
    assert cells["請求書番号"] == placement.invoice_number
    assert cells["手数料の額(税抜)"] == str(placement.fee_yen) and cells["就職者"] == "帳簿 太郎"
    assert cells["徴収年月日"].startswith("未登録")

    page = operator_client.get("/ops/books/job-orders/").content.decode()
    assert "営業職(東京)" in page and "CSV をダウンロード" in page
    assert outsider_client.get("/ops/books/job-orders/").status_code == 404
    assert outsider_client.get("/ops/books/fees/?format=csv").status_code == 404


@pytest.mark.django_db
def test_a_free_hire_is_in_the_fee_book_at_zero_yen(operator: User, tenant: Tenant) -> None:
    from placements.services.credit_use import credit_reserve

    grant_credits(tenant, 1)
    job = make_job(tenant)
    credit_reserve(job_order=job, actor=tenant.owner)
    hire(job, operator, start=date(2026, 6, 1), salary=6_000_000)
    book = fee_book()
    (row,) = list(book.rows)
    assert row[4] == "0" and row[9] == "利用(0円)"
    assert any("0 円" in note for note in book.notes)


@pytest.mark.django_db
def test_a_formula_in_a_name_opens_as_text(operator: User, tenant: Tenant, operator_client: Client) -> None:
    Company.objects.filter(pk=tenant.company.pk).update(name='=HYPERLINK("https://evil.example","x")')
    JobOrder.objects.filter(pk=make_job(tenant).pk).update(recruiter_name="")
    lines = csv_lines(streamed(operator_client, "/ops/books/job-orders/?format=csv"))
    assert lines[1][1].startswith("'=HYPERLINK")


@pytest.mark.django_db
def test_a_person_who_deletes_their_account_stays_in_the_books_for_two_years(
    operator: User, tenant: Tenant, operator_client: Client
) -> None:
    job = make_job(tenant)
    placement = hire(job, operator, start=date(2026, 5, 1), salary=5_000_000, name="退会 花子")
    person = placement.candidate
    assert person is not None
    candidate_delete(candidate=person)
    placement.refresh_from_db()
    assert placement.candidate is None

    snapshot = BookSnapshot.objects.get(book=BookSnapshot.Book.JOB_SEEKERS)
    assert snapshot.data["name"] == "退会 花子" and snapshot.placement_ids == [placement.pk]
    today = jst_today()
    assert snapshot.completed_on == today and snapshot.keep_until == date(today.year + 2, today.month, today.day)
    seekers = job_seeker_book()
    assert not any("退会 花子" in row for row in seekers.rows)
    (kept,) = seekers.kept_rows
    assert kept[1] == "退会 花子" and kept[-1].startswith("削除済み")
    assert next(iter(fee_book().rows))[2] == "退会 花子"  # the fee book still names the person placed
    page = operator_client.get("/ops/books/job-seekers/").content.decode()
    assert "削除された記録(保存期間中)" in page and "退会 花子" in page
    # The application still counts in its fiscal year.
    assert annual_report(fiscal_year_of(snapshot.received_on)).new_applications >= 1

    assert book_snapshots_purge(today=snapshot.keep_until) == 0  # the last day is still kept
    assert book_snapshots_purge(today=snapshot.keep_until + timedelta(days=1)) == 1
    assert not BookSnapshot.objects.exists()


@pytest.mark.django_db
def test_a_deleted_job_order_stays_in_the_job_order_book(tenant: Tenant) -> None:
    job = make_job(tenant, title="削除される求人")
    job_order_set_status(job_order=job, status=JobOrder.Status.CLOSED, actor=tenant.owner)
    job.delete()
    (kept,) = job_order_book().kept_rows
    assert "削除される求人" in kept and "募集終了" in kept
    assert kept[-2] == f"{jst_today():%Y/%m/%d}"  # closed today: the completion date


@pytest.mark.django_db
def test_an_unverified_registration_leaves_no_book_entry(tenant: Tenant) -> None:
    from tests.conftest import register

    registration = register(tenant.link)
    registration.candidate.delete()
    assert not BookSnapshot.objects.exists()


# --- the yearly figures add up -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reports_add_up_with_the_demo_placements_and_job_orders(
    operator: User, tenant: Tenant, operator_client: Client
) -> None:
    grant_credits(tenant, 2)
    for _ in range(3):
        source_candidate(operator)
    seed_placements(operator=operator, company=tenant.company)  # the demo: a free hire, a paid one, a refund
    # A busier year on top: 11 engineers (published), 2 fixed-term hires (not), one early leaver, one unknown.
    engineers = make_job(tenant, title="エンジニア", job_category="software")
    for n in range(11):
        hire(engineers, operator, start=date(2025, 4, 1) + timedelta(days=20 * n), salary=5_000_000 + 100_000 * n)
    fixed = make_job(tenant, title="契約社員", job_category="office", contract_term="fixed", contract_period="1年")
    fixed.renewal, fixed.renewal_limit = "none", ""
    fixed.save()
    for _n in range(2):
        hire(fixed, operator, start=date(2025, 9, 1), salary=3_600_000)
    early = Placement.objects.filter(job_order=engineers).order_by("start_date").first()
    assert early is not None
    placement_record_leaving(placement=early, left_on=early.start_date + timedelta(days=30), actor=operator)

    placements = list(Placement.objects.select_related("job_order"))
    for year in sorted({fiscal_year_of(p.start_date) for p in placements}):
        first, after = fiscal_year_bounds(year)
        in_year = [p for p in placements if first <= p.start_date < after]
        report = annual_report(year)
        assert report.placements == len(in_year)
        assert report.indefinite == sum(p.job_order.contract_term == "indefinite" for p in in_year)
        assert report.fixed_term == sum(p.job_order.contract_term == "fixed" for p in in_year)
        assert report.indefinite + report.fixed_term + report.term_unknown == report.placements
        invoiced = [p for p in placements if first <= p.invoiced_on < after]
        assert report.fee_income_yen == sum(p.fee_yen for p in invoiced)
        assert report.waived == sum(p.waived for p in invoiced)
        refunded = [
            p
            for p in placements
            if p.refund_recorded_at and first <= p.refund_recorded_at.astimezone(JST).date() < after
        ]
        assert report.refund_yen == sum(p.refund_yen for p in refunded)
        assert (
            report.job_orders
            == JobOrder.objects.filter(created_at__date__gte=first, created_at__date__lt=after).count()
        )

        figures = disclosure_figures(year)
        assert figures.placements == len(in_year)
        assert sum(row.placements for row in figures.occupations) <= figures.placements
        for row in figures.occupations:
            mine = [p for p in in_year if p.job_order.job_category == row.job_category]
            assert row.placements == len(mine)
            if len(mine) > DISCLOSURE_MINIMUM_PLACEMENTS:
                fees, pay = sum(p.fee_yen for p in mine), sum(p.annual_salary_yen for p in mine)
                assert Fraction(row.rate or 0) == half_up_tenths(fees, pay)
            else:
                assert row.rate_display == "10件以下のため非公表"

    fy2025 = disclosure_figures(2025, today=date(2026, 5, 1))
    assert fy2025.placements == 13 and fy2025.indefinite == 11 and fy2025.early_leavers == 1
    assert fy2025.leaving_unknown == 0  # every 2025 hire is past 6 months on 2026-05-01
    software = next(row for row in fy2025.occupations if row.job_category == "software")
    assert software.placements == 11 and software.rate is not None
    office = next(row for row in fy2025.occupations if row.job_category == "office")
    assert office.rate_display == "10件以下のため非公表"
    assert fy2025.fee_rates == ["35%"]
    assert disclosure_figures(2025, today=date(2025, 12, 1)).leaving_unknown > 0

    page = operator_client.get("/ops/reports/disclosure/?fy=2025").content.decode()
    assert "10件以下のため非公表" in page and f"{software.rate}%" in page
    annual = csv_lines(streamed(operator_client, "/ops/reports/annual/?fy=2025&format=csv"))
    assert annual[0] == ["項目", "2025年度"]
    assert dict((line[0], line[1]) for line in annual[1:])["就職件数"] == "13"
    assert "2025年度" in operator_client.get("/ops/reports/annual/?fy=2025").content.decode()


@pytest.mark.django_db
def test_a_job_order_deleted_with_its_company_stays_in_the_job_order_book(operator: User) -> None:
    from tests.conftest import make_tenant

    gone = make_tenant(operator, "撤退株式会社", "gone")
    make_job(gone, title="撤退企業の求人")
    gone.company.delete()
    assert not JobOrder.objects.exists()
    (kept,) = job_order_book().kept_rows
    assert "撤退企業の求人" in kept and "撤退株式会社" in kept
