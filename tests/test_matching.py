"""Matching: explained scores, ranking, and who may never be matched (DESIGN.md §3 rules 9 and 11)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from candidates.models import Candidate
from placements.models import CompanyExclusion
from placements.selectors.eligibility import excluded_companies_for
from placements.selectors.matching import (
    JobProfile,
    matches_for_candidate,
    matches_for_job,
    score_parts,
    skill_keywords,
    sql_score_of,
)
from tests.conftest import Tenant
from tests.introductions_support import (
    make_job,
    opt_in_rechallenge,
    person,
    third_company,
    withdraw_service_consent,
)

pytestmark = pytest.mark.django_db


def parts_of(match: object) -> dict[str, tuple[int, str]]:
    return {part.key: (part.points, part.reason) for part in match.parts}  # type: ignore[attr-defined]


def test_it_scores_every_part_with_its_reason(tenant: Tenant, outsider: Tenant) -> None:
    job = make_job(outsider)
    hanako = person(tenant, skills="ＰＹＴＨＯＮ、SQL、Django", years_of_experience=4, desired_salary=600)
    [match] = matches_for_job(job)
    parts = parts_of(match)
    assert match.candidate == hanako
    assert parts["required"] == (20, "2 / 3 件が一致(Python、SQL)")
    assert parts["preferred"] == (10, "1 / 1 件が一致(Django)")
    assert parts["category"] == (15, "希望職種が一致(ITエンジニア(開発))")
    assert parts["location"] == (15, "お住まいが勤務地と同じ(東京都)")
    assert parts["salary"] == (15, "希望 600万円 は上限 700万円 以内")
    assert parts["experience"] == (10, "経験 4 年(求人の目安: 3 年以上)")
    assert parts["recency"] == (5, "登録から 0 日")
    assert match.score == 90


def test_it_gives_partial_points_and_says_why(tenant: Tenant, outsider: Tenant) -> None:
    job = make_job(outsider, remote="partial")
    now = timezone.now()
    taro = person(
        tenant, skills="Python", job_category="infra", prefecture=27, years_of_experience=1, desired_salary=800
    )
    Candidate.objects.filter(pk=taro.pk).update(created_at=now - timedelta(days=60))
    taro.refresh_from_db()
    parts = {part.key: (part.points, part.reason) for part in score_parts(JobProfile.of(job), taro, now)}
    assert parts["required"] == (10, "1 / 3 件が一致(Python)")
    assert parts["preferred"] == (0, "一致なし(求人: Django)")
    assert parts["category"] == (0, "希望職種は ITエンジニア(インフラ・運用)")
    assert parts["location"] == (7, "お住まいは 大阪府(リモート可の求人)")
    assert parts["salary"] == (4, "希望 800万円 は上限 700万円 を2割以内で超過")
    assert parts["experience"] == (3, "経験 1 年(求人の目安: 3 年以上)")
    assert parts["recency"] == (3, "登録から 60 日")


def test_it_reads_skill_keywords_and_years_from_japanese_phrases() -> None:
    keys = skill_keywords("法人営業の経験 1 年以上、ＳＱＬ、ぱいそん、C")
    assert list(keys) == ["法人営業", "sql", "パイソン"]


def test_the_database_and_python_give_the_same_points(tenant: Tenant, outsider: Tenant) -> None:
    job = make_job(outsider, remote="partial", preferred_skills="")
    now = timezone.now()
    people = [
        person(tenant, skills="Python、SQL", years_of_experience=0, desired_salary=None),
        person(tenant, skills="sql", prefecture=1, years_of_experience=2, desired_salary=760),
        person(tenant, skills="Go", job_category="sales", years_of_experience=10, desired_salary=2000),
    ]
    database = sql_score_of(job, [p.pk for p in people], now)
    for someone in people:
        someone.refresh_from_db()
        assert database[someone.pk] == sum(part.points for part in score_parts(JobProfile.of(job), someone, now))


def test_it_ranks_the_best_first_and_leaves_out_the_unrelated(tenant: Tenant, outsider: Tenant) -> None:
    job = make_job(outsider)
    best = person(tenant, skills="Python、SQL、Django", years_of_experience=5, desired_salary=600)
    middle = person(tenant, skills="Python", years_of_experience=2, desired_salary=650)
    low = person(tenant, skills="Excel", prefecture=40, years_of_experience=0, desired_salary=1500)
    unrelated = person(tenant, skills="簿記", job_category="corporate")
    ranked = [match.candidate for match in matches_for_job(job)]
    assert ranked == [best, middle, low]
    assert unrelated not in ranked
    assert [m.score for m in matches_for_job(job)] == sorted((m.score for m in matches_for_job(job)), reverse=True)
    assert len(matches_for_job(job, limit=2)) == 2


def test_the_company_that_rejected_a_person_never_gets_them(tenant: Tenant, outsider: Tenant) -> None:
    job = make_job(tenant)
    rejected_here = person(tenant, skills="Python、SQL")
    from_elsewhere = person(outsider, skills="Python、SQL")
    assert [m.candidate for m in matches_for_job(job)] == [from_elsewhere]
    assert tenant.company.pk in excluded_companies_for(rejected_here)
    assert job not in [m.job_order for m in matches_for_candidate(rejected_here)]


def test_a_re_challenge_opt_in_lets_them_back_only_after_the_cool_down(tenant: Tenant) -> None:
    job = make_job(tenant)
    rejected_here = person(tenant, skills="Python、SQL")
    opt_in_rechallenge(rejected_here, months_ago=2)
    assert matches_for_job(job) == []
    opt_in_rechallenge(rejected_here, months_ago=7)
    assert [m.candidate for m in matches_for_job(job)] == [rejected_here]
    assert [m.job_order for m in matches_for_candidate(rejected_here)] == [job]


def test_a_competitor_named_by_the_referring_company_never_gets_its_people(
    tenant: Tenant, outsider: Tenant, operator: object
) -> None:
    competitor_job = make_job(outsider)
    third = third_company(operator)  # type: ignore[arg-type]
    third_job = make_job(third)
    hanako = person(tenant, skills="Python、SQL")
    CompanyExclusion.objects.create(company=tenant.company, excluded=outsider.company)
    assert matches_for_job(competitor_job) == []
    assert [m.candidate for m in matches_for_job(third_job)] == [hanako]
    assert [m.job_order for m in matches_for_candidate(hanako)] == [third_job]
    assert excluded_companies_for(hanako) == {tenant.company.pk, outsider.company.pk}


def test_a_withdrawn_consent_removes_the_person_from_matching(tenant: Tenant, outsider: Tenant) -> None:
    job = make_job(outsider)
    hanako = person(tenant, skills="Python、SQL")
    assert [m.candidate for m in matches_for_job(job)] == [hanako]
    withdraw_service_consent(hanako)
    assert matches_for_job(job) == []
    assert matches_for_candidate(hanako) == []


def test_people_without_a_verified_address_or_consent_rows_are_never_matched(tenant: Tenant, outsider: Tenant) -> None:
    from tests.conftest import register

    job = make_job(outsider)
    register(tenant.link, skills="Python、SQL")  # not verified yet
    hanako = person(tenant, skills="Python、SQL")
    hanako.consents.all().delete()
    assert matches_for_job(job) == []


def test_the_operator_sees_ranked_matches_with_reasons_and_outsiders_get_404(
    tenant: Tenant, outsider: Tenant, operator_client: Client, outsider_client: Client
) -> None:
    job = make_job(outsider)
    hanako = person(tenant, skills="Python、SQL", name="候補 花子")
    page = operator_client.get(f"/ops/jobs/{job.pk}/matches/").content.decode()
    assert "候補 花子" in page and "2 / 3 件が一致(Python、SQL)" in page and "推薦する" in page
    assert f"/ops/introductions/new/?job={job.pk}&amp;candidate={hanako.pk}" in page
    page = operator_client.get(f"/ops/candidates/{hanako.pk}/matches/").content.decode()
    assert job.title in page and "他社株式会社" in page
    for url in (f"/ops/jobs/{job.pk}/matches/", f"/ops/candidates/{hanako.pk}/matches/"):
        assert outsider_client.get(url).status_code == 404
    assert operator_client.get("/ops/jobs/999999/matches/").status_code == 404


def test_the_re_challenge_exception_agrees_with_the_re_challenge_rules(tenant: Tenant, outsider: Tenant) -> None:
    from applicants.services import applicant_record
    from candidates.services import candidate_register
    from mailings.models import Suppression
    from placements.selectors.eligibility import rechallenge_allowed
    from rechallenge.services import rechallenge_candidates
    from relay.models import Referral
    from tests.conftest import profile

    now = timezone.now()

    def rejected(*, opt_in: bool, rejected_days_ago: int, registered_days_ago: int, with_applicant: bool) -> Candidate:
        ref = ""
        if with_applicant:
            ref = applicant_record(
                company=tenant.company,
                source="manual",
                name="応募 太郎",
                email=f"applicant{rejected_days_ago}{registered_days_ago}{opt_in}@example.jp",
                position="営業職",
                rejected_at=now - timedelta(days=rejected_days_ago),
            ).applicant.ref
        candidate = candidate_register(
            link=tenant.link, profile=profile(), rechallenge=opt_in, newsletter=False, applicant_ref=ref
        ).candidate
        Referral.objects.filter(candidate=candidate).update(registered_at=now - timedelta(days=registered_days_ago))
        return candidate

    allowed = {
        rejected(opt_in=True, rejected_days_ago=220, registered_days_ago=217, with_applicant=True),
        rejected(opt_in=True, rejected_days_ago=220, registered_days_ago=1, with_applicant=True),
        rejected(opt_in=True, rejected_days_ago=0, registered_days_ago=220, with_applicant=False),
    }
    unsubscribed_elsewhere = rejected(opt_in=True, rejected_days_ago=220, registered_days_ago=217, with_applicant=True)
    Suppression.objects.create(email_normalized=unsubscribed_elsewhere.email_normalized, company=outsider.company)
    allowed.add(unsubscribed_elsewhere)
    rejected(opt_in=True, rejected_days_ago=150, registered_days_ago=147, with_applicant=True)  # in the cool-down
    rejected(opt_in=False, rejected_days_ago=220, registered_days_ago=217, with_applicant=True)  # never opted in
    unsubscribed = rejected(opt_in=True, rejected_days_ago=220, registered_days_ago=217, with_applicant=False)
    Suppression.objects.create(email_normalized=unsubscribed.email_normalized, company=None)
    invalidated = rejected(opt_in=True, rejected_days_ago=220, registered_days_ago=217, with_applicant=False)
    Referral.objects.filter(candidate=invalidated).update(status=Referral.Status.INVALIDATED)

    by_rechallenge = {found.candidate for found in rechallenge_candidates(company=tenant.company)}
    by_matching = {referral.candidate for referral in rechallenge_allowed(tenant.company).select_related("candidate")}
    assert by_matching == by_rechallenge == allowed


def test_the_cool_down_end_follows_month_end_clamping() -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from placements.selectors.eligibility import _cool_down_end

    japan = ZoneInfo("Asia/Tokyo")
    # 1/29, 1/30 and 1/31 plus one month are all clamped to 2/28, so on 2/28 their cool-down is over.
    assert _cool_down_end(1, date(2026, 2, 28)) == datetime(2026, 2, 1, tzinfo=japan)
    assert _cool_down_end(6, date(2026, 11, 22)) == datetime(2026, 5, 23, tzinfo=japan)


def test_people_the_rules_keep_away_are_skipped_even_when_they_rank_first(
    tenant: Tenant, outsider: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from placements.selectors import matching

    monkeypatch.setattr(matching, "MIN_BATCH", 1)  # one row per round: the skipping crosses several rounds
    job = make_job(outsider)
    best_but_rejected = person(outsider, skills="Python、SQL、Django", years_of_experience=9, desired_salary=600)
    withdrawn = person(tenant, skills="Python、SQL、Django", years_of_experience=9, desired_salary=600)
    withdraw_service_consent(withdrawn)
    second = person(tenant, skills="Python、SQL", years_of_experience=9, desired_salary=600)
    third = person(tenant, skills="Python", years_of_experience=9, desired_salary=600)
    assert [m.candidate for m in matches_for_job(job, limit=1)] == [second]
    assert [m.candidate for m in matches_for_job(job, limit=2)] == [second, third]
    assert best_but_rejected not in [m.candidate for m in matches_for_job(job, limit=10)]


def test_checking_a_few_people_agrees_with_checking_everyone(
    tenant: Tenant, outsider: Tenant, operator: object
) -> None:
    from placements.selectors.eligibility import eligible_among, eligible_candidates_for

    third = third_company(operator)  # type: ignore[arg-type]
    people = [person(tenant), person(outsider), person(third), person(tenant), person(outsider)]
    withdraw_service_consent(people[3])
    opt_in_rechallenge(people[4], months_ago=7)
    CompanyExclusion.objects.create(company=third.company, excluded=outsider.company)
    ids = [p.pk for p in people]
    for company in (tenant.company, outsider.company, third.company):
        everyone = set(eligible_candidates_for(company).values_list("pk", flat=True))
        assert eligible_among(company, ids) == everyone & set(ids)
        assert eligible_among(company, ids[:2]) == everyone & set(ids[:2])
    assert eligible_among(outsider.company, ids) == {people[0].pk, people[4].pk}
