"""Operator console: referrals across companies, and their invalidation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import operator_required
from accounts.models import User
from accounts.permissions import Permission
from lib.jatext import matching_every_word
from relay.forms import InvalidateForm
from relay.models import Referral
from relay.services import referral_invalidate
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
