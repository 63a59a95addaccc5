from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from candidates.forms import RegistrationForm
from candidates.services import candidate_register
from companies.models import RelayLink
from mailings.services.tracking import email_clicked
from relay.services import click_record

CLICKED_SESSION_KEY = "relay_clicked_links"


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

    if request.method == "POST":
        form = RegistrationForm(request.POST, company_name=link.company.name)
        if form.is_valid():
            data = form.cleaned_data
            candidate_register(
                link=link,
                profile=data,
                rechallenge=data["agree_rechallenge"],
                newsletter=data["agree_newsletter"],
                share_with_company=data["agree_share_with_company"],
                applicant_ref=applicant_ref,
                client_ip=request.META.get("REMOTE_ADDR", ""),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            )
            request.session["relay_registered_email"] = data["email"]
            return redirect("relay:thanks", code=link.code)
    else:
        form = RegistrationForm(company_name=link.company.name)
        clicked = request.session.get(CLICKED_SESSION_KEY, [])
        if link.code not in clicked:
            click_record(link=link, has_applicant_ref=bool(applicant_ref))
            request.session[CLICKED_SESSION_KEY] = [*clicked[-49:], link.code]
        if applicant_ref:
            email_clicked(company_id=link.company_id, applicant_ref=applicant_ref)
    return render(request, "relay/public/landing.html", {"link": link, "company": link.company, "form": form})


def thanks(request: HttpRequest, code: str) -> HttpResponse:
    link = get_object_or_404(RelayLink.objects.select_related("company"), code=code.lower())
    return render(
        request,
        "relay/public/thanks.html",
        {"link": link, "company": link.company, "email": request.session.pop("relay_registered_email", "")},
    )
