"""Figures for the company dashboard, computed with grouped queries (a fixed number per page).

The registration figures a company sees here follow `insights.selectors.registrations` (issue 11): this month's,
last month's and the cumulative registrations run to the cutoff (the start of today in Japan) and show 「5件未満」
below MIN_GROUP (`private` figures, `CompanyFigures.disclosed`). `CompanyFigures.total` stays exact and live: the
operators' company page reads it, and so does the credit progress (あと N 人で無料紹介枠), which is the contract."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company, RelayLink
from insights.selectors.metrics import funnel, link_funnels, sent_emails
from insights.selectors.registrations import RegistrationFigure, RegistrationGroup, cutoff, suppress
from lib.dates import JST as TOKYO
from lib.dates import Period
from relay.models import CreditSummary, Referral
from relay.services import company_credit_summary


@dataclass
class FunnelFigures:
    sent: int = 0  # rejection emails the platform sent (only company-wide: an email is not tied to one link)
    clicks: int = 0
    registrations: int = 0
    counted: int = 0
    invalidated: int = 0
    private: bool = False  # as a company sees it: registrations and counted to the cutoff, 「5件未満」 below 5
    rate_clicks: int | None = None  # for `private`: the clicks of the same span as the registrations
    # For `private`: the hidden reason per figure ("" shown, "small", "complement"), set by `company_figures`.
    registrations_reason: str = ""
    counted_reason: str = ""

    @property
    def registration_rate(self) -> float | None:
        clicks = self.clicks if self.rate_clicks is None else self.rate_clicks
        return self.registrations / clicks if clicks else None

    def _group(self, value: int, reason: str) -> RegistrationGroup:
        group = RegistrationGroup(label="", registrations=value)
        if self.private:
            group.hidden_reason = reason or ("small" if RegistrationFigure(value).is_hidden else "")
        return group

    @property
    def registrations_shown(self) -> str:
        return self._group(self.registrations, self.registrations_reason).shown

    @property
    def counted_shown(self) -> str:
        return self._group(self.counted, self.counted_reason).shown

    @property
    def registrations_hidden(self) -> bool:
        return self._group(self.registrations, self.registrations_reason).is_hidden

    @property
    def counted_hidden(self) -> bool:
        return self._group(self.counted, self.counted_reason).is_hidden


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
    # The cumulative figures as the company may see them (`private`); `total` is exact (operators, credit progress).
    disclosed: FunnelFigures = field(default_factory=FunnelFigures)
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
        f = funnel(company, period, private=True, now=now)
        result.append(
            PeriodFigures(
                label=str(label),
                start=period.start,
                sent=f.sent,
                clicks=f.clicks,
                registrations=f.registrations,
                counted=f.counted,
                private=True,
                rate_clicks=f.rate_clicks,
            )
        )
    return result


def company_sent_count(company: Company) -> int:

    return sent_emails(company).count()


def company_figures(company: Company, *, now: datetime | None = None) -> CompanyFigures:
    """`total` and `links` exact (the operators' company page; the credit progress), `periods` and `disclosed`
    as the company may see them."""
    per_link = link_figures(list(company.links.all()))
    everything = funnel(company, None)
    seen = funnel(company, None, private=True, now=now)
    disclosed = FunnelFigures(
        sent=seen.sent,
        clicks=seen.clicks,
        registrations=seen.registrations,
        counted=seen.counted,
        invalidated=Referral.objects.filter(
            company=company, status=Referral.Status.INVALIDATED, registered_at__lt=cutoff(now)
        ).count(),
        private=True,
        rate_clicks=seen.rate_clicks,
    )
    total = FunnelFigures(
        sent=everything.sent,
        clicks=everything.clicks,
        registrations=everything.registrations,
        counted=everything.counted,
        invalidated=sum(f.invalidated for f in per_link),
    )
    periods = period_figures(company, now=now)
    _no_subtraction(periods)
    return CompanyFigures(
        total=total,
        links=per_link,
        credits=company_credit_summary(company),
        referrals_per_credit=company.contract.referrals_per_credit,
        periods=periods,
        disclosed=disclosed,
    )


def _no_subtraction(periods: list[PeriodFigures]) -> None:
    """Rule 3 for the dashboard's table of this month, last month and the cumulative figure: when one month's
    figure is hidden, the other month's is hidden too, since the cumulative figure minus the shown month would
    otherwise give the hidden month's count to anyone who knows the months before (a company may: it saw them)."""
    for step in ("registrations", "counted"):
        groups = suppress(RegistrationGroup(label="", registrations=getattr(row, step)) for row in periods)
        for row, group in zip(periods, groups, strict=True):
            setattr(row, f"{step}_reason", group.hidden_reason)
