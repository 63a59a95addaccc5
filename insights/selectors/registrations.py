"""Registrations as the company may see them: counts per relay link, per rejection template and per month, never
per person (issue 11 point 6; the landing page promises it). A person is named as registered only when they
consented to the company learning it (`Consent.Kind.SHARE_WITH_COMPANY`, `OutboundEmail.company_registered_at`).

The disclosure rule, applied the same way to every table here:
1. Small groups are hidden. A group with fewer than MIN_GROUP registrations shows 「5件未満」, never the number.
2. Mailed groups hide near-totals too. For a group of people the company mailed (a template), the count is also
   hidden (「非表示」) when fewer than MIN_GROUP of the mailed people did not register: "18 of 20 registered"
   says almost every named recipient did.
3. No subtraction. When exactly one group of a table is hidden, the smallest shown group is hidden as well
   (「非表示」), so that a table total or the company's overall figures minus the shown groups never gives one
   hidden group's count. No table shows a total of its own.
4. No watching the clock. Counts run to the end of the previous day in Japan (`cutoff`), so a count never moves
   minutes after a named person clicked their personal link.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company
from lib.dates import JST, add_months, jst_today
from mailings.models import OutboundEmail
from relay.models import Referral

MIN_GROUP = 5


@dataclass
class RegistrationGroup:
    """One row of an aggregate table: what it groups, and the count as the company may see it."""

    label: str
    registrations: int
    mailed: int | None = None
    key: int | None = None  # the relay link's id, for the link tables
    hidden_reason: str = ""  # "" (shown), "small" (fewer than MIN_GROUP) or "complement" (rules 2 and 3)

    @property
    def shown(self) -> str:
        if self.hidden_reason == "small":
            return _("%(n)s件未満") % {"n": MIN_GROUP}
        if self.hidden_reason:
            return _("非表示")
        return f"{self.registrations:,}"

    @property
    def is_hidden(self) -> bool:
        return bool(self.hidden_reason)


def cutoff(now: datetime | None = None) -> datetime:
    """The start of today in Japan: registrations before it are counted (rule 4)."""
    today = jst_today() if now is None else timezone.localtime(now, JST).date()
    return datetime(today.year, today.month, today.day, tzinfo=JST)


def suppress(groups: Iterable[RegistrationGroup]) -> list[RegistrationGroup]:
    """Apply rules 1–3 to one table's groups (in the order the table shows them)."""
    rows = list(groups)
    for row in rows:
        if row.registrations < MIN_GROUP:
            row.hidden_reason = "small"
        elif row.mailed is not None and row.mailed - row.registrations < MIN_GROUP:
            row.hidden_reason = "complement"
    hidden = [row for row in rows if row.is_hidden]
    shown = [row for row in rows if not row.is_hidden]
    if len(hidden) == 1 and shown:
        min(shown, key=lambda row: row.registrations).hidden_reason = "complement"
    return rows


def registrations_by_link(company: Company, *, now: datetime | None = None) -> list[RegistrationGroup]:
    """Registrations through each of the company's relay links (its personal links included), to yesterday."""
    rows = (
        company.links.annotate(
            n=Count("referrals", filter=Q(referrals__registered_at__lt=cutoff(now)), distinct=True)
        )
        .order_by("created_at", "id")
        .values_list("pk", "label", "n")
    )
    return suppress(RegistrationGroup(label=label, registrations=n, key=pk) for pk, label, n in rows)


def registrations_by_profile(
    company: Company, field: str, *, now: datetime | None = None
) -> list[RegistrationGroup]:
    """Registrations by the person's desired job category or prefecture (`field`), as statistics only."""
    model_field = Referral._meta.get_field(field)
    choices = dict(getattr(model_field, "choices", None) or [])
    rows = (
        Referral.objects.filter(company=company, registered_at__lt=cutoff(now))
        .values_list(field)
        .annotate(n=Count("id"))
        .order_by(field)
    )
    return suppress(
        RegistrationGroup(label=str(choices.get(value, _("未回答"))), registrations=n) for value, n in rows
    )


def registrations_by_template(company: Company, *, now: datetime | None = None) -> list[RegistrationGroup]:
    """Registrations among the people sent each rejection template (the send batches the rules chose)."""
    until = cutoff(now)
    rows = (
        OutboundEmail.objects.filter(
            company=company, kind=OutboundEmail.Kind.REJECTION, sent_at__isnull=False, sent_at__lt=until
        )
        .values_list("template_version__template__name")
        .annotate(
            mailed=Count("applicant", distinct=True),
            registered=Count("applicant", filter=Q(registered_at__lt=until), distinct=True),
        )
        .order_by("template_version__template__name")
    )
    return suppress(
        RegistrationGroup(label=name or _("(テンプレートなし)"), registrations=registered, mailed=mailed)
        for name, mailed, registered in rows
    )


def registrations_by_month(
    company: Company, *, months: int = 12, now: datetime | None = None
) -> list[RegistrationGroup]:
    """Registrations through the company's links in each of the last `months` months in Japan, newest first."""
    until = cutoff(now)
    first_month = add_months(until.date().replace(day=1), -(months - 1))
    start = datetime(first_month.year, first_month.month, 1, tzinfo=JST)
    counted = dict(
        Referral.objects.filter(company=company, registered_at__gte=start, registered_at__lt=until)
        .annotate(month=TruncMonth("registered_at", tzinfo=JST))
        .values_list("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    by_month: dict[date, int] = {}
    for month, n in counted.items():
        day = timezone.localtime(month, JST).date() if timezone.is_aware(month) else month.date()
        by_month[day] = by_month.get(day, 0) + n
    rows = []
    for offset in range(months):
        month = add_months(first_month, months - 1 - offset)
        rows.append(RegistrationGroup(label=f"{month.year}/{month.month:02d}", registrations=by_month.get(month, 0)))
    return suppress(rows)
