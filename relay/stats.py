"""Figures for the company dashboard, computed with grouped queries (a fixed number per page)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company, RelayLink
from mailings.models import OutboundEmail
from relay.models import Click, CreditSummary, Referral
from relay.services import company_credit_summary


@dataclass
class FunnelFigures:
    sent: int = 0  # rejection emails the platform sent (only company-wide: an email is not tied to one link)
    clicks: int = 0
    registrations: int = 0
    counted: int = 0
    invalidated: int = 0

    @property
    def registration_rate(self) -> float | None:
        return self.registrations / self.clicks if self.clicks else None

    @property
    def click_rate(self) -> float | None:
        return self.clicks / self.sent if self.sent else None


@dataclass
class PeriodFigures(FunnelFigures):
    label: str = ""
    start: datetime | None = None


@dataclass
class LinkFigures(FunnelFigures):
    link: RelayLink | None = None


@dataclass
class CompanyFigures:
    total: FunnelFigures
    links: list[LinkFigures]
    credits: CreditSummary
    referrals_per_credit: int
    periods: list[PeriodFigures] = field(default_factory=list)
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


def _month_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def period_figures(company: Company, *, now: datetime | None = None) -> list[PeriodFigures]:
    """This month and last month (Japan time), one grouped query per table for both."""
    this_month = _month_start(now or timezone.now())
    last_month = _month_start(this_month - timedelta(days=1))
    periods = [
        PeriodFigures(label=str(_("今月")), start=this_month),
        PeriodFigures(label=str(_("先月")), start=last_month),
    ]
    bounds = [(this_month, None), (last_month, this_month)]

    def counts(queryset: Any, field_name: str, extra: Q | None = None) -> list[int]:
        aggregates = {}
        for index, (start, end) in enumerate(bounds):
            condition = Q(**{f"{field_name}__gte": start})
            if end is not None:
                condition &= Q(**{f"{field_name}__lt": end})
            if extra is not None:
                condition &= extra
            aggregates[f"p{index}"] = Count("id", filter=condition)
        row = queryset.aggregate(**aggregates)
        return [row[f"p{index}"] for index in range(len(bounds))]

    sent = counts(OutboundEmail.objects.filter(company=company, kind=OutboundEmail.Kind.REJECTION), "sent_at")
    clicks = counts(Click.objects.filter(company=company), "created_at")
    registrations = counts(Referral.objects.filter(company=company), "registered_at")
    counted = counts(Referral.objects.filter(company=company), "counted_at", Q(status=Referral.Status.COUNTED))
    for index, period in enumerate(periods):
        period.sent, period.clicks = sent[index], clicks[index]
        period.registrations, period.counted = registrations[index], counted[index]
    return periods


def company_sent_count(company: Company) -> int:
    return OutboundEmail.objects.filter(
        company=company, kind=OutboundEmail.Kind.REJECTION, status=OutboundEmail.Status.SENT
    ).count()


def company_figures(company: Company) -> CompanyFigures:
    per_link = link_figures(list(company.links.all()))
    total = FunnelFigures(
        sent=company_sent_count(company),
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
        periods=period_figures(company),
    )
