"""The re-challenge pages a candidate opens from the invitation e-mail (/rechallenge/<token>/), signed-token access."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from placements.models import JobOrder
from rechallenge.models import Reapplication, RechallengeInvitation
from rechallenge.services import (
    LINK_MAX_AGE_DAYS,
    PROVIDED_ITEMS,
    RechallengeNotAllowed,
    TokenExpired,
    rechallenge_click,
    rechallenge_reapply,
    rechallenge_stopped,
    rechallenge_token_read,
)


def _invitation_or_error(request: HttpRequest, token: str) -> RechallengeInvitation | HttpResponse:
    try:
        invitation = rechallenge_token_read(token)
    except TokenExpired:
        return render(request, "rechallenge/public/link_expired.html", {"days": LINK_MAX_AGE_DAYS}, status=410)
    if invitation is None:
        return render(request, "rechallenge/public/link_invalid.html", status=404)
    return invitation


def _reapplied_job_ids(invitation: RechallengeInvitation) -> set[int]:
    return set(
        Reapplication.objects.filter(candidate=invitation.candidate, company=invitation.company).values_list(
            "job_order_id", flat=True
        )
    )


@require_http_methods(["GET"])
def page(request: HttpRequest, token: str) -> HttpResponse:
    found = _invitation_or_error(request, token)
    if isinstance(found, HttpResponse):
        return found
    invitation = found
    assert invitation.candidate is not None
    if rechallenge_stopped(candidate=invitation.candidate, company=invitation.company):
        return render(request, "rechallenge/public/stopped.html", {"company": invitation.company})
    rechallenge_click(invitation=invitation)
    job_orders = JobOrder.objects.filter(company=invitation.company).open().order_by("-updated_at", "-pk")
    return render(
        request,
        "rechallenge/public/page.html",
        {
            "invitation": invitation,
            "company": invitation.company,
            "candidate": invitation.candidate,
            "job_orders": job_orders,
            "reapplied": _reapplied_job_ids(invitation),
            "token": token,
        },
    )


@require_http_methods(["GET", "POST"])
def reapply(request: HttpRequest, token: str, job_pk: int) -> HttpResponse:
    found = _invitation_or_error(request, token)
    if isinstance(found, HttpResponse):
        return found
    invitation = found
    assert invitation.candidate is not None
    if rechallenge_stopped(candidate=invitation.candidate, company=invitation.company):
        return render(request, "rechallenge/public/stopped.html", {"company": invitation.company})
    job_order = get_object_or_404(JobOrder, company=invitation.company, pk=job_pk)
    already = Reapplication.objects.filter(candidate=invitation.candidate, job_order=job_order).first()
    if request.method == "POST" and already is None:
        try:
            rechallenge_reapply(invitation=invitation, job_order=job_order)
        except RechallengeNotAllowed as error:
            messages.error(request, str(error))
            return redirect("rechallenge:page", token=token)
        messages.success(
            request,
            _("「%(title)s」への再応募を受け付けました。%(company)s からのご連絡をお待ちください。")
            % {"title": job_order.title, "company": invitation.company.name},
        )
        return redirect("rechallenge:reapply", token=token, job_pk=job_order.pk)
    if already is None and job_order.status != JobOrder.Status.OPEN:
        messages.info(request, _("この求人の募集は終了しました。ほかの求人をご覧ください。"))
        return redirect("rechallenge:page", token=token)
    return render(
        request,
        "rechallenge/public/reapply.html",
        {
            "invitation": invitation,
            "company": invitation.company,
            "candidate": invitation.candidate,
            "job": job_order,
            "already": already,
            "token": token,
            "provided_items": PROVIDED_ITEMS,
        },
    )
