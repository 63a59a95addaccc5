"""Contract changes apply forward only (issue 11 point 3, DESIGN.md §3 rule 4): a ratio change keeps what was
owed at the change, each grant records the ratio it was earned under, and only an operator admin may change
the ratio or the counting rule, with a before → after diff in the audit log."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditEntry
from companies.models import Company, Contract, ContractRatioChange
from companies.services import ContractChangeRefused, contract_update
from relay.ledger import credits_owed
from relay.models import CreditEntry, Referral
from relay.services import credits_expire, referral_invalidate
from tests.conftest import Tenant, login, make_tenant, make_user, register_verified

pytestmark = pytest.mark.django_db


def net_counting_credits(company: Company) -> int:
    summary = CreditEntry.objects.filter(company=company).summary()
    return summary.earned - summary.reversed


def count_verified(tenant: Tenant, how_many: int) -> None:
    for _ in range(how_many):
        register_verified(tenant.link)


def change_ratio(contract: Contract, ratio: int, actor: User) -> Contract:
    return contract_update(contract=contract, terms={"referrals_per_credit": ratio}, actor=actor)


def test_lowering_the_ratio_from_10_to_5_mints_nothing_retroactively(
    operator: User, operator_client: Client, tenant: Tenant
) -> None:
    count_verified(tenant, 100)
    assert net_counting_credits(tenant.company) == 10

    change_ratio(tenant.company.contract, 5, operator)
    epoch = ContractRatioChange.objects.filter(contract=tenant.company.contract).last()
    assert epoch is not None
    assert (epoch.referrals_per_credit, epoch.counted_at_start, epoch.owed_at_start) == (5, 100, 10)

    count_verified(tenant, 1)  # the old rule recomputed 101 // 5 = 20 here: ten credits at once
    assert net_counting_credits(tenant.company) == 10
    count_verified(tenant, 4)
    assert net_counting_credits(tenant.company) == 11
    newest = CreditEntry.objects.filter(company=tenant.company, kind="grant").latest("id")
    assert (newest.milestone, newest.referrals_per_credit) == (105, 5)
    history = operator_client.get(f"/ops/companies/{tenant.company.pk}/").content.decode()
    assert "105人目の紹介カウントにより獲得(紹介5人につき1枠の条件)" in history
    assert "100人目の紹介カウントにより獲得(紹介10人につき1枠の条件)" in history
    count_verified(tenant, 5)
    assert net_counting_credits(tenant.company) == 12


def test_raising_the_ratio_claws_nothing_back(operator: User, tenant: Tenant) -> None:
    contract = change_ratio(tenant.company.contract, 2, operator)
    count_verified(tenant, 7)
    assert net_counting_credits(tenant.company) == 3
    change_ratio(contract, 10, operator)
    count_verified(tenant, 1)
    assert net_counting_credits(tenant.company) == 3
    assert not CreditEntry.objects.filter(company=tenant.company, kind="reversal").exists()
    count_verified(tenant, 9)
    assert net_counting_credits(tenant.company) == 4
    assert CreditEntry.objects.filter(company=tenant.company, kind="grant").latest("id").referrals_per_credit == 10


def test_invalidating_a_referral_from_before_the_change_reverses_what_it_earned_then(
    operator: User, tenant: Tenant
) -> None:
    contract = change_ratio(tenant.company.contract, 2, operator)
    count_verified(tenant, 4)  # 2 credits at 2 per credit
    before_change = list(Referral.objects.filter(company=tenant.company).order_by("counted_at"))
    change_ratio(contract, 5, operator)
    count_verified(tenant, 5)  # 1 credit at 5 per credit
    assert net_counting_credits(tenant.company) == 3

    referral_invalidate(referral=before_change[0], reason="重複登録", actor=operator)
    # 3 referrals left before the change earn 3 // 2 = 1; the 5 after it still earn 1.
    assert net_counting_credits(tenant.company) == 2
    assert credits_owed(company_id=tenant.company.pk) == 2
    referral_invalidate(referral=before_change[1], reason="重複登録", actor=operator)  # 2 // 2 = 1: nothing to take
    assert net_counting_credits(tenant.company) == 2


def test_invalidating_a_referral_from_after_the_change_uses_the_new_ratio(operator: User, tenant: Tenant) -> None:
    contract = change_ratio(tenant.company.contract, 2, operator)
    count_verified(tenant, 3)  # 1 credit, 1 referral towards the next at the old ratio (forfeited by the change)
    change_ratio(contract, 3, operator)
    count_verified(tenant, 3)
    assert net_counting_credits(tenant.company) == 2
    after_change = Referral.objects.filter(company=tenant.company).order_by("-counted_at").first()
    assert after_change is not None
    referral_invalidate(referral=after_change, reason="架空の登録", actor=operator)
    assert net_counting_credits(tenant.company) == 1


def test_a_new_company_starts_with_one_epoch_at_its_ratio(operator: User) -> None:
    tenant = make_tenant(operator, "株式会社はじまり", "hajimari", referrals_per_credit=7)
    epoch = ContractRatioChange.objects.get(contract=tenant.company.contract)
    assert (epoch.referrals_per_credit, epoch.counted_at_start, epoch.owed_at_start) == (7, 0, 0)


def test_changing_other_terms_opens_no_epoch(operator: User, tenant: Tenant) -> None:
    contract_update(contract=tenant.company.contract, terms={"credit_validity_months": 6}, actor=operator)
    assert ContractRatioChange.objects.filter(contract=tenant.company.contract).count() == 1


def contract_post(ratio: str, counting_rule: str = "verified") -> dict[str, str]:
    return {
        "action": "contract",
        "contract-referrals_per_credit": ratio,
        "contract-credit_validity_months": "12",
        "contract-counting_rule": counting_rule,
        "contract-rechallenge_first_months": "6",
        "contract-rechallenge_second_months": "12",
        "contract-fee_rate_percent": "35",
        "contract-minimum_fee_yen": "0",
        "contract-consumption_tax_percent": "10",
        "contract-refund_schedule": "1か月以内 80%\n3か月以内 50%",
        "contract-starts_on": "",
        "contract-note": "",
    }


@pytest.mark.parametrize("role", ["ca", "ra"])
def test_an_advisor_may_not_change_the_ratio_or_the_counting_rule(role: str, tenant: Tenant) -> None:
    advisor = make_user(f"{role}@agency.example.jp", name="アドバイザー", operator_role=role)
    client = login(Client(), advisor)
    url = f"/ops/companies/{tenant.company.pk}/"
    assert client.post(url, contract_post("5")).status_code == 404
    assert client.post(url, contract_post("10", "first_interview")).status_code == 404
    tenant.company.contract.refresh_from_db()
    assert (tenant.company.contract.referrals_per_credit, tenant.company.contract.counting_rule) == (10, "verified")
    assert not AuditEntry.objects.filter(action="contract.update").exists()
    with pytest.raises(ContractChangeRefused):
        change_ratio(tenant.company.contract, 5, advisor)
    assert ContractRatioChange.objects.filter(contract=tenant.company.contract).count() == 1


def test_an_admin_changes_the_ratio_and_the_audit_log_shows_the_diff(operator_client: Client, tenant: Tenant) -> None:
    response = operator_client.post(f"/ops/companies/{tenant.company.pk}/", contract_post("5", "first_interview"))
    assert response.status_code == 302
    tenant.company.contract.refresh_from_db()
    assert (tenant.company.contract.referrals_per_credit, tenant.company.contract.counting_rule) == (
        5,
        "first_interview",
    )
    entry = AuditEntry.objects.get(action="contract.update")
    changes = entry.detail["changes"]
    assert changes["referrals_per_credit"] == {"before": 10, "after": 5}
    assert changes["counting_rule"] == {"before": "verified", "after": "first_interview"}
    assert "fee_rate_percent" not in changes and "credit_validity_months" not in changes
    page = operator_client.get("/ops/audit/").content.decode()
    assert "referrals_per_credit" in page and "first_interview" in page


# The property: over any history of counts, invalidations, expiries and ratio changes the ledger keeps
# (1) net grants == owed computed piecewise by an independent model, (2) owed never negative, (3) the milestones
# of the credits still standing strictly increase, (4) each grant records the ratio in force when it was earned.
history = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(1, 4)),
        st.tuples(st.just("invalidate"), st.integers(0, 1000)),
        st.tuples(st.just("expire"), st.integers(0, 1)),
        st.tuples(st.just("ratio"), st.integers(1, 5)),
    ),
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first_ratio=st.integers(1, 5), events=history)
# Found by this test: invalidating a referral of an earlier epoch shifted the running count, and the next credit
# named the count an earlier credit already named.
@example(
    first_ratio=2,
    events=[*[("register", 1)] * 5, ("ratio", 1), ("register", 1), ("invalidate", 0), ("register", 1)],
)
def test_ledger_invariants_hold_over_any_history_of_ratio_changes(
    operator: User, first_ratio: int, events: list[tuple[str, int]]
) -> None:
    slug = f"epoch{Company.objects.count()}{Referral.objects.count()}{CreditEntry.objects.count()}"
    tenant = make_tenant(operator, f"性質テスト{slug}", slug, referrals_per_credit=first_ratio)
    contract = tenant.company.contract
    ratios = [first_ratio]  # the model: one ratio per epoch
    epoch_of: dict[int, int] = {}  # referral id -> the epoch it was counted in
    seen_grants: set[int] = set()
    for event, argument in events:
        if event == "register":
            for _ in range(argument):
                candidate = register_verified(tenant.link)
                epoch_of[Referral.objects.get(candidate=candidate).pk] = len(ratios) - 1
        elif event == "invalidate":
            live = list(Referral.objects.filter(company=tenant.company).exclude(status="invalidated").order_by("id"))
            if live:
                referral = live[argument % len(live)]
                referral_invalidate(referral=referral, reason="性質テスト", actor=operator)
                epoch_of.pop(referral.pk, None)
        elif event == "expire":
            credits_expire(now=timezone.now() + timedelta(days=400 * (argument + 1)), company=tenant.company)
        else:
            contract = change_ratio(contract, argument, operator)
            if argument != ratios[-1]:
                ratios.append(argument)

        owed = sum(
            sum(1 for epoch in epoch_of.values() if epoch == index) // ratio for index, ratio in enumerate(ratios)
        )
        assert owed >= 0
        assert net_counting_credits(tenant.company) == owed == credits_owed(company_id=tenant.company.pk)

        standing: list[int] = []
        for entry in CreditEntry.objects.filter(company=tenant.company).order_by("id"):
            if entry.kind == CreditEntry.Kind.GRANT:
                assert entry.milestone is not None
                assert not standing or entry.milestone > standing[-1], (standing, entry.milestone)
                standing.append(entry.milestone)
                if entry.pk not in seen_grants:
                    seen_grants.add(entry.pk)
                    assert entry.referrals_per_credit == ratios[-1]
            elif entry.kind == CreditEntry.Kind.REVERSAL:
                standing.pop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_ratio_change_racing_with_verifications_keeps_every_grant_in_its_epoch(
    operator: User, tenant: Tenant
) -> None:
    import functools

    from django.db import connection

    from candidates.services import candidate_verify_email
    from tests.concurrency import run_at_once
    from tests.conftest import register

    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL")
    candidates = [register(tenant.link).candidate for _ in range(48)]
    jobs: list[Callable[[], object]] = [
        functools.partial(candidate_verify_email, candidate=candidate) for candidate in candidates
    ]
    jobs.insert(20, functools.partial(change_ratio, tenant.company.contract, 3, operator))
    assert run_at_once(jobs, workers=7) == []

    change = ContractRatioChange.objects.filter(contract=tenant.company.contract).last()
    assert change is not None and change.referrals_per_credit == 3
    counted = Referral.objects.filter(company=tenant.company).counted()
    before = counted.filter(counted_at__lt=change.started_at).count()
    after = counted.filter(counted_at__gte=change.started_at).count()
    assert (before, change.owed_at_start) == (change.counted_at_start, before // 10)
    assert net_counting_credits(tenant.company) == before // 10 + after // 3
    grants = CreditEntry.objects.filter(company=tenant.company, kind="grant").order_by("id")
    assert [(g.milestone, g.referrals_per_credit) for g in grants] == [
        *((10 * step, 10) for step in range(1, before // 10 + 1)),
        *((before + 3 * step, 3) for step in range(1, after // 3 + 1)),
    ]
