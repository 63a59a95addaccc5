"""Referral #10, #20, … grant exactly one credit each even when registrations arrive at the same moment."""

import functools

import pytest
from django.db import connection

from candidates.services import candidate_verify_email
from relay.models import CreditEntry, Referral, Touch
from relay.services import credits_expire
from tests.concurrency import run_at_once
from tests.conftest import Tenant, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL; `make test` runs this file there when it answers")


def test_concurrent_verifications_grant_exactly_one_credit_per_ten(tenant: Tenant) -> None:
    candidates = [register(tenant.link).candidate for _ in range(40)]
    errors = run_at_once([functools.partial(candidate_verify_email, candidate=c) for c in candidates])
    assert errors == []
    assert Referral.objects.filter(company=tenant.company).counted().count() == 40
    grants = CreditEntry.objects.filter(company=tenant.company, kind="grant")
    assert grants.count() == 4
    assert sorted(milestone or 0 for milestone in grants.values_list("milestone", flat=True)) == [10, 20, 30, 40]


def test_concurrent_registrations_of_one_person_create_one_referral(tenant: Tenant, outsider: Tenant) -> None:
    links = [tenant.link, outsider.link] * 4
    errors = run_at_once(
        [functools.partial(register, link, email="race@example.jp", phone="090-5555-0000") for link in links]
    )
    assert errors == []
    assert Referral.objects.count() == 1


def test_concurrent_expiry_runs_close_each_lot_once(tenant: Tenant) -> None:
    from datetime import timedelta

    from django.utils import timezone

    for candidate in [register(tenant.link).candidate for _ in range(30)]:
        candidate_verify_email(candidate=candidate)
    later = timezone.now() + timedelta(days=800)
    results: list[int] = []
    errors = run_at_once([lambda: results.append(credits_expire(now=later)) for _ in range(4)], workers=4)
    assert errors == []
    assert sum(results) == 3
    assert CreditEntry.objects.filter(kind="expiry").count() == 3


def test_people_with_one_phone_verifying_at_once_count_once(tenant: Tenant, outsider: Tenant) -> None:
    """A phone is locked across everyone who typed it while they verify: the first counts, the others are touches."""
    links = [tenant.link, outsider.link] * 4
    people = [
        register(link, email=f"same-phone{n}@example.jp", phone="090-6666-0000").candidate
        for n, link in enumerate(links)
    ]
    errors = run_at_once([functools.partial(candidate_verify_email, candidate=person) for person in people])
    assert errors == []
    assert Referral.objects.counted().count() == 1
    assert Touch.objects.count() == len(people) - 1
