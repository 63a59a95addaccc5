"""Every KPI of DESIGN.md §5, defined once: the company dashboard, its CSV export and the API read these.

Conventions (also shown on the dashboard):
- A period is half-open [start, end) on Asia/Tokyo calendar days (`insights.selectors.kpis.Period`).
- Flows count the events whose own timestamp falls in the period: sent = rejection emails with status SENT by
  `sent_at`; clicks by `Click.created_at`; registrations by `Referral.registered_at` (every registration, an
  invalidated one too: the person did register); counted referrals by `counted_at`, excluding those the
  operator later invalidated (status COUNTED only).
- Credits earned / used / expired / reversed = ledger entries of that kind dated in the period; reserved and
  available are stocks at the end of the period (the ledger up to then, `CreditEntryQuerySet.summary`).
- Free hires, saving and fees paid = placements whose start date (入社日, a Japanese calendar date) falls in the
  period; the cost reduction rate is `PlacementTotals.cost_reduction_rate` (fees net of refunds, excl. tax).
- Cost reduction against declared spend = saving / (declared yearly recruiting spend × days in period / 365).
- Re-application rate = re-applications dated in the period / people eligible for re-challenge (opted in,
  past cool-down, outside the placement guard: `rechallenge_eligible_counts`, one grouped query) at the end of
  the period. Re-hire rate = re-applications of the
  period whose candidate was then placed at the same company (a Placement of that candidate and company
  created on or after the re-application) / re-applications of the period.
- Applicants by selection-end reason = the company's applicants whose selection ended in the period (by
  `rejected_at`, or when it was reported when the ATS gave no date), in exactly one bucket each: one of the
  company's reasons, 確認待ち (held for review), or 取り消し・削除 (the rejection was reversed or the person
  erased). Shares are of all of them.
A rate whose denominator is 0 is None (shown as "—"), never a division by zero.

For a company (`company_kpis`, `funnel(..., private=True)`) the registration-derived figures follow
`insights.selectors.registrations` (issue 11): registrations and counted referrals run only to `cutoff` (the start
of today in Japan; the period is clamped to it), a figure below MIN_GROUP is 「5件未満」 and a rate over or under
it 「非表示」; the rates then divide by the clicks / sent of the same clamped span. Operators (`network_*`) read
the exact, live figures.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from applicants.models import Applicant
from applicants.selectors import rejection_reasons_for
from companies.models import Company, RelayLink
from insights.models import RecruitingCostProfile
from insights.selectors.kpis import SatisfactionSummary, satisfaction_summary
from insights.selectors.registrations import HIDDEN_RATE, RegistrationFigure, RegistrationGroup, clamp, suppress
from lib.dates import JST as TOKYO
from lib.dates import Period, add_months
from mailings.models import OutboundEmail
from placements.models import Placement
from placements.selectors.eligibility import rechallenge_eligible_counts
from placements.services.placements import placement_totals
from rechallenge.models import Reapplication
from relay.models import Click, CreditEntry, CreditSummary, Referral

DAYS_PER_YEAR = 365


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    """One decimal place, halves away from zero; "—" without a denominator. The page and the CSV print this."""
    if value is None:
        return "—"
    return f"{Decimal(str(value * 100)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Funnel:
    sent: int = 0
    clicks: int = 0
    registrations: int = 0
    counted: int = 0
    # A company's funnel (`private`): registrations and counted run to the cutoff, and the registration rates
    # divide by the clicks / sent of that same span (`rate_clicks` / `rate_sent`; None: the whole period's).
    private: bool = False
    rate_clicks: int | None = None
    rate_sent: int | None = None
    # Cohorts, so that no ratio can pass 100% (DESIGN.md §5): of the platform's mails sent in the span, how many
    # were clicked / led to a registration; of the period's registrations, how many are counted (None: not read).
    mail_clicks: int | None = None
    mail_registrations: int | None = None
    registrations_counted: int | None = None

    @property
    def registration_rate(self) -> float | None:
        """§5: registrations / clicks."""
        return rate(self.registrations, self.clicks if self.rate_clicks is None else self.rate_clicks)

    @property
    def registration_rate_sent(self) -> float | None:
        """§5: registrations through platform-sent mails / sent (registrations from a link the company pasted in
        its own mail have no platform mail to be divided by)."""
        if self.mail_registrations is None:
            return None
        return rate(self.mail_registrations, self.sent if self.rate_sent is None else self.rate_sent)

    @property
    def registrations_figure(self) -> RegistrationFigure:
        return RegistrationFigure(self.registrations)

    @property
    def counted_figure(self) -> RegistrationFigure:
        return RegistrationFigure(self.counted)

    @property
    def registrations_hidden(self) -> bool:
        return self.private and self.registrations_figure.is_hidden

    @property
    def counted_hidden(self) -> bool:
        return self.private and self.counted_figure.is_hidden

    @property
    def click_rate(self) -> float | None:
        """Of the platform's mails sent, the share clicked (clicks on pasted links are not mails we sent)."""
        return None if self.mail_clicks is None else rate(self.mail_clicks, self.sent)

    @property
    def count_rate(self) -> float | None:
        """Of the registrations, the share counted (a registration counted in a later period stays its own)."""
        return None if self.registrations_counted is None else rate(self.registrations_counted, self.registrations)


