"""Matching candidates and job orders (issue 4 item 4) with a score of 0–100 explained part by part.

Each part is defined twice, side by side: once in Python (for the reasons shown to the operator and for ranking
the open job orders of one person) and once as a SQL expression, so that ranking 100,000 people for a job order
is one query that returns only the top rows. `tests/test_matching.py` checks the two give the same points.

Skills are compared on `Candidate.search_text` (NFKC, lower case, hiragana folded into katakana: 「ぱいそん」
finds 「パイソン」, 「ＰＹＴＨＯＮ」 finds 「python」), which holds the person's skills and career summary.
A job skill written as a phrase (「法人営業の経験 1 年以上」) is reduced to its keyword (「法人営業」), and
the years it asks for feed the experience part.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, F, Q, Value, When
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext as _

from candidates.models import Candidate
from lib.choices import JobCategory, Prefecture
from lib.jatext import nfkc, search_key, split_skills
from placements.models import Introduction, JobOrder
from placements.selectors.eligibility import (
    eligible_among,
    excluded_companies_for,
    has_service_consent,
)
from placements.selectors.guard import guarded_candidate_ids, placement_guard_for

CATEGORY_POINTS = 15
LOCATION_POINTS = 15
PARTIAL_REMOTE_POINTS = 7
SALARY_POINTS = 15
SALARY_UNKNOWN_POINTS = 8
SALARY_SLIGHTLY_OVER_POINTS = 8
SALARY_OVER_POINTS = 4
EXPERIENCE_POINTS = 10
RECENCY_POINTS = ((30, 5), (90, 3), (365, 1))
REQUIRED_POINTS = 30
PREFERRED_POINTS = 10
DEFAULT_LIMIT = 20
MIN_BATCH = 100  # rows ranked per round before the rules 9–11 check

_YEARS_ASKED = re.compile(r"(\d+)\s*年以上")
_EXPERIENCE_TAIL = re.compile(r"(の)?(実務)?経験.*$")


def skill_keywords(text: str) -> dict[str, str]:
    """The searchable keyword of each skill phrase → the keyword as written; one-letter keys are dropped (they
    would match everyone)."""
    keys: dict[str, str] = {}
    for skill in split_skills(text):
        phrase = _EXPERIENCE_TAIL.sub("", _YEARS_ASKED.sub("", nfkc(skill))).strip() or nfkc(skill)
        key = search_key(phrase)
        if len(key) >= 2:
            keys.setdefault(key, phrase)
    return keys


def years_asked(text: str) -> int | None:
    found = [int(n) for n in _YEARS_ASKED.findall(nfkc(text))]
    return max(found) if found else None


@dataclass(frozen=True)
class JobProfile:
    """What of a job order the score looks at, computed once per ranking."""

    job_category: str
    prefecture: int | None
    remote: str
    salary_max: int
    required: tuple[str, ...]
    preferred: tuple[str, ...]
    min_years: int | None
    written: dict[str, str]

    @classmethod
    def of(cls, job_order: JobOrder) -> "JobProfile":
        required, preferred = skill_keywords(job_order.required_skills), skill_keywords(job_order.preferred_skills)
        return cls(
            job_category=job_order.job_category,
            prefecture=job_order.prefecture,
            remote=job_order.remote,
            salary_max=job_order.salary_max,
            required=tuple(required),
            preferred=tuple(skill for skill in preferred if skill not in required),
            min_years=years_asked(job_order.required_skills),
            written={**preferred, **required},
        )

    @property
    def required_weight(self) -> int:
        # Without preferred skills their points go to the required ones, so every order can reach 100.
        return REQUIRED_POINTS if self.preferred else REQUIRED_POINTS + PREFERRED_POINTS

    @property
    def salary_thresholds(self) -> tuple[int, int]:
        return self.salary_max * 11 // 10, self.salary_max * 12 // 10


@dataclass(frozen=True)
class ScorePart:
    key: str
    label: str
    points: int
    maximum: int
    reason: str

    @property
    def percent(self) -> int:
        return round(100 * self.points / self.maximum) if self.maximum else 0


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    job_order: JobOrder
    parts: tuple[ScorePart, ...]

    @property
    def score(self) -> int:
        return sum(part.points for part in self.parts)


def _man_yen(amount: int) -> str:
    return _("%(amount)s万円") % {"amount": f"{amount:,}"}


def _skills_part(
    key: str, label: str, wanted: tuple[str, ...], weight: int, text: str, written: dict[str, str]
) -> ScorePart:
    if not wanted:
        return ScorePart(key, label, 0, weight, _("照合できるスキルの指定がありません"))
    found = [skill for skill in wanted if skill in text]
    points = weight * len(found) // len(wanted)
    if found:
        reason = _("%(found)s / %(total)s 件が一致(%(skills)s)") % {
            "found": len(found),
            "total": len(wanted),
            "skills": "、".join(written.get(skill, skill) for skill in found),
        }
    else:
        reason = _("一致なし(求人: %(skills)s)") % {"skills": "、".join(written.get(skill, skill) for skill in wanted)}
    return ScorePart(key, label, points, weight, reason)


def _category_part(job: JobProfile, job_category: str) -> ScorePart:
    label = _("職種")
    wanted = JobCategory(job.job_category).label if job.job_category in JobCategory.values else job.job_category
    if job_category == job.job_category:
        return ScorePart(
            "category", label, CATEGORY_POINTS, CATEGORY_POINTS, _("希望職種が一致(%(c)s)") % {"c": wanted}
        )
    theirs = JobCategory(job_category).label if job_category in JobCategory.values else job_category
    return ScorePart("category", label, 0, CATEGORY_POINTS, _("希望職種は %(c)s") % {"c": theirs})


def _location_part(job: JobProfile, prefecture: int) -> ScorePart:
    label = _("勤務地")
    home = Prefecture(prefecture).label if prefecture in Prefecture.values else "—"
    if job.remote == JobOrder.Remote.FULL:
        return ScorePart("location", label, LOCATION_POINTS, LOCATION_POINTS, _("フルリモートの求人"))
    if prefecture == job.prefecture:
        return ScorePart(
            "location", label, LOCATION_POINTS, LOCATION_POINTS, _("お住まいが勤務地と同じ(%(p)s)") % {"p": home}
        )
    if job.remote == JobOrder.Remote.PARTIAL:
        return ScorePart(
            "location",
            label,
            PARTIAL_REMOTE_POINTS,
            LOCATION_POINTS,
            _("お住まいは %(p)s(リモート可の求人)") % {"p": home},
        )
    place = Prefecture(job.prefecture).label if job.prefecture in Prefecture.values else "—"
    return ScorePart(
        "location", label, 0, LOCATION_POINTS, _("お住まいは %(p)s(勤務地は %(w)s)") % {"p": home, "w": place}
    )


def _salary_part(job: JobProfile, desired: int | None) -> ScorePart:
    label = _("年収")
    slightly, over = job.salary_thresholds
    if desired is None:
        return ScorePart("salary", label, SALARY_UNKNOWN_POINTS, SALARY_POINTS, _("希望年収の登録なし"))
    values = {"d": _man_yen(desired), "m": _man_yen(job.salary_max)}
    if desired <= job.salary_max:
        return ScorePart("salary", label, SALARY_POINTS, SALARY_POINTS, _("希望 %(d)s は上限 %(m)s 以内") % values)
    if desired <= slightly:
        return ScorePart(
            "salary",
            label,
            SALARY_SLIGHTLY_OVER_POINTS,
            SALARY_POINTS,
            _("希望 %(d)s は上限 %(m)s を1割以内で超過") % values,
        )
    if desired <= over:
        return ScorePart(
            "salary", label, SALARY_OVER_POINTS, SALARY_POINTS, _("希望 %(d)s は上限 %(m)s を2割以内で超過") % values
        )
    return ScorePart("salary", label, 0, SALARY_POINTS, _("希望 %(d)s は上限 %(m)s を大きく超過") % values)


def _experience_points(job: JobProfile, years: int) -> int:
    if job.min_years:
        return EXPERIENCE_POINTS if years >= job.min_years else years * EXPERIENCE_POINTS // job.min_years
    if years >= 5:
        return EXPERIENCE_POINTS
    if years >= 3:
        return 8
    if years >= 1:
        return 5
    return 2


def _experience_part(job: JobProfile, years: int) -> ScorePart:
    points = _experience_points(job, years)
    if job.min_years:
        reason = _("経験 %(y)s 年(求人の目安: %(m)s 年以上)") % {"y": years, "m": job.min_years}
    else:
        reason = _("社会人経験 %(y)s 年") % {"y": years}
    return ScorePart("experience", _("経験"), points, EXPERIENCE_POINTS, reason)


def _recency_part(created_at: datetime, now: datetime) -> ScorePart:
    days = max((now - created_at).days, 0)
    points = next((p for limit, p in RECENCY_POINTS if created_at >= now - timedelta(days=limit)), 0)
    return ScorePart("recency", _("登録の新しさ"), points, RECENCY_POINTS[0][1], _("登録から %(d)s 日") % {"d": days})


def score_parts(job: JobProfile, candidate: Candidate, now: datetime) -> tuple[ScorePart, ...]:
    text = candidate.search_text
    required_weight = job.required_weight
    return (
        _skills_part("required", _("必須スキル"), job.required, required_weight, text, job.written),
        *(
            (_skills_part("preferred", _("歓迎スキル"), job.preferred, PREFERRED_POINTS, text, job.written),)
            if job.preferred
            else ()
        ),
        _category_part(job, candidate.job_category),
        _location_part(job, candidate.prefecture),
        _salary_part(job, candidate.desired_salary),
        _experience_part(job, candidate.years_of_experience),
        _recency_part(candidate.created_at, now),
    )


# --- The same parts in SQL -------------------------------------------------------------------------------


def _sql_skills(wanted: tuple[str, ...], weight: int) -> Combinable:
    if not wanted:
        return Value(0)
    matched: Combinable = Value(0)
    for skill in wanted:
        matched = matched + Case(When(search_text__contains=skill, then=Value(1)), default=Value(0))
    return matched * Value(weight) / Value(len(wanted))


def _sql_score(job: JobProfile, now: datetime) -> Combinable:
    slightly, over = job.salary_thresholds
    if job.remote == JobOrder.Remote.FULL:
        location: Combinable = Value(LOCATION_POINTS)
    else:
        away = PARTIAL_REMOTE_POINTS if job.remote == JobOrder.Remote.PARTIAL else 0
        location = Case(When(prefecture=job.prefecture, then=Value(LOCATION_POINTS)), default=Value(away))
    if job.min_years:
        experience: Combinable = Case(
            When(years_of_experience__gte=job.min_years, then=Value(EXPERIENCE_POINTS)),
            default=F("years_of_experience") * Value(EXPERIENCE_POINTS) / Value(job.min_years),
        )
    else:
        experience = Case(
            When(years_of_experience__gte=5, then=Value(EXPERIENCE_POINTS)),
            When(years_of_experience__gte=3, then=Value(8)),
            When(years_of_experience__gte=1, then=Value(5)),
            default=Value(2),
        )
    return (
        _sql_skills(job.required, job.required_weight)
        + _sql_skills(job.preferred, PREFERRED_POINTS)
        + Case(When(job_category=job.job_category, then=Value(CATEGORY_POINTS)), default=Value(0))
        + location
        + Case(
            When(desired_salary__isnull=True, then=Value(SALARY_UNKNOWN_POINTS)),
            When(desired_salary__lte=job.salary_max, then=Value(SALARY_POINTS)),
            When(desired_salary__lte=slightly, then=Value(SALARY_SLIGHTLY_OVER_POINTS)),
            When(desired_salary__lte=over, then=Value(SALARY_OVER_POINTS)),
            default=Value(0),
        )
        + experience
        + Case(
            *(When(created_at__gte=now - timedelta(days=days), then=Value(points)) for days, points in RECENCY_POINTS),
            default=Value(0),
        )
    )


def matches_for_job(job_order: JobOrder, *, limit: int = DEFAULT_LIMIT, now: datetime | None = None) -> list[Match]:
    """The best `limit` people for the order, ranked in the database; reasons are written for those rows only.

    Only people sharing the job category or at least one skill keyword are ranked: the rest cannot reach a
    useful score (at most 45 of 100) and leaving them out keeps the sort small. The rules of who may be matched
    (rules 9–11) are checked on the best-ranked rows a batch at a time, in rank order, until `limit` pass: far
    cheaper than checking all 100,000 people first, and the result is the same top list.
    """
    now = now or timezone.now()
    job = JobProfile.of(job_order)
    related = Q(job_category=job.job_category)
    for skill in (*job.required, *job.preferred):
        related |= Q(search_text__contains=skill)
    proposed = Introduction.objects.filter(job_order=job_order, candidate__isnull=False).values("candidate_id")
    ranked = (
        Candidate.objects.filter(related)
        .exclude(pk__in=proposed)
        .annotate(match_score=_sql_score(job, now))
        .order_by("-match_score", "-created_at", "-id")
    )
    chosen: list[Candidate] = []
    start, batch = 0, max(limit * 10, MIN_BATCH)
    while len(chosen) < limit:
        rows = list(ranked[start : start + batch])
        allowed = eligible_among(job_order.company, [row.pk for row in rows])
        chosen.extend(row for row in rows if row.pk in allowed)
        if len(rows) < batch:
            break
        start, batch = start + batch, batch * 2
    return [Match(candidate=c, job_order=job_order, parts=score_parts(job, c, now)) for c in chosen[:limit]]


def matches_for_candidate(
    candidate: Candidate, *, limit: int = DEFAULT_LIMIT, now: datetime | None = None
) -> list[Match]:
    """The best open job orders for one person, leaving out companies they must not reach (rule 9)."""
    if not has_service_consent(candidate) or placement_guard_for(candidate) is not None:
        return []
    now = now or timezone.now()
    job_orders = (
        JobOrder.objects.open()
        .exclude(company_id__in=excluded_companies_for(candidate))
        .exclude(introductions__candidate=candidate)
        .select_related("company")
    )
    found = [
        Match(candidate=candidate, job_order=j, parts=score_parts(JobProfile.of(j), candidate, now)) for j in job_orders
    ]
    found.sort(key=lambda match: (-match.score, -match.job_order.created_at.timestamp(), -match.job_order.pk))
    return found[:limit]


def guarded_related_count(job_order: JobOrder, *, today: date | None = None) -> int:
    """How many people who would share the order's category or a skill are left out of its matches because of the
    2-year guard after an indefinite placement (rule 16): the matching page says so, without naming them."""
    job = JobProfile.of(job_order)
    related = Q(job_category=job.job_category)
    for skill in (*job.required, *job.preferred):
        related |= Q(search_text__contains=skill)
    return Candidate.objects.filter(related, pk__in=guarded_candidate_ids(today)).count()


def sql_score_of(job_order: JobOrder, candidate_ids: list[int], now: datetime) -> dict[int, int]:
    """The database's score for given people, without any filter: lets tests check SQL and Python agree."""
    job = JobProfile.of(job_order)
    rows = Candidate.objects.filter(pk__in=candidate_ids).annotate(match_score=_sql_score(job, now))
    return dict(rows.values_list("pk", "match_score"))
