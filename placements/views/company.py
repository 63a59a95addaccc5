"""The company's placements screens (/company/jobs/, /company/pool/): job orders, credit use, placements and
invoices, introductions and exclusions, and the anonymous talent pool."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    company_manager_required,
    company_object_or_404,
    company_required,
    request_user,
)
from accounts.models import User
from audit.services import audit_record
from companies.models import Company
from lib.jatext import nfkc
from placements.documents.credit_note import credit_note_response
from placements.documents.invoice import invoice_response
from placements.forms import (
    ExclusionForm,
    IntroductionCommentForm,
    IntroductionMoveForm,
    JobOrderFilterForm,
    JobOrderForm,
    PoolFilterForm,
    PoolRequestForm,
)
from placements.models import (
    PROVIDED_ITEM_LABELS,
    CompanyExclusion,
    CreditNote,
    Introduction,
    IntroductionRequest,
    JobOrder,
    Placement,
    ProvisionRecord,
)
from placements.selectors.exclusions import EXCLUSION_QUERY_MIN, exclusion_matches, exclusion_query_key
from placements.selectors.job_orders import credit_panel
from placements.selectors.provisions import how_obtained, provider, provision_csv, provision_records
from placements.services.credit_use import (
    CreditError,
    active_reservation,
    credit_release,
    credit_reserve,
)
from placements.services.introductions import (
    IntroductionNotAllowed,
    introduction_comment,
    pending_count,
    provided_profile,
    selection_moves,
)
from placements.services.jobs import job_order_create, job_order_update
from placements.services.placements import placement_totals
from placements.services.pool import (
    POOL_MINIMUM_RESULTS,
    PoolFilters,
    introduction_request_create,
    pool_candidate,
    pool_profile,
    pool_search,
)
from placements.views import introduction_move_from, job_order_status_change
from relay.services import company_credit_summary

# --- job orders ----------------------------------------------------------------------------------------------------


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
        "placements/company/job_order_list.html",
        {"company": company, "page": page, "filters": filters, "status": status},
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def job_order_new(request: HttpRequest, company: Company) -> HttpResponse:
    form = JobOrderForm(request.POST if request.method == "POST" else None, initial={"recruiter_name": company.name})
    if request.method == "POST" and form.is_valid():
        job_order = job_order_create(company=company, data=form.cleaned_data, actor=request_user(request))
        messages.success(request, _("求人「%(title)s」を登録しました。") % {"title": job_order.title})
        return redirect("placements:detail", pk=job_order.pk)
    return render(request, "placements/company/job_order_form.html", {"company": company, "form": form})


@company_required
def job_order_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    return render(
        request,
        "placements/company/job_order_detail.html",
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
    return render(
        request,
        "placements/company/job_order_form.html",
        {
            "company": company,
            "form": form,
            "job_order": job_order,
            "missing": job_order.working_conditions_missing(),
        },
    )


@company_manager_required
@require_POST
def job_order_status(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = job_order_status_change(request, company_object_or_404(company, JobOrder, pk=pk))
    return redirect("placements:detail", pk=job_order.pk)


# --- credits and placements ----------------------------------------------------------------------------------------


@company_manager_required
@require_POST
def job_order_credit_reserve(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    job_order = company_object_or_404(company, JobOrder, pk=pk)
    try:
        credit_reserve(job_order=job_order, actor=request_user(request))
    except CreditError as error:
        messages.error(request, str(error))
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
        messages.error(request, str(error))
    else:
        messages.success(request, _("無料紹介枠の利用を取り消しました。枠は元の有効期限のままお戻ししました。"))
    return redirect("placements:detail", pk=job_order.pk)


@company_manager_required
def placement_list(request: HttpRequest, company: Company) -> HttpResponse:
    placements = Placement.objects.filter(company=company).select_related("job_order", "candidate")
    page = Paginator(placements, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/company/placement_list.html",
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
    return invoice_response(placement)


@company_manager_required
def placement_credit_note(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """A refund's credit note (返還請求書); another company's answers 404."""
    note = get_object_or_404(
        CreditNote.objects.select_related("placement__company", "placement__job_order", "replaces"),
        placement__company=company,
        pk=pk,
    )
    return credit_note_response(note)


# --- operator ------------------------------------------------------------------------------------------


# --- introductions -------------------------------------------------------------------------------------------------


@company_required
def introduction_list(request: HttpRequest, company: Company) -> HttpResponse:
    introductions = (
        Introduction.objects.filter(company=company, accepted_at__isnull=False)
        .select_related("job_order", "candidate")
        .order_by("-accepted_at", "-id")
    )
    status = request.GET.get("status", "")
    if status in Introduction.Status.values:
        introductions = introductions.filter(status=status)
    job_id = request.GET.get("job", "")
    job_order = JobOrder.objects.filter(company=company, pk=int(job_id)).first() if job_id.isdigit() else None
    if job_order is not None:
        introductions = introductions.filter(job_order=job_order)
    page = Paginator(introductions, 50).get_page(request.GET.get("page"))
    statuses = [
        (s, Introduction.Status(s).label) for s in ("document", "interview", "offer", "hired", "rejected", "withdrawn")
    ]
    return render(
        request,
        "placements/company/introduction_list.html",
        {
            "company": company,
            "page": page,
            "status": status,
            "statuses": statuses,
            "job_order": job_order,
            "pending": pending_count(company),
        },
    )


def _detail_context(company: Company, introduction: Introduction) -> dict[str, object]:
    return {
        "company": company,
        "introduction": introduction,
        "profile": provided_profile(introduction),
        "item_labels": PROVIDED_ITEM_LABELS,
        "events": introduction.events.select_related("actor"),
        "move_form": IntroductionMoveForm(moves=selection_moves(introduction)),
        "comment_form": IntroductionCommentForm(),
        "provisions": introduction.provision_records.filter(company=company),
    }


@company_required
def introduction_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    introduction = company_object_or_404(company, Introduction, pk=pk, accepted_at__isnull=False)
    return render(request, "placements/company/introduction_detail.html", _detail_context(company, introduction))


@company_required
@require_POST
def introduction_move_view(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    introduction = company_object_or_404(company, Introduction, pk=pk, accepted_at__isnull=False)
    form = IntroductionMoveForm(request.POST, moves=selection_moves(introduction))
    if form.is_valid():
        introduction = introduction_move_from(request, introduction, form)
        return redirect("placements:introduction_detail", pk=introduction.pk)
    context = _detail_context(company, introduction)
    context["move_form"] = form
    return render(request, "placements/company/introduction_detail.html", context, status=400)


@company_required
@require_POST
def introduction_comment_view(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    introduction = company_object_or_404(company, Introduction, pk=pk, accepted_at__isnull=False)
    form = IntroductionCommentForm(request.POST)
    if form.is_valid():
        introduction_comment(
            introduction=introduction, comment=form.cleaned_data["comment"], actor=request_user(request)
        )
        messages.success(request, _("コメントを記録しました。"))
        return redirect("placements:introduction_detail", pk=introduction.pk)
    context = _detail_context(company, introduction)
    context["comment_form"] = form
    return render(request, "placements/company/introduction_detail.html", context, status=400)


@company_required
@require_http_methods(["GET", "POST"])
def exclusions(request: HttpRequest, company: Company) -> HttpResponse:
    user = request_user(request)
    form = ExclusionForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST":
        if not user.can_manage_company:
            messages.error(request, _("紹介先の除外設定は、企業のオーナーまたは管理者が変更できます。"))
            return redirect("placements:exclusions")
        if form.is_valid():
            excluded = form.cleaned_data["excluded"]
            try:
                with transaction.atomic():
                    exclusion = CompanyExclusion.objects.create(company=company, excluded=excluded, created_by=user)
                    audit_record(
                        actor=user,
                        action="company_exclusion.create",
                        target=exclusion,
                        company=company,
                        detail={"excluded": excluded.name},
                    )
            except IntegrityError:
                messages.info(request, _("%(name)s はすでに除外されています。") % {"name": excluded.name})
            else:
                messages.success(
                    request,
                    _("%(name)s を紹介先から除外しました。貴社経由の登録者は %(name)s に紹介されません。")
                    % {"name": excluded.name},
                )
            return redirect("placements:exclusions")
    rows = CompanyExclusion.objects.filter(company=company).select_related("excluded", "created_by")
    return render(
        request,
        "placements/company/exclusions.html",
        {"company": company, "form": form, "rows": rows, "matches": form.suggestions},
        status=400 if form.errors else 200,
    )


@company_manager_required
def exclusion_search(request: HttpRequest, company: Company) -> HttpResponse:
    """The picker's matches for what is typed (htmx swaps them in as the person types): exact or prefix
    matches only, at most 10, none for fewer than 2 characters — never the list of member companies."""
    typed = nfkc(request.GET.get("company_name", ""))[:200]
    return render(
        request,
        "placements/company/_exclusion_matches.html",
        {
            "matches": exclusion_matches(company, typed),
            "typed": bool(typed),
            "too_short": len(exclusion_query_key(typed)) < EXCLUSION_QUERY_MIN,
        },
    )


@company_manager_required
@require_POST
def exclusion_delete(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    exclusion = company_object_or_404(company, CompanyExclusion, pk=pk)
    name = exclusion.excluded.name
    with transaction.atomic():
        audit_record(
            actor=request_user(request),
            action="company_exclusion.delete",
            target=exclusion,
            company=company,
            detail={"excluded": name},
        )
        exclusion.delete()
    messages.success(request, _("%(name)s の除外を解除しました。") % {"name": name})
    return redirect("placements:exclusions")


# --- talent pool ---------------------------------------------------------------------------------------------------


@company_required
def pool_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = PoolFilterForm(request.GET or None)
    filters = PoolFilters()
    if form.is_valid():
        filters = PoolFilters(
            job_category=form.cleaned_data["job_category"],
            prefecture=form.cleaned_data["prefecture"],
            skills=form.cleaned_data["skills"],
            min_years=form.cleaned_data["min_years"],
            max_salary=form.cleaned_data["max_salary"],
        )
    start_text = request.GET.get("start", "")
    start = int(start_text) if start_text.isdigit() else 0
    found = pool_search(company, filters, start=start)
    query = request.GET.copy()
    query.pop("start", None)
    return render(
        request,
        "placements/company/pool_list.html",
        {
            "company": company,
            "form": form,
            "profiles": [pool_profile(company, candidate) for candidate in found.people],
            "too_narrow": found.too_narrow,
            "minimum_results": POOL_MINIMUM_RESULTS,
            "query": query.urlencode(),
            "start": start if not found.too_narrow else 0,
            "next_start": found.next_start,
        },
    )


@company_required
@require_http_methods(["GET", "POST"])
def pool_detail(request: HttpRequest, company: Company, token: str) -> HttpResponse:
    candidate = pool_candidate(company, token)
    if candidate is None:
        raise Http404
    form = PoolRequestForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        try:
            introduction_request_create(
                company=company,
                token=token,
                job_order=form.cleaned_data["job_order"],
                message=form.cleaned_data["message"],
                actor=user,
            )
        except IntroductionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "紹介のご依頼を承りました。キャリアアドバイザーがご本人に意向を確認し、"
                    "ご本人が承諾された場合にプロフィールを開示いたします。"
                ),
            )
            return redirect("pool:requests")
    return render(
        request,
        "placements/company/pool_detail.html",
        {"company": company, "profile": pool_profile(company, candidate), "form": form},
        status=400 if form.errors else 200,
    )


@company_required
def pool_requests(request: HttpRequest, company: Company) -> HttpResponse:
    rows = IntroductionRequest.objects.filter(company=company).select_related("job_order", "introduction")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "placements/company/pool_requests.html", {"company": company, "page": page})


# --- 確認記録 (APPI 30条): the company's record of the personal data it received from the agency ---------------


@company_required
def provision_list(request: HttpRequest, company: Company) -> HttpResponse:
    page = Paginator(provision_records(company=company), 50).get_page(request.GET.get("page"))
    return render(request, "placements/company/provision_list.html", {"page": page, "provider": provider()})


@company_required
def provision_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    record = company_object_or_404(company, ProvisionRecord, pk=pk)
    return render(
        request,
        "placements/company/provision_detail.html",
        {"record": record, "provider": provider(), "how_obtained": how_obtained()},
    )


@company_required
def provision_export(request: HttpRequest, company: Company) -> HttpResponse:
    response = HttpResponse(provision_csv(provision_records(company=company), for_company=True))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="kakunin_kiroku_{timezone.localdate():%Y%m%d}.csv"'
    return response
