"""Operator console: referrals across companies, and their invalidation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import operator_required, request_user
from accounts.models import User
from accounts.permissions import Permission
from companies.models import Company
from lib.jatext import matching_every_word
from relay.forms import InvalidateForm, ReviewDecisionForm
from relay.models import REVIEW_STATUSES, WAITING_STATUSES, Referral, RiskSignal
from relay.selectors import review_queue
from relay.services import ReviewRefused, referral_invalidate, referrals_review_decide
from relay.views import referral_list_page


@operator_required(Permission.REFERRALS)
def referral_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    referrals = matching_every_word(
        Referral.objects.select_related("company", "link", "candidate"),
        query,
        "company__search_text",
        "candidate__search_text",
    )
    return referral_list_page(request, referrals, template="relay/ops/referral_list.html", q=query)


@operator_required(Permission.REFERRALS)
@require_http_methods(["GET", "POST"])
def referral_invalidate_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral.objects.select_related("company", "candidate", "link"), pk=pk)
    form = InvalidateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        try:
            referral_invalidate(referral=referral, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("紹介を無効にしました。獲得済みの無料紹介枠に影響する場合は台帳で取り消されます。")
            )
            return redirect("ops:referrals")
    return render(request, "relay/ops/referral_invalidate.html", {"referral": referral, "form": form})


REVIEW_PAGE_SIZE = 100


@operator_required(Permission.REFERRALS)
@require_http_methods(["GET", "POST"])
def referral_review(request: HttpRequest) -> HttpResponse:
    """The review queue: an admin confirms, holds or invalidates high-risk and cooling-off referrals."""
    user = request_user(request)
    state = "cooling_off" if request.GET.get("state") == "cooling_off" else "review"
    company_param = request.GET.get("company", "")
    company_id = int(company_param) if company_param.isdigit() and len(company_param) < 10 else None
    signal = request.GET.get("signal", "")
    signal = signal if signal in RiskSignal.values else ""
    referrals = review_queue(state=state, company_id=company_id, signal=signal)
    shown = list(referrals[:REVIEW_PAGE_SIZE])
    # Decisions apply to any referral still waiting, so a row shown before another admin's decision is refused
    # by the service with its own message instead of disappearing silently.
    posted = [int(pk) for pk in request.POST.getlist("referrals") if pk.isdigit() and len(pk) < 12]
    waiting_ids = list(Referral.objects.filter(pk__in=posted, status__in=WAITING_STATUSES).values_list("pk", flat=True))
    form = ReviewDecisionForm(request.POST if request.method == "POST" else None, referral_ids=waiting_ids)
    if request.method == "POST" and form.is_valid():
        chosen = Referral.objects.filter(pk__in=form.cleaned_data["referrals"]).order_by("registered_at", "id")
        try:
            done, refusals = referrals_review_decide(
                referrals=chosen, decision=form.cleaned_data["decision"], actor=user, reason=form.cleaned_data["reason"]
            )
        except ReviewRefused as refused:
            form.add_error(None, refused)
        else:
            if done:
                messages.success(request, _("%(n)s 件の紹介を処理しました。") % {"n": done})
            for refusal in refusals:
                messages.error(request, refusal)
            return redirect(request.get_full_path())
    companies = (
        Company.objects.filter(referrals__status__in=[Referral.Status.COOLING_OFF, *REVIEW_STATUSES])
        .distinct()
        .order_by("name_kana", "name")
    )
    return render(
        request,
        "relay/ops/referral_review.html",
        {
            "referrals": shown,
            "total": referrals.count(),
            "form": form,
            "state": state,
            "company_id": company_id,
            "signal": signal,
            "signals": RiskSignal.choices,
            "companies": companies,
        },
    )