def _between(field_name: str, period: Period | None) -> Q:
    if period is None:
        return Q()
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lt": period.end})


def sent_emails(company: Company) -> "QuerySet[OutboundEmail]":
    return OutboundEmail.objects.filter(
        company=company, kind=OutboundEmail.Kind.REJECTION, status=OutboundEmail.Status.SENT
    )


def _span(field_name: str, period: Period | None, until: datetime) -> Q:
    """From the period's start (or the beginning) to `until`."""
    return Q(**{f"{field_name}__lt": until}) & (Q() if period is None else Q(**{f"{field_name}__gte": period.start}))


def funnel(company: Company, period: Period | None, *, private: bool = False, now: datetime | None = None) -> Funnel:
    """sent → clicks → registrations → counted for a period (None: since the beginning).

    `private`: as the company sees it (the module's docstring): registrations and counted only before the cutoff."""
    # One range-filtered count per step, so each reads only the period's slice of a (company, date) index.
    referrals = Referral.objects.filter(company=company)
    emails = sent_emails(company)
    clicks = Click.objects.filter(company=company)
    sent = emails.filter(_between("sent_at", period)).count()
    click_count = clicks.filter(_between("created_at", period)).count()
    mail_clicks = emails.filter(_between("sent_at", period), clicked_at__isnull=False).count()
    if not private:
        registered = referrals.filter(_between("registered_at", period))
        return Funnel(
            sent=sent,
            clicks=click_count,
            registrations=registered.count(),
            counted=referrals.counted().filter(_between("counted_at", period)).count(),
            mail_clicks=mail_clicks,
            mail_registrations=emails.filter(_between("sent_at", period), registered_at__isnull=False).count(),
            registrations_counted=registered.filter(status=Referral.Status.COUNTED).count(),
        )
    until = clamp(period, now)
    whole = period is not None and until >= period.end
    empty = period is not None and until <= period.start
    registered = referrals.filter(_span("registered_at", period, until))
    return Funnel(
        sent=sent,
        clicks=click_count,
        registrations=0 if empty else registered.count(),
        counted=0 if empty else referrals.counted().filter(_span("counted_at", period, until)).count(),
        private=True,
        rate_clicks=None if whole else 0 if empty else clicks.filter(_span("created_at", period, until)).count(),
        rate_sent=None if whole else 0 if empty else emails.filter(_span("sent_at", period, until)).count(),
        mail_clicks=mail_clicks,
        # Mails sent before the cutoff that led to a registration before it: the company's registration rule.
        mail_registrations=0
        if empty
        else emails.filter(_span("sent_at", period, until), registered_at__lt=until).count(),
        registrations_counted=0
        if empty
        else registered.filter(status=Referral.Status.COUNTED, counted_at__lt=until).count(),
    )


@dataclass(frozen=True)
class LinkFunnel(Funnel):
    link: RelayLink | None = None
    invalidated: int = 0


