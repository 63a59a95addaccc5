"""The operator console's outbox under /ops/mail/: every e-mail the platform sends, for every company and for
nobody's company (sign-in links, notices), with resend and cancel. Sign-in links are masked here too."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from accounts.access import operator_required
from accounts.permissions import Permission
from mailings.models import OutboundEmail
from mailings.views.outbox import email_action, email_detail_page, outbox_page


@operator_required(Permission.MAIL_VIEW)
def outbox(request: HttpRequest) -> HttpResponse:
    return outbox_page(
        request, OutboundEmail.objects.all(), template="mailings/ops/outbox.html", reveal_registrations=True
    )


@operator_required(Permission.MAIL_VIEW)
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=pk)
    return email_detail_page(request, email, template="mailings/ops/email_detail.html", reveal_registrations=True)


@operator_required(Permission.MAIL_ACT)
@require_POST
def email_resend(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=pk)
    return email_action(request, email, action="resend", detail_url="ops:outbox_email")


@operator_required(Permission.MAIL_ACT)
@require_POST
def email_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=pk)
    return email_action(request, email, action="cancel", detail_url="ops:outbox_email")
