"""Figures for the company dashboard, computed with grouped queries (a fixed number per page)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company, RelayLink
from insights.selectors.metrics import funnel, link_funnels, sent_emails
from lib.dates import JST as TOKYO
from lib.dates import Period
from relay.models import CreditSummary
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
    """Clicks and referral counts for the given links since the beginning (`metrics.link_funnels`)."""

    return [
        LinkFigures(
            link=f.link,
            clicks=f.clicks,
            registrations=f.registrations,
            counted=f.counted,
            invalidated=f.invalidated,
        )
        for f in link_funnels(links)
    ]


def period_figures(company: Company, *, now: datetime | None = None) -> list[PeriodFigures]:
    """This month and last month (Japan time), by the §5 definitions of `insights.selectors.metrics.funnel`."""

    this_month = Period.months(last_month=(now or timezone.now()).astimezone(TOKYO).date())
    result = []
    for label, period in ((_("今月"), this_month), (_("先月"), this_month.previous())):
        f = funnel(company, period)
        result.append(
            PeriodFigures(
                label=str(label),
                start=period.start,
                sent=f.sent,
                clicks=f.clicks,
                registrations=f.registrations,
                counted=f.counted,
            )
        )
    return result


def company_sent_count(company: Company) -> int:

    return sent_emails(company).count()


def company_figures(company: Company) -> CompanyFigures:

    per_link = link_figures(list(company.links.all()))
    everything = funnel(company, None)
    total = FunnelFigures(
        sent=everything.sent,
        clicks=everything.clicks,
        registrations=everything.registrations,
        counted=everything.counted,
        invalidated=sum(f.invalidated for f in per_link),
    )
    return CompanyFigures(
        total=total,
        links=per_link,
        credits=company_credit_summary(company),
        referrals_per_credit=company.contract.referrals_per_credit,
        periods=period_figures(company),
    )