def link_funnels(links: list[RelayLink], period: Period | None = None) -> list[LinkFunnel]:
    """Per relay link / campaign, in two grouped queries whatever their number. Sent is company-wide only:
    a rejection email is not tied to one link."""
    ids = [link.pk for link in links]
    clicks = dict(
        Click.objects.filter(link_id__in=ids)
        .filter(_between("created_at", period))
        .values_list("link")
        .annotate(n=Count("id"))
    )
    rows = (
        Referral.objects.filter(link_id__in=ids)
        .filter(_between("registered_at", period) | _between("counted_at", period))
        .values("link")
        .annotate(
            registrations=Count("id", filter=_between("registered_at", period)),
            counted=Count("id", filter=_between("counted_at", period) & Q(status=Referral.Status.COUNTED)),
            invalidated=Count("id", filter=_between("registered_at", period) & Q(status=Referral.Status.INVALIDATED)),
        )
    )
    by_link: dict[int, Any] = {row["link"]: row for row in rows}
    result = []
    for link in links:
        row = by_link.get(link.pk, {})
        result.append(
            LinkFunnel(
                link=link,
                clicks=clicks.get(link.pk, 0),
                registrations=row.get("registrations", 0),
                counted=row.get("counted", 0),
                invalidated=row.get("invalidated", 0),
            )
        )
    return result


@dataclass(frozen=True)
class Credits:
    earned: int  # in the period
    used: int
    expired: int
    reversed: int
    reserved: int  # at the end of the period
    available: int


def credits(company: Company, period: Period) -> Credits:
    entries = CreditEntry.objects.filter(company=company)
    flows = entries.filter(_between("created_at", period)).summary()
    stock: CreditSummary = entries.filter(created_at__lt=period.end).summary()
    return Credits(
        earned=flows.earned,
        used=flows.used,
        expired=flows.expired,
        reversed=flows.reversed,
        reserved=stock.reserved,
        available=stock.available,
    )


def placements_in(company: Company, period: Period) -> "QuerySet[Placement]":
    return Placement.objects.filter(company=company, start_date__gte=period.first_day, start_date__lte=period.last_day)


@dataclass(frozen=True)
class Savings:
    placements: int
    free_hires: int
    saving_yen: int
    fees_paid_yen: int  # excl. tax, net of refunds
    cost_reduction_rate: float | None  # saving / (saving + fees paid)
    declared_spend_yen: int | None  # the declared yearly spend pro-rated to the period
    spend_reduction_rate: float | None  # saving / pro-rated declared spend
    average_fee_yen: int | None
    free_hires_at_average_fee_yen: int | None  # free hires × declared average agency fee


def period_days(period: Period) -> int:
    return (period.last_day - period.first_day).days + 1


def prorated_spend(yearly_yen: int, period: Period) -> int:
    exact = Decimal(yearly_yen) * period_days(period) / DAYS_PER_YEAR
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def savings(company: Company, period: Period, profile: RecruitingCostProfile | None = None) -> Savings:
    if profile is None:
        profile = RecruitingCostProfile.objects.filter(company=company).first()
    totals = placement_totals(placements_in(company, period))
    spend = prorated_spend(profile.yearly_spend_yen, period) if profile and profile.yearly_spend_yen else None
    average = profile.average_fee_yen if profile and profile.average_fee_yen else None
    return Savings(
        placements=totals.count,
        free_hires=totals.free_hires,
        saving_yen=totals.saving_yen,
        fees_paid_yen=totals.fee_yen - totals.refund_yen_excl,
        cost_reduction_rate=totals.cost_reduction_rate,
        declared_spend_yen=spend,
        spend_reduction_rate=rate(totals.saving_yen, spend) if spend else None,
        average_fee_yen=average,
        free_hires_at_average_fee_yen=totals.free_hires * average if average is not None else None,
    )


@dataclass(frozen=True)
class Rechallenge:
    eligible: int  # opted in and past cool-down at the end of the period
    reapplications: int
    rehires: int

    @property
    def reapplication_rate(self) -> float | None:
        return rate(self.reapplications, self.eligible)

    @property
    def rehire_rate(self) -> float | None:
        return rate(self.rehires, self.reapplications)


def rechallenge(company: Company, period: Period, *, today: date | None = None) -> Rechallenge:
    today = today or timezone.now().astimezone(TOKYO).date()
    counts = rechallenge_eligible_counts(today=min(period.last_day, today), looking_back=True, company=company)
    eligible = counts.get(company.pk, 0)
    reapplications = Reapplication.objects.filter(company=company).filter(_between("created_at", period))
    hired = Placement.objects.filter(
        company=company, candidate_id=OuterRef("candidate_id"), created_at__gte=OuterRef("created_at")
    )
    row = reapplications.aggregate(
        total=Count("id"), rehires=Count("id", filter=Q(Exists(hired), candidate__isnull=False))
    )
    return Rechallenge(eligible=eligible, reapplications=row["total"], rehires=row["rehires"])


