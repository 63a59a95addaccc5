import csv
import io
from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import company_manager_required, company_required
from accounts.models import User
from companies.models import Company
from insights import charts
from insights.forms import PeriodForm, RecruitingCostForm, ReportMonthForm
from insights.models import RecruitingCostProfile
from insights.reports import monthly_report_data, monthly_report_pdf, previous_month
from insights.selectors import metrics, registrations
from insights.selectors.kpis import MIN_ANSWERS, period_from_request, satisfaction_summary
from insights.services import (
    recruiting_costs_save,
)
from lib.csvsafe import csv_safe
from lib.dates import JST as TOKYO
from lib.dates import jst_today


def satisfaction_context(request: HttpRequest, company: Company | None) -> dict[str, object]:
    period, period_form = period_from_request(request.GET)
    summary = satisfaction_summary(company, period)
    comparison = period.comparison(jst_today())
    previous = satisfaction_summary(company, comparison, with_comments=False)
    change = summary.nps - previous.nps if summary.nps is not None and previous.nps is not None else None
    return {
        "period": period,
        "comparison": comparison,
        "period_form": period_form,
        "custom": PeriodForm.CUSTOM,
        "summary": summary,
        "previous": previous,
        "change": change,
        "bars": charts.distribution_bars(summary.distribution),
        "chart_width": charts.WIDTH,
        "min_answers": MIN_ANSWERS,
    }


@company_required
def satisfaction(request: HttpRequest, company: Company) -> HttpResponse:
    return render(
        request,
        "insights/company/satisfaction.html",
        {"company": company, **satisfaction_context(request, company)},
    )


