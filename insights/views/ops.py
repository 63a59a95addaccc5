"""Operator console: the network KPI dashboard, and satisfaction survey results across all companies."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.access import operator_required
from accounts.permissions import Permission
from insights import charts
from insights.forms import PeriodForm
from insights.selectors import metrics
from insights.selectors.kpis import period_from_request, satisfaction_by_company
from insights.views.company import satisfaction_context
from lib.dates import jst_today
from relay.selectors import review_queue_size


@operator_required(Permission.SATISFACTION)
def satisfaction(request: HttpRequest) -> HttpResponse:
    context = satisfaction_context(request, None)
    rows = satisfaction_by_company(context["period"])  # type: ignore[arg-type]
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "insights/ops/satisfaction.html", {**context, "page": page})


TOP_N = 20
# Per-company declarations have no network-wide meaning; every other §5 row is shown.
NETWORK_HIDDEN = {"declared_spend_yen", "spend_reduction_rate"}


def _ranking_rows(rows: list[metrics.CompanyFunnel]) -> list[dict[str, object]]:
    return [
        {
            "row": row,
            "registration_rate": metrics.percent(row.registration_rate),
            "counted_per_sent": metrics.percent(metrics.rate(row.counted, row.sent)),
        }
        for row in rows
    ]


@operator_required(Permission.NETWORK_KPIS)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The network: every §5 KPI over all companies, rankings, credits outstanding and fee revenue by month."""
    period, period_form = period_from_request(request.GET)
    holders = metrics.credits_by_company(period)
    funnels = metrics.funnels_by_company(period)
    current = metrics.network_kpis(period, holders=holders, funnels=funnels)
    comparison = period.comparison(jst_today())
    previous = metrics.network_kpis(comparison)
    rows = [row for row in metrics.kpi_rows(current, previous) if row.key not in NETWORK_HIDDEN]
    revenue = metrics.revenue_by_month(period)
    labels = [date_format(month.month, "YEAR_MONTH_FORMAT") for month in revenue]
    shorts = [_("%(month)s月") % {"month": month.month.month} for month in revenue]
    return render(
        request,
        "insights/ops/dashboard.html",
        {
            "period": period,
            "comparison": comparison,
            "period_form": period_form,
            "review_queue_size": review_queue_size(),
            "custom": PeriodForm.CUSTOM,
            "rows": {row.key: row for row in rows},
            "row_list": rows,
            "top_n": TOP_N,
            "by_counted": _ranking_rows(metrics.ranking_by_counted(funnels, TOP_N)),
            "by_conversion": _ranking_rows(metrics.ranking_by_conversion(funnels, TOP_N)),
            "active_companies": len(funnels),
            "holders": holders[:TOP_N],
            "holder_count": len(holders),
            "liability": sum(row.outstanding for row in holders),
            "credits": current.credits,
            "revenue": list(zip(labels, revenue, strict=True)),
            "revenue_total": metrics.RevenueMonth(
                month=period.first_day,
                placements=sum(m.placements for m in revenue),
                free_hires=sum(m.free_hires for m in revenue),
                fees_yen=sum(m.fees_yen for m in revenue),
                saving_yen=sum(m.saving_yen for m in revenue),
            ),
            "fee_bars": charts.month_bars(list(zip(labels, [m.fees_yen for m in revenue], strict=True)), shorts),
            "placement_bars": charts.month_bars(
                list(zip(labels, [m.placements for m in revenue], strict=True)), shorts
            ),
            "month_chart_width": max(len(revenue), 1) * 44,
        },
    )
