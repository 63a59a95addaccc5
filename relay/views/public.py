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

# An anonymous visitor gets no session row (issue 14): what the landing must remember of them between requests is in
# two signed cookies. The links whose click was already recorded (so a reload is not a second click), and, per
# link, the signed applicant reference of a personal link (kept out of the address bar).
CLICKED_COOKIE = "relay_clicked"
CLICKED_REMEMBERED = 50
REF_COOKIE_PREFIX = "relay_ref_"
VISIT_COOKIE_AGE = 60 * 60 * 24 * 30


def _signed_cookie(request: HttpRequest, name: str) -> str:
    """The cookie's value, or "" when it is missing, tampered with or too old."""
    value = request.get_signed_cookie(name, default="", salt=name, max_age=VISIT_COOKIE_AGE)
    return value if isinstance(value, str) else ""


def _remember(response: HttpResponse, name: str, value: str) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=name,
        max_age=VISIT_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


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
        onward = redirect("relay:landing", code=link.code)
        _remember(onward, REF_COOKIE_PREFIX + link.code, request.GET["ref"][:500])
        return onward
    applicant_ref = link.read_applicant_ref(_signed_cookie(request, REF_COOKIE_PREFIX + link.code)) or ""
    newly_clicked: list[str] | None = None
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
                # The reference was this person's; someone else registering in the same browser later must not
                # be taken for the same applicant.
                done = redirect("relay:thanks", code=link.code)
                done.delete_cookie(REF_COOKIE_PREFIX + link.code, samesite="Lax")
                return done
    else:
        form = RegistrationForm(company_name=link.company.name)
        clicked = [code for code in _signed_cookie(request, CLICKED_COOKIE).split(",") if code]
        if link.code not in clicked:
            click_record(link=link, has_applicant_ref=bool(applicant_ref))
            newly_clicked = [*clicked[-(CLICKED_REMEMBERED - 1) :], link.code]
        if applicant_ref:
            email_clicked(company_id=link.company_id, applicant_ref=applicant_ref)
    if _challenge_needed(request, link):
        context["challenge"] = challenge_issue(purpose=REGISTRATION_CHALLENGE)
    page = render(request, "relay/public/landing.html", {**context, "form": form}, status=status)
    if newly_clicked is not None:
        _remember(page, CLICKED_COOKIE, ",".join(newly_clicked))
    return page


def thanks(request: HttpRequest, code: str) -> HttpResponse:
    link = get_object_or_404(RelayLink.objects.select_related("company"), code=code.lower())
    # The page names no address: the mail may have gone to the address on file rather than the one typed, and the
    # page is the same whether or not the person was registered already.
    return render(request, "relay/public/thanks.html", {"link": link, "company": link.company})
