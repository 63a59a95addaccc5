"""The invoice (請求書) for a placement, as a Japanese PDF.

Uses reportlab's built-in CID fonts (HeiseiKakuGo-W5 / HeiseiMin-W3): PDF viewers supply the glyphs, so no
font file ships with the product. The invoice meets the qualified-invoice items (適格請求書の記載事項):
issuer and registration number, date, what was supplied, the amount per tax rate and the tax shown apart.
"""

from io import BytesIO

from django.conf import settings
from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lib.pdf import GOTHIC, MINCHO, register_fonts, shorten, wrap
from placements.models import Placement


def yen(amount: int) -> str:
    return f"¥{amount:,}"


def _rate(bp: int) -> str:
    return f"{bp / 100:g}%"


def _date(value: object) -> str:
    return f"{value:%Y年%m月%d日}" if value else "—"


def candidate_label(placement: Placement) -> str:
    # The company has known the name since the candidate accepted the introduction; after an erasure the
    # invoice keeps only what the company itself recorded about the hire.
    return f"{placement.candidate.name} 様" if placement.candidate else "(ご本人の申し出により氏名は削除済み)"


def invoice_pdf(placement: Placement, *, compress: bool = True) -> bytes:
    """The invoice as PDF bytes; `compress=False` keeps the page text readable for tests."""
    register_fonts()
    buffer = BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=0 if compress else 1)
    pdf.setTitle(f"請求書 {placement.invoice_number}")
    pdf.setAuthor(settings.OPERATOR_NAME)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm

    pdf.setFont(GOTHIC, 22)
    pdf.drawCentredString(width / 2, height - 28 * mm, "請求書")

    pdf.setFont(MINCHO, 10)
    y = height - 42 * mm
    for line in (
        f"請求書番号: {placement.invoice_number}",
        f"発行日: {_date(placement.invoiced_on)}",
        f"お支払期限: {_date(placement.due_on)}",
    ):
        pdf.drawRightString(right, y, line)
        y -= 5.5 * mm

    pdf.setFont(GOTHIC, 14)
    pdf.drawString(left, height - 48 * mm, shorten(placement.company.name, GOTHIC, 14, 80 * mm) + " 御中")
    pdf.setLineWidth(0.6)
    pdf.line(left, height - 50 * mm, left + 95 * mm, height - 50 * mm)

    y = height - 66 * mm
    pdf.setFont(GOTHIC, 11)
    pdf.drawString(right - 80 * mm, y, settings.OPERATOR_NAME)
    pdf.setFont(MINCHO, 9)
    for line in (
        settings.OPERATOR_ADDRESS,
        f"TEL {settings.OPERATOR_PHONE}  {settings.OPERATOR_CONTACT_EMAIL}",
        f"登録番号: {settings.OPERATOR_INVOICE_REGISTRATION_NUMBER}",
        f"有料職業紹介事業 許可番号: {settings.OPERATOR_LICENSE_NUMBER}",
    ):
        y -= 5 * mm
        pdf.drawString(right - 80 * mm, y, line)

    pdf.setFont(MINCHO, 10)
    pdf.drawString(left, height - 70 * mm, "下記のとおりご請求申し上げます。")
    pdf.setFont(GOTHIC, 14)
    pdf.drawString(left, height - 80 * mm, f"ご請求金額(税込) {yen(placement.total_yen)}")
    pdf.line(left, height - 82 * mm, left + 95 * mm, height - 82 * mm)

    y = height - 104 * mm
    pdf.setFont(GOTHIC, 10)
    pdf.setFillColor(colors.HexColor("#eef2f6"))
    pdf.rect(left, y - 2 * mm, right - left, 7 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    pdf.drawString(left + 2 * mm, y, "内容")
    pdf.drawRightString(right - 2 * mm, y, "金額")
    pdf.setFont(MINCHO, 10)
    job_order = placement.job_order
    rows: list[tuple[str, str]] = [
        # A credit placement lists the fee it would have cost, then takes it off: the saving is visible.
        (
            shorten(f"人材紹介手数料({_rate(placement.tax_rate_bp)}対象) — {job_order.title}", MINCHO, 10, 130 * mm),
            yen(placement.saving_yen if placement.waived else placement.fee_yen),
        ),
        (f"  ご入社者: {candidate_label(placement)}", ""),
        (f"  入社日: {_date(placement.start_date)}", ""),
        (f"  理論年収: {yen(placement.annual_salary_yen)} × 手数料率 {_rate(placement.fee_rate_bp)}", ""),
    ]
    if placement.minimum_applied:
        rows.append((f"  最低手数料 {yen(placement.minimum_fee_yen)} を適用", ""))
    if placement.waived:
        rows.append(
            (
                f"  無料紹介枠の適用(本来の手数料 {yen(placement.saving_yen)} を免除)",
                f"-{yen(placement.saving_yen)}",
            )
        )
    for text, amount in rows:
        y -= 7 * mm
        pdf.drawString(left + 2 * mm, y, text)
        if amount:
            pdf.drawRightString(right - 2 * mm, y, amount)
    y -= 4 * mm
    pdf.line(left, y, right, y)

    totals = [
        ("小計(税抜)", yen(placement.fee_yen)),
        (f"消費税({_rate(placement.tax_rate_bp)})", yen(placement.tax_yen)),
        ("合計(税込)", yen(placement.total_yen)),
    ]
    for label, amount in totals:
        y -= 7 * mm
        pdf.setFont(GOTHIC if label.startswith("合計") else MINCHO, 10)
        pdf.drawString(right - 75 * mm, y, label)
        pdf.drawRightString(right - 2 * mm, y, amount)
    y -= 6 * mm
    pdf.setFont(MINCHO, 8.5)
    pdf.drawString(
        right - 75 * mm,
        y,
        f"{_rate(placement.tax_rate_bp)}対象 {yen(placement.fee_yen)}(消費税 {yen(placement.tax_yen)})",
    )

    y -= 14 * mm
    pdf.setFont(MINCHO, 9)
    notes = [
        f"お振込先: {settings.OPERATOR_BANK_ACCOUNT}(振込手数料はご負担ください)",
        "金額は1円未満を切り捨てています。消費税は請求書ごとに1回計算しています。",
    ]
    if placement.waived:
        notes.append("本件は無料紹介枠のご利用により、紹介手数料をいただきません(お振込は不要です)。")
    if placement.refund_schedule and not placement.waived:
        schedule = "、".join(
            f"{row['within']}{'か月' if row['unit'] == 'months' else '日'}以内 {row['percent']}%"
            for row in placement.refund_schedule
        )
        notes.append(f"返戻金規定(入社日を1日目として): {schedule}")
    if placement.refund_total_yen:
        notes.append(
            f"退職日 {_date(placement.left_on)} に伴う返戻金 {yen(placement.refund_total_yen)}"
            f"(税抜 {yen(placement.refund_yen)}・消費税 {yen(placement.refund_tax_yen)})は別途ご返金いたします。"
        )
    for note in notes:
        for line in wrap(note, MINCHO, 9, right - left):
            pdf.drawString(left, y, line)
            y -= 5 * mm
        y -= 1 * mm

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def invoice_response(placement: Placement) -> HttpResponse:
    """The invoice as a PDF download, for the company's and the operator's screens alike."""
    response = HttpResponse(invoice_pdf(placement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{placement.invoice_number}.pdf"'
    return response
