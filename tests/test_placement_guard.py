"""The 2-year guard after a placement into indefinite employment (DESIGN.md §3 rule 16, 許可条件 since 2025-01-01).

A person the agency placed into 無期雇用 is not encouraged to change jobs for 2 years from the start: no
re-challenge invitation, no newsletter, no matching, no talent pool — until they ask for it themselves on My Page.
"""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Candidate, Consent
from candidates.services import candidate_set_consents
from candidates.tokens import candidate_token_make
from lib.dates import add_months, jst_today
from placements.models import Introduction, JobChangeRequest, Placement, PoolListing
from placements.selectors.eligibility import eligible_among, introduction_refusal, newsletter_audience
from placements.selectors.guard import guard_ends_on, placement_guard_for
from placements.selectors.matching import matches_for_candidate, matches_for_job
from placements.services.guard import job_change_request_record
from placements.services.placements import placement_record, placement_record_leaving
from placements.services.pool import PoolFilters, pool_page
from rechallenge.services import (
    PlacementGuarded,
    rechallenge_candidates,
    rechallenge_invitations_send,
    rechallenge_invite,
)
from relay.models import Referral
from tests.conftest import Tenant, login, make_tenant
from tests.introductions_support import make_job, person
from tests.test_rechallenge import SIX_MONTHS_DUE, open_job, rejected_candidate

pytestmark = pytest.mark.django_db

LAST_MONTH = jst_today() - timedelta(days=30)


def place(candidate: Candidate, employer: Tenant, operator: User, *, start: date, employment_type: str) -> Placement:
    """The agency placed `candidate` with `employer` (a hired introduction, then the placement)."""
    job = make_job(employer, title=f"{employment_type} の求人", employment_type=employment_type)
    introduction = Introduction.objects.create(
        company=employer.company,
        job_order=job,
        candidate=candidate,
        status=Introduction.Status.HIRED,
        proposed_by=operator,
        accepted_at=timezone.now(),
    )
    return placement_record(introduction=introduction, start_date=start, annual_salary_yen=6_000_000, actor=operator)


@pytest.fixture
def employer(operator: User) -> Tenant:
    return make_tenant(operator, "入社先株式会社", "employer")


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


# --- the rule ------------------------------------------------------------------------------------------------------


def test_a_full_time_placement_is_indefinite_and_guards_for_two_years_from_the_start(
    tenant: Tenant, employer: Tenant, operator: User
) -> None:
    candidate = person(tenant)
    placement = place(candidate, employer, operator, start=date(2026, 4, 1), employment_type="full_time")
    assert placement.indefinite
    assert guard_ends_on(placement.start_date) == date(2028, 4, 1)
    guard = placement_guard_for(candidate, today=date(2028, 3, 31))
    assert guard is not None and guard.last_day == date(2028, 3, 31) and guard.placement == placement
    assert placement_guard_for(candidate, today=date(2028, 4, 1)) is None
    assert placement_guard_for(candidate, today=date(2026, 3, 1)) is not None  # accepted, not yet started


def test_looking_back_at_a_day_before_the_placement_was_recorded_finds_no_guard(
    tenant: Tenant, employer: Tenant, operator: User
) -> None:
    from placements.selectors.guard import guarded_candidate_ids

    candidate = person(tenant)
    placement = place(candidate, employer, operator, start=date(2026, 4, 1), employment_type="full_time")
    recorded = timezone.localtime(placement.created_at).date()
    before = recorded - timedelta(days=1)

    assert list(guarded_candidate_ids(before, [candidate.pk])) == [candidate.pk]
    assert list(guarded_candidate_ids(before, [candidate.pk], recorded_by=before)) == []
    assert list(guarded_candidate_ids(recorded, [candidate.pk], recorded_by=recorded)) == [candidate.pk]


def test_a_fixed_term_placement_does_not_guard(tenant: Tenant, employer: Tenant, operator: User) -> None:
    candidate = person(tenant)
    placement = place(candidate, employer, operator, start=LAST_MONTH, employment_type="contract")
    assert not placement.indefinite
    assert placement_guard_for(candidate) is None
    assert candidate.pk in eligible_among(make_tenant(operator, "第三株式会社", "third").company, [candidate.pk])


def test_leaving_the_job_ends_the_guard(tenant: Tenant, employer: Tenant, operator: User) -> None:
    candidate = person(tenant)
    placement = place(candidate, employer, operator, start=LAST_MONTH, employment_type="full_time")
    placement_record_leaving(placement=placement, left_on=jst_today(), actor=operator)
    assert placement_guard_for(candidate) is None


# --- matching, introductions, the pool --------------------------------------------------------------------------------


def test_a_person_placed_last_month_is_never_matched_introduced_or_pooled(
    tenant: Tenant, employer: Tenant, operator: User
) -> None:
    third = make_tenant(operator, "第三株式会社", "third")
    job = make_job(third)
    placed = person(tenant, name="入社 済子")
    free = person(tenant, name="転職 希望子")
    PoolListing.objects.update(state=PoolListing.State.LISTED)
    assert {m.candidate for m in matches_for_job(job)} == {placed, free}
    place(placed, employer, operator, start=LAST_MONTH, employment_type="full_time")

    assert {m.candidate for m in matches_for_job(job)} == {free}
    assert matches_for_candidate(placed) == []
    assert eligible_among(third.company, [placed.pk, free.pk]) == {free.pk}
    people, _next = pool_page(third.company, PoolFilters(), size=10)
    assert placed not in people and free in people
    refusal = introduction_refusal(placed, third.company)
    last_day = guard_ends_on(LAST_MONTH) - timedelta(days=1)
    assert refusal is not None and f"{last_day.year}年{last_day.month}月{last_day.day}日" in refusal


