"""The company side of introductions (推薦) and its exclusion settings (rule 9).

A company sees an introduction only once the person accepted it: before that it learns nothing but how many
proposals wait for an answer. Everyone in the company reads and moves the selection (day-to-day recruiting
work); only owners and admins name the competitors excluded from their relay's candidates.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from audit.services import audit_record
from companies.models import Company
from placements.forms import ExclusionForm, IntroductionCommentForm, IntroductionMoveForm
from placements.introductions import (
    PROVIDED_ITEM_LABELS,
    IntroductionNotAllowed,
    introduction_comment,
    introduction_move,
    pending_count,
    provided_profile,
    selection_moves,
)
from placements.models import CompanyExclusion, Introduction, JobOrder


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
        "placements/introductions/company_list.html",
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
    }


@company_required
def introduction_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    introduction = company_object_or_404(company, Introduction, pk=pk, accepted_at__isnull=False)
    return render(request, "placements/introductions/company_detail.html", _detail_context(company, introduction))


@company_required
@require_POST
def introduction_move_view(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    introduction = company_object_or_404(company, Introduction, pk=pk, accepted_at__isnull=False)
    form = IntroductionMoveForm(request.POST, moves=selection_moves(introduction))
    if form.is_valid():
        try:
            introduction = introduction_move(
                introduction=introduction,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                actor=request_user(request),
            )
        except IntroductionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("選考状況を「%(status)s」に更新しました。") % {"status": introduction.get_status_display()}
            )
        return redirect("placements:introduction_detail", pk=introduction.pk)
    context = _detail_context(company, introduction)
    context["move_form"] = form
    return render(request, "placements/introductions/company_detail.html", context, status=400)


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
    return render(request, "placements/introductions/company_detail.html", context, status=400)


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
    return render(request, "placements/exclusions.html", {"company": company, "form": form, "rows": rows})


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
