"""The invoice (請求書) for a placement, as a Japanese PDF; for a placement on a free-introduction credit, the
0-yen usage statement (無料紹介枠ご利用明細) instead, since nothing is billed.

Uses reportlab's built-in CID fonts (HeiseiKakuGo-W5 / HeiseiMin-W3): PDF viewers supply the glyphs, so no
font file ships with the product. The invoice meets the qualified-invoice items (適格請求書の記載事項):
issuer and registration number, date, what was supplied, the amount per tax rate and the tax shown apart.

An issued invoice never changes (DESIGN §3 rule 15): the issuer and the recipient are the snapshots stored on the
placement when it was recorded (`Placement.issuer`, `.recipient`), the amounts are the placement's own, and the
PDF is rendered deterministically (reportlab's invariant mode), so every download is the same bytes. A later
refund does not touch the invoice: it is a credit note of its own (`credit_note.py`).
"""

from io import BytesIO

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lib.pdf import GOTHIC, MINCHO, register_fonts, shorten, wrap
from placements.documents.parties import issuer_of
from placements.models import Placement

STATEMENT_TITLE = "無料紹介枠ご利用明細"


def yen(amount: int) -> str:
    return f"¥{amount:,}"


def rate_text(bp: int) -> str:
    return f"{bp / 100:g}%"


def date_text(value: object) -> str:
    return f"{value:%Y年%m月%d日}" if value else "—"


def candidate_label(placement: Placement) -> str:
    # The company has known the name since the candidate accepted the introduction; after an erasure the
    # invoice keeps only what the company itself recorded about the hire.
    return f"{placement.candidate.name} 様" if placement.candidate else "(ご本人の申し出により氏名は削除済み)"


def recipient_name(snapshot: dict[str, object], fallback: str) -> str:
    return str(snapshot.get("name") or fallback)


def document_canvas(buffer: BytesIO, *, title: str, author: str, compress: bool) -> Canvas:
    """A deterministic A4 canvas: the same document gives the same bytes on every download."""
    register_fonts()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    pdf.setTitle(title)
    pdf.setAuthor(author)
    return pdf


def draw_parties(pdf: Canvas, *, title: str, numbers: list[str], recipient: str, issuer: dict[str, str]) -> None:
    """Title, document numbers and dates, the recipient (御中) and the issuer block, as on every billing document."""
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    pdf.setFont(GOTHIC, 22)
    pdf.drawCentredString(width / 2, height - 28 * mm, title)

    pdf.setFont(MINCHO, 10)
    y = height - 42 * mm
    for line in numbers:
        pdf.drawRightString(right, y, line)
        y -= 5.5 * mm

    pdf.setFont(GOTHIC, 14)
    pdf.drawString(left, height - 48 * mm, shorten(recipient, GOTHIC, 14, 80 * mm) + " 御中")
    pdf.setLineWidth(0.6)
    pdf.line(left, height - 50 * mm, left + 95 * mm, height - 50 * mm)

    y = height - 66 * mm
    pdf.setFont(GOTHIC, 11)
    pdf.drawString(right - 80 * mm, y, shorten(issuer["name"], GOTHIC, 11, 80 * mm))
    pdf.setFont(MINCHO, 9)
    for line in (
        issuer["address"],
        f"TEL {issuer['phone']}  {issuer['email']}",
        f"登録番号: {issuer['registration_number']}",
        f"有料職業紹介事業 許可番号: {issuer['license_number']}",
    ):
        y -= 5 * mm
        pdf.drawString(right - 80 * mm, y, shorten(line, MINCHO, 9, 80 * mm))


def invoice_pdf(placement: Placement, *, compress: bool = True) -> bytes:
    """The invoice (or, on a credit, the usage statement) as PDF bytes; `compress=False` keeps the page text
    readable for tests. Only the placement's own fields are read: the same placement gives the same bytes."""
    issuer = issuer_of(placement.issuer)
    title = STATEMENT_TITLE if placement.waived else "請求書"
    buffer = BytesIO()
    pdf = document_canvas(buffer, title=f"{title} {placement.invoice_number}", author=issuer["name"], compress=compress)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm

    draw_parties(
        pdf,
        title=title,
        numbers=[
            f"{'明細番号' if placement.waived else '請求書番号'}: {placement.invoice_number}",
            f"発行日: {date_text(placement.invoiced_on)}",
            *([] if placement.waived else [f"お支払期限: {date_text(placement.due_on)}"]),
        ],
        recipient=recipient_name(placement.recipient, placement.company.name),
        issuer=issuer,
    )

    pdf.setFont(MINCHO, 10)
    if placement.waived:
        pdf.drawString(left, height - 70 * mm, "無料紹介枠のご利用により、下記のご紹介の手数料はいただきません。")
        pdf.setFont(GOTHIC, 14)
        pdf.drawString(left, height - 80 * mm, f"ご請求額 {yen(0)}(ご請求はございません)")
    else:
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
            shorten(
                f"人材紹介手数料({rate_text(placement.tax_rate_bp)}対象) — {job_order.title}", MINCHO, 10, 130 * mm
            ),
            yen(placement.saving_yen if placement.waived else placement.fee_yen),
        ),
        (f"  ご入社者: {candidate_label(placement)}", ""),
        (f"  入社日: {date_text(placement.start_date)}", ""),
        (f"  理論年収: {yen(placement.annual_salary_yen)} × 手数料率 {rate_text(placement.fee_rate_bp)}", ""),
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
        (f"消費税({rate_text(placement.tax_rate_bp)})", yen(placement.tax_yen)),
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
        f"{rate_text(placement.tax_rate_bp)}対象 {yen(placement.fee_yen)}(消費税 {yen(placement.tax_yen)})",
    )

    y -= 14 * mm
    pdf.setFont(MINCHO, 9)
    if placement.waived:
        notes = [
            "本件は無料紹介枠のご利用により、紹介手数料をいただきません(お振込は不要です)。",
            "本書はご利用の明細であり、請求書ではありません。",
        ]
    else:
        notes = [
            f"お振込先: {issuer['bank_account']}(振込手数料はご負担ください)",
            "金額は1円未満を切り捨てています。消費税は請求書ごとに1回計算しています。",
        ]
    if placement.refund_schedule and not placement.waived:
        schedule = "、".join(
            f"{row['within']}{'か月' if row['unit'] == 'months' else '日'}以内 {row['percent']}%"
            for row in placement.refund_schedule
        )
        notes.append(f"返戻金規定(入社日を1日目として): {schedule}")
        notes.append("返戻金が生じた場合は、別途「返還請求書」を発行いたします。")
    for note in notes:
        for line in wrap(note, MINCHO, 9, right - left):
            pdf.drawString(left, y, line)
            y -= 5 * mm
        y -= 1 * mm

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def invoice_filename(placement: Placement) -> str:
    return f"{'statement' if placement.waived else 'invoice'}-{placement.invoice_number}.pdf"


def invoice_response(placement: Placement) -> HttpResponse:
    """The invoice (or usage statement) as a PDF download, for the company's and the operator's screens alike."""
    response = HttpResponse(invoice_pdf(placement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_filename(placement)}"'
    return response
