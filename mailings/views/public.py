"""Screens for anyone, signed in or not: the unsubscribe link of promotional mail and the development mailbox."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from companies.models import Company
from mailings.models import DevMail
from mailings.services.unsubscribe import suppression_add, unsubscribe_read


def _enabled() -> None:
    if not settings.DEV_MAILBOX:
        raise Http404


def mailbox(request: HttpRequest) -> HttpResponse:
    _enabled()
    return render(request, "mailings/public/mailbox.html", {"mails": DevMail.objects.all()[:100]})


def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _enabled()
    return render(request, "mailings/public/mailbox_detail.html", {"mail": get_object_or_404(DevMail, pk=pk)})


@csrf_exempt  # RFC 8058 one-click unsubscribe is a POST from the mail client, which has no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Works without signing in. GET asks for confirmation (link scanners must not unsubscribe anyone); POST does it."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "mailings/public/unsubscribe_invalid.html", status=404)
    company = Company.objects.filter(pk=found.company_id).first() if found.company_id else None
    if found.company_id and company is None:
        return render(request, "mailings/public/unsubscribe_invalid.html", status=404)
    if request.method == "POST":
        suppression_add(email=found.email_normalized, company=company)
        return render(request, "mailings/public/unsubscribe_done.html", {"company": company})
    return render(request, "mailings/public/unsubscribe_confirm.html", {"company": company, "token": token})
