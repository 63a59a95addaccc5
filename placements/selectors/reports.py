"""The figures an agency reports by fiscal year (April to March): the 職業紹介事業報告 (due 30 April, 職業安定法
32条の16) and the figures published on the 人材サービス総合サイト (同法32条の16第3項, 施行規則24条の8).

Every figure is an aggregate query over job orders, people and placements, plus the kept rows of deleted orders
and people (`BookSnapshot`), so a person who left does not drop out of the year they applied in.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from candidates.models import Candidate
from lib.choices import JobCategory
from lib.dates import add_months, jst_today
from placements.fees import BASIS, DISCLOSURE_MINIMUM_PLACEMENTS, actual_fee_rate
from placements.models import BookSnapshot, Introduction, JobOrder, Placement
from placements.selectors.books import NOT_INTRODUCED, fiscal_year_bounds, fiscal_year_moments

EARLY_LEAVING_MONTHS = 6
TOP_OCCUPATIONS = 5


def fiscal_years(today: date | None = None) -> list[int]:
    """The fiscal years a picker offers: from the first record to this one, newest first."""
    today = today or jst_today()
    current = today.year if today.month >= 4 else today.year - 1
    first = Placement.objects.order_by("start_date").values_list("start_date", flat=True).first()
    oldest = JobOrder.objects.order_by("created_at").values_list("created_at", flat=True).first()
    years = [current]
    for moment in (first, oldest.date() if oldest else None):
        if moment is not None:
            years.append(moment.year if moment.month >= 4 else moment.year - 1)
    return list(range(current, min(years) - 1, -1))


@dataclass
class AnnualReport:
    fiscal_year: int
    new_applications: int  # 新規求職申込件数
    job_orders: int  # 求人数 (新規求人の受付件数)
    introductions: int  # 紹介件数 (ご本人が承諾し企業へ紹介した件数)
    placements: int  # 就職件数
    indefinite: int
    fixed_term: int
    term_unknown: int
    fee_income_yen: int  # 手数料収入 (税抜、請求日基準)
    waived: int  # 無料紹介枠を利用した就職 (手数料 0 円)
    refunds: int
    refund_yen: int  # 返戻金 (税抜、計算日基準)

    @property
    def net_fee_income_yen(self) -> int:
        return self.fee_income_yen - self.refund_yen


def annual_report(fiscal_year: int) -> AnnualReport:
    first, after = fiscal_year_bounds(fiscal_year)
    start, end = fiscal_year_moments(fiscal_year)
    kept = BookSnapshot.objects.filter(received_on__gte=first, received_on__lt=after)
    applications = Candidate.objects.filter(email_verified_at__gte=start, email_verified_at__lt=end).count()
    applications += kept.filter(book=BookSnapshot.Book.JOB_SEEKERS).count()
    orders = JobOrder.objects.filter(created_at__gte=start, created_at__lt=end).count()
    orders += kept.filter(book=BookSnapshot.Book.JOB_ORDERS).count()
    introductions = (
        Introduction.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
        .exclude(status__in=NOT_INTRODUCED)
        .count()
    )
    hires = Placement.objects.filter(start_date__gte=first, start_date__lt=after).aggregate(
        total=Count("id"),
        indefinite=Count("id", filter=Q(job_order__contract_term=JobOrder.ContractTerm.INDEFINITE)),
        fixed=Count("id", filter=Q(job_order__contract_term=JobOrder.ContractTerm.FIXED)),
    )
    fees = Placement.objects.filter(invoiced_on__gte=first, invoiced_on__lt=after).aggregate(
        fee=Sum("fee_yen"), waived=Count("id", filter=Q(waived=True))
    )
    refunds = Placement.objects.filter(
        refund_recorded_at__gte=start, refund_recorded_at__lt=end, refund_yen__gt=0
    ).aggregate(n=Count("id"), yen=Sum("refund_yen"))
    return AnnualReport(
        fiscal_year=fiscal_year,
        new_applications=applications,
        job_orders=orders,
        introductions=introductions,
        placements=hires["total"],
        indefinite=hires["indefinite"],
        fixed_term=hires["fixed"],
        term_unknown=hires["total"] - hires["indefinite"] - hires["fixed"],
        fee_income_yen=fees["fee"] or 0,
        waived=fees["waived"],
        refunds=refunds["n"],
        refund_yen=refunds["yen"] or 0,
    )


@dataclass
class OccupationFees:
    job_category: str
    label: str
    placements: int
    fee_total_yen: int
    salary_total_yen: int

    @property
    def rate(self) -> Decimal | None:
        return actual_fee_rate(
            fee_total_yen=self.fee_total_yen, salary_total_yen=self.salary_total_yen, placements=self.placements
        )

    @property
    def rate_display(self) -> str:
        rate = self.rate
        if rate is None:
            return _("%(n)s件以下のため非公表") % {"n": DISCLOSURE_MINIMUM_PLACEMENTS}
        return f"{rate}%"


@dataclass
class DisclosureFigures:
    fiscal_year: int
    placements: int  # 就職者数
    indefinite: int  # 無期雇用就職者数
    early_leavers: int  # うち 6か月以内の離職者数
    leaving_unknown: int  # うち 6か月を経過しておらず離職の有無が不明の方
    fee_rates: list[str]  # 手数料率 (契約の率、届出制手数料)
    occupations: list[OccupationFees]  # 上位 5 職種の手数料実績


def disclosure_figures(fiscal_year: int, *, today: date | None = None) -> DisclosureFigures:
    today = today or jst_today()
    first, after = fiscal_year_bounds(fiscal_year)
    hires = Placement.objects.filter(start_date__gte=first, start_date__lt=after)
    indefinite = hires.filter(job_order__contract_term=JobOrder.ContractTerm.INDEFINITE)
    early = unknown = 0
    for start_date, left_on in indefinite.values_list("start_date", "left_on"):
        six_months = add_months(start_date, EARLY_LEAVING_MONTHS)
        if left_on is not None and left_on < six_months:
            early += 1
        elif left_on is None and today < six_months:
            unknown += 1
    rates = sorted(set(hires.values_list("fee_rate_bp", flat=True)))
    by_category = (
        hires.values("job_order__job_category")
        .annotate(n=Count("id"), fee=Sum("fee_yen"), salary=Sum("annual_salary_yen"))
        .order_by("-n", "job_order__job_category")
    )
    labels = dict(JobCategory.choices)
    occupations = [
        OccupationFees(
            job_category=row["job_order__job_category"],
            label=str(labels.get(row["job_order__job_category"], row["job_order__job_category"])),
            placements=row["n"],
            fee_total_yen=row["fee"] or 0,
            salary_total_yen=row["salary"] or 0,
        )
        for row in by_category[:TOP_OCCUPATIONS]
    ]
    return DisclosureFigures(
        fiscal_year=fiscal_year,
        placements=hires.count(),
        indefinite=indefinite.count(),
        early_leavers=early,
        leaving_unknown=unknown,
        fee_rates=[f"{Decimal(bp) * 100 / BASIS:g}%" for bp in rates],
        occupations=occupations,
    )
