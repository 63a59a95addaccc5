"""Placement fees and refunds (DESIGN.md §3 rule 7) as pure functions of the contract terms.

Every amount is an integer number of yen. Rounding rule (stated on the contract form and the invoice):
each amount is rounded down to the yen (切り捨て) once, where it is computed —
- fee excl. tax = floor(theoretical annual salary × fee rate), raised to the minimum fee when lower;
- consumption tax = floor(fee excl. tax × tax rate), computed once per invoice (one placement, one invoice,
  as the インボイス制度 asks: one rounding per invoice and rate);
- refund excl. tax = floor(fee excl. tax × refund %), its tax = floor(refund × tax rate).
Rates are held in basis points (1 bp = 0.01 %) so all arithmetic is on integers.

Refund periods count the start date as day 1 (初日算入: employment begins at the start of that day,
民法第140条ただし書). "Within N days" means the leaving date is at most start + N − 1 days; "within N months"
means it falls before the same day N months later (1 April + 1 month → leaving on 30 April or earlier;
31 January + 1 month → before 28/29 February, the month's last day standing in for a missing 31st).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from lib.dates import add_months

BASIS = 10_000  # basis points in 100 %


class FeeTerms(Protocol):
    @property
    def fee_rate_bp(self) -> int: ...
    @property
    def minimum_fee_yen(self) -> int: ...
    @property
    def tax_rate_bp(self) -> int: ...


@dataclass(frozen=True)
class Terms:
    """The contract numbers that decide a fee; Placement rows carry the same attributes (a snapshot)."""

    fee_rate_bp: int = 3500
    minimum_fee_yen: int = 0
    tax_rate_bp: int = 1000
    refund_schedule: tuple[dict[str, Any], ...] = ()

    @classmethod
    def of_contract(cls, contract: Any) -> "Terms":
        return cls(
            fee_rate_bp=percent_to_bp(contract.fee_rate_percent),
            minimum_fee_yen=contract.minimum_fee_yen,
            tax_rate_bp=percent_to_bp(contract.consumption_tax_percent),
            refund_schedule=tuple(contract.refund_schedule),
        )


@dataclass(frozen=True)
class FeeQuote:
    fee_yen: int
    tax_yen: int
    total_yen: int
    minimum_applied: bool


@dataclass(frozen=True)
class RefundQuote:
    percent: int
    refund_yen: int
    tax_yen: int
    total_yen: int
    days_employed: int


def percent_to_bp(percent: Decimal | int | str) -> int:
    """35 → 3500, 35.5 → 3550; the contract form allows two decimals, so the result is exact."""
    value = Decimal(str(percent)) * 100
    if value != value.to_integral_value():
        raise ValueError(f"rate {percent} % has more than two decimals")
    return int(value)


def _floor_share(amount_yen: int, bp: int) -> int:
    return amount_yen * bp // BASIS


def tax_for(amount_yen: int, tax_rate_bp: int) -> int:
    return _floor_share(amount_yen, tax_rate_bp)


def placement_fee(annual_salary_yen: int, terms: FeeTerms) -> FeeQuote:
    """What a normal (non-credit) placement costs the company."""
    if annual_salary_yen < 0:
        raise ValueError("annual salary cannot be negative")
    fee = _floor_share(annual_salary_yen, terms.fee_rate_bp)
    minimum_applied = fee < terms.minimum_fee_yen
    if minimum_applied:
        fee = terms.minimum_fee_yen
    tax = tax_for(fee, terms.tax_rate_bp)
    return FeeQuote(fee_yen=fee, tax_yen=tax, total_yen=fee + tax, minimum_applied=minimum_applied)


def refund_period_end(start_date: date, row: dict[str, Any]) -> date:
    """The last leaving date (inclusive) that a schedule row covers."""
    if row["unit"] == "days":
        return start_date + timedelta(days=row["within"] - 1)
    return add_months(start_date, row["within"]) - timedelta(days=1)


def refund_percent(start_date: date, left_on: date, schedule: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> int:
    """The refund rate of the first schedule row whose period contains the leaving date (0 after all)."""
    if left_on < start_date:
        raise ValueError("the leaving date is before the start date")
    for row in schedule:
        if left_on <= refund_period_end(start_date, row):
            return int(row["percent"])
    return 0


class RefundSource(Protocol):
    start_date: date
    fee_yen: int
    tax_rate_bp: int
    refund_schedule: Any


def refund_for(placement: RefundSource, left_on: date) -> RefundQuote:
    """The refund (返戻金) owed when the placed person leaves on `left_on`, under the placement's own terms."""
    percent = refund_percent(placement.start_date, left_on, placement.refund_schedule)
    refund = placement.fee_yen * percent // 100
    tax = tax_for(refund, placement.tax_rate_bp)
    return RefundQuote(
        percent=percent,
        refund_yen=refund,
        tax_yen=tax,
        total_yen=refund + tax,
        days_employed=(left_on - placement.start_date).days + 1,
    )


# 人材サービス総合サイト: since 2025-04-01 the actual fee rate of the top 5 occupations is published, as a percentage
# with one decimal, and only for an occupation with more than 10 placements (10 or fewer: 非公表).
DISCLOSURE_MINIMUM_PLACEMENTS = 10


def actual_fee_rate(*, fee_total_yen: int, salary_total_yen: int, placements: int) -> Decimal | None:
    """Fees ÷ expected annual pay × 100, rounded half up to one decimal; None when it is not to be published.

    Integer arithmetic (tenths of a percent, rounded half up), so 12.25 % is 12.3 and never 12.2 by a binary
    fraction. None for 10 placements or fewer, or no pay to divide by.
    """
    if placements <= DISCLOSURE_MINIMUM_PLACEMENTS or salary_total_yen <= 0:
        return None
    tenths = (fee_total_yen * 1000 * 2 + salary_total_yen) // (2 * salary_total_yen)
    return Decimal(tenths).scaleb(-1)
