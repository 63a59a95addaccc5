"""Credit use on job orders, placements, refunds and invoices: the company's screens and the operator's."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, operator_required, request_user
from companies.models import Company
from placements.credits import (
    INTERVIEW_REACHED,
    NOT_YET_INTRODUCED,
    CreditError,
    active_reservation,
    credit_release,
    credit_reserve,
    reservation_releasable_by_company,
)
from placements.fee_forms import LeavingForm, PlacementForm, ReleaseForm
from placements.fees import Terms, placement_fee
from placements.invoices import invoice_pdf
from placements.models import CreditReservation, Introduction, IntroductionEvent, JobOrder, Placement
from placements.placement_services import placement_record, placement_record_leaving, placement_totals
from relay.services import company_credit_summary


def _error_text(error: CreditError) -> str:
    return " ".join(str(message) for message in error.messages)


@dataclass
class CreditPanel:
    """What the job order page shows about its credit: the live (or last) reservation and what can be done."""

    reservation: CreditReservation | None
    available: int
    blocked: bool
    releasable: bool
    introduced: int
    interview_reached: bool


def credit_panel(job_order: JobOrder) -> CreditPanel:
    reservation = (
        job_order.credit_reservations.exclude(status=CreditReservation.Status.RELEASED).first()
        or job_order.credit_reservations.order_by("-reserved_at", "-id").first()
    )
    summary = company_credit_summary(job_order.company)
    introductions = job_order.introductions.exclude(status__in=NOT_YET_INTRODUCED)
    return CreditPanel(
        reservation=reservation,
        available=summary.available,
        blocked=summary.blocked,
        releasable=reservation is not None and reservation_releasable_by_company(reservation),
        introduced=introductions.count(),
        interview_reached=_interview_reached(job_order),
    )


def _interview_reached(job_order: JobOrder) -> bool:
    """面談確約: at least one candidate on this order has reached an interview with the company (now or before)."""
    return (
        job_order.introductions.filter(status__in=INTERVIEW_REACHED).exists()
        or IntroductionEvent.objects.filter(
            introduction__job_order=job_order, status=Introduction.Status.INTERVIEW
        ).exists()
    )


def _pdf_response(placement: Placement) -> HttpResponse:
    response = HttpResponse(invoice_pdf(placement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{placement.invoice_number}.pdf"'
    return response


# --- company -------------------------------------------------------------------------------------------


@company_manager_required
@require_POST
def job_order_credit_reserve(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    try:
        credit_reserve(job_order=job_order, actor=request_user(request))
    except CreditError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("求人「%(title)s」に無料紹介枠を1枠確保しました。担当者よりご紹介の準備を進めてまいります。")
            % {"title": job_order.title},
        )
    return redirect("placements:detail", pk=job_order.pk)


@company_manager_required
@require_POST
def job_order_credit_release(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    reservation = active_reservation(job_order)
    if reservation is None:
        messages.error(request, _("この求人で確保中の無料紹介枠はありません。"))
        return redirect("placements:detail", pk=job_order.pk)
    try:
        credit_release(reservation=reservation, actor=request_user(request))
    except CreditError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("無料紹介枠の利用を取り消しました。枠は元の有効期限のままお戻ししました。"))
    return redirect("placements:detail", pk=job_order.pk)


@company_manager_required
def placement_list(request: HttpRequest, company: Company) -> HttpResponse:
    placements = Placement.objects.filter(company=company).select_related("job_order", "candidate")
    page = Paginator(placements, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/placement_list.html",
        {
            "company": company,
            "page": page,
            "totals": placement_totals(placements),
            "credits": company_credit_summary(company),
        },
    )


@company_manager_required
def placement_invoice(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    placement = get_object_or_404(
        Placement.objects.select_related("company", "job_order", "candidate"), company=company, pk=pk
    )
    return _pdf_response(placement)


# --- operator ------------------------------------------------------------------------------------------


@operator_required
def credit_queue(request: HttpRequest) -> HttpResponse:
    """Credit orders waiting for introductions, oldest reservation first: the agency promised them."""
    interviews = IntroductionEvent.objects.filter(
        introduction__job_order=OuterRef("job_order"), status=Introduction.Status.INTERVIEW
    )
    reservations = (
        CreditReservation.objects.filter(status=CreditReservation.Status.RESERVED)
        .select_related("company", "job_order")
        .annotate(
            proposed=Count("job_order__introductions", distinct=True),
            introduced=Count(
                "job_order__introductions",
                filter=~Q(job_order__introductions__status__in=NOT_YET_INTRODUCED),
                distinct=True,
            ),
            at_interview=Count(
                "job_order__introductions",
                filter=Q(job_order__introductions__status__in=INTERVIEW_REACHED),
                distinct=True,
            ),
            hired_unrecorded=Count(
                "job_order__introductions",
                filter=Q(
                    job_order__introductions__status=Introduction.Status.HIRED,
                    job_order__introductions__placement__isnull=True,
                ),
                distinct=True,
            ),
            interviewed_before=Exists(interviews),
        )
        .order_by("reserved_at", "id")
    )
    page = Paginator(reservations, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "reservation": r,
            "days_waiting": (now - r.reserved_at).days,
            "interview_reached": bool(getattr(r, "at_interview", 0) or getattr(r, "interviewed_before", False)),
            "hired_unrecorded": getattr(r, "hired_unrecorded", 0),
        }
        for r in page
    ]
    return render(request, "placements/ops/credit_queue.html", {"page": page, "rows": rows})


@operator_required
@require_http_methods(["GET", "POST"])
def credit_release_ops(request: HttpRequest, pk: int) -> HttpResponse:
    reservation = get_object_or_404(CreditReservation.objects.select_related("company", "job_order"), pk=pk)
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            credit_release(
                reservation=reservation,
                actor=request_user(request),
                reason=form.cleaned_data["reason"],
                by_operator=True,
            )
        except CreditError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("%(company)s の無料紹介枠の確保を解除しました。") % {"company": reservation.company.name},
            )
            return redirect("ops:credit_queue")
    return render(request, "placements/ops/credit_release.html", {"reservation": reservation, "form": form})


@operator_required
def placement_list_ops(request: HttpRequest) -> HttpResponse:
    placements = Placement.objects.select_related("company", "job_order", "candidate")
    company_id = request.GET.get("company", "")
    company = Company.objects.filter(pk=int(company_id)).first() if company_id.isdigit() else None
    if company is not None:
        placements = placements.filter(company=company)
    awaiting = (
        Introduction.objects.filter(status=Introduction.Status.HIRED, placement__isnull=True)
        .select_related("company", "job_order", "candidate")
        .order_by("updated_at")
    )
    if company is not None:
        awaiting = awaiting.filter(company=company)
    page = Paginator(placements, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/ops/placement_list.html",
        {
            "page": page,
            "totals": placement_totals(placements),
            "awaiting": awaiting[:50],
            "company": company,
            "companies": Company.objects.order_by("name"),
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def placement_new(request: HttpRequest) -> HttpResponse:
    introduction_id = request.GET.get("introduction", "")
    if not introduction_id.isdigit():
        raise Http404
    introduction = get_object_or_404(
        Introduction.objects.select_related("company__contract", "job_order", "candidate"), pk=int(introduction_id)
    )
    existing = Placement.objects.filter(introduction=introduction).first()
    if existing is not None:
        messages.info(request, _("この推薦の成約はすでに登録されています。"))
        return redirect("ops:placement_detail", pk=existing.pk)
    form = PlacementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            placement = placement_record(introduction=introduction, actor=request_user(request), **form.cleaned_data)
        except CreditError as error:
            messages.error(request, _error_text(error))
        else:
            if placement.waived:
                text = _("成約を登録しました。無料紹介枠の適用により手数料は 0 円です(削減額 %(saving)s 円)。") % {
                    "saving": f"{placement.saving_yen:,}"
                }
            else:
                text = _("成約を登録しました。紹介手数料は税込 %(total)s 円です。") % {
                    "total": f"{placement.total_yen:,}"
                }
            messages.success(request, text)
            return redirect("ops:placement_detail", pk=placement.pk)
    terms = Terms.of_contract(introduction.company.contract)
    quote: Any = None
    if form.is_bound and form.is_valid():
        quote = placement_fee(form.cleaned_data["annual_salary_yen"], terms)
    return render(
        request,
        "placements/ops/placement_form.html",
        {
            "introduction": introduction,
            "form": form,
            "terms": terms,
            "contract": introduction.company.contract,
            "reservation": active_reservation(introduction.job_order),
            "quote": quote,
            "hired": introduction.status == Introduction.Status.HIRED,
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_object_or_404(
        Placement.objects.select_related("company", "job_order", "candidate", "introduction", "recorded_by"), pk=pk
    )
    form = LeavingForm(
        request.POST if request.method == "POST" else None,
        initial={"left_on": placement.left_on} if placement.left_on else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            placement = placement_record_leaving(
                placement=placement, left_on=form.cleaned_data["left_on"], actor=request_user(request)
            )
        except CreditError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("退職日を登録しました。返戻金は税込 %(total)s 円(返戻率 %(percent)s%%)です。")
                % {"total": f"{placement.refund_total_yen:,}", "percent": placement.refund_percent},
            )
            return redirect("ops:placement_detail", pk=placement.pk)
    return render(request, "placements/ops/placement_detail.html", {"placement": placement, "form": form})


@operator_required
def placement_invoice_ops(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_object_or_404(Placement.objects.select_related("company", "job_order", "candidate"), pk=pk)
    return _pdf_response(placement)
