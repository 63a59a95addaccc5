"""Satisfaction KPIs: one definition in code for the survey page, the dashboard, exports and the API.

NPS (DESIGN.md §5) = % promoters (9–10) − % detractors (0–6) of the answers in a period, each percentage
taken over all answers, the difference rounded to the nearest integer with halves away from zero
(12.5 → 13, −12.5 → −13). Nothing but "how many more answers are needed" is shown below 5 answers.
Periods are half-open [start, end) and their boundaries are Asia/Tokyo calendar days.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company
from insights.models import NPS_MAX, SCALE_MAX, SurveyResponse
from lib.dates import JST as TOKYO
from lib.dates import Period

MIN_ANSWERS = 5
COMMENT_LIMIT = 200
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
SCORES = tuple(range(NPS_MAX + 1))


def nps(responses: Iterable[SurveyResponse | int]) -> int | None:
    """NPS of answers (or bare 0–10 scores); None when there is no answer to compute it from."""
    distribution = [0] * len(SCORES)
    for response in responses:
        score = response if isinstance(response, int) else response.nps
        if score not in SCORES:
            raise ValueError(f"NPS answer out of range: {score}")
        distribution[score] += 1
    return nps_from_distribution(distribution)


def nps_from_distribution(distribution: Iterable[int]) -> int | None:
    counts = list(distribution)
    total = sum(counts)
    if total == 0:
        return None
    promoters = sum(counts[PROMOTER_MIN:])
    detractors = sum(counts[: DETRACTOR_MAX + 1])
    exact = Decimal(100 * (promoters - detractors)) / Decimal(total)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(part: int, total: int) -> int:
    return int((Decimal(100 * part) / Decimal(total)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if total else 0


@dataclass(frozen=True)
class ScoreBar:
    score: int
    count: int
    percent: int  # of all answers
    group: str  # promoter / passive / detractor
    height: int  # of the tallest bar = 100


@dataclass(frozen=True)
class QuestionAverage:
    key: str
    label: str
    average: Decimal  # one decimal place, on a 1–5 scale
    percent: int  # of the scale, for a bar


@dataclass(frozen=True)
class Comment:
    month: date  # the first of the month: never a finer date, so a comment cannot be matched to a person
    text: str


@dataclass(frozen=True)
class SatisfactionSummary:
    """What may be shown for a period. Below MIN_ANSWERS only `needed` is filled: nothing else leaks."""

    period: Period
    shown: bool
    needed: int = 0
    answers: int | None = None
    nps: int | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    promoter_percent: int | None = None
    passive_percent: int | None = None
    detractor_percent: int | None = None
    distribution: tuple[ScoreBar, ...] = ()
    averages: tuple[QuestionAverage, ...] = ()
    comments: tuple[Comment, ...] = field(default=())
    comments_truncated: bool = False  # more comments exist than COMMENT_LIMIT


QUESTIONS: dict[str, Callable[[], str]] = {
    "contact_speed": lambda: _("連絡の速さ"),
    "contact_courtesy": lambda: _("連絡の丁寧さ・誠実さ"),
    "future_interest": lambda: _("今後の関心"),
}


def _aggregates() -> dict[str, Any]:
    expressions: dict[str, Any] = {"answers": Count("id")}
    for score in SCORES:
        expressions[f"score_{score}"] = Count("id", filter=Q(nps=score))
    for key in QUESTIONS:
        expressions[f"avg_{key}"] = Avg(key)
    return expressions


def responses_in(company: Company | None, period: Period) -> Any:
    responses = SurveyResponse.objects.counted().filter(created_at__gte=period.start, created_at__lt=period.end)
    return responses if company is None else responses.filter(company=company)


def _group(score: int) -> str:
    if score >= PROMOTER_MIN:
        return "promoter"
    return "detractor" if score <= DETRACTOR_MAX else "passive"


def summary_from_aggregates(
    period: Period, row: Mapping[str, Any], comments: tuple[Comment, ...] = (), comments_truncated: bool = False
) -> SatisfactionSummary:
    """Build the summary from one row of `_aggregates()`; used per company by the operator's table too."""
    total = row["answers"] or 0
    if total < MIN_ANSWERS:
        return SatisfactionSummary(period=period, shown=False, needed=MIN_ANSWERS - total)
    counts = [row[f"score_{score}"] for score in SCORES]
    tallest = max(counts)
    bars = tuple(
        ScoreBar(
            score=score,
            count=count,
            percent=_percent(count, total),
            group=_group(score),
            height=round(100 * count / tallest),
        )
        for score, count in zip(SCORES, counts, strict=True)
    )
    averages = []
    for key, label in QUESTIONS.items():
        average = Decimal(str(row[f"avg_{key}"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        averages.append(
            QuestionAverage(key=key, label=label(), average=average, percent=round(100 * average / SCALE_MAX))
        )
    promoters = sum(counts[PROMOTER_MIN:])
    detractors = sum(counts[: DETRACTOR_MAX + 1])
    passives = total - promoters - detractors
    return SatisfactionSummary(
        period=period,
        shown=True,
        answers=total,
        nps=nps_from_distribution(counts),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        promoter_percent=_percent(promoters, total),
        passive_percent=_percent(passives, total),
        detractor_percent=_percent(detractors, total),
        distribution=bars,
        averages=tuple(averages),
        comments=comments,
        comments_truncated=comments_truncated,
    )


def satisfaction_summary(company: Company | None, period: Period, *, with_comments: bool = True) -> SatisfactionSummary:
    """The survey results of one company (None: every company) for a period, hidden below MIN_ANSWERS."""
    responses = responses_in(company, period)
    row = responses.aggregate(**_aggregates())
    comments: tuple[Comment, ...] = ()
    truncated = False
    if with_comments and row["answers"] >= MIN_ANSWERS:
        rows = list(
            responses.exclude(comment="")
            .annotate(month=TruncMonth("created_at", tzinfo=TOKYO))
            .order_by("-created_at", "-id")
            .values_list("month", "comment")[: COMMENT_LIMIT + 1]
        )
        truncated = len(rows) > COMMENT_LIMIT
        comments = tuple(Comment(month=_as_date(month), text=text) for month, text in rows[:COMMENT_LIMIT])
    return summary_from_aggregates(period, row, comments, truncated)


def _as_date(value: date | datetime) -> date:
    return value.astimezone(TOKYO).date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class CompanySatisfaction:
    company_id: int
    company_name: str
    summary: SatisfactionSummary


def satisfaction_by_company(period: Period) -> list[CompanySatisfaction]:
    """Every company with at least one answer in the period: shown ones by NPS (best first), then the rest."""
    rows = (
        responses_in(None, period)
        .values("company_id", "company__name")
        .annotate(**_aggregates())
        .order_by("company__name", "company_id")
    )
    result = [
        CompanySatisfaction(
            company_id=row["company_id"],
            company_name=row["company__name"],
            summary=summary_from_aggregates(period, row),
        )
        for row in rows
    ]
    result.sort(key=lambda item: (not item.summary.shown, -(item.summary.nps or 0)))
    return result


def period_from_request(params: Mapping[str, Any], *, now: datetime | None = None) -> tuple[Period, Any]:
    """The period chosen in a query string (`period=month|3m|6m|12m|custom&start=…&end=…`) and its bound form.

    Invalid input keeps the form's Japanese errors for the page and falls back to this month.
    """
    from insights.forms import PeriodForm

    today = (now or timezone.now()).astimezone(TOKYO).date()
    form = PeriodForm(params or {"period": PeriodForm.THIS_MONTH})
    choice = PeriodForm.THIS_MONTH
    if form.is_valid():
        choice = form.cleaned_data["period"] or PeriodForm.THIS_MONTH
        if choice == PeriodForm.CUSTOM:
            return Period.days(form.cleaned_data["start"], form.cleaned_data["end"]), form
    return Period.months(last_month=today, count=PeriodForm.MONTHS[choice]), form
