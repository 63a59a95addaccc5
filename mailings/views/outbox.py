"""The outbox pages the company and the operators share (no routes here): the list, one e-mail, resend/cancel.

Each audience's view decides which rows the person may see (the company: its own, through
company_object_or_404; operators: all) and hands them here, so the two screens never drift apart.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import request_user
from mailings.forms import OutboxFilterForm
from mailings.models import OutboundEmail
from mailings.selectors import outbox_counts, outbox_filtered
from mailings.services.outbox import outbox_cancel, outbox_resend

PAGE_SIZE = 50


def outbox_page(
    request: HttpRequest,
    emails: QuerySet[OutboundEmail],
    *,
    template: str = "mailings/company/outbox.html",
    reveal_registrations: bool = False,
    **extra: Any,
) -> HttpResponse:
    """`reveal_registrations`: the operators see every registration; a company only those the person let it see."""
    form = OutboxFilterForm(request.GET)
    shown = emails
    if form.is_valid():
        data = form.cleaned_data
        shown = outbox_filtered(
            emails,
            status=data["status"],
            kind=data["kind"],
            query=data["q"],
            reveal_registrations=reveal_registrations,
        )
    page = Paginator(shown.select_related("applicant", "company"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "counts": outbox_counts(emails),
        "reveal_registrations": reveal_registrations,
        **extra,
    }
    return render(request, template, context)


def email_detail_page(
    request: HttpRequest,
    email: OutboundEmail,
    *,
    template: str = "mailings/company/email_detail.html",
    reveal_registrations: bool = False,
    **extra: Any,
) -> HttpResponse:
    # The template shows email.shown_body, never email.body: a sign-in link stays with its owner; and
    # email.company_registered_at unless `reveal_registrations` (operators).
    context = {"email": email, "reveal_registrations": reveal_registrations, **extra}
    return render(request, template, context)


def email_action(request: HttpRequest, email: OutboundEmail, *, action: str, detail_url: str) -> HttpResponse:
    """Resend a failed e-mail or cancel a queued one, with the message the person sees either way."""
    actor = request_user(request)
    if action == "resend":
        if outbox_resend(email=email, actor=actor):
            messages.success(request, _("再送を受け付けました。まもなく送信されます。"))
        else:
            messages.error(request, _("このメールは失敗の状態ではないため、再送できません。"))
    elif outbox_cancel(email=email, actor=actor):
        messages.success(request, _("送信を取り消しました。"))
    else:
        messages.error(request, _("このメールはすでに送信処理に入っているため、取り消せません。"))
    return redirect(detail_url, pk=email.pk)
