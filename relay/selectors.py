"""Reads of referrals shared by the company's and the operator's screens."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Min, Q, QuerySet

from relay.models import REVIEW_STATUSES, WAITING_STATUSES, Referral, RiskSignal

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


def review_queue(*, state: str, company_id: int | None, signal: str) -> QuerySet[Referral]:
    """The operator's review queue, highest risk first: waiting for review (and held), or in cooling-off."""
    statuses = [Referral.Status.COOLING_OFF] if state == "cooling_off" else list(REVIEW_STATUSES)
    referrals = Referral.objects.filter(status__in=statuses).select_related("company", "link", "candidate")
    if company_id is not None:
        referrals = referrals.filter(company_id=company_id)
    if signal in RiskSignal.values:
        referrals = referrals.filter(risk_codes__contains=f",{signal},")
    return referrals.order_by("-risk_score", "registered_at", "id")


@dataclass(frozen=True)
class WaitingSummary:
    """Verified referrals that do not count yet: in cooling-off (and when the first counts), or under review."""

    cooling_off: int
    in_review: int
    next_count_at: datetime | None

    @property
    def total(self) -> int:
        return self.cooling_off + self.in_review


def waiting_summary(*, company_id: int, registered_before: datetime | None = None) -> WaitingSummary:
    """Referrals waiting to count. `registered_before`: only those registered earlier (the company's screens pass
    the start of today, so the figure never moves minutes after a named person clicked their link)."""
    waiting = Referral.objects.filter(company_id=company_id, status__in=WAITING_STATUSES)
    if registered_before is not None:
        waiting = waiting.filter(registered_at__lt=registered_before)
    figures = waiting.aggregate(
        cooling_off=Count("id", filter=Q(status=Referral.Status.COOLING_OFF)),
        in_review=Count("id", filter=Q(status__in=REVIEW_STATUSES)),
        next_count_at=Min("count_after", filter=Q(status=Referral.Status.COOLING_OFF)),
    )
    return WaitingSummary(**figures)


def review_queue_size() -> int:
    """How many referrals wait for an admin's decision (in review or held), across the network."""
    return Referral.objects.filter(status__in=REVIEW_STATUSES).count()
