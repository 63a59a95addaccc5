"""Japanese business days: weekends, national holidays, substitute holidays and the year-end break are skipped."""

from datetime import date

import pytest

from lib.business_days import add_business_days, is_business_day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 2), True),  # Monday
        (date(2026, 11, 3), False),  # 文化の日
        (date(2026, 11, 7), False),  # Saturday
        (date(2026, 11, 8), False),  # Sunday
        (date(2026, 5, 6), False),  # 振替休日 (憲法記念日 5/3 fell on a Sunday)
        (date(2026, 12, 28), True),  # last working day of the year
        (date(2026, 12, 29), False),  # year-end break, a Tuesday
        (date(2027, 1, 3), False),
        (date(2027, 1, 4), True),  # first working day of the year
    ],
)
def test_it_knows_which_days_are_business_days(day: date, expected: bool) -> None:
    assert is_business_day(day) is expected


def test_it_skips_the_weekend() -> None:
    assert add_business_days(date(2026, 11, 13), 1) == date(2026, 11, 16)  # Friday → Monday


def test_it_skips_a_national_holiday() -> None:
    # Fri 10/30 + 3: Mon 11/2, (Tue 11/3 文化の日), Wed 11/4, Thu 11/5.
    assert add_business_days(date(2026, 10, 30), 3) == date(2026, 11, 5)


def test_it_skips_a_substitute_holiday() -> None:
    # Thu 4/30 + 2: Fri 5/1, then 5/2–5/6 (weekend, 憲法記念日, みどりの日, こどもの日, 振替休日), Thu 5/7.
    assert add_business_days(date(2026, 4, 30), 2) == date(2026, 5, 7)


def test_it_skips_the_year_end_break() -> None:
    # Fri 12/25 + 3: Mon 12/28, (12/29–1/3 closed), Mon 1/4, Tue 1/5.
    assert add_business_days(date(2026, 12, 25), 3) == date(2027, 1, 5)


def test_zero_days_is_the_same_day_when_it_is_a_business_day() -> None:
    assert add_business_days(date(2026, 11, 2), 0) == date(2026, 11, 2)


def test_zero_days_from_a_day_off_is_the_next_business_day() -> None:
    assert add_business_days(date(2026, 11, 3), 0) == date(2026, 11, 4)
    assert add_business_days(date(2026, 12, 30), 0) == date(2027, 1, 4)
    assert add_business_days(date(2026, 11, 7), 0) == date(2026, 11, 9)


def test_counting_starts_on_the_day_after_even_from_a_day_off() -> None:
    assert add_business_days(date(2026, 11, 7), 1) == date(2026, 11, 9)  # Saturday + 1 → Monday


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="zero or positive"):
        add_business_days(date(2026, 11, 2), -1)
