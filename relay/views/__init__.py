"""The step that the company's and the operator's referral lists take the same way (views/ops.py and
companies/views/company.py): filter by the asked status, page, and render. Each audience's view decides which
referrals the person may see and which template shows them."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from relay.models import Referral
from relay.selectors import referrals_page


def referral_list_page(
    request: HttpRequest, referrals: QuerySet[Referral], *, template: str, **extra: Any
) -> HttpResponse:
    page, status = referrals_page(referrals, status=request.GET.get("status", ""), number=request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": Referral.Status.choices, **extra}
    return render(request, template, context)
