"""Reads of referrals shared by the company's and the operator's screens."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from relay.models import Referral

REFERRALS_PER_PAGE = 50


def referrals_page(
    referrals: QuerySet[Referral], *, status: str, number: str | int | None
) -> tuple[Page[Referral], str]:
    """One page of `referrals`, narrowed to `status` when it names a real status.

    Returns the page and the status actually applied ("" when the asked one was not a status), so the
    filter on the screen shows what the list really holds.
    """
    if status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    else:
        status = ""
    return Paginator(referrals, REFERRALS_PER_PAGE).get_page(number), status
