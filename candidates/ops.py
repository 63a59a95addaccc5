"""Operator console: the candidates who registered, searchable on Japanese text."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_required
from accounts.models import User
from candidates.models import Candidate, Consent
from candidates.services import candidate_record_interview
from lib.choices import JobCategory, Prefecture
from relay.models import Referral, Touch


@operator_required
def candidate_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    candidates = Candidate.objects.select_related("referral__company").search(query)
    prefecture = request.GET.get("prefecture", "")
    if prefecture.isdigit():
        candidates = candidates.filter(prefecture=int(prefecture))
    job_category = request.GET.get("job_category", "")
    if job_category in JobCategory.values:
        candidates = candidates.filter(job_category=job_category)
    page = Paginator(candidates, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "candidates/ops/candidate_list.html",
        {
            "page": page,
            "q": query,
            "prefecture": prefecture,
            "job_category": job_category,
            "prefectures": Prefecture.choices,
            "job_categories": JobCategory.choices,
        },
    )


@operator_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(Candidate, pk=pk)
    return render(
        request,
        "candidates/ops/candidate_detail.html",
        {
            "candidate": candidate,
            "referral": Referral.objects.filter(candidate=candidate).select_related("company", "link").first(),
            "touches": Touch.objects.filter(candidate=candidate).select_related("link__company"),
            "consents": candidate.current_consents(),
            "consent_history": candidate.consents.all(),
            "kinds": dict(Consent.Kind.choices),
        },
    )


@operator_required
@require_POST
def candidate_interview(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(Candidate, pk=pk)
    assert isinstance(request.user, User)
    if candidate.first_interview_at is not None:
        messages.info(request, _("初回面談はすでに記録されています。"))
    else:
        candidate_record_interview(candidate=candidate, actor=request.user)
        messages.success(request, _("初回面談の実施を記録しました。"))
    return redirect("ops:candidate_detail", pk=candidate.pk)
