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


def company_figures(company: Company) -> CompanyFigures:
    links = list(company.links.all())
    clicks = dict(Click.objects.filter(company=company).values_list("link").annotate(n=Count("id")))
    referral_rows = (
        Referral.objects.filter(company=company)
        .values("link")
        .annotate(
            registrations=Count("id"),
            counted=Count("id", filter=Q(status=Referral.Status.COUNTED)),
            invalidated=Count("id", filter=Q(status=Referral.Status.INVALIDATED)),
        )
    )
    by_link = {row["link"]: row for row in referral_rows}
    per_link = []
    for link in links:
        row: Mapping[str, Any] = by_link.get(link.pk) or {}
        per_link.append(
            LinkFigures(
                link=link,
                clicks=clicks.get(link.pk, 0),
                registrations=row.get("registrations", 0),
                counted=row.get("counted", 0),
                invalidated=row.get("invalidated", 0),
            )
        )
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