@dataclass(frozen=True)
class MonthRow:
    month: date
    registrations: int = 0
    counted: int = 0
    credits_earned: int = 0
    saving_yen: int = 0
    # As the company sees them (`monthly(..., private=True)`): 「5件未満」 / 「非表示」 by the registrations rules.
    registrations_shown: str = ""
    counted_shown: str = ""
    registrations_hidden: bool = False
    counted_hidden: bool = False


def _monthly(queryset: Any, field_name: str, **aggregates: Any) -> dict[date, dict[str, Any]]:
    rows = queryset.annotate(m=TruncMonth(field_name, tzinfo=TOKYO)).values("m").annotate(**aggregates)
    return {_as_month(row["m"]): row for row in rows}


def _as_month(value: date | datetime) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(TOKYO).date()
    return value.replace(day=1)


def months_of(period: Period) -> list[date]:
    months = []
    cursor = datetime.combine(period.first_day.replace(day=1), datetime.min.time(), tzinfo=TOKYO)
    while cursor < period.end:
        months.append(cursor.date())
        cursor = add_months(cursor, 1)
    return months


def monthly(company: Company, period: Period, *, private: bool = False, now: datetime | None = None) -> list[MonthRow]:
    """Registrations, counted referrals, credits earned and savings per Japanese calendar month of the period.

    `private`: registrations and counted only before the cutoff, each column suppressed as one table."""
    until = clamp(period, now) if private else period.end
    regs = _monthly(
        Referral.objects.filter(company=company).filter(_span("registered_at", period, until)),
        "registered_at",
        n=Count("id"),
    )
    counted = _monthly(
        Referral.objects.counted().filter(company=company).filter(_span("counted_at", period, until)),
        "counted_at",
        n=Count("id"),
    )
    earned = _monthly(
        CreditEntry.objects.filter(company=company, kind=CreditEntry.Kind.GRANT).filter(_between("created_at", period)),
        "created_at",
        n=Count("id"),
    )
    saved: dict[date, int] = {}
    for start_date, saving in (
        placements_in(company, period).filter(waived=True).values_list("start_date", "saving_yen")
    ):
        key = start_date.replace(day=1)
        saved[key] = saved.get(key, 0) + saving

    def n(table: dict[date, dict[str, Any]], month: date) -> int:
        return int(table.get(month, {}).get("n", 0))

    months = months_of(period)
    reg_groups = [RegistrationGroup(label=str(month), registrations=n(regs, month)) for month in months]
    counted_groups = [RegistrationGroup(label=str(month), registrations=n(counted, month)) for month in months]
    if private:
        suppress(reg_groups)
        suppress(counted_groups)
    return [
        MonthRow(
            month=month,
            registrations=reg.registrations,
            counted=cnt.registrations,
            credits_earned=n(earned, month),
            saving_yen=saved.get(month, 0),
            registrations_shown=reg.shown,
            counted_shown=cnt.shown,
            registrations_hidden=reg.is_hidden,
            counted_hidden=cnt.is_hidden,
        )
        for month, reg, cnt in zip(months, reg_groups, counted_groups, strict=True)
    ]


@dataclass(frozen=True)
class ReasonCount:
    """One line of the by-reason table: `key` is the reason's id, "held", "closed" or "unknown"."""

    key: str
    label: str
    count: int
    share: float | None
    sends_mail: bool = False


@dataclass(frozen=True)
class ReasonBreakdown:
    rows: list[ReasonCount]
    total: int


def applicants_by_reason(company: Company, period: Period | None) -> ReasonBreakdown:
    """Applicants whose selection ended in the period, by reason (one grouped query; see the module's rules).

    Every reason of the company has a line, in its order, even at 0; 確認待ち and 取り消し・削除 follow; a line
    for applicants with no reason and no hold (recorded before reasons existed) appears only when there are some."""
    from django.utils.translation import gettext as _

    gone = Q(closed_at__isnull=False) | Q(erased_at__isnull=False)
    standing = Q(closed_at__isnull=True, erased_at__isnull=True)
    grouped = (
        Applicant.objects.filter(company=company)
        .annotate(ended_at=Coalesce("rejected_at", "created_at"))
        .filter(_between("ended_at", period))
        .values("reason")
        .annotate(
            settled=Count("id", filter=standing & Q(hold="")),
            held=Count("id", filter=standing & ~Q(hold="")),
            gone=Count("id", filter=gone),
        )
        .order_by()
    )
    settled: dict[int | None, int] = {}
    held = closed = 0
    for row in grouped:
        settled[row["reason"]] = settled.get(row["reason"], 0) + row["settled"]
        held += row["held"]
        closed += row["gone"]
    total = sum(settled.values()) + held + closed
    rows = [
        ReasonCount(
            key=str(reason.pk),
            label=reason.name,
            count=settled.get(reason.pk, 0),
            share=rate(settled.get(reason.pk, 0), total),
            sends_mail=reason.sends_mail,
        )
        for reason in rejection_reasons_for(company)
    ]
    rows.append(ReasonCount(key="held", label=_("確認待ち"), count=held, share=rate(held, total)))
    rows.append(ReasonCount(key="closed", label=_("取り消し・削除"), count=closed, share=rate(closed, total)))
    unknown = settled.get(None, 0)
    if unknown:
        rows.append(ReasonCount(key="unknown", label=_("理由未確定"), count=unknown, share=rate(unknown, total)))
    return ReasonBreakdown(rows=rows, total=total)