def test_after_two_years_the_person_is_matched_again(tenant: Tenant, employer: Tenant, operator: User) -> None:
    third = make_tenant(operator, "第三株式会社", "third")
    job = make_job(third)
    placed = person(tenant)
    place(placed, employer, operator, start=add_months(jst_today(), -24), employment_type="full_time")
    assert placement_guard_for(placed) is None
    assert placed in {m.candidate for m in matches_for_job(job)}


def test_the_persons_own_request_lifts_the_guard_and_is_recorded(
    tenant: Tenant, employer: Tenant, operator: User
) -> None:
    third = make_tenant(operator, "第三株式会社", "third")
    job = make_job(third)
    placed = person(tenant)
    place(placed, employer, operator, start=LAST_MONTH, employment_type="full_time")
    assert placed not in {m.candidate for m in matches_for_job(job)}
    [request] = job_change_request_record(candidate=placed)
    assert request.created_at is not None
    assert job_change_request_record(candidate=placed) == []  # asking twice records nothing more
    assert placement_guard_for(placed) is None
    assert placed in {m.candidate for m in matches_for_job(job)}
    entry = AuditEntry.objects.get(action="placement.guard_lift_by_request")
    assert entry.actor is None and entry.detail["candidate"] == placed.pk


# --- re-challenge and newsletters -----------------------------------------------------------------------------------


def test_a_person_placed_last_month_is_never_invited_to_re_challenge(
    tenant: Tenant, employer: Tenant, operator: User
) -> None:
    open_job(tenant)
    placed = rejected_candidate(tenant)
    other = rejected_candidate(tenant)
    start = timezone.localtime(SIX_MONTHS_DUE).date() - timedelta(days=30)
    place(placed, employer, operator, start=start, employment_type="full_time")
    assert [c.candidate for c in rechallenge_candidates(company=tenant.company, today=SIX_MONTHS_DUE.date())] == [other]
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 1
    referral = Referral.objects.get(candidate=placed)
    with pytest.raises(PlacementGuarded):
        rechallenge_invite(company=tenant.company, referral=referral, now=SIX_MONTHS_DUE)
    assert not placed.rechallenge_invitations.exists()


def test_a_fixed_term_placement_does_not_stop_re_challenge(tenant: Tenant, employer: Tenant, operator: User) -> None:
    open_job(tenant)
    placed = rejected_candidate(tenant)
    start = timezone.localtime(SIX_MONTHS_DUE).date() - timedelta(days=30)
    place(placed, employer, operator, start=start, employment_type="contract")
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 1


def test_a_person_placed_last_month_is_not_in_the_newsletter_audience(
    tenant: Tenant, employer: Tenant, operator: User
) -> None:
    placed, free = person(tenant), person(tenant)
    for someone in (placed, free):
        candidate_set_consents(candidate=someone, wanted={Consent.Kind.NEWSLETTER: True})
    assert set(newsletter_audience()) == {placed, free}
    place(placed, employer, operator, start=LAST_MONTH, employment_type="full_time")
    assert set(newsletter_audience()) == {free}
    job_change_request_record(candidate=placed)
    assert set(newsletter_audience()) == {placed, free}


# --- screens ---------------------------------------------------------------------------------------------------------


def test_staff_see_why_on_the_crm_page_and_on_the_matching_pages(
    tenant: Tenant, employer: Tenant, operator: User, operator_client: Client
) -> None:
    placed = person(tenant)
    place(placed, employer, operator, start=date(2026, 11, 1), employment_type="full_time")
    page = operator_client.get(f"/ops/candidates/{placed.pk}/").content.decode()
    assert "入社後2年間の転職勧奨禁止期間中（2028年10月31日まで）" in page
    page = operator_client.get(f"/ops/candidates/{placed.pk}/matches/").content.decode()
    assert "入社後2年間の転職勧奨禁止期間中（2028年10月31日まで）" in page
    job = make_job(make_tenant(operator, "第三株式会社", "third"))
    page = operator_client.get(f"/ops/jobs/{job.pk}/matches/").content.decode()
    assert "入社後2年間の転職勧奨禁止期間中の方 1 名は" in page


def test_on_my_page_the_person_asks_for_job_change_advice(
    tenant: Tenant, employer: Tenant, operator: User, outsider: Tenant
) -> None:
    placed = person(tenant)
    place(placed, employer, operator, start=LAST_MONTH, employment_type="full_time")
    client = signed_in(placed)
    page = client.get("/me/").content.decode()
    assert "転職の相談をしたい" in page and 'action="/me/introductions/job-change/"' in page
    card = page[page.index('id="placement-guard"') :]
    assert card.index("csrfmiddlewaretoken") < card.index("転職の相談をしたい")
    # Nobody else can ask for them: signed out, a company user, or another person (who lifts only their own).
    assert Client().post("/me/introductions/job-change/")["Location"] == "/me/login/"
    assert login(Client(), outsider.owner).post("/me/introductions/job-change/")["Location"] == "/me/login/"
    signed_in(person(tenant)).post("/me/introductions/job-change/")
    assert not JobChangeRequest.objects.exists()
    assert client.get("/me/introductions/job-change/").status_code == 405
    response = client.post("/me/introductions/job-change/", follow=True)
    assert "転職のご相談のお申し出を承りました" in response.content.decode()
    assert JobChangeRequest.objects.get().candidate == placed
    assert "転職の相談をしたい" not in client.get("/me/").content.decode()
    assert "ご本人の申し出" in login(Client(), operator).get(f"/ops/candidates/{placed.pk}/").content.decode()


def test_a_person_without_a_placement_sees_no_guard_on_my_page(tenant: Tenant) -> None:
    assert "転職の相談をしたい" not in signed_in(person(tenant)).get("/me/").content.decode()
