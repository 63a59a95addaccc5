"""Figures for the company dashboard, computed with grouped queries (a fixed number per page)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from companies.models import Company, RelayLink
from relay.models import Click, CreditSummary, Referral
from relay.services import company_credit_summary


@dataclass
class FunnelFigures:
    clicks: int = 0
    registrations: int = 0
    counted: int = 0
    invalidated: int = 0

    @property
    def registration_rate(self) -> float | None:
        return self.registrations / self.clicks if self.clicks else None


@dataclass
class LinkFigures(FunnelFigures):
    link: RelayLink | None = None


@dataclass
class CompanyFigures:
    total: FunnelFigures
    links: list[LinkFigures]
    credits: CreditSummary
    referrals_per_credit: int
    remaining_to_next_credit: int = field(init=False)
    progress_percent: int = field(init=False)

    def __post_init__(self) -> None:
        into_cycle = self.total.counted % self.referrals_per_credit
        self.remaining_to_next_credit = self.referrals_per_credit - into_cycle
        self.progress_percent = round(100 * into_cycle / self.referrals_per_credit)


def link_figures(links: list[RelayLink]) -> list[LinkFigures]:
    """Clicks and referral counts for the given links, in two grouped queries whatever their number."""
    link_ids = [link.pk for link in links]
    clicks = dict(Click.objects.filter(link_id__in=link_ids).values_list("link").annotate(n=Count("id")))
    referral_rows = (
        Referral.objects.filter(link_id__in=link_ids)
        .values("link")
        .annotate(
            registrations=Count("id"),
            counted=Count("id", filter=Q(status=Referral.Status.COUNTED)),
            invalidated=Count("id", filter=Q(status=Referral.Status.INVALIDATED)),
        )
    )
    by_link: dict[int, Mapping[str, Any]] = {row["link"]: row for row in referral_rows}
    figures = []
    for link in links:
        row = by_link.get(link.pk) or {}
        figures.append(
            LinkFigures(
                link=link,
                clicks=clicks.get(link.pk, 0),
                registrations=row.get("registrations", 0),
                counted=row.get("counted", 0),
                invalidated=row.get("invalidated", 0),
            )
        )
    return figures


def company_figures(company: Company) -> CompanyFigures:
    per_link = link_figures(list(company.links.all()))
    total = FunnelFigures(
        clicks=sum(f.clicks for f in per_link),
        registrations=sum(f.registrations for f in per_link),
        counted=sum(f.counted for f in per_link),
        invalidated=sum(f.invalidated for f in per_link),
    )
    return CompanyFigures(
        total=total,
        links=per_link,
        credits=company_credit_summary(company),
        referrals_per_credit=company.contract.referrals_per_credit,
    )
