"""Billing documents never change once issued (DESIGN §3 rule 15): invoices keep the issuer and recipient of the day,
refunds are credit notes (返還請求書) of their own, and a placement on a credit gets a 0-yen usage statement."""

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pypdf import PdfReader

from accounts.models import User
from companies.models import Company
from placements.documents.credit_note import credit_note_pdf
from placements.fees import tax_for
from placements.models import CreditNote, Introduction, Placement
from placements.services.credit_use import credit_reserve
from placements.services.placements import placement_record, placement_record_leaving
from tests.conftest import Tenant, login
from tests.placement_support import grant_credits, introduce, make_job

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def placed(tenant: Tenant, operator: User, *, days_ago: int = 3, waived: bool = False) -> Placement:
    job_order = make_job(tenant, title="法人営業")
    introduction = introduce(job_order, operator, Introduction.Status.HIRED, name="佐藤 一郎")
    if waived:
        grant_credits(tenant, 1)
        credit_reserve(job_order=job_order, actor=tenant.owner)
    return placement_record(
        introduction=introduction,
        start_date=timezone.localdate() - timedelta(days=days_ago),
        annual_salary_yen=6_000_000,
        actor=operator,
    )


@pytest.fixture
def new_details(settings: Any) -> Any:
    """What the operator's settings say after a move, a new bank and a new registration number."""

    def change() -> None:
        settings.OPERATOR_NAME = "株式会社ニューリレー"
        settings.OPERATOR_ADDRESS = "大阪府大阪市北区梅田9-9-9"
        settings.OPERATOR_INVOICE_REGISTRATION_NUMBER = "T9999999999999"
        settings.OPERATOR_BANK_ACCOUNT = "新銀行 梅田支店 普通 7654321"

    return change


# --- invoices ----------------------------------------------------------------------------------------------------


def test_an_invoice_downloaded_after_the_settings_change_is_the_one_issued(
    owner_client: Client, operator: User, tenant: Tenant, new_details: Any
) -> None:
    placement = placed(tenant, operator)
    url = f"/company/jobs/placements/{placement.pk}/invoice.pdf"
    issued = owner_client.get(url).content
    new_details()
    Company.objects.filter(pk=tenant.company.pk).update(name="株式会社テスト商事ホールディングス")
    again = owner_client.get(url).content
    assert again == issued
    text = text_of(again)
    assert "株式会社キャリアリレー" in text and "T1234567890123" in text and "東京都千代田区丸の内1-1-1" in text
    assert "キャリア銀行 丸の内支店" in text and "株式会社テスト商事 御中" in text
    for new in ("ニューリレー", "T9999999999999", "梅田", "新銀行", "ホールディングス"):
        assert new not in text, new


def test_an_invoice_issued_after_the_change_carries_the_new_details(
    operator: User, tenant: Tenant, new_details: Any, operator_client: Client
) -> None:
    new_details()
    placement = placed(tenant, operator)
    assert placement.issuer["registration_number"] == "T9999999999999"
    text = text_of(operator_client.get(f"/ops/placements/{placement.pk}/invoice.pdf").content)
    assert "株式会社ニューリレー" in text and "T9999999999999" in text and "新銀行 梅田支店" in text


def test_the_snapshot_is_stored_on_the_row_at_issue(operator: User, tenant: Tenant) -> None:
    placement = placed(tenant, operator)
    placement.refresh_from_db()
    assert placement.issuer == {
        "name": "株式会社キャリアリレー",
        "address": "東京都千代田区丸の内1-1-1",
        "phone": "03-0000-0000",
        "email": "support@career-relay.example.jp",
        "registration_number": "T1234567890123",
        "license_number": "13-ユ-000000",
        "bank_account": "キャリア銀行 丸の内支店 普通 1234567 カ)キャリアリレー",
    }
    assert placement.recipient == {"name": "株式会社テスト商事", "address": ""}


# --- the usage statement of a credit placement ------------------------------------------------------------------


