"""Operator console: job orders across member companies, written on a company's behalf when it asks."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import operator_required, request_user
from companies.models import Company
from placements.forms import JobOrderFilterForm, JobOrderForm, OpsJobOrderForm
from placements.models import JobOrder
from placements.services import JobOrderTransitionError, job_order_create, job_order_set_status, job_order_update
from placements.views import status_message


@operator_required
def job_order_list(request: HttpRequest) -> HttpResponse:
    filters = JobOrderFilterForm(request.GET or None)
    job_orders = JobOrder.objects.select_related("company")
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    if status:
        job_orders = job_orders.filter(status=status)
    company_id = request.GET.get("company", "")
    company = Company.objects.filter(pk=int(company_id)).first() if company_id.isdigit() else None
    if company is not None:
        job_orders = job_orders.filter(company=company)
    page = Paginator(job_orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/ops/job_order_list.html",
        {
            "page": page,
            "filters": filters,
            "status": status,
            "company": company,
            "companies": Company.objects.order_by("name"),
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def job_order_new(request: HttpRequest) -> HttpResponse:
    initial = {"company": request.GET["company"]} if request.GET.get("company", "").isdigit() else {}
    form = OpsJobOrderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        company = form.cleaned_data["company"]
        job_order = job_order_create(company=company, data=form.cleaned_data, actor=request_user(request))
        messages.success(
            request,
            _("%(company)s の求人「%(title)s」を登録しました。") % {"company": company.name, "title": job_order.title},
        )
        return redirect("ops:job_order_edit", pk=job_order.pk)
    return render(request, "placements/ops/job_order_form.html", {"form": form})


@operator_required
@require_http_methods(["GET", "POST"])
def job_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    job_order = get_object_or_404(JobOrder.objects.select_related("company"), pk=pk)
    form = JobOrderForm(request.POST if request.method == "POST" else None, instance=job_order)
    if request.method == "POST" and form.is_valid():
        job_order_update(job_order=job_order, data=form.cleaned_data, actor=request_user(request))
        messages.success(request, _("求人「%(title)s」を更新しました。") % {"title": form.cleaned_data["title"]})
        return redirect("ops:job_order_edit", pk=job_order.pk)
    return render(request, "placements/ops/job_order_form.html", {"form": form, "job_order": job_order})


@operator_required
@require_POST
def job_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    job_order = get_object_or_404(JobOrder, pk=pk)
    try:
        job_order = job_order_set_status(
            job_order=job_order, status=request.POST.get("status", ""), actor=request_user(request)
        )
    except JobOrderTransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, status_message(job_order))
    return redirect("ops:job_order_edit", pk=job_order.pk)
