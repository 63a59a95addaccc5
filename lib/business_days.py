"""Japanese business days: weekends, national holidays (jpholiday) and the year-end break are days off."""

from datetime import date, timedelta

import jpholiday

# 12/29–1/3 are not public holidays, but nearly every Japanese company is closed and HR sends nothing.
YEAR_END_BREAK = {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5 or (day.month, day.day) in YEAR_END_BREAK:
        return False
    return not jpholiday.is_holiday(day)


def add_business_days(start: date, days: int) -> date:
    """The N-th business day after `start` (N=0: `start` itself if it is a business day, else the next one)."""
    if days < 0:
        raise ValueError("days must be zero or positive")
    day = start
    if days == 0:
        while not is_business_day(day):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day