@dataclass(frozen=True)
class CompanyKpis:
    """Every §5 KPI of one company for one period."""

    period: Period
    funnel: Funnel
    credits: Credits
    savings: Savings
    rechallenge: Rechallenge
    satisfaction: SatisfactionSummary  # hidden below MIN_ANSWERS answers
    links: list[LinkFunnel] = field(default_factory=list)
    months: list[MonthRow] = field(default_factory=list)
    reasons: ReasonBreakdown | None = None  # with `detail` only

    @property
    def nps(self) -> int | None:
        """§5 satisfaction: None (never shown) below MIN_ANSWERS answers."""
        return self.satisfaction.nps if self.satisfaction.shown else None


def company_kpis(
    company: Company,
    period: Period,
    *,
    detail: bool = True,
    today: date | None = None,
    now: datetime | None = None,
) -> CompanyKpis:
    """The one entry point for the dashboard, the CSV export and the monthly report (`detail=False` skips
    links/months): as the company may see it, registrations and counted referrals to the cutoff (`private`)."""
    profile = RecruitingCostProfile.objects.filter(company=company).first()
    satisfaction = satisfaction_summary(company, period, with_comments=False)
    return CompanyKpis(
        period=period,
        funnel=funnel(company, period, private=True, now=now),
        credits=credits(company, period),
        savings=savings(company, period, profile),
        rechallenge=rechallenge(company, period, today=today),
        satisfaction=satisfaction,
        links=link_funnels(list(company.links.order_by("created_at", "pk")), period) if detail else [],
        months=monthly(company, period, private=True, now=now) if detail else [],
        reasons=applicants_by_reason(company, period) if detail else None,
    )


@dataclass(frozen=True)
class KpiRow:
    """One line of the comparison table and of the CSV: the formatted figure for this and the previous period."""

    key: str
    label: str
    current: str
    previous: str
    direction: str  # "up", "down" or "" (same, or not comparable)
    delta: str