def _month_label(month: date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def dashboard_context(request: HttpRequest, company: Company) -> dict[str, object]:
    period, period_form = period_from_request(request.GET)
    current = metrics.company_kpis(company, period)
    comparison = period.comparison(jst_today())
    previous = metrics.company_kpis(company, comparison, detail=False)
    f = current.funnel
    steps = [
        ("sent", _("送信"), f.sent),
        ("clicks", _("クリック"), f.clicks),
        ("registrations", _("登録"), f.registrations),
        ("counted", _("カウント"), f.counted),
    ]
    hidden_rate = str(registrations.HIDDEN_RATE)
    conversions = [
        "—",
        metrics.percent(f.click_rate),
        hidden_rate if f.registrations_hidden else metrics.percent(f.registration_rate),
        hidden_rate if f.registrations_hidden or f.counted_hidden else metrics.percent(f.count_rate),
    ]
    # A company's registration figures below MIN_GROUP: no bar and no number (issue 11).
    hidden_steps = {
        key: figure.display
        for key, figure, is_hidden in (
            ("registrations", f.registrations_figure, f.registrations_hidden),
            ("counted", f.counted_figure, f.counted_hidden),
        )
        if is_hidden
    }
    months = [(_month_label(row.month), row) for row in current.months]
    short = [_("%(month)s月") % {"month": row.month.month} for row in current.months]
    satisfaction = current.satisfaction
    rows = metrics.kpi_rows(current, previous)
    by_link = {group.key: group for group in registrations.registrations_by_link(company)}
    return {
        "company": company,
        "period": period,
        "comparison": comparison,
        "period_form": period_form,
        "custom": PeriodForm.CUSTOM,
        "kpis": current,
        "previous": previous,
        "rows": {row.key: row for row in rows},
        "row_list": rows,
        "funnel_bars": charts.funnel_bars(steps, conversions, hidden=hidden_steps),
        "funnel_width": charts.FUNNEL_WIDTH,
        "funnel_height": len(steps) * charts.FUNNEL_ROW + 10,
        "funnel_label_x": charts.FUNNEL_LABEL,
        "months": months,
        "referral_bars": charts.month_bars(
            [(label, row.counted) for label, row in months],
            short,
            hidden=[row.counted_shown if row.counted_hidden else "" for _label, row in months],
        ),
        "credit_bars": charts.month_bars([(label, row.credits_earned) for label, row in months], short),
        "saving_bars": charts.month_bars([(label, row.saving_yen) for label, row in months], short),
        "month_chart_width": max(len(months), 1) * 44,
        "summary": satisfaction,
        "bars": charts.distribution_bars(satisfaction.distribution),
        "chart_width": charts.WIDTH,
        "min_answers": MIN_ANSWERS,
        "profile": RecruitingCostProfile.objects.filter(company=company).first(),
        "can_manage": isinstance(request.user, User) and request.user.can_manage_company,
        "query": request.GET.urlencode(),
        # Registrations per link only as the thresholded aggregate (issue 11 point 6): a link made for one
        # person must not say whether that person registered.
        "link_rows": [
            {"link": f.link, "clicks": f.clicks, "registrations": by_link[f.link.pk]}
            for f in current.links
            if f.link is not None and f.link.pk in by_link
        ],
        "registrations_by_month": registrations.registrations_by_month(company),
        "min_group": registrations.MIN_GROUP,
        "figures_note": registrations.figures_note(),
        "change": current.nps - previous.nps if current.nps is not None and previous.nps is not None else None,
        "reason_rows": [
            {
                "key": row.key,
                "label": row.label,
                "count": row.count,
                "share": metrics.percent(row.share),
                "sends_mail": row.sends_mail,
            }
            for row in (current.reasons.rows if current.reasons else [])
        ],
    }


@company_required
def dashboard(request: HttpRequest, company: Company) -> HttpResponse:
    return render(request, "insights/company/dashboard.html", dashboard_context(request, company))


def kpi_csv(company: Company, rows: list[metrics.KpiRow], period_label: str, previous_label: str) -> bytes:
    """UTF-8 with BOM (Excel opens it as is); the same formatted figures as the page, and the page's note on the
    registration figures as the last line (they run to yesterday; fewer than MIN_GROUP print 「5件未満」).

    Every text cell goes through `csv_safe` (a company named `=HYPERLINK(…)` opens as text). The figures do not:
    they are numbers this code formatted (`+2`, `-12.5%`, `1,234`, `—`), never anyone's input, and must read
    exactly as on the page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(str(_("企業"))), csv_safe(company.name)])
    writer.writerow(
        [csv_safe(str(_("指標"))), csv_safe(period_label), csv_safe(previous_label), csv_safe(str(_("増減")))]
    )
    for row in rows:
        writer.writerow([csv_safe(str(row.label)), row.current, row.previous, row.delta])
    writer.writerow([csv_safe(registrations.figures_note())])
    return buffer.getvalue().encode("utf-8-sig")


@company_required
def export_csv(request: HttpRequest, company: Company) -> HttpResponse:
    period, _form = period_from_request(request.GET)
    current = metrics.company_kpis(company, period, detail=False)
    comparison = period.comparison(jst_today())
    previous = metrics.company_kpis(company, comparison, detail=False)
    body = kpi_csv(company, metrics.kpi_rows(current, previous), period.label, comparison.label)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"kpi_{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@company_required
@require_http_methods(["GET", "POST"])
def costs(request: HttpRequest, company: Company) -> HttpResponse:
    """Everyone in the company sees the declared figures; only owners and admins change them."""
    profile = RecruitingCostProfile.objects.filter(company=company).first()
    user = request.user
    can_manage = isinstance(user, User) and user.can_manage_company
    if request.method == "POST":
        return costs_update(request)
    initial = (
        {"yearly_spend_yen": profile.yearly_spend_yen, "average_fee_yen": profile.average_fee_yen} if profile else None
    )
    form = RecruitingCostForm(initial=initial)
    return render(
        request,
        "insights/company/costs.html",
        {"company": company, "form": form, "profile": profile, "can_manage": can_manage},
    )


@company_manager_required
@require_http_methods(["POST"])
def costs_update(request: HttpRequest, company: Company) -> HttpResponse:
    form = RecruitingCostForm(request.POST)
    if form.is_valid():
        assert isinstance(request.user, User)
        recruiting_costs_save(company=company, actor=request.user, **form.cleaned_data)
        messages.success(request, _("採用費を保存しました。ダッシュボードのコスト削減率に反映されます。"))
        return redirect("insights:dashboard")
    profile = RecruitingCostProfile.objects.filter(company=company).first()
    return render(
        request,
        "insights/company/costs.html",
        {"company": company, "form": form, "profile": profile, "can_manage": True},
    )


def _report_month(request: HttpRequest) -> tuple[date, ReportMonthForm]:
    """The chosen month, or last month (the month the emailed report covers) when none or an invalid one."""
    today = timezone.now().astimezone(TOKYO).date()
    form = ReportMonthForm(request.GET, today=today)
    month = form.cleaned_data.get("month") if form.is_valid() else None
    return month or previous_month(today), form


@company_required
def report(request: HttpRequest, company: Company) -> HttpResponse:
    month, form = _report_month(request)
    data = monthly_report_data(company, month)
    return render(
        request,
        "insights/company/report.html",
        {"company": company, "form": form, "report": data, "month_value": f"{month:%Y-%m}"},
    )


@company_required
def report_pdf(request: HttpRequest, company: Company) -> HttpResponse:
    month, _form = _report_month(request)
    response = HttpResponse(monthly_report_pdf(monthly_report_data(company, month)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="monthly_report_{month:%Y%m}.pdf"'
    return response


@company_required
def report_csv(request: HttpRequest, company: Company) -> HttpResponse:
    month, _form = _report_month(request)
    data = monthly_report_data(company, month)
    response = HttpResponse(
        kpi_csv(company, data.rows, data.period.label, data.previous.label), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="monthly_report_{month:%Y%m}.csv"'
    return response
