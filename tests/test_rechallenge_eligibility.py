"""Who may be invited to re-challenge, counted in one grouped query (DESIGN.md §3 rules 8, 9, 12 and 16; issue 14).

The KPI pages count the eligible people of every company at once (`rechallenge_eligible_counts`); the
invitations (`rechallenge_candidates`) read their people from the same query. Here both are held against a
plain-Python reading of the rule over random histories: consents given and withdrawn, unsubscribes from this
company, another or everything, rejections dated by the ATS or only by the registration, cool-downs of different
contracts around month ends, invalidated referrals and placements that guard.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from applicants.models import Applicant
from applicants.services import applicant_record
from candidates.models import Candidate, Consent
from companies.models import Company, Contract
from lib.dates import JST, add_months
from mailings.models import Suppression
from placements.selectors.eligibility import rechallenge_eligible_counts
from placements.selectors.guard import guarded_candidate_ids
from rechallenge.services import rechallenge_candidates
from relay.models import Referral
from tests.conftest import Tenant, make_tenant, profile
from tests.test_placement_guard import place

pytestmark = pytest.mark.django_db

# Days near month ends, where add_months clamps (8/31 + 6 months = 2/28), and an ordinary one; the first is before
# the placements are recorded, so a KPI looking back at it must not see their guard.
TODAYS = (
    date(2026, 8, 31),
    date(2027, 2, 28),
    date(2027, 3, 31),
    date(2027, 8, 31),
    date(2027, 6, 15),
    date(2028, 2, 29),
)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=JST)


@dataclass(frozen=True)
class Person:
    company: int  # index into the three companies
    status: str
    decisions: tuple[bool, ...]  # re-challenge consents in order; empty = never asked
    # Rejected this many months before the day the KPI looks at, shifted by a few days: the cool-down's edge.
    rejected_months_before: int
    rejected_days_shift: int
    with_applicant: bool
    applicant_date_known: bool
    registered_days_after_rejection: int
    unsubscribed: str  # "", "own", "other", "all"
    placed: str  # "", "full_time" (guards), "contract" (does not)


people = st.builds(
    Person,
    company=st.integers(0, 2),
    status=st.sampled_from(["counted", "counted", "pending", "invalidated"]),
    # Mostly people who said yes last; (False, True) and (True, False) are decided in the same instant.
    decisions=st.sampled_from([(True,), (True,), (False, True), (True, False), (True, False, True), (False,), ()]),
    rejected_months_before=st.sampled_from([0, 1, 6, 12, 13, 30]),
    rejected_days_shift=st.integers(-2, 2),
    with_applicant=st.booleans(),
    applicant_date_known=st.booleans(),
    registered_days_after_rejection=st.sampled_from([0, 3, 20, 200, 400]),
    unsubscribed=st.sampled_from(["", "", "", "own", "other", "all"]),
    placed=st.sampled_from(["", "", "", "full_time", "contract"]),
)


@pytest.fixture
def companies(operator: User) -> list[Tenant]:
    return [make_tenant(operator, f"再挑戦{n}株式会社", f"again{n}") for n in range(3)]


def create(person: Person, tenant: Tenant, others: list[Tenant], today: date, operator: User) -> None:
    rejected_on = add_months(today, -person.rejected_months_before) + timedelta(days=person.rejected_days_shift)
    # Late in the evening in Japan: already the next day in UTC, so a day read in the wrong zone shows.
    rejected_at = datetime.combine(rejected_on, datetime.min.time(), tzinfo=JST) + timedelta(hours=23, minutes=30)
    data = profile()
    candidate = Candidate.objects.create(**data)
    ref = ""
    if person.with_applicant:
        applicant = applicant_record(
            company=tenant.company,
            source="manual",
            name="応募 太郎",
            email=f"a-{data['email']}",
            position="営業職",
            rejected_at=rejected_at,
        ).applicant
        if not person.applicant_date_known:
            Applicant.objects.filter(pk=applicant.pk).update(rejected_at=None)
        ref = applicant.ref
    Referral.objects.create(
        company=tenant.company,
        link=tenant.link,
        candidate=candidate,
        applicant_ref=ref,
        status=person.status,
        job_category="software",
        prefecture=13,
        registered_at=rejected_at + timedelta(days=person.registered_days_after_rejection),
    )
    for n, granted in enumerate(person.decisions):
        consent = Consent.objects.create(
            candidate=candidate, kind=Consent.Kind.RECHALLENGE, granted=granted, version="v", channel="web"
        )
        # Two decisions in the same instant are ordered by id, as the rule reads them.
        Consent.objects.filter(pk=consent.pk).update(created_at=NOW + timedelta(minutes=n // 2))
    if person.unsubscribed:
        scope = {"own": tenant.company, "other": others[0].company, "all": None}[person.unsubscribed]
        Suppression.objects.create(email_normalized=candidate.email_normalized, company=scope)
    if person.placed:
        place(candidate, others[-1], operator, start=today - timedelta(days=30), employment_type=person.placed)


def eligible_by_hand(company: Company, today: date, *, looking_back: bool) -> set[int]:
    """The rule read one person at a time, as a person reads it (the referral ids)."""
    months = Contract.objects.get(company=company).rechallenge_first_months
    guarded = set(guarded_candidate_ids(today, recorded_by=today if looking_back else None))
    found = set()
    for referral in Referral.objects.filter(company=company).select_related("candidate"):
        candidate = referral.candidate
        if candidate is None or referral.status == Referral.Status.INVALIDATED or candidate.pk in guarded:
            continue
        decisions = sorted(candidate.consents.filter(kind=Consent.Kind.RECHALLENGE), key=lambda c: (c.created_at, c.pk))
        if not decisions or not decisions[-1].granted:
            continue
        if Suppression.objects.blocks(email=candidate.email, company=company):
            continue
        applicant = (
            Applicant.objects.filter(company=company, ref=referral.applicant_ref).first()
            if referral.applicant_ref
            else None
        )
        rejected_at = (applicant.rejected_at if applicant else None) or referral.registered_at
        if add_months(timezone.localtime(rejected_at, JST).date(), months) <= today:
            found.add(referral.pk)
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    crowd=st.lists(people, min_size=1, max_size=8),
    months=st.tuples(st.sampled_from([1, 6, 12]), st.sampled_from([1, 6, 12]), st.sampled_from([1, 6, 12])),
    today=st.sampled_from(TODAYS),
    looking_back=st.booleans(),
)
def test_the_grouped_count_agrees_with_the_rule_read_person_by_person(
    companies: list[Tenant],
    operator: User,
    crowd: list[Person],
    months: tuple[int, int, int],
    today: date,
    looking_back: bool,
) -> None:
    with transaction.atomic():
        for tenant, month_count in zip(companies, months, strict=True):
            Contract.objects.filter(company=tenant.company).update(rechallenge_first_months=month_count)
        for person in crowd:
            tenant = companies[person.company]
            create(person, tenant, [t for t in companies if t is not tenant], today, operator)

        counts = rechallenge_eligible_counts(today=today, looking_back=looking_back)
        for tenant in companies:
            expected = eligible_by_hand(tenant.company, today, looking_back=looking_back)
            assert counts.get(tenant.company.pk, 0) == len(expected)
            alone = rechallenge_eligible_counts(today=today, looking_back=looking_back, company=tenant.company)
            assert alone == ({tenant.company.pk: len(expected)} if expected else {})
            invitable = rechallenge_candidates(company=tenant.company, today=today, looking_back=looking_back)
            assert {found.referral.pk for found in invitable} == expected
        transaction.set_rollback(True)


def test_each_company_is_measured_against_its_own_cool_down(companies: list[Tenant], operator: User) -> None:
    today = date(2027, 6, 15)
    short, long, _ = companies
    Contract.objects.filter(company=short.company).update(rechallenge_first_months=1)
    Contract.objects.filter(company=long.company).update(rechallenge_first_months=12)
    opted_in = Person(0, "counted", (True,), 3, 10, True, True, 3, "", "")
    create(opted_in, short, [long], today, operator)
    create(opted_in, long, [short], today, operator)

    counts = rechallenge_eligible_counts(today=today)

    assert counts == {short.company.pk: 1}  # about 100 days: past a month's cool-down, not a year's


def test_the_network_count_is_one_query_at_any_number_of_companies(companies: list[Tenant], operator: User) -> None:
    today = date(2027, 6, 15)
    for tenant in companies:
        for _ in range(3):
            create(Person(0, "counted", (True,), 13, 0, True, True, 3, "", ""), tenant, companies, today, operator)
    with CaptureQueriesContext(connection) as captured:
        counts = rechallenge_eligible_counts(today=today)
    assert counts == {tenant.company.pk: 3 for tenant in companies}
    # The distinct cool-downs of the contracts, then the count itself: never one query per company.
    assert len(captured.captured_queries) == 2


def test_a_kpi_looking_back_is_not_changed_by_a_placement_recorded_later(
    companies: list[Tenant], operator: User
) -> None:
    # Recorded today (December 2026) for a start in August: on August 31 the person was still eligible.
    august = date(2026, 8, 31)
    rejecting, _, employer = companies
    create(
        Person(0, "counted", (True,), 12, 0, True, True, 3, "", "full_time"), rejecting, [employer], august, operator
    )

    assert rechallenge_eligible_counts(today=august, looking_back=True) == {rejecting.company.pk: 1}
    assert rechallenge_eligible_counts(today=august) == {}
    assert len(rechallenge_candidates(company=rejecting.company, today=august, looking_back=True)) == 1
