"""The monthly report: one calendar month of a company's KPIs against the month before, as the email summary,
a PDF and a CSV. Every figure comes from `metrics.company_kpis` and is formatted once by `metrics.kpi_rows`, so the
registration figures follow the company's rule (`insights.selectors.registrations`: to yesterday, 「5件未満」)."""

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from companies.models import Company
from insights.selectors import metrics, registrations
from lib.dates import JST as TOKYO
from lib.dates import Period
from lib.links import absolute_url
from lib.pdf import GOTHIC, MINCHO, register_fonts, shorten, wrap

# reportlab's built-in Japanese CID fonts: the PDF viewer supplies the glyphs, no font file ships.
# The figures the email picks out of the full table (the PDF and CSV carry every row).
EMAIL_KEYS = (
    "sent",
    "clicks",
    "registrations",
    "counted",
    "registration_rate",
    "credits_earned",
    "credits_available",
    "free_hires",
    "saving_yen",
    "nps",
)


def previous_month(today: date) -> date:
    """The first day of the calendar month before `today`'s."""
    first = today.replace(day=1)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def month_period(month: date) -> Period:
    return Period.months(last_month=month)


def dashboard_url(period: Period) -> str:
    """The company dashboard for exactly this period (`period_from_request` takes custom start/end dates)."""
    days = {"start": f"{period.first_day:%Y-%m-%d}", "end": f"{period.last_day:%Y-%m-%d}"}
    query = urlencode({"period": "custom", **days})
    return absolute_url(f"{reverse('insights:dashboard')}?{query}")


@dataclass(frozen=True)
class MonthlyReportData:
    company: Company
    period: Period
    previous: Period
    kpis: metrics.CompanyKpis
    rows: list[metrics.KpiRow]

    @property
    def month(self) -> date:
        return self.period.first_day

    @property
    def email_rows(self) -> list[metrics.KpiRow]:
        by_key = {row.key: row for row in self.rows}
        return [by_key[key] for key in EMAIL_KEYS]

    @property
    def dashboard_url(self) -> str:
        return dashboard_url(self.period)

    @property
    def figures_note(self) -> str:
        return registrations.figures_note()


def monthly_report_data(
    company: Company, month: date, *, today: date | None = None, now: datetime | None = None
) -> MonthlyReportData:
    """`today` (the mail job's day) also fixes the registration cutoff: its start in Japan."""
    if now is None and today is not None:
        now = datetime(today.year, today.month, today.day, tzinfo=TOKYO)
    period = month_period(month)
    previous = period.previous()
    current = metrics.company_kpis(company, period, detail=False, today=today, now=now)
    before = metrics.company_kpis(company, previous, detail=False, today=today, now=now)
    return MonthlyReportData(
        company=company, period=period, previous=previous, kpis=current, rows=metrics.kpi_rows(current, before)
    )


def monthly_report_pdf(report: MonthlyReportData, *, compress: bool = True, now: datetime | None = None) -> bytes:
    """A4, one page: the title, the company, and every KPI row for the month against the month before.

    `compress=False` keeps the page text readable for tests."""
    register_fonts()
    buffer = BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=0 if compress else 1)
    title = _("月次レポート %(month)s") % {"month": report.period.label}
    pdf.setTitle(title)
    pdf.setAuthor(settings.OPERATOR_NAME)
    width, height = A4
    left, right = 18 * mm, width - 18 * mm

    pdf.setFont(GOTHIC, 18)
    pdf.drawString(left, height - 24 * mm, title)
    pdf.setFont(GOTHIC, 12)
    company = shorten(report.company.name, GOTHIC, 12, 120 * mm)
    pdf.drawString(left, height - 34 * mm, _("%(company)s 御中") % {"company": company})
    pdf.setFont(MINCHO, 9)
    created = (now or timezone.now()).astimezone(TOKYO)
    pdf.drawRightString(right, height - 24 * mm, _("作成日: %(date)s") % {"date": f"{created:%Y-%m-%d}"})
    pdf.drawRightString(right, height - 29 * mm, settings.OPERATOR_NAME)
    pdf.drawString(
        left,
        height - 42 * mm,
        _("%(month)s の成果を、前月(%(previous)s)と比較してご報告いたします。")
        % {"month": report.period.label, "previous": report.previous.label},
    )

    label_width = 98 * mm
    columns = (left + label_width + 22 * mm, left + label_width + 50 * mm, right - 2 * mm)
    y = height - 54 * mm
    pdf.setFillColor(colors.HexColor("#e6f0ef"))
    pdf.rect(left, y - 2 * mm, right - left, 7 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    pdf.setFont(GOTHIC, 9)
    pdf.drawString(left + 2 * mm, y, _("指標"))
    for x, text in zip(columns, (report.period.label, report.previous.label, _("増減")), strict=True):
        pdf.drawRightString(x, y, text)
    pdf.setFont(MINCHO, 9)
    pdf.setStrokeColor(colors.HexColor("#c5ced8"))
    pdf.setLineWidth(0.4)
    for row in report.rows:
        y -= 7 * mm
        pdf.drawString(left + 2 * mm, y, shorten(row.label, MINCHO, 9, label_width - 4 * mm))
        for x, text in zip(columns, (row.current, row.previous, row.delta), strict=True):
            pdf.drawRightString(x, y, text)
        pdf.line(left, y - 2.5 * mm, right, y - 2.5 * mm)

    pdf.setFont(MINCHO, 8)
    y -= 10 * mm
    for note in (
        _(
            "期間は日本時間の暦日で区切ります。分母が0の割合は「—」と表示します。NPSは回答が5件以上ある期間だけ表示します。"
        ),
        _("金額は税抜です。紹介手数料は返戻金を差し引いた金額、削減額は無料紹介枠で免除された紹介手数料の合計です。"),
        report.figures_note,
        _("ダッシュボード: %(url)s") % {"url": report.dashboard_url},
    ):
        for line in wrap(note, MINCHO, 8, right - left):
            pdf.drawString(left, y, line)
            y -= 4.5 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
