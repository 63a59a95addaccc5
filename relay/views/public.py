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
        form = RegistrationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            candidate_register(
                link=link,
                profile=data,
                rechallenge=data["agree_rechallenge"],
                newsletter=data["agree_newsletter"],
                applicant_ref=applicant_ref,
            )
            return redirect("relay:thanks", code=link.code)
    else:
        form = RegistrationForm()
        clicked = request.session.get(CLICKED_SESSION_KEY, [])
        if link.code not in clicked:
            click_record(link=link, has_applicant_ref=bool(applicant_ref))
            request.session[CLICKED_SESSION_KEY] = [*clicked[-49:], link.code]
        if applicant_ref:
            email_clicked(company_id=link.company_id, applicant_ref=applicant_ref)
    return render(request, "relay/public/landing.html", {"link": link, "company": link.company, "form": form})


def thanks(request: HttpRequest, code: str) -> HttpResponse:
    link = get_object_or_404(RelayLink.objects.select_related("company"), code=code.lower())
    # The page names no address: the mail may have gone to the address on file rather than the one typed, and the
    # page is the same whether or not the person was registered already.
    return render(request, "relay/public/thanks.html", {"link": link, "company": link.company})
