"""Operator console: satisfaction survey results across all companies and per company."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import operator_required
from insights.kpis import satisfaction_by_company
from insights.views import satisfaction_context


@operator_required
def satisfaction(request: HttpRequest) -> HttpResponse:
    context = satisfaction_context(request, None)
    rows = satisfaction_by_company(context["period"])  # type: ignore[arg-type]
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "insights/ops/satisfaction.html", {**context, "page": page})
