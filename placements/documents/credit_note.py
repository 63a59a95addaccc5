"""The credit note (返還請求書) of a refund (返戻金), as a Japanese PDF.

It carries the items of a qualified return invoice (適格返還請求書の記載事項): the issuer and its registration
number, the date of the return, the date of the original supply and its invoice number, the amount returned per
tax rate and the tax on it. Like the invoice, it reads only its own row (issuer and recipient snapshots, amounts)
and renders deterministically, so a re-download is the document that was issued.
"""

from io import BytesIO

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from lib.pdf import GOTHIC, MINCHO, shorten, wrap
from placements.documents.invoice import date_text, document_canvas, draw_parties, rate_text, recipient_name, yen
from placements.documents.parties import issuer_of
from placements.models import CreditNote

TITLE = "返還請求書"


def credit_note_pdf(note: CreditNote, *, compress: bool = True) -> bytes:
    placement = note.placement
    issuer = issuer_of(note.issuer)
    buffer = BytesIO()
    pdf = document_canvas(buffer, title=f"{TITLE} {note.number}", author=issuer["name"], compress=compress)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    draw_parties(
        pdf,
        title=TITLE,
        numbers=[
            f"返還請求書番号: {note.number}",
            f"発行日: {date_text(note.issued_on)}",
            f"対象の請求書番号: {placement.invoice_number}",
        ],
        recipient=recipient_name(note.recipient, placement.company.name),
        issuer=issuer,
    )
    pdf.setFont(MINCHO, 10)
    pdf.drawString(left, height - 70 * mm, "下記のとおり、紹介手数料の一部をご返還いたします。")
    pdf.setFont(GOTHIC, 14)
    pdf.drawString(left, height - 80 * mm, f"ご返還額(税込) {yen(note.total_yen)}")
    pdf.line(left, height - 82 * mm, left + 95 * mm, height - 82 * mm)

    y = height - 100 * mm
    pdf.setFont(GOTHIC, 10)
    pdf.setFillColor(colors.HexColor("#eef2f6"))
    pdf.rect(left, y - 2 * mm, right - left, 7 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    pdf.drawString(left + 2 * mm, y, "内容")
    pdf.drawRightString(right - 2 * mm, y, "金額")
    pdf.setFont(MINCHO, 10)
    rows = [
        (
            shorten(
                f"人材紹介手数料の返還({rate_text(note.tax_rate_bp)}対象) — {placement.job_order.title}",
                MINCHO,
                10,
                130 * mm,
            ),
            yen(note.refund_yen),
        ),
        (f"  元の取引の年月日: {date_text(placement.invoiced_on)}(入社日 {date_text(placement.start_date)})", ""),
        (f"  元の請求書: {placement.invoice_number}(紹介手数料 税抜 {yen(placement.fee_yen)})", ""),
        (f"  返還の理由: 退職日 {date_text(note.left_on)} に伴う返戻金(返戻率 {note.refund_percent}%)", ""),
        (f"  返還を行う年月日: {date_text(note.issued_on)}", ""),
    ]
    for text, amount in rows:
        y -= 7 * mm
        pdf.drawString(left + 2 * mm, y, text)
        if amount:
            pdf.drawRightString(right - 2 * mm, y, amount)
    y -= 4 * mm
    pdf.line(left, y, right, y)
    for label, amount in (
        ("返還額(税抜)", yen(note.refund_yen)),
        (f"消費税({rate_text(note.tax_rate_bp)})", yen(note.tax_yen)),
        ("返還額合計(税込)", yen(note.total_yen)),
    ):
        y -= 7 * mm
        pdf.setFont(GOTHIC if label.startswith("返還額合計") else MINCHO, 10)
        pdf.drawString(right - 75 * mm, y, label)
        pdf.drawRightString(right - 2 * mm, y, amount)
    y -= 6 * mm
    pdf.setFont(MINCHO, 8.5)
    pdf.drawString(
        right - 75 * mm, y, f"{rate_text(note.tax_rate_bp)}対象 {yen(note.refund_yen)}(消費税 {yen(note.tax_yen)})"
    )
    y -= 14 * mm
    pdf.setFont(MINCHO, 9)
    notes = ["金額は1円未満を切り捨てています。消費税は返還請求書ごとに1回計算しています。"]
    if note.replaces is not None:
        notes.append(f"本書は返還請求書 {note.replaces.number} を訂正するものです(訂正前の書類は無効です)。")
    for text in notes:
        for line in wrap(text, MINCHO, 9, right - left):
            pdf.drawString(left, y, line)
            y -= 5 * mm
        y -= 1 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def credit_note_response(note: CreditNote) -> HttpResponse:
    response = HttpResponse(credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{note.number}.pdf"'
    return response
