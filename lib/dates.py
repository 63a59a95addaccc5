"""Japan's calendar: one JST, one `add_months`, and the half-open periods every dashboard and job uses.

Periods are [start, end) between aware datetimes on Asia/Tokyo midnights, so a figure for "November" never
depends on the server's time zone.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

JST = ZoneInfo("Asia/Tokyo")

DateOrDatetime = TypeVar("DateOrDatetime", date, datetime)


def add_months(moment: DateOrDatetime, months: int) -> DateOrDatetime:
    """Same day N months later (or earlier), clamped to the month's last day (1/31 + 1 month = 2/28 or 2/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def jst_midnight(day: date) -> datetime:
    """The moment a Tokyo calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=JST)


def jst_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(JST).date()


def _is_month_start(moment: datetime) -> bool:
    local = moment.astimezone(JST)
    return local.day == 1 and local.time() == time.min


def _month_index(moment: datetime) -> int:
    local = moment.astimezone(JST)
    return local.year * 12 + local.month - 1


@dataclass(frozen=True)
class Period:
    """[start, end): aware datetimes, on Asia/Tokyo midnights for every period the screens offer."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if timezone.is_naive(self.start) or timezone.is_naive(self.end):
            raise ValueError("Period boundaries must be aware datetimes")
        if self.start >= self.end:
            raise ValueError("Period must end after it starts")

    @classmethod
    def days(cls, first: date, last: date) -> "Period":
        """From the first to the last calendar day, both included."""
        return cls(jst_midnight(first), jst_midnight(last + timedelta(days=1)))

    @classmethod
    def months(cls, *, last_month: date, count: int = 1) -> "Period":
        """`count` whole calendar months ending with the month of `last_month`."""
        end = add_months(jst_midnight(last_month.replace(day=1)), 1)
        return cls(add_months(end, -count), end)

    @property
    def month_count(self) -> int | None:
        """How many whole calendar months the period spans, or None when it does not start and end on a 1st."""
        if _is_month_start(self.start) and _is_month_start(self.end):
            return _month_index(self.end) - _month_index(self.start)
        return None

    @property
    def first_day(self) -> date:
        return self.start.astimezone(JST).date()

    @property
    def last_day(self) -> date:
        return (self.end.astimezone(JST) - timedelta(microseconds=1)).date()

    def previous(self) -> "Period":
        """The period of the same length just before: the previous N calendar months, or the previous N days."""
        months = self.month_count
        if months is not None:
            start = jst_midnight(self.first_day)
            return Period(add_months(start, -months), start)
        return Period(self.start - (self.end - self.start), self.start)

    def comparison(self, today: date) -> "Period":
        """What this period is compared with on the KPI screens (DESIGN.md §5: like for like). A period that has
        ended: `previous()`. One still running on `today`: the previous period cut to as much as has passed of
        this one, so this month to date (two days of December) meets the same days of the previous month
        (November 1–2), not all of it; a month shorter than the days passed ends with its last day."""
        previous = self.previous()
        passed_until = jst_midnight(today + timedelta(days=1))
        if passed_until >= self.end or passed_until <= self.start:
            return previous
        months = self.month_count
        if months is not None:
            whole_months = _month_index(jst_midnight(today.replace(day=1))) - _month_index(self.start)
            month_start = add_months(previous.start, whole_months)
            month_end = add_months(month_start, 1)
            return Period(previous.start, min(month_start + timedelta(days=today.day), month_end))
        return Period(previous.start, previous.start + (passed_until - self.start))

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def label(self) -> str:
        months = self.month_count
        if months == 1:
            return date_format(self.first_day, "YEAR_MONTH_FORMAT")
        first, last = date_format(self.first_day, "DATE_FORMAT"), date_format(self.last_day, "DATE_FORMAT")
        return _("%(first)s〜%(last)s") % {"first": first, "last": last}