def _yen(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _int(value: int | None) -> str:
    return "—" if value is None else str(value)


def _direction(current: float | None, previous: float | None) -> str:
    if current is None or previous is None or current == previous:
        return ""
    return "up" if current > previous else "down"


# The rows built on registration counts, and the counts each needs shown (the company's rule, issue 11).
REGISTRATION_ROWS: dict[str, tuple[str, ...]] = {
    "registrations": ("registrations",),
    "counted": ("counted",),
    "registration_rate": ("registrations",),
    "registration_rate_sent": ("registrations",),
}


def _hidden(key: str, kpis: CompanyKpis) -> bool:
    steps = REGISTRATION_ROWS.get(key, ())
    return any(getattr(kpis.funnel, f"{step}_hidden") for step in steps)


def _hidden_text(key: str, kpis: CompanyKpis) -> str:
    if key in ("registrations", "counted"):
        return str(getattr(kpis.funnel, f"{key}_figure").display)
    return str(HIDDEN_RATE)


def kpi_rows(current: CompanyKpis, previous: CompanyKpis) -> list[KpiRow]:
    """The figures the page and the CSV print, formatted once so both are identical."""
    from django.utils.translation import gettext as _

    Spec = tuple[str, str, Callable[[CompanyKpis], Any], Callable[[Any], str], bool]
    specs: list[Spec] = [
        ("sent", _("送信数(お祈りメール)"), lambda k: k.funnel.sent, _int, False),
        ("clicks", _("クリック数"), lambda k: k.funnel.clicks, _int, False),
        ("registrations", _("登録数"), lambda k: k.funnel.registrations, _int, False),
        ("counted", _("カウント済みの紹介"), lambda k: k.funnel.counted, _int, False),
        ("registration_rate", _("登録率(登録 / クリック)"), lambda k: k.funnel.registration_rate, percent, True),
        (
            "registration_rate_sent",
            _("登録率(送信したメールからの登録 / 送信)"),
            lambda k: k.funnel.registration_rate_sent,
            percent,
            True,
        ),
        ("credits_earned", _("獲得した無料紹介枠"), lambda k: k.credits.earned, _int, False),
        ("credits_reserved", _("確保中の無料紹介枠(期末)"), lambda k: k.credits.reserved, _int, False),
        ("credits_used", _("利用した無料紹介枠"), lambda k: k.credits.used, _int, False),
        ("credits_expired", _("期限切れの無料紹介枠"), lambda k: k.credits.expired, _int, False),
        ("credits_available", _("利用可能な無料紹介枠(期末)"), lambda k: k.credits.available, _int, False),
        ("free_hires", _("無料採用(無料紹介枠での入社)"), lambda k: k.savings.free_hires, _int, False),
        ("saving_yen", _("削減額(円・税抜)"), lambda k: k.savings.saving_yen, _yen, False),
        (
            "fees_paid_yen",
            _("お支払いの紹介手数料(円・税抜、返戻金差引後)"),
            lambda k: k.savings.fees_paid_yen,
            _yen,
            False,
        ),
        (
            "cost_reduction_rate",
            _("コスト削減率(削減額 / (削減額 + 手数料))"),
            lambda k: k.savings.cost_reduction_rate,
            percent,
            True,
        ),
        (
            "declared_spend_yen",
            _("申告された採用費(期間按分・円)"),
            lambda k: k.savings.declared_spend_yen,
            _yen,
            False,
        ),
        (
            "spend_reduction_rate",
            _("コスト削減率(削減額 / 申告採用費)"),
            lambda k: k.savings.spend_reduction_rate,
            percent,
            True,
        ),
        ("nps", _("NPS(回答5件以上で表示)"), lambda k: k.nps, _int, False),
        ("eligible", _("再チャレンジ対象者(期末)"), lambda k: k.rechallenge.eligible, _int, False),
        ("reapplications", _("再応募数"), lambda k: k.rechallenge.reapplications, _int, False),
        (
            "reapplication_rate",
            _("再応募率(再応募 / 対象者)"),
            lambda k: k.rechallenge.reapplication_rate,
            percent,
            True,
        ),
        ("rehires", _("再応募からの入社"), lambda k: k.rechallenge.rehires, _int, False),
        ("rehire_rate", _("再入社率(入社 / 再応募)"), lambda k: k.rechallenge.rehire_rate, percent, True),
    ]
    rows = []
    for key, label, get, fmt, is_rate in specs:
        now, before = get(current), get(previous)
        hidden_now, hidden_before = _hidden(key, current), _hidden(key, previous)
        if hidden_now or hidden_before:
            # A company's registration figure below MIN_GROUP (issue 11): neither it nor a change is shown.
            rows.append(
                KpiRow(
                    key=key,
                    label=label,
                    current=_hidden_text(key, current) if hidden_now else fmt(now),
                    previous=_hidden_text(key, previous) if hidden_before else fmt(before),
                    direction="",
                    delta="—",
                )
            )
            continue
        if now is None or before is None:
            delta = "—"
        elif is_rate:
            points = Decimal(str((now - before) * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            delta = f"{points:+}pt"
        else:
            delta = f"{now - before:+,}"
        rows.append(
            KpiRow(
                key=key,
                label=label,
                current=fmt(now),
                previous=fmt(before),
                direction=_direction(now, before),
                delta=delta,
            )
        )
    return rows


# Network-wide figures for the operator: the same querysets and filters as above, over every company.


def network_funnel(period: Period) -> Funnel:
    referrals = Referral.objects.all()
    mails = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.REJECTION, status=OutboundEmail.Status.SENT).filter(
        _between("sent_at", period)
    )
    registered = referrals.filter(_between("registered_at", period))
    return Funnel(
        sent=mails.count(),
        clicks=Click.objects.filter(_between("created_at", period)).count(),
        registrations=registered.count(),
        counted=referrals.counted().filter(_between("counted_at", period)).count(),
        mail_clicks=mails.filter(clicked_at__isnull=False).count(),
        mail_registrations=mails.filter(registered_at__isnull=False).count(),
        registrations_counted=registered.filter(status=Referral.Status.COUNTED).count(),
    )


@dataclass(frozen=True)
class CompanyCredits:
    company_id: int
    company_name: str
    reserved: int
    available: int

    @property
    def outstanding(self) -> int:
        """What the agency still owes this company in free introductions: available + reserved."""
        return self.available + self.reserved


def credits_by_company(period: Period) -> list[CompanyCredits]:
    """Every company's credit stock at the end of the period, largest holders first (one grouped query).

    The same arithmetic as `CreditEntryQuerySet.summary`, per company: a company in debt (negative balance)
    has 0 available and never offsets what another company holds."""
    rows = (
        CreditEntry.objects.filter(created_at__lt=period.end)
        .values("company_id", "company__name")
        .annotate(
            balance=Sum("amount", default=0),
            reserves=Count("id", filter=Q(kind=CreditEntry.Kind.RESERVE)),
            releases=Count("id", filter=Q(kind=CreditEntry.Kind.RELEASE)),
            used=Count("id", filter=Q(kind=CreditEntry.Kind.USE)),
        )
    )
    result = [
        CompanyCredits(
            company_id=row["company_id"],
            company_name=row["company__name"],
            reserved=row["reserves"] - row["releases"] - row["used"],
            available=max(row["balance"], 0),
        )
        for row in rows
    ]
    result = [row for row in result if row.outstanding]
    result.sort(key=lambda row: (-row.outstanding, row.company_name, row.company_id))
    return result


def network_credits(period: Period, holders: list[CompanyCredits] | None = None) -> Credits:
    """Flows of the period over all companies; reserved and available = the sums of every company's stock."""
    flows = CreditEntry.objects.filter(_between("created_at", period)).summary()
    holders = credits_by_company(period) if holders is None else holders
    return Credits(
        earned=flows.earned,
        used=flows.used,
        expired=flows.expired,
        reversed=flows.reversed,
        reserved=sum(row.reserved for row in holders),
        available=sum(row.available for row in holders),
    )


def network_savings(period: Period) -> Savings:
    """Placements by start date over all companies; no declared spend (that is per company)."""
    totals = placement_totals(
        Placement.objects.filter(start_date__gte=period.first_day, start_date__lte=period.last_day)
    )
    return Savings(
        placements=totals.count,
        free_hires=totals.free_hires,
        saving_yen=totals.saving_yen,
        fees_paid_yen=totals.fee_yen - totals.refund_yen_excl,
        cost_reduction_rate=totals.cost_reduction_rate,
        declared_spend_yen=None,
        spend_reduction_rate=None,
        average_fee_yen=None,
        free_hires_at_average_fee_yen=None,
    )


def network_rechallenge(period: Period, *, today: date | None = None) -> Rechallenge:
    """Eligible people of every company (each measured against its own contract's cool-down) in one grouped
    query; re-applications and re-hires in another."""
    today = today or timezone.now().astimezone(TOKYO).date()
    eligible = sum(rechallenge_eligible_counts(today=min(period.last_day, today), looking_back=True).values())
    reapplications = Reapplication.objects.filter(_between("created_at", period))
    hired = Placement.objects.filter(
        company_id=OuterRef("company_id"), candidate_id=OuterRef("candidate_id"), created_at__gte=OuterRef("created_at")
    )
    row = reapplications.aggregate(
        total=Count("id"), rehires=Count("id", filter=Q(Exists(hired), candidate__isnull=False))
    )
    return Rechallenge(eligible=eligible, reapplications=row["total"], rehires=row["rehires"])


def network_kpis(
    period: Period,
    *,
    today: date | None = None,
    holders: list[CompanyCredits] | None = None,
    funnels: "list[CompanyFunnel] | None" = None,
) -> CompanyKpis:
    """Every §5 KPI over all companies, in the shape `kpi_rows` formats (no links, months or declared spend).

    `holders` / `funnels`: the per-company rows the caller already has, summed instead of queried again."""
    return CompanyKpis(
        period=period,
        funnel=network_funnel(period) if funnels is None else funnel_total(funnels),
        credits=network_credits(period, holders),
        savings=network_savings(period),
        rechallenge=network_rechallenge(period, today=today),
        satisfaction=satisfaction_summary(None, period, with_comments=False),
    )


@dataclass(frozen=True)
class CompanyFunnel(Funnel):
    company_id: int = 0
    company_name: str = ""


def funnels_by_company(period: Period) -> list[CompanyFunnel]:
    """`funnel` of every company with any activity in the period, in seven grouped queries."""

    def grouped(queryset: Any) -> dict[int, int]:
        return dict(queryset.values_list("company_id").annotate(n=Count("id")).order_by())

    mails = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.REJECTION, status=OutboundEmail.Status.SENT).filter(
        _between("sent_at", period)
    )
    sent = grouped(mails)
    clicks = grouped(Click.objects.filter(_between("created_at", period)))
    registered = Referral.objects.filter(_between("registered_at", period))
    registrations = grouped(registered)
    counted = grouped(Referral.objects.counted().filter(_between("counted_at", period)))
    mail_clicks = grouped(mails.filter(clicked_at__isnull=False))
    mail_registrations = grouped(mails.filter(registered_at__isnull=False))
    registrations_counted = grouped(registered.filter(status=Referral.Status.COUNTED))
    ids = set(sent) | set(clicks) | set(registrations) | set(counted)
    companies = Company.objects.all()
    if len(ids) < 1000:  # a long IN list is slower than reading every name (measured in bench/ops_dashboard.py)
        companies = companies.filter(pk__in=ids)
    names = dict(companies.values_list("pk", "name"))
    return [
        CompanyFunnel(
            company_id=pk,
            company_name=names.get(pk, ""),
            sent=sent.get(pk, 0),
            clicks=clicks.get(pk, 0),
            registrations=registrations.get(pk, 0),
            counted=counted.get(pk, 0),
            mail_clicks=mail_clicks.get(pk, 0),
            mail_registrations=mail_registrations.get(pk, 0),
            registrations_counted=registrations_counted.get(pk, 0),
        )
        for pk in sorted(ids)
    ]


def funnel_total(rows: list[CompanyFunnel]) -> Funnel:
    """The network funnel as the sum of the per-company rows (equal to `network_funnel`: same filters)."""
    return Funnel(
        sent=sum(row.sent for row in rows),
        clicks=sum(row.clicks for row in rows),
        registrations=sum(row.registrations for row in rows),
        counted=sum(row.counted for row in rows),
        mail_clicks=sum(row.mail_clicks or 0 for row in rows),
        mail_registrations=sum(row.mail_registrations or 0 for row in rows),
        registrations_counted=sum(row.registrations_counted or 0 for row in rows),
    )


def ranking_by_counted(rows: list[CompanyFunnel], limit: int) -> list[CompanyFunnel]:
    """Most counted referrals first; ties by registrations, then name."""
    ranked = [row for row in rows if row.counted]
    ranked.sort(key=lambda row: (-row.counted, -row.registrations, row.company_name, row.company_id))
    return ranked[:limit]


def ranking_by_conversion(rows: list[CompanyFunnel], limit: int) -> list[CompanyFunnel]:
    """Best registration rate (registrations / clicks) first, then counted / sent; ties by more clicks.

    Companies without a click have no rate and are left out."""

    def key(row: CompanyFunnel) -> tuple[float, float, int, str, int]:
        counted_per_sent = rate(row.counted, row.sent)
        return (
            -(row.registration_rate or 0),
            -(counted_per_sent if counted_per_sent is not None else -1),
            -row.clicks,
            row.company_name,
            row.company_id,
        )

    ranked = [row for row in rows if row.clicks]
    ranked.sort(key=key)
    return ranked[:limit]


@dataclass(frozen=True)
class RevenueMonth:
    month: date
    placements: int
    free_hires: int
    fees_yen: int  # excl. tax, net of refunds
    saving_yen: int  # fees waived on credits


def revenue_by_month(period: Period) -> list[RevenueMonth]:
    """Placements and fee revenue per Japanese calendar month of the period, by start date (入社日), the same
    totals as `savings` (`placement_totals`), over every company."""
    result = []
    for month in months_of(period):
        first = max(month, period.first_day)
        last = min(add_months(datetime.combine(month, datetime.min.time()), 1).date(), period.last_day + timedelta(1))
        totals = placement_totals(Placement.objects.filter(start_date__gte=first, start_date__lt=last))
        result.append(
            RevenueMonth(
                month=month,
                placements=totals.count,
                free_hires=totals.free_hires,
                fees_yen=totals.fee_yen - totals.refund_yen_excl,
                saving_yen=totals.saving_yen,
            )
        )
    return result
