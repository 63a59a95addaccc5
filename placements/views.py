"""A company's job orders (求人): everyone in the company reads them, owners and admins write them."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from companies.models import Company
from placements.forms import JobOrderFilterForm, JobOrderForm
from placements.models import JobOrder
from placements.placement_views import credit_panel
from placements.services import JobOrderTransitionError, job_order_create, job_order_set_status, job_order_update

STATUS_MESSAGES = {
    JobOrder.Status.OPEN: gettext_lazy("求人「%(title)s」の募集を開始しました。"),
    JobOrder.Status.PAUSED: gettext_lazy("求人「%(title)s」の募集を一時停止しました。"),
    JobOrder.Status.CLOSED: gettext_lazy("求人「%(title)s」の募集を終了しました。"),
}


def status_message(job_order: JobOrder) -> str:
    return str(STATUS_MESSAGES[JobOrder.Status(job_order.status)]) % {"title": job_order.title}


@company_required
def job_order_list(request: HttpRequest, company: Company) -> HttpResponse:
    filters = JobOrderFilterForm(request.GET or None)
    job_orders = JobOrder.objects.filter(company=company)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    if status:
        job_orders = job_orders.filter(status=status)
    page = Paginator(job_orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/job_order_list.html",
        {"company": company, "page": page, "filters": filters, "status": status},
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def job_order_new(request: HttpRequest, company: Company) -> HttpResponse:
    form = JobOrderForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        job_order = job_order_create(company=company, data=form.cleaned_data, actor=request_user(request))
        messages.success(request, _("求人「%(title)s」を登録しました。") % {"title": job_order.title})
        return redirect("placements:detail", pk=job_order.pk)
    return render(request, "placements/job_order_form.html", {"company": company, "form": form})


@company_required
def job_order_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    return render(
        request,
        "placements/job_order_detail.html",
        {"company": company, "job_order": job_order, "credit": credit_panel(job_order)},
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def job_order_edit(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    form = JobOrderForm(request.POST if request.method == "POST" else None, instance=job_order)
    if request.method == "POST" and form.is_valid():
        job_order_update(job_order=job_order, data=form.cleaned_data, actor=request_user(request))
        messages.success(request, _("求人「%(title)s」を更新しました。") % {"title": form.cleaned_data["title"]})
        return redirect("placements:detail", pk=job_order.pk)
    return render(request, "placements/job_order_form.html", {"company": company, "form": form, "job_order": job_order})


@company_manager_required
@require_POST
def job_order_status(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    try:
        job_order = job_order_set_status(
            job_order=job_order, status=request.POST.get("status", ""), actor=request_user(request)
        )
    except JobOrderTransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, status_message(job_order))
    return redirect("placements:detail", pk=job_order.pk)
