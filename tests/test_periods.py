"""Like-for-like periods (DESIGN.md §5): a period still running is compared with as much of the previous one."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lib.dates import Period, jst_midnight


def test_december_to_date_meets_the_same_days_of_november() -> None:
    december = Period.months(last_month=date(2026, 12, 2))

    assert december.comparison(date(2026, 12, 2)) == Period.days(date(2026, 11, 1), date(2026, 11, 2))


def test_an_ended_period_meets_the_whole_previous_one() -> None:
    november = Period.months(last_month=date(2026, 11, 1))

    assert november.comparison(date(2026, 12, 2)) == november.previous()


def test_the_31st_of_a_month_meets_a_shorter_previous_month_to_its_last_day() -> None:
    march = Period.months(last_month=date(2027, 3, 1))

    assert march.comparison(date(2027, 3, 31)) == Period.days(date(2027, 2, 1), date(2027, 2, 28))


def test_three_months_still_running_meet_the_previous_three_to_the_same_point() -> None:
    three = Period.months(last_month=date(2026, 12, 1), count=3)  # October to December

    assert three.comparison(date(2026, 12, 10)) == Period.days(date(2026, 7, 1), date(2026, 9, 10))


def test_a_custom_span_still_running_meets_as_many_days_before_it() -> None:
    span = Period.days(date(2026, 12, 1), date(2026, 12, 10))

    assert span.comparison(date(2026, 12, 3)) == Period.days(date(2026, 11, 21), date(2026, 11, 23))


@given(
    last_month=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 1)),
    count=st.sampled_from([1, 3, 6, 12]),
    offset=st.integers(min_value=-40, max_value=400),
)
def test_the_comparison_never_runs_longer_than_what_has_passed(last_month: date, count: int, offset: int) -> None:
    period = Period.months(last_month=last_month, count=count)
    today = period.first_day + timedelta(days=offset)

    compared = period.comparison(today)

    previous = period.previous()
    assert compared.start == previous.start and compared.end <= previous.end
    passed = min(period.end, max(jst_midnight(today + timedelta(days=1)), period.start)) - period.start
    if period.start < jst_midnight(today + timedelta(days=1)) < period.end:
        assert compared.end - compared.start <= passed + timedelta(days=3)  # months differ by up to 3 days
        assert compared.end - compared.start >= passed - timedelta(days=3)
    else:
        assert compared == previous
