"""The 2-year guard after a placement into indefinite employment (DESIGN.md §3 rule 16; 許可条件 since 2025-01-01).

For 2 years from the start date of a placement into 無期雇用 (`Placement.indefinite`, a 正社員 order by
default) the agency does not encourage the person to change jobs: no re-challenge invitation, no newsletter,
no matching result, no talent-pool listing. The guard ends early only when the person leaves that job
(`left_on` recorded) or asks for it themselves on My Page (`JobChangeRequest`, placements.services.guard).

This is the one place the rule is written: eligibility (matching, introductions, the pool), re-challenge and the
newsletter audience all ask it, so they can never disagree.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from candidates.models import Candidate
from lib.dates import JST, add_months, jst_today
from placements.models import JobChangeRequest, Placement

GUARD_MONTHS = 24


def guard_ends_on(start_date: date) -> date:
    """The first day the person is free of the guard: the same day 2 years after the start."""
    return add_months(start_date, GUARD_MONTHS)


def guarding_placements(
    today: date | None = None, among: Collection[int] | None = None, *, recorded_by: date | None = None
) -> QuerySet[Placement]:
    """Placements whose guard runs today: indefinite, started less than 2 years ago (a start in the future guards
    too: the offer was accepted), the person has not left, and has not asked to hear about jobs.

    `recorded_by` (a KPI looking back at a period): only placements recorded by the end of that day guard, so the
    hire a re-application led to does not make the person ineligible before it happened."""
    today = today or jst_today()
    lifted = JobChangeRequest.objects.filter(placement=OuterRef("pk"), candidate=OuterRef("candidate"))
    placements = Placement.objects.filter(
        indefinite=True,
        candidate__isnull=False,
        start_date__gt=add_months(today, -GUARD_MONTHS),
        left_on__isnull=True,
    ).exclude(Exists(lifted))
    if recorded_by is not None:
        placements = placements.filter(
            created_at__lt=datetime.combine(recorded_by + timedelta(days=1), time.min, tzinfo=JST)
        )
    return placements if among is None else placements.filter(candidate_id__in=among)


def guarded_candidate_ids(
    today: date | None = None, among: Collection[int] | None = None, *, recorded_by: date | None = None
) -> QuerySet[Placement, int]:
    """Ids of the people under the guard today (a query, usable in `pk__in` filters)."""
    return guarding_placements(today, among, recorded_by=recorded_by).values_list("candidate_id", flat=True)


def outside_placement_guard(
    queryset: QuerySet[Candidate] | None = None, *, today: date | None = None, among: Collection[int] | None = None
) -> QuerySet[Candidate]:
    """The people of `queryset` whom the agency may encourage to change jobs today."""
    queryset = Candidate.objects.all() if queryset is None else queryset
    return queryset.exclude(pk__in=guarded_candidate_ids(today, among))


@dataclass(frozen=True)
class PlacementGuard:
    placement: Placement
    ends_on: date  # the first free day

    @property
    def last_day(self) -> date:
        """The last day of the guard, as staff and the person read it (「YYYY年M月D日まで」)."""
        return date.fromordinal(self.ends_on.toordinal() - 1)


def placement_guard_for(candidate: Candidate, today: date | None = None) -> PlacementGuard | None:
    """The guard that runs for this person today (the one that ends last), or None."""
    placement = guarding_placements(today, [candidate.pk]).select_related("company").order_by("-start_date").first()
    return None if placement is None else PlacementGuard(placement, guard_ends_on(placement.start_date))
