"""The terms sheet (契約条件書) as a Japanese PDF: its stored text, page after page, with the version and the
text's SHA-256 in the footer so a printed copy can be matched to the record. Deterministic (reportlab's
invariant mode): the same sheet gives the same bytes."""

from io import BytesIO

from django.http import HttpResponse
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from companies.models import TermsSheet
from lib.pdf import GOTHIC, MINCHO, register_fonts, wrap

LINE = 5.2 * mm


def terms_sheet_pdf(sheet: TermsSheet, *, compress: bool = True) -> bytes:
    register_fonts()
    buffer = BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    pdf.setTitle(f"契約条件書 第{sheet.version}版")
    width, height = A4
    left, right, top, bottom = 20 * mm, width - 20 * mm, height - 22 * mm, 22 * mm
    page = 1

    def footer() -> None:
        pdf.setFont(MINCHO, 7.5)
        pdf.drawString(left, 12 * mm, f"第{sheet.version}版  SHA-256: {sheet.sha256}")
        pdf.drawRightString(right, 12 * mm, f"{page}")

    y = top
    lines = sheet.text.rstrip("\n").split("\n")
    for index, paragraph in enumerate(lines):
        title = index == 0
        heading = paragraph.startswith("第") and "条(" in paragraph
        font, size = (GOTHIC, 13) if title else (GOTHIC, 10) if heading else (MINCHO, 9.5)
        for line in wrap(paragraph, font, size, right - left) or [""]:
            if y < bottom:
                footer()
                pdf.showPage()
                page += 1
                y = top
            pdf.setFont(font, size)
            if title:
                pdf.drawCentredString(width / 2, y, line)
                y -= 3 * mm
            else:
                pdf.drawString(left, y, line)
            y -= LINE
    footer()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def terms_sheet_response(sheet: TermsSheet) -> HttpResponse:
    response = HttpResponse(terms_sheet_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="terms-v{sheet.version}.pdf"'
    return response
