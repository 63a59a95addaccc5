from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from mailings.models import DevMail


def _enabled() -> None:
    if not settings.DEV_MAILBOX:
        raise Http404


def mailbox(request: HttpRequest) -> HttpResponse:
    _enabled()
    return render(request, "mailings/mailbox.html", {"mails": DevMail.objects.all()[:100]})


def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _enabled()
    return render(request, "mailings/mailbox_detail.html", {"mail": get_object_or_404(DevMail, pk=pk)})
