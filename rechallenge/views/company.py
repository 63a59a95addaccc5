"""Re-challenge screens: the candidate's page behind the signed link (no sign-in), and the company's overview."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required
from accounts.models import User
from applicants.models import Applicant
from companies.models import Company, Contract
from lib.dates import jst_today
from placements.models import JobOrder
from rechallenge.models import Reapplication, RechallengeInvitation
from rechallenge.services import (
    RechallengeNotAllowed,
    applicant_label,
    rechallenge_candidates,
    rechallenge_invite,
)
from relay.models import Referral

# --- the company's screen --------------------------------------------------------------------------------------------


@company_required
def company_overview(request: HttpRequest, company: Company) -> HttpResponse:
    today = jst_today()
    eligible = rechallenge_candidates(company=company, today=today)
    rows = [{"eligible": e, "due": e.due_sequence(today)} for e in eligible]
    labels = {e.referral.pk: e.label for e in eligible}
    invitations = list(
        RechallengeInvitation.objects.filter(company=company)
        .select_related("outbound_email", "referral")
        .prefetch_related("reapplications")[:200]
    )
    # People no longer eligible (consent withdrawn, both invitations sent) keep the label the company knows.
    refs = {i.referral.applicant_ref for i in invitations if i.referral and i.referral.applicant_ref}
    applicants = {a.ref: a for a in Applicant.objects.filter(company=company, ref__in=refs)} if refs else {}
    for invitation in invitations:
        label = labels.get(invitation.referral_id or 0)
        if label is None and invitation.referral is not None:
            applicant = applicants.get(invitation.referral.applicant_ref)
            label = applicant_label(applicant) if applicant else _("登録者 #%(id)s") % {"id": invitation.referral_id}
        invitation.label = label or _("退会された方")  # type: ignore[attr-defined]
    contract = Contract.objects.filter(company=company).first() or Contract(company=company)
    return render(
        request,
        "rechallenge/company/invitations.html",
        {
            "company": company,
            "contract": contract,
            "rows": rows,
            "invitations": invitations,
            "reapplications": Reapplication.objects.filter(company=company).select_related("candidate", "job_order"),
            "open_jobs": JobOrder.objects.filter(company=company).open().count(),
        },
    )


@company_manager_required
@require_POST
def company_invite(request: HttpRequest, company: Company, referral_pk: int) -> HttpResponse:
    referral = company_object_or_404(company, Referral, pk=referral_pk)
    assert isinstance(request.user, User)
    try:
        invitation = rechallenge_invite(company=company, referral=referral, actor=request.user)
    except RechallengeNotAllowed as error:
        messages.error(request, str(error))
    else:
        if invitation is None:
            messages.info(request, _("この方は配信停止をご希望のため、ご案内はお送りしませんでした。"))
        else:
            messages.success(
                request,
                _("再チャレンジのご案内(%(n)s回目)の送信手続きをしました。") % {"n": invitation.sequence},
            )
    return redirect("rechallenge:company")
