"""DESIGN.md §3 rules 2–5: when a referral counts, first company wins, every N-th grants one credit."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Consent
from candidates.services import candidate_record_interview, candidate_set_consents, candidate_verify_email
from companies.models import Company, Contract
from relay.models import CreditEntry, Referral, Touch
from relay.services import company_credit_summary, credits_expire, referral_invalidate
from tests.conftest import Tenant, make_tenant, register, register_verified

pytestmark = pytest.mark.django_db


def grants(company: Company) -> int:
    return CreditEntry.objects.filter(company=company, kind=CreditEntry.Kind.GRANT).count()


def counted(company: Company) -> int:
    return Referral.objects.filter(company=company).counted().count()


def test_a_registration_counts_only_after_email_verification(tenant: Tenant) -> None:
    registration = register(tenant.link)
    referral = Referral.objects.get(candidate=registration.candidate)
    assert referral.status == Referral.Status.PENDING_VERIFICATION
    candidate_verify_email(candidate=registration.candidate)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COUNTED
    assert referral.counted_at is not None


def test_under_the_interview_rule_it_counts_only_after_the_first_interview(operator: User, tenant: Tenant) -> None:
    Contract.objects.filter(company=tenant.company).update(counting_rule=Contract.CountingRule.FIRST_INTERVIEW)
    candidate = register_verified(tenant.link)
    referral = Referral.objects.get(candidate=candidate)
    assert referral.status == Referral.Status.PENDING_INTERVIEW
    candidate_record_interview(candidate=candidate, actor=operator)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COUNTED
    assert AuditEntry.objects.filter(action="candidate.first_interview").count() == 1


def test_a_withdrawn_provision_consent_stops_a_pending_referral_from_counting(tenant: Tenant) -> None:
    registration = register(tenant.link)
    candidate_set_consents(candidate=registration.candidate, wanted={Consent.Kind.SERVICE: False})
    candidate_verify_email(candidate=registration.candidate)
    assert Referral.objects.get(candidate=registration.candidate).status == Referral.Status.PENDING_VERIFICATION


def test_first_company_wins_and_a_later_link_only_records_a_touch(tenant: Tenant, outsider: Tenant) -> None:
    first = register_verified(tenant.link, email="same@example.jp")
    second = register(outsider.link, email="SAME@example.jp")
    assert second.created is False
    assert second.candidate == first
    assert Referral.objects.count() == 1
    assert Referral.objects.get().company == tenant.company
    assert Touch.objects.filter(candidate=first, link=outsider.link).exists()


@pytest.mark.parametrize("email", ["ＳＡＭＥ＠ＥＸＡＭＰＬＥ．ＪＰ", " Same@Example.jp ", "same@example.jp"])
def test_the_same_email_in_any_width_or_case_never_counts_twice(tenant: Tenant, email: str) -> None:
    register_verified(tenant.link, email="same@example.jp")
    again = register(tenant.link, email=email)
    assert again.created is False
    assert counted(tenant.company) == 1


@pytest.mark.parametrize("phone", ["０９０－１１１１－２２２２", "+81 90 1111 2222", "09011112222"])
def test_the_same_phone_in_any_japanese_format_never_counts_twice(tenant: Tenant, phone: str) -> None:
    register_verified(tenant.link, phone="090-1111-2222")
    # A phone is never proved, so it merges nobody: the second address gets its own account, which never counts.
    again = register_verified(tenant.link, phone=phone)
    assert again.phone == "+819011112222"
    assert counted(tenant.company) == 1
    assert Touch.objects.filter(candidate=again, link=tenant.link).count() == 1


def test_the_same_link_twice_never_counts_twice(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link, email="twice@example.jp")
    register(tenant.link, email="twice@example.jp")
    candidate_verify_email(candidate=candidate)
    assert counted(tenant.company) == 1
    assert Touch.objects.filter(candidate=candidate).count() == 1


@pytest.mark.parametrize("per_credit", [1, 3, 10])
def test_every_nth_counted_referral_grants_exactly_one_credit(operator: User, per_credit: int) -> None:
    tenant = make_tenant(operator, "株式会社比率", "ratio", referrals_per_credit=per_credit)
    total = 3 * per_credit + 1
    for number in range(1, total + 1):
        register_verified(tenant.link)
        assert grants(tenant.company) == number // per_credit
    milestones = list(
        CreditEntry.objects.filter(company=tenant.company, kind="grant")
        .order_by("id")
        .values_list("milestone", flat=True)
    )
    assert milestones == [per_credit * k for k in range(1, total // per_credit + 1)]


def test_credits_of_one_company_never_leak_to_another(tenant: Tenant, outsider: Tenant) -> None:
    for _ in range(10):
        register_verified(tenant.link)
    for _ in range(9):
        register_verified(outsider.link)
    assert grants(tenant.company) == 1
    assert grants(outsider.company) == 0


def test_a_credit_expires_after_the_contract_validity(tenant: Tenant) -> None:
    for _ in range(10):
        register_verified(tenant.link)
    grant = CreditEntry.objects.get(company=tenant.company, kind="grant")
    assert grant.expires_at is not None
    assert grant.expires_at.date() >= (timezone.now() + timedelta(days=364)).date()
    assert credits_expire(now=grant.expires_at - timedelta(seconds=1)) == 0
    assert credits_expire(now=grant.expires_at) == 1
    assert credits_expire(now=grant.expires_at + timedelta(days=1)) == 0  # never twice
    summary = company_credit_summary(tenant.company)
    assert (summary.earned, summary.expired, summary.available) == (1, 1, 0)


def test_zero_validity_means_a_credit_never_expires(operator: User) -> None:
    tenant = make_tenant(operator, "無期限株式会社", "forever", credit_validity_months=0)
    for _ in range(10):
        register_verified(tenant.link)
    assert CreditEntry.objects.get(kind="grant").expires_at is None
    assert credits_expire(now=timezone.now() + timedelta(days=3650)) == 0


def test_invalidating_the_tenth_referral_reverses_the_credit_it_earned(operator: User, tenant: Tenant) -> None:
    candidates = [register_verified(tenant.link) for _ in range(10)]
    referral = Referral.objects.get(candidate=candidates[3])
    referral_invalidate(referral=referral, reason="同一人物の重複登録", actor=operator)
    summary = company_credit_summary(tenant.company)
    assert (summary.earned, summary.reversed, summary.balance) == (1, 1, 0)
    reversal = CreditEntry.objects.get(kind="reversal")
    assert reversal.lot is not None and reversal.actor == operator
    assert AuditEntry.objects.filter(action="referral.invalidate").count() == 1
    assert AuditEntry.objects.filter(action="credit.reverse").count() == 1
    register_verified(tenant.link)  # earned back by the next referral
    assert company_credit_summary(tenant.company).available == 1


def test_invalidating_a_referral_that_did_not_complete_a_credit_reverses_nothing(
    operator: User, tenant: Tenant
) -> None:
    candidates = [register_verified(tenant.link) for _ in range(12)]
    referral_invalidate(referral=Referral.objects.get(candidate=candidates[0]), reason="虚偽の登録", actor=operator)
    assert counted(tenant.company) == 11
    assert company_credit_summary(tenant.company).balance == 1
    assert not CreditEntry.objects.filter(kind="reversal").exists()


def test_a_reversal_after_the_credit_expired_leaves_a_debt_that_blocks_until_earned_back(
    operator: User, tenant: Tenant
) -> None:
    candidates = [register_verified(tenant.link) for _ in range(10)]
    grant = CreditEntry.objects.get(kind="grant")
    credits_expire(now=grant.expires_at)
    referral_invalidate(referral=Referral.objects.get(candidate=candidates[0]), reason="重複", actor=operator)
    summary = company_credit_summary(tenant.company)
    assert summary.balance == -1 and summary.blocked and summary.available == 0
    register_verified(tenant.link)
    payback = CreditEntry.objects.filter(kind="grant").latest("id")
    assert payback.applied_to_debt is True
    assert company_credit_summary(tenant.company).balance == 0
    assert credits_expire(now=timezone.now() + timedelta(days=3650)) == 0  # a debt payment is not a lot


def test_an_invalidation_needs_a_reason_and_happens_once(operator: User, tenant: Tenant) -> None:
    referral = Referral.objects.get(candidate=register_verified(tenant.link))
    with pytest.raises(ValidationError):
        referral_invalidate(referral=referral, reason="  ", actor=operator)
    referral_invalidate(referral=referral, reason="重複", actor=operator)
    with pytest.raises(ValidationError):
        referral_invalidate(referral=referral, reason="重複", actor=operator)


def test_an_invalidated_referral_never_counts_again(operator: User, tenant: Tenant) -> None:
    registration = register(tenant.link)
    referral = Referral.objects.get(candidate=registration.candidate)
    referral_invalidate(referral=referral, reason="虚偽の登録", actor=operator)
    candidate_verify_email(candidate=registration.candidate)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INVALIDATED


def test_the_ledger_is_append_only(tenant: Tenant) -> None:
    for _ in range(10):
        register_verified(tenant.link)
    entry = CreditEntry.objects.get()
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_credit_grants_write_audit_rows(tenant: Tenant) -> None:
    for _ in range(10):
        register_verified(tenant.link)
    row = AuditEntry.objects.get(action="credit.grant")
    assert row.company == tenant.company and row.actor_label == "システム"


# The property: whatever sequence of registrations, invalidations and expiries happens, the ledger obeys
# (1) credits from counting == counted // N, (2) open lots == max(balance, 0), (3) balance == sum of entries.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(1, 3)),
        st.tuples(st.just("invalidate"), st.integers(0, 1000)),
        st.tuples(st.just("expire"), st.integers(0, 1)),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(per_credit=st.integers(1, 4), ops=operations)
def test_ledger_invariants_hold_for_any_sequence_of_events(
    operator: User, per_credit: int, ops: list[tuple[str, int]]
) -> None:
    company_slug = f"prop{CreditEntry.objects.count()}{Referral.objects.count()}{Company.objects.count()}"
    tenant = make_tenant(operator, f"性質テスト{company_slug}", company_slug, referrals_per_credit=per_credit)
    expired_total = 0
    for op, arg in ops:
        if op == "register":
            for _ in range(arg):
                register_verified(tenant.link)
        elif op == "invalidate":
            live = list(Referral.objects.filter(company=tenant.company).exclude(status="invalidated"))
            if live:
                referral_invalidate(referral=live[arg % len(live)], reason="性質テスト", actor=operator)
        else:
            later = timezone.now() + timedelta(days=400 * (arg + 1))
            expired_total += credits_expire(now=later, company=tenant.company)
        entries = CreditEntry.objects.filter(company=tenant.company)
        summary = entries.summary()
        net_from_counting = summary.earned - summary.reversed
        assert net_from_counting == counted(tenant.company) // per_credit
        assert entries.open_lots().count() == max(summary.balance, 0)
        assert summary.balance == net_from_counting - summary.expired
        assert summary.expired == expired_total
