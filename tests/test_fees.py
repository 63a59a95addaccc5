"""Placement fees and refunds (DESIGN.md rule 7): integer yen, floor rounding, minimum fee, refund schedule."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from companies.forms import ContractForm
from companies.models import default_refund_schedule, validate_refund_schedule
from placements.fees import (
    Terms,
    percent_to_bp,
    placement_fee,
    refund_for,
    refund_percent,
    refund_period_end,
)

DEFAULT = Terms(refund_schedule=tuple(default_refund_schedule()))


@dataclass
class Hire:
    start_date: date
    fee_yen: int
    tax_rate_bp: int = 1000
    refund_schedule: Any = tuple(default_refund_schedule())


def test_it_charges_35_percent_of_the_theoretical_annual_salary_plus_10_percent_tax_by_default() -> None:
    quote = placement_fee(5_000_000, DEFAULT)
    assert (quote.fee_yen, quote.tax_yen, quote.total_yen, quote.minimum_applied) == (
        1_750_000,
        175_000,
        1_925_000,
        False,
    )


def test_it_rounds_the_fee_down_to_the_yen() -> None:
    # 3,333,333 × 35 % = 1,166,666.55 → 1,166,666; tax 116,666.6 → 116,666
    quote = placement_fee(3_333_333, DEFAULT)
    assert (quote.fee_yen, quote.tax_yen, quote.total_yen) == (1_166_666, 116_666, 1_283_332)


def test_it_rounds_the_tax_down_once_per_invoice() -> None:
    quote = placement_fee(1_000_003, Terms(fee_rate_bp=3000))  # fee 300,000.9 → 300,000
    assert quote.fee_yen == 300_000 and quote.tax_yen == 30_000
    quote = placement_fee(1_000_033, Terms(fee_rate_bp=3000))  # fee 300,009 ; tax 30,000.9 → 30,000
    assert quote.fee_yen == 300_009 and quote.tax_yen == 30_000 and quote.total_yen == 330_009


def test_it_handles_fractional_rates_in_basis_points() -> None:
    assert percent_to_bp(Decimal("35.5")) == 3550
    assert percent_to_bp("8") == 800
    with pytest.raises(ValueError):
        percent_to_bp(Decimal("35.555"))
    assert placement_fee(4_000_000, Terms(fee_rate_bp=3550)).fee_yen == 1_420_000


def test_it_raises_a_low_fee_to_the_minimum_and_says_so() -> None:
    terms = Terms(minimum_fee_yen=800_000)
    low = placement_fee(2_000_000, terms)  # 700,000 < 800,000
    assert (low.fee_yen, low.tax_yen, low.total_yen, low.minimum_applied) == (800_000, 80_000, 880_000, True)
    exact = placement_fee(2_285_715, terms)  # 800,000.25 → 800,000: equal to the minimum, not raised
    assert exact.fee_yen == 800_000 and exact.minimum_applied is False
    high = placement_fee(6_000_000, terms)
    assert high.fee_yen == 2_100_000 and high.minimum_applied is False


def test_a_zero_minimum_means_no_minimum() -> None:
    assert placement_fee(1, DEFAULT).fee_yen == 0
    assert placement_fee(0, DEFAULT).minimum_applied is False


def test_a_negative_salary_is_refused() -> None:
    with pytest.raises(ValueError):
        placement_fee(-1, DEFAULT)


# --- refund schedule: the start date is day 1 ---------------------------------------------------------


def test_within_one_month_ends_the_day_before_the_same_day_next_month() -> None:
    row = {"within": 1, "unit": "months", "percent": 80}
    assert refund_period_end(date(2026, 4, 1), row) == date(2026, 4, 30)
    assert refund_period_end(date(2026, 4, 15), row) == date(2026, 5, 14)
    assert refund_period_end(date(2026, 1, 31), row) == date(2026, 2, 27)  # 2/28 stands in for 2/31
    assert refund_period_end(date(2028, 1, 31), row) == date(2028, 2, 28)  # leap year: 2/29 − 1 day
    assert refund_period_end(date(2026, 12, 1), {"within": 3, "unit": "months", "percent": 50}) == date(2027, 2, 28)


def test_within_n_days_counts_the_start_date_as_day_one() -> None:
    row = {"within": 30, "unit": "days", "percent": 100}
    assert refund_period_end(date(2026, 4, 1), row) == date(2026, 4, 30)
    assert refund_period_end(date(2026, 4, 1), {"within": 1, "unit": "days", "percent": 100}) == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("left_on", "percent"),
    [
        (date(2026, 4, 1), 80),  # the first day
        (date(2026, 4, 30), 80),  # the last day of "within 1 month"
        (date(2026, 5, 1), 50),  # the next day
        (date(2026, 6, 30), 50),  # the last day of "within 3 months"
        (date(2026, 7, 1), 0),  # past the schedule
        (date(2027, 4, 1), 0),
    ],
)
def test_the_default_schedule_at_its_exact_boundaries(left_on: date, percent: int) -> None:
    assert refund_percent(date(2026, 4, 1), left_on, default_refund_schedule()) == percent


def test_a_day_based_schedule_at_its_exact_boundaries() -> None:
    schedule = [{"within": 30, "unit": "days", "percent": 100}, {"within": 90, "unit": "days", "percent": 30}]
    start = date(2026, 10, 1)
    assert refund_percent(start, start + timedelta(days=29), schedule) == 100  # day 30
    assert refund_percent(start, start + timedelta(days=30), schedule) == 30  # day 31
    assert refund_percent(start, start + timedelta(days=89), schedule) == 30  # day 90
    assert refund_percent(start, start + timedelta(days=90), schedule) == 0  # day 91


def test_leaving_before_the_start_date_is_refused() -> None:
    with pytest.raises(ValueError):
        refund_percent(date(2026, 4, 1), date(2026, 3, 31), default_refund_schedule())


def test_an_empty_schedule_refunds_nothing() -> None:
    assert refund_percent(date(2026, 4, 1), date(2026, 4, 1), []) == 0


def test_the_refund_is_a_share_of_the_fee_rounded_down_with_its_own_tax() -> None:
    quote = refund_for(Hire(start_date=date(2026, 4, 1), fee_yen=1_166_666), date(2026, 4, 20))
    # 1,166,666 × 80 % = 933,332.8 → 933,332 ; tax 93,333.2 → 93,333
    assert (quote.percent, quote.refund_yen, quote.tax_yen, quote.total_yen) == (80, 933_332, 93_333, 1_026_665)
    assert quote.days_employed == 20


def test_a_credit_placement_refunds_nothing() -> None:
    quote = refund_for(Hire(start_date=date(2026, 4, 1), fee_yen=0), date(2026, 4, 2))
    assert (quote.percent, quote.total_yen) == (80, 0)


# --- properties ----------------------------------------------------------------------------------------

salaries = st.integers(min_value=0, max_value=100_000_000)
rates = st.integers(min_value=0, max_value=10_000)
minimums = st.integers(min_value=0, max_value=10_000_000)
tax_rates = st.integers(min_value=0, max_value=2_000)


@given(salary=salaries, rate=rates, minimum=minimums, tax=tax_rates)
def test_property_the_fee_is_integer_yen_never_below_the_minimum_and_adds_up(
    salary: int, rate: int, minimum: int, tax: int
) -> None:
    quote = placement_fee(salary, Terms(fee_rate_bp=rate, minimum_fee_yen=minimum, tax_rate_bp=tax))
    assert all(isinstance(v, int) for v in (quote.fee_yen, quote.tax_yen, quote.total_yen))
    assert quote.fee_yen >= minimum
    assert quote.total_yen == quote.fee_yen + quote.tax_yen
    exact = Decimal(salary) * rate / 10_000
    if not quote.minimum_applied:
        assert quote.fee_yen <= exact < quote.fee_yen + 1  # rounded down, by less than one yen
    assert quote.tax_yen <= Decimal(quote.fee_yen) * tax / 10_000 < quote.tax_yen + 1


schedules = st.lists(st.integers(1, 12), min_size=0, max_size=4, unique=True).flatmap(
    lambda months: st.lists(st.integers(0, 100), min_size=len(months), max_size=len(months)).map(
        lambda percents: [
            {"within": m, "unit": "months", "percent": p}
            for m, p in zip(sorted(months), sorted(percents, reverse=True), strict=True)
        ]
    )
)


@given(
    fee=st.integers(0, 50_000_000),
    tax=tax_rates,
    schedule=schedules,
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    days=st.integers(0, 800),
)
def test_property_a_refund_never_exceeds_the_fee_and_only_falls_with_time(
    fee: int, tax: int, schedule: list[dict[str, Any]], start: date, days: int
) -> None:
    validate_refund_schedule(schedule)
    hire = Hire(start_date=start, fee_yen=fee, tax_rate_bp=tax, refund_schedule=schedule)
    quote = refund_for(hire, start + timedelta(days=days))
    later = refund_for(hire, start + timedelta(days=days + 1))
    assert 0 <= quote.refund_yen <= fee
    assert quote.total_yen == quote.refund_yen + quote.tax_yen
    assert quote.tax_yen <= fee * tax // 10_000
    assert later.refund_yen <= quote.refund_yen
    assert isinstance(quote.refund_yen, int) and isinstance(quote.tax_yen, int)


# --- the schedule as the contract stores it ------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    [
        "80%",
        [{"within": 1, "unit": "weeks", "percent": 80}],
        [{"within": 0, "unit": "months", "percent": 80}],
        [{"within": 1, "unit": "months", "percent": 120}],
        [{"within": 1, "unit": "months", "percent": 80, "extra": 1}],
        [{"within": "1", "unit": "months", "percent": 80}],
        [{"within": 3, "unit": "months", "percent": 50}, {"within": 1, "unit": "months", "percent": 80}],
        [{"within": 1, "unit": "months", "percent": 50}, {"within": 3, "unit": "months", "percent": 80}],
        [{"within": 1, "unit": "months", "percent": 80}, {"within": 30, "unit": "days", "percent": 50}],
    ],
)
def test_a_malformed_or_ambiguous_schedule_is_refused(schedule: Any) -> None:
    with pytest.raises(ValidationError):
        validate_refund_schedule(schedule)


def test_the_default_schedule_is_valid() -> None:
    validate_refund_schedule(default_refund_schedule())
    validate_refund_schedule([])


def _contract_data(**overrides: str) -> dict[str, str]:
    data = {
        "referrals_per_credit": "10",
        "credit_validity_months": "12",
        "counting_rule": "verified",
        "fee_rate_percent": "35",
        "minimum_fee_yen": "0",
        "refund_schedule": "1か月以内 80%\n3か月以内 50%",
        "consumption_tax_percent": "10",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_contract_form_reads_the_schedule_as_people_type_it() -> None:
    form = ContractForm(
        _contract_data(refund_schedule="１ヶ月以内　８０％\n\n90日以内 30%", fee_rate_percent="３５．５%")
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["refund_schedule"] == [
        {"within": 1, "unit": "months", "percent": 80},
        {"within": 90, "unit": "days", "percent": 30},
    ]
    assert form.cleaned_data["fee_rate_percent"] == Decimal("35.5")


@pytest.mark.django_db
def test_the_contract_form_answers_bad_terms_in_japanese() -> None:
    form = ContractForm(_contract_data(refund_schedule="1か月 たくさん", fee_rate_percent="三割"))
    assert not form.is_valid()
    assert "読み取れませんでした" in str(form.errors["refund_schedule"])
    assert "手数料率は数字で" in str(form.errors["fee_rate_percent"])
    form = ContractForm(_contract_data(refund_schedule="3か月以内 50%\n1か月以内 80%"))
    assert not form.is_valid() and "期間の短い順" in str(form.errors["refund_schedule"])
    form = ContractForm(_contract_data(fee_rate_percent="120"))
    assert not form.is_valid() and "fee_rate_percent" in form.errors


@pytest.mark.django_db
def test_a_contract_form_without_fee_terms_keeps_the_defaults_and_an_empty_schedule_means_no_refunds() -> None:
    data = _contract_data()
    for name in ("fee_rate_percent", "minimum_fee_yen", "refund_schedule", "consumption_tax_percent"):
        del data[name]
    form = ContractForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["refund_schedule"] == default_refund_schedule()
    assert form.cleaned_data["fee_rate_percent"] == Decimal("35")
    form = ContractForm(_contract_data(refund_schedule=""))
    assert form.is_valid() and form.cleaned_data["refund_schedule"] == []


def test_the_schedule_shows_back_as_it_was_typed() -> None:
    form = ContractForm()
    assert "1か月以内 80%" in str(form["refund_schedule"])
