from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from candidates.forms import RegistrationForm
from candidates.services import candidate_register
from companies.models import RelayLink
from lib.challenge import TOKEN_FIELD, challenge_issue, challenge_verify
from lib.ratelimit import client_ip, default_limiter, rate_for, rate_limited_render, rate_limits_hit
from mailings.services.tracking import email_clicked
from relay.services import click_record

CLICKED_SESSION_KEY = "relay_clicked_links"


REGISTRATION_CHALLENGE = "relay_registration"


def _challenge_needed(request: HttpRequest, link: RelayLink) -> bool:
    """Past a few registrations an hour from one IP, or many through one link, the form asks for a challenge."""
    limiter = default_limiter()
    thresholds = settings.REGISTRATION_CHALLENGE_AFTER
    return any(
        limiter.peek(scope, identity, rate_for(scope)).count >= thresholds[scope]
        for scope, identity in (("registration:ip", client_ip(request)), ("registration:link", link.code))
    )


@require_http_methods(["GET", "POST"])
def landing(request: HttpRequest, code: str) -> HttpResponse:
    link = get_object_or_404(RelayLink.objects.select_related("company"), code=code.lower())
    if not link.is_active:
        return render(request, "relay/public/link_closed.html", {"link": link}, status=410)
    if request.method == "GET" and "ref" in request.GET:
        # Keep the signed applicant reference out of the address bar and out of shared screenshots.
        request.session[f"relay_ref:{link.code}"] = request.GET["ref"][:500]
        return redirect("relay:landing", code=link.code)
    applicant_ref = link.read_applicant_ref(request.session.get(f"relay_ref:{link.code}", "")) or ""
    context: dict[str, Any] = {"link": link, "company": link.company}
    status = 200

    if request.method == "POST":
        form = RegistrationForm(request.POST, company_name=link.company.name)
        if form.is_valid():
            data = form.cleaned_data
            if _challenge_needed(request, link) and not challenge_verify(request.POST, purpose=REGISTRATION_CHALLENGE):
                if TOKEN_FIELD in request.POST:
                    status = 400
                    context["challenge_error"] = _(
                        "確認が済んでいないか、有効期限が切れました。お手数ですが、もう一度ご確認ください。"
                    )
                else:  # the threshold was passed while this person was filling in the form
                    context["challenge_error"] = _("恐れ入りますが、送信前の確認をお願いいたします。")
            else:
                refusal = rate_limits_hit(
                    [
                        ("registration:ip", client_ip(request)),
                        ("registration:link", link.code),
                        ("registration:email", data["email_normalized"]),
                    ]
                )
                if refusal is not None:
                    context["form"] = form
                    context["challenge"] = challenge_issue(purpose=REGISTRATION_CHALLENGE)
                    return rate_limited_render(request, "relay/public/landing.html", context, refusal)
                candidate_register(
                    link=link,
                    profile=data,
                    rechallenge=data["agree_rechallenge"],
                    newsletter=data["agree_newsletter"],
                    share_with_company=data["agree_share_with_company"],
                    applicant_ref=applicant_ref,
                    client_ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
                )
                return redirect("relay:thanks", code=link.code)
    else:
        form = RegistrationForm(company_name=link.company.name)
        clicked = request.session.get(CLICKED_SESSION_KEY, [])
        if link.code not in clicked:
            click_record(link=link, has_applicant_ref=bool(applicant_ref))
            request.session[CLICKED_SESSION_KEY] = [*clicked[-49:], link.code]
        if applicant_ref:
            email_clicked(company_id=link.company_id, applicant_ref=applicant_ref)
    if _challenge_needed(request, link):
        context["challenge"] = challenge_issue(purpose=REGISTRATION_CHALLENGE)
    return render(request, "relay/public/landing.html", {**context, "form": form}, status=status)


def thanks(request: HttpRequest, code: str) -> HttpResponse:
    link = get_object_or_404(RelayLink.objects.select_related("company"), code=code.lower())
    # The page names no address: the mail may have gone to the address on file rather than the one typed, and the
    # page is the same whether or not the person was registered already.
    return render(request, "relay/public/thanks.html", {"link": link, "company": link.company})
