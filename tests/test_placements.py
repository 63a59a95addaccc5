"""Placements (成約): fees, credit orders and savings, refunds, lists and invoice PDFs; tenancy on every URL."""

import base64
import re
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from companies.models import Company, Contract
from placements.documents.invoice import invoice_pdf
from placements.models import CreditReservation, Introduction, Placement
from placements.services.credit_use import credit_reserve
from placements.services.placements import PlacementError, invoice_due_on, placement_record, placement_record_leaving
from relay.services import company_credit_summary
from tests.conftest import Tenant, login
from tests.placement_support import grant_credits, introduce, make_job, source_candidate

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages: reportlab writes CID-font strings as UTF-16BE in (…) literals."""
    assert data.startswith(b"%PDF-")
    streams = re.findall(rb"stream\r?\n(.*?)\r?\n?endstream", data, re.S)
    text = []
    for raw in streams:
        content = raw
        if raw.rstrip().endswith(b"~>"):  # reportlab's default filter: ASCII85 over Flate
            content = zlib.decompress(base64.a85decode(raw.rstrip()[:-2], adobe=False))
        for literal in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", content, re.S):
            unescaped = re.sub(rb"\\([()\\])", rb"\1", literal)
            unescaped = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), unescaped)
            for encoding in ("utf-16-be", "latin-1"):
                try:
                    text.append(unescaped.decode(encoding))
                    break
                except UnicodeDecodeError:
                    continue
    return "\n".join(text)


def hired(tenant: Tenant, operator: User, **job: object) -> Introduction:
    return introduce(make_job(tenant, **job), operator, Introduction.Status.HIRED, name="佐藤 一郎")


def record(introduction: Introduction, operator: User, salary: int = 6_000_000, **kw: object) -> Placement:
    return placement_record(
        introduction=introduction,
        start_date=kw.get("start_date", date(2026, 10, 1)),  # type: ignore[arg-type]
        annual_salary_yen=salary,
        actor=operator,
    )


# --- recording -------------------------------------------------------------------------------------------


def test_a_normal_placement_costs_the_contract_fee(operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator)
    assert (placement.fee_yen, placement.tax_yen, placement.total_yen) == (2_100_000, 210_000, 2_310_000)
    assert placement.waived is False and placement.saving_yen == 0 and placement.credit_reservation is None
    assert (placement.fee_rate_bp, placement.tax_rate_bp) == (3500, 1000)
    assert placement.refund_schedule[0] == {"within": 1, "unit": "months", "percent": 80}
    assert placement.invoiced_on == timezone.localdate() and placement.due_on == invoice_due_on(placement.invoiced_on)
    assert placement.invoice_number == f"CR-{placement.invoiced_on:%Y%m}-{placement.pk:06d}"
    audit = AuditEntry.objects.get(action="placement.record")
    assert audit.actor == operator and audit.company == tenant.company
    assert audit.detail["total_yen"] == 2_310_000 and audit.detail["waived"] is False


def test_the_contract_terms_of_the_day_are_copied_and_a_later_change_does_not_alter_them(
    operator: User, tenant: Tenant
) -> None:
    Contract.objects.filter(company=tenant.company).update(
        fee_rate_percent=Decimal("30"), minimum_fee_yen=1_000_000, consumption_tax_percent=Decimal("8")
    )
    placement = record(hired(tenant, operator), operator, salary=3_000_000)
    assert (placement.fee_yen, placement.tax_yen, placement.minimum_applied) == (1_000_000, 80_000, True)
    Contract.objects.filter(company=tenant.company).update(fee_rate_percent=Decimal("20"))
    placement.refresh_from_db()
    assert (placement.fee_rate_bp, placement.minimum_fee_yen, placement.fee_yen) == (3000, 1_000_000, 1_000_000)


def test_a_hire_on_a_credit_order_costs_nothing_consumes_the_credit_and_records_the_saving(
    operator: User, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    introduction = hired(tenant, operator)
    reservation = credit_reserve(job_order=introduction.job_order, actor=tenant.owner)
    placement = record(introduction, operator)
    assert (placement.fee_yen, placement.tax_yen, placement.total_yen) == (0, 0, 0)
    assert placement.waived is True and placement.saving_yen == 2_100_000
    assert placement.credit_reservation == reservation
    reservation.refresh_from_db()
    assert reservation.status == CreditReservation.Status.CONSUMED
    summary = company_credit_summary(tenant.company)
    assert (summary.used, summary.reserved, summary.available) == (1, 0, 0)
    assert AuditEntry.objects.filter(action="credit.use").count() == 1
    assert AuditEntry.objects.get(action="placement.record").detail["saving_yen"] == 2_100_000


def test_a_second_hire_on_the_same_credit_order_is_charged(operator: User, tenant: Tenant) -> None:
    grant_credits(tenant, 2)
    first = hired(tenant, operator)
    credit_reserve(job_order=first.job_order, actor=tenant.owner)
    record(first, operator)
    second = introduce(first.job_order, operator, Introduction.Status.HIRED)
    placement = record(second, operator)
    assert placement.waived is False and placement.fee_yen == 2_100_000
    assert company_credit_summary(tenant.company).available == 1


def test_only_a_hired_introduction_can_be_recorded_and_only_once(operator: User, tenant: Tenant) -> None:
    offer = introduce(make_job(tenant), operator, Introduction.Status.OFFER)
    with pytest.raises(PlacementError, match="入社が確定"):
        record(offer, operator)
    introduction = hired(tenant, operator)
    record(introduction, operator)
    with pytest.raises(PlacementError, match="すでに登録"):
        record(introduction, operator)
    assert Placement.objects.count() == 1


def test_the_invoice_is_due_at_the_end_of_the_next_month() -> None:
    assert invoice_due_on(date(2026, 11, 22)) == date(2026, 12, 31)
    assert invoice_due_on(date(2026, 12, 1)) == date(2027, 1, 31)
    assert invoice_due_on(date(2027, 1, 31)) == date(2027, 2, 28)


# --- refunds ---------------------------------------------------------------------------------------------


def test_leaving_early_refunds_by_the_schedule_and_is_audited(operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator, start_date=date(2026, 10, 1))
    placement = placement_record_leaving(placement=placement, left_on=date(2026, 10, 31), actor=operator)
    assert (placement.refund_percent, placement.refund_yen, placement.refund_tax_yen) == (80, 1_680_000, 168_000)
    assert placement.refund_total_yen == 1_848_000 and placement.net_total_yen == 462_000
    placement = placement_record_leaving(placement=placement, left_on=date(2026, 11, 1), actor=operator)
    assert (placement.refund_percent, placement.refund_total_yen) == (50, 1_155_000)
    rows = AuditEntry.objects.filter(action="placement.refund").order_by("id")
    assert [r.detail["refund_percent"] for r in rows] == [80, 50]
    assert rows[1].detail["before"] == {"left_on": "2026-10-31", "refund_total_yen": 1_848_000}
    assert rows[0].detail["days_employed"] == 31


def test_leaving_after_the_schedule_refunds_nothing_and_before_the_start_is_refused(
    operator: User, tenant: Tenant
) -> None:
    placement = record(hired(tenant, operator), operator, start_date=date(2026, 4, 1))
    with pytest.raises(PlacementError, match="入社日以降"):
        placement_record_leaving(placement=placement, left_on=date(2026, 3, 31), actor=operator)
    placement = placement_record_leaving(placement=placement, left_on=date(2026, 7, 1), actor=operator)
    assert (placement.refund_percent, placement.refund_total_yen) == (0, 0)


def test_a_credit_placement_refunds_nothing(operator: User, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    introduction = hired(tenant, operator)
    credit_reserve(job_order=introduction.job_order, actor=tenant.owner)
    placement = record(introduction, operator, start_date=date(2026, 10, 1))
    placement = placement_record_leaving(placement=placement, left_on=date(2026, 10, 2), actor=operator)
    assert (placement.refund_percent, placement.refund_total_yen) == (80, 0)


# --- operator screens ------------------------------------------------------------------------------------


def test_the_operator_records_a_placement_from_the_form(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    introduction = hired(tenant, operator)
    listing = operator_client.get("/ops/placements/").content.decode()
    assert "成約の登録待ち" in listing and f"?introduction={introduction.pk}" in listing
    url = f"/ops/placements/new/?introduction={introduction.pk}"
    page = operator_client.get(url).content.decode()
    assert "佐藤 一郎" in page and "手数料率 35%" in page
    bad = operator_client.post(url, {"start_date": "2026-10-01", "annual_salary_yen": "たくさん"}).content.decode()
    assert "金額は円単位の数字で入力してください" in bad
    too_big = operator_client.post(url, {"start_date": "2026-10-01", "annual_salary_yen": "600000000"})
    assert "大きすぎます" in too_big.content.decode()
    response = operator_client.post(url, {"start_date": "2026-10-01", "annual_salary_yen": "６００万円"})
    placement = Placement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ops/placements/{placement.pk}/"
    assert placement.annual_salary_yen == 6_000_000 and placement.total_yen == 2_310_000
    detail = operator_client.get(response["Location"]).content.decode()
    assert "¥2,310,000" in detail and "¥210,000" in detail
    assert operator_client.get(url).status_code == 302  # already recorded: to the placement


def test_the_operator_form_for_a_credit_order_says_the_fee_is_waived(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    introduction = hired(tenant, operator)
    credit_reserve(job_order=introduction.job_order, actor=tenant.owner)
    url = f"/ops/placements/new/?introduction={introduction.pk}"
    assert "無料紹介枠が確保されています" in operator_client.get(url).content.decode()
    page = operator_client.post(url, {"start_date": "2026-10-01", "annual_salary_yen": "6,000,000"}, follow=True)
    assert "無料紹介枠の適用により手数料は 0 円です(削減額 2,100,000 円)" in page.content.decode()


def test_a_placement_cannot_be_recorded_before_the_hire(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    introduction = introduce(make_job(tenant), operator, Introduction.Status.OFFER)
    url = f"/ops/placements/new/?introduction={introduction.pk}"
    assert "まだ「入社」になっていません" in operator_client.get(url).content.decode()
    page = operator_client.post(url, {"start_date": "2026-10-01", "annual_salary_yen": "5000000"}).content.decode()
    assert "入社が確定した推薦についてのみ" in page
    assert not Placement.objects.exists()
    assert operator_client.get("/ops/placements/new/").status_code == 404
    assert operator_client.get("/ops/placements/new/?introduction=999999").status_code == 404


def test_the_operator_records_the_leaving_date_on_the_placement_page(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    placement = record(hired(tenant, operator), operator, start_date=date(2026, 10, 1))
    url = f"/ops/placements/{placement.pk}/"
    assert "入社日以降" in operator_client.post(url, {"left_on": "2026-09-30"}).content.decode()
    page = operator_client.post(url, {"left_on": "2026-11-15"}, follow=True).content.decode()
    assert "返戻金は税込 1,155,000 円(返戻率 50%)です" in page
    placement.refresh_from_db()
    assert placement.left_on == date(2026, 11, 15) and placement.refund_total_yen == 1_155_000


def test_the_operator_list_shows_fees_savings_refunds_and_totals(
    operator_client: Client, operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    grant_credits(tenant, 1)
    free = hired(tenant, operator, title="無料の求人")
    credit_reserve(job_order=free.job_order, actor=tenant.owner)
    record(free, operator)
    paid = record(hired(outsider, operator, title="有料の求人"), operator, salary=5_000_000)
    placement_record_leaving(placement=paid, left_on=paid.start_date, actor=operator)
    page = operator_client.get("/ops/placements/").content.decode()
    assert "無料の求人" in page and "有料の求人" in page
    assert "¥1,925,000" in page  # the paid one: 1,750,000 + 175,000
    assert "¥2,100,000" in page  # the saving on the free one
    assert "¥1,540,000" in page  # refund 80 %: 1,400,000 + 140,000
    filtered = operator_client.get(f"/ops/placements/?company={tenant.company.pk}").content.decode()
    assert "無料の求人" in filtered and "有料の求人" not in filtered


# --- company screens -------------------------------------------------------------------------------------


def test_the_company_sees_its_placements_with_fees_savings_and_totals(
    owner_client: Client, operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    grant_credits(tenant, 1)
    free = hired(tenant, operator, title="無料の求人")
    credit_reserve(job_order=free.job_order, actor=tenant.owner)
    record(free, operator)
    record(hired(tenant, operator, title="有料の求人"), operator, salary=5_000_000)
    record(hired(outsider, operator, title="他社の求人"), operator)
    page = owner_client.get("/company/jobs/placements/").content.decode()
    assert "無料の求人" in page and "有料の求人" in page and "他社の求人" not in page
    assert "¥2,100,000" in page and "無料紹介枠" in page  # saving shown
    assert "¥1,925,000" in page  # fees paid
    assert "55<small>%" in page  # cost reduction: 2,100,000 / (2,100,000 + 1,750,000) = 54.5 %
    assert "利用済み 1 枠" in page


def test_a_member_cannot_see_fees_or_invoices(client: Client, operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator)
    member = login(client, tenant.member)
    assert member.get("/company/jobs/placements/").status_code == 404
    assert member.get(f"/company/jobs/placements/{placement.pk}/invoice.pdf").status_code == 404


def test_another_company_gets_404_on_every_placement_url(
    outsider_client: Client, operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    placement = record(hired(tenant, operator), operator)
    assert outsider_client.get(f"/company/jobs/placements/{placement.pk}/invoice.pdf").status_code == 404
    page = outsider_client.get("/company/jobs/placements/").content.decode()
    assert placement.invoice_number not in page and "佐藤 一郎" not in page
    for url in (
        "/ops/placements/",
        f"/ops/placements/new/?introduction={placement.introduction_id}",
        f"/ops/placements/{placement.pk}/",
        f"/ops/placements/{placement.pk}/invoice.pdf",
    ):
        assert outsider_client.get(url).status_code == 404, url
    assert outsider_client.post(f"/ops/placements/{placement.pk}/", {"left_on": "2026-10-02"}).status_code == 404
    placement.refresh_from_db()
    assert placement.left_on is None


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator)
    for url in (
        "/company/jobs/placements/",
        f"/company/jobs/placements/{placement.pk}/invoice.pdf",
        "/ops/placements/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


# --- invoices --------------------------------------------------------------------------------------------


def test_the_invoice_pdf_of_a_normal_placement(owner_client: Client, operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator, title="法人営業"), operator, start_date=date(2026, 10, 1))
    response = owner_client.get(f"/company/jobs/placements/{placement.pk}/invoice.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"invoice-{placement.invoice_number}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        "請求書",
        f"請求書番号: {placement.invoice_number}",
        "株式会社テスト商事 御中",
        "株式会社キャリアリレー",
        "登録番号: T1234567890123",
        "佐藤 一郎 様",
        "入社日: 2026年10月01日",
        "法人営業",
        "¥2,100,000",
        "消費税(10%)",
        "¥210,000",
        "合計(税込)",
        "¥2,310,000",
        "返戻金規定",
    ):
        assert expected in text, expected
    assert "無料紹介枠の適用" not in text


def test_a_credit_placement_gets_a_zero_yen_usage_statement_not_an_invoice(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    introduction = hired(tenant, operator)
    credit_reserve(job_order=introduction.job_order, actor=tenant.owner)
    placement = record(introduction, operator)
    response = operator_client.get(f"/ops/placements/{placement.pk}/invoice.pdf")
    assert response.status_code == 200
    assert f"statement-{placement.invoice_number}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "無料紹介枠ご利用明細" in text and "請求書番号" not in text and "お支払期限" not in text
    assert "ご請求金額" not in text and "お振込先" not in text
    assert "ご請求額 ¥0(ご請求はございません)" in text and "請求書ではありません" in text
    assert "無料紹介枠の適用(本来の手数料 ¥2,100,000 を免除)" in text
    assert "-¥2,100,000" in text
    assert "人材紹介手数料(10%対象)" in text and "¥2,100,000" in text
    assert "小計(税抜)" in text and "合計(税込)" in text
    assert "お振込は不要です" in text


def test_an_uncompressed_invoice_is_reproducible(operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator)
    first, second = invoice_pdf(placement, compress=False), invoice_pdf(placement, compress=False)
    assert first == second and b"HeiseiKakuGo-W5" in first
    assert "請求書" in pdf_text(first)


def test_the_invoice_after_an_erasure_does_not_name_the_person(operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator)
    Placement.objects.filter(pk=placement.pk).update(candidate=None)
    placement.refresh_from_db()
    text = pdf_text(invoice_pdf(placement))
    assert "佐藤" not in text and "削除済み" in text


def test_a_recorded_refund_leaves_the_issued_invoice_as_it_was(operator: User, tenant: Tenant) -> None:
    placement = record(hired(tenant, operator), operator, start_date=timezone.localdate() - timedelta(days=3))
    issued = invoice_pdf(placement)
    placement = placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    assert invoice_pdf(placement) == issued  # the refund is a credit note of its own (test_billing_documents.py)
    assert placement.credit_notes.get().total_yen == 1_848_000


# --- contract terms on the operator's screen, and the demo ---------------------------------------------


def test_the_operator_edits_fee_terms_on_the_contract_form(operator_client: Client, tenant: Tenant) -> None:
    url = f"/ops/companies/{tenant.company.pk}/"
    page = operator_client.get(url).content.decode()
    assert "紹介手数料率(%)" in page and "1か月以内 80%" in page and "消費税率(%)" in page
    data = {
        "action": "contract",
        "contract-referrals_per_credit": "10",
        "contract-credit_validity_months": "12",
        "contract-counting_rule": "verified",
        "contract-rechallenge_first_months": "6",
        "contract-rechallenge_second_months": "12",
        "contract-fee_rate_percent": "30",
        "contract-minimum_fee_yen": "600000",
        "contract-refund_schedule": "30日以内 100%\n3か月以内 50%",
        "contract-consumption_tax_percent": "10",
    }
    bad = operator_client.post(url, {**data, "contract-refund_schedule": "半年 10%"}).content.decode()
    assert "読み取れませんでした" in bad
    assert operator_client.post(url, data).status_code == 302
    contract = Contract.objects.get(company=tenant.company)
    assert contract.fee_rate_percent == Decimal("30") and contract.minimum_fee_yen == 600_000
    assert contract.refund_schedule == [
        {"within": 30, "unit": "days", "percent": 100},
        {"within": 3, "unit": "months", "percent": 50},
    ]
    audit = AuditEntry.objects.filter(action="contract.update").latest("id")
    assert audit.detail["after"]["fee_rate_percent"] == "30" and audit.detail["after"]["minimum_fee_yen"] == 600_000


def test_the_demo_seeds_a_free_hire_a_paid_hire_a_refund_and_a_waiting_credit_order(
    operator: User, tenant: Tenant
) -> None:
    from demo.placements import seed_placements

    grant_credits(tenant, 2)
    for _ in range(3):
        source_candidate(operator)
    placements = seed_placements(operator=operator, company=tenant.company)
    assert len(placements) == 3
    assert [p.waived for p in placements] == [True, False, False]
    assert placements[0].saving_yen == 2_380_000 and placements[2].refund_total_yen > 0
    summary = company_credit_summary(tenant.company)
    assert (summary.used, summary.reserved, summary.available) == (1, 1, 0)
    assert set(seed_placements(operator=operator, company=tenant.company)) == set(placements)  # idempotent
    assert Placement.objects.count() == 3


def test_long_invoice_lines_are_wrapped_or_shortened_to_fit_the_page() -> None:
    from reportlab.pdfbase import pdfmetrics

    from lib.pdf import MINCHO, register_fonts, shorten, wrap

    register_fonts()
    text = "退職日 2026年10月31日 に伴う返戻金 ¥1,848,000(税抜 ¥1,680,000・消費税 ¥168,000)は別途ご返金いたします。"
    lines = wrap(text, MINCHO, 9, 300)
    assert len(lines) > 1 and "".join(lines) == text
    assert all(pdfmetrics.stringWidth(line, MINCHO, 9) <= 300 for line in lines)
    short = shorten("とても長い求人名" * 30, MINCHO, 10, 200)
    assert short.endswith("…") and pdfmetrics.stringWidth(short, MINCHO, 10) <= 200
    assert shorten("営業職", MINCHO, 10, 200) == "営業職"


def test_nothing_on_the_invoice_overlaps_or_leaves_the_page(
    monkeypatch: pytest.MonkeyPatch, operator: User, tenant: Tenant
) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen.canvas import Canvas

    boxes: list[tuple[float, float, float, float, str]] = []

    def recorder(align: str):  # type: ignore[no-untyped-def]
        original = getattr(Canvas, align)

        def draw(self: Canvas, x: float, y: float, text: str, *args: object, **kwargs: object) -> None:
            width = pdfmetrics.stringWidth(text, self._fontname, self._fontsize)
            start = {"drawString": x, "drawRightString": x - width, "drawCentredString": x - width / 2}[align]
            boxes.append((start, y, start + width, y + self._fontsize, text))
            original(self, x, y, text, *args, **kwargs)

        return draw

    for align in ("drawString", "drawRightString", "drawCentredString"):
        monkeypatch.setattr(Canvas, align, recorder(align))
    Contract.objects.filter(company=tenant.company).update(minimum_fee_yen=9_000_000)
    Company.objects.filter(pk=tenant.company.pk).update(name="グローバル・ホールディングス・ジャパン株式会社" * 3)
    introduction = hired(tenant, operator, title="とても長い求人名のバックエンドエンジニア" * 5)
    placement = record(introduction, operator, start_date=timezone.localdate() - timedelta(days=3))
    placement = placement_record_leaving(placement=placement, left_on=timezone.localdate(), actor=operator)
    invoice_pdf(placement)
    width, height = A4
    assert len(boxes) > 20
    for x0, y0, x1, y1, text in boxes:
        assert x0 > 0 and x1 < width and y0 > 0 and y1 < height, text
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, (a[4], b[4])


def test_totals_count_fees_net_of_refunds_in_the_cost_reduction_rate(operator: User, tenant: Tenant) -> None:
    from placements.services.placements import placement_totals

    assert placement_totals(Placement.objects.none()).cost_reduction_rate is None
    grant_credits(tenant, 1)
    free = hired(tenant, operator)
    credit_reserve(job_order=free.job_order, actor=tenant.owner)
    record(free, operator)  # saving 2,100,000
    paid = record(hired(tenant, operator), operator, salary=5_000_000)  # fee 1,750,000
    placement_record_leaving(placement=paid, left_on=paid.start_date, actor=operator)  # refund 1,400,000 excl.
    totals = placement_totals(Placement.objects.filter(company=tenant.company))
    assert (totals.count, totals.free_hires, totals.fee_yen, totals.saving_yen) == (2, 1, 1_750_000, 2_100_000)
    assert totals.refund_total_yen == 1_540_000 and totals.net_total_yen == 1_925_000 - 1_540_000
    assert totals.cost_reduction_rate == pytest.approx(2_100_000 / (2_100_000 + 350_000))