def test_a_credit_placement_gets_a_statement_and_never_an_invoice_or_credit_note(
    owner_client: Client, operator: User, tenant: Tenant
) -> None:
    placement = placed(tenant, operator, waived=True)
    response = owner_client.get(f"/company/jobs/placements/{placement.pk}/invoice.pdf")
    assert response.status_code == 200 and "statement-" in response["Content-Disposition"]
    text = text_of(response.content)
    assert "無料紹介枠ご利用明細" in text and "¥0" in text
    assert "請求書番号" not in text and "お支払期限" not in text and "お振込先" not in text
    placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    assert not CreditNote.objects.filter(placement=placement).exists()  # nothing was paid, nothing is returned
    page = owner_client.get("/company/jobs/placements/").content.decode()
    assert "ご利用明細 PDF" in page


# --- credit notes -----------------------------------------------------------------------------------------------


def test_a_refund_issues_a_credit_note_the_company_and_the_operator_download(
    client: Client, owner_client: Client, operator_client: Client, operator: User, tenant: Tenant
) -> None:
    placement = placed(tenant, operator)
    placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    note = CreditNote.objects.get(placement=placement)
    assert (note.refund_yen, note.tax_yen, note.total_yen) == (1_680_000, 168_000, 1_848_000)
    company_copy = owner_client.get(f"/company/jobs/placements/credit-notes/{note.pk}.pdf")
    assert company_copy.status_code == 200 and company_copy["Content-Type"] == "application/pdf"
    assert f"credit-note-{note.number}.pdf" in company_copy["Content-Disposition"]
    operator_copy = operator_client.get(f"/ops/placements/credit-notes/{note.pk}.pdf")
    assert operator_copy.status_code == 200 and operator_copy.content == company_copy.content
    text = text_of(company_copy.content)
    for expected in (
        "返還請求書",
        f"返還請求書番号: {note.number}",
        f"対象の請求書番号: {placement.invoice_number}",
        "登録番号: T1234567890123",
        "株式会社キャリアリレー",
        "株式会社テスト商事 御中",
        f"発行日: {note.issued_on:%Y年%m月%d日}",
        "元の取引の年月日",
        "ご返還額(税込) ¥1,848,000",
        "10%対象 ¥1,680,000(消費税 ¥168,000)",
    ):
        assert expected in text, expected
    assert note.number in owner_client.get("/company/jobs/placements/").content.decode()
    assert note.number in operator_client.get(f"/ops/placements/{placement.pk}/").content.decode()
    assert login(client, tenant.member).get(f"/company/jobs/placements/credit-notes/{note.pk}.pdf").status_code == 404


def test_another_company_gets_404_for_a_credit_note(
    outsider_client: Client, operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    placement = placed(tenant, operator)
    placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    note = CreditNote.objects.get(placement=placement)
    assert outsider_client.get(f"/company/jobs/placements/credit-notes/{note.pk}.pdf").status_code == 404
    assert outsider_client.get(f"/ops/placements/credit-notes/{note.pk}.pdf").status_code == 404
    assert note.number not in outsider_client.get("/company/jobs/placements/").content.decode()


def test_a_corrected_refund_issues_a_new_note_and_the_old_one_never_changes(
    operator: User, tenant: Tenant, new_details: Any
) -> None:
    placement = placed(tenant, operator, days_ago=40)
    placement_record_leaving(placement=placement, left_on=timezone.localdate() - timedelta(days=35), actor=operator)
    first = CreditNote.objects.get(placement=placement)
    first_pdf = credit_note_pdf(first)
    new_details()
    placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)  # same again: no note
    first.refresh_from_db()
    second = CreditNote.objects.exclude(pk=first.pk).get(placement=placement)
    assert second.replaces == first and not first.is_current and second.is_current
    assert credit_note_pdf(first) == first_pdf  # still the old issuer and amounts
    assert first.total_yen == 1_848_000 and second.total_yen == 1_155_000  # 80 % in month 1, 50 % in months 2-3
    text = text_of(credit_note_pdf(second))
    assert f"本書は返還請求書 {first.number} を訂正するものです" in text and "T9999999999999" in text


def test_no_refund_no_credit_note(operator: User, tenant: Tenant) -> None:
    placement = placed(tenant, operator, days_ago=200)
    placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    assert not CreditNote.objects.filter(placement=placement).exists()


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    fee=st.integers(min_value=0, max_value=50_000_000),
    rate_bp=st.sampled_from([0, 800, 1000, 1234]),
    percent=st.integers(min_value=0, max_value=100),
    within=st.booleans(),
)
def test_credit_note_amounts_are_exact_per_tax_rate(
    operator: User, tenant: Tenant, fee: int, rate_bp: int, percent: int, within: bool
) -> None:
    placement = Placement.objects.filter(company=tenant.company).first() or placed(tenant, operator, days_ago=5)
    tax = tax_for(fee, rate_bp)
    start = date(2026, 6, 1)
    Placement.objects.filter(pk=placement.pk).update(
        fee_yen=fee,
        tax_yen=tax,
        total_yen=fee + tax,
        tax_rate_bp=rate_bp,
        start_date=start,
        refund_schedule=[{"within": 30, "unit": "days", "percent": percent}],
        left_on=None,
        refund_yen=0,
        refund_tax_yen=0,
        refund_total_yen=0,
    )
    placement.refresh_from_db()
    left_on = start + timedelta(days=10 if within else 60)
    placement = placement_record_leaving(placement=placement, left_on=left_on, actor=operator)
    note = placement.credit_notes.filter(replaced_by__isnull=True).order_by("-pk").first()
    refund = fee * percent // 100 if within else 0
    refund_tax = refund * rate_bp // 10_000
    assert (placement.refund_yen, placement.refund_tax_yen) == (refund, refund_tax)
    if note is None:
        assert refund == 0  # nothing returned, and no note was issued before
        return
    assert (note.refund_yen, note.tax_yen, note.total_yen) == (refund, refund_tax, refund + refund_tax)
    assert note.tax_rate_bp == rate_bp and note.refund_yen <= fee
    text = text_of(credit_note_pdf(note, compress=False))
    rate = f"{rate_bp / 100:g}%"
    assert f"ご返還額(税込) ¥{refund + refund_tax:,}" in text
    assert f"{rate}対象 ¥{refund:,}(消費税 ¥{refund_tax:,})" in text


def test_the_migration_snapshots_the_issuer_of_invoices_issued_before_it(transactional_db: Any) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("placements", "0005_pool_listings")]
    after = [("placements", "0006_billing_snapshots_and_credit_notes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    company = old.get_model("companies", "Company").objects.create(name="株式会社既存", name_kana="")
    job_order = old.get_model("placements", "JobOrder").objects.create(
        company=company,
        title="営業",
        job_category="sales",
        employment_type="full_time",
        prefecture=13,
        salary_min=400,
        salary_max=600,
        required_skills="営業",
        description="営業",
    )
    introduction = old.get_model("placements", "Introduction").objects.create(
        company=company, job_order=job_order, status="hired"
    )
    placement = old.get_model("placements", "Placement").objects.create(
        introduction=introduction,
        company=company,
        job_order=job_order,
        start_date=date(2026, 4, 1),
        annual_salary_yen=6_000_000,
        fee_rate_bp=3500,
        tax_rate_bp=1000,
        fee_yen=2_100_000,
        tax_yen=210_000,
        total_yen=2_310_000,
        invoiced_on=date(2026, 4, 1),
        due_on=date(2026, 5, 31),
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    migrated = new.get_model("placements", "Placement").objects.get(pk=placement.pk)
    assert migrated.issuer["registration_number"] == "T1234567890123"
    assert migrated.recipient == {"name": "株式会社既存", "address": ""}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
