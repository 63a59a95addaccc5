"""Using a free-introduction credit on a job order (DESIGN.md rule 6): reserve, consume on hire, release."""

import functools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditEntry
from companies.models import Company
from placements.models import CreditReservation, Introduction, IntroductionEvent, JobOrder
from placements.services.credit_use import CreditError, credit_consume, credit_release, credit_reserve
from placements.services.jobs import job_order_set_status
from relay.models import CreditEntry, Referral
from relay.services import company_credit_summary, credits_expire, referral_invalidate
from tests.conftest import Tenant, login, make_tenant
from tests.placement_support import grant_credits, introduce, make_job

pytestmark = pytest.mark.django_db


def summary_identity_holds(company: Company) -> bool:
    s = company_credit_summary(company)
    return s.balance + s.reserved + s.used + s.expired == s.earned - s.reversed


def test_it_reserves_one_open_credit_for_the_job_order(tenant: Tenant) -> None:
    grant_credits(tenant, 2)
    job = make_job(tenant)
    reservation = credit_reserve(job_order=job, actor=tenant.owner)
    assert reservation.status == CreditReservation.Status.RESERVED and reservation.reserved_by == tenant.owner
    entry = reservation.reserve_entry
    assert entry.kind == CreditEntry.Kind.RESERVE and entry.amount == -1 and entry.lot is not None
    assert entry.lot.kind == CreditEntry.Kind.GRANT and entry.expires_at == entry.lot.expires_at
    summary = company_credit_summary(tenant.company)
    assert (summary.earned, summary.reserved, summary.available, summary.used) == (2, 1, 1, 0)
    assert CreditEntry.objects.filter(company=tenant.company).open_lots().count() == 1
    audit = AuditEntry.objects.get(action="credit.reserve")
    assert audit.company == tenant.company and audit.actor == tenant.owner and audit.detail["job_order"] == job.pk


def test_it_reserves_the_credit_that_expires_first(tenant: Tenant) -> None:
    grant_credits(tenant, 2)
    first, second = CreditEntry.objects.filter(kind="grant").order_by("id")
    assert first.expires_at is not None and second.expires_at is not None
    reservation = credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    assert reservation.reserve_entry.lot == first


def test_without_a_credit_it_refuses_clearly(tenant: Tenant) -> None:
    job = make_job(tenant)
    with pytest.raises(CreditError, match="ご利用いただける無料紹介枠がありません"):
        credit_reserve(job_order=job, actor=tenant.owner)
    assert not CreditReservation.objects.exists()
    assert not CreditEntry.objects.filter(kind="reserve").exists()


def test_a_lot_past_its_date_is_not_offered_even_before_the_expiry_job_ran(tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    grant = CreditEntry.objects.get(kind="grant")
    with pytest.raises(CreditError):
        credit_reserve(job_order=make_job(tenant), actor=tenant.owner, now=grant.expires_at)


def test_a_negative_balance_refuses_reservation_until_earned_back(operator: User, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    credits_expire(now=timezone.now() + timedelta(days=800))
    referral_invalidate(referral=Referral.objects.filter(company=tenant.company)[0], reason="重複", actor=operator)
    assert company_credit_summary(tenant.company).balance == -1
    job = make_job(tenant)
    with pytest.raises(CreditError, match="マイナス"):
        credit_reserve(job_order=job, actor=tenant.owner)
    grant_credits(tenant, 2)  # the first pays the debt, the second is a usable credit
    assert credit_reserve(job_order=job, actor=tenant.owner).status == CreditReservation.Status.RESERVED


def test_one_reservation_per_job_order(tenant: Tenant) -> None:
    grant_credits(tenant, 2)
    job = make_job(tenant)
    credit_reserve(job_order=job, actor=tenant.owner)
    with pytest.raises(CreditError, match="1つの求人につき1枠"):
        credit_reserve(job_order=job, actor=tenant.owner)
    assert company_credit_summary(tenant.company).reserved == 1


def test_only_an_open_job_order_can_use_a_credit(tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    job_order_set_status(job_order=job, status=JobOrder.Status.PAUSED, actor=tenant.owner)
    with pytest.raises(CreditError, match="募集中の求人"):
        credit_reserve(job_order=job, actor=tenant.owner)


def test_a_reserved_credit_does_not_expire_while_reserved(tenant: Tenant) -> None:
    grant_credits(tenant, 2)
    reservation = credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    assert credits_expire(now=timezone.now() + timedelta(days=800)) == 1  # only the free one
    summary = company_credit_summary(tenant.company)
    assert (summary.reserved, summary.expired, summary.available) == (1, 1, 0)
    reservation.reserve_entry.refresh_from_db()
    assert not CreditEntry.objects.filter(lot=reservation.reserve_entry).exists()


def test_releasing_gives_the_credit_back_with_its_original_expiry(tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    grant = CreditEntry.objects.get(kind="grant")
    job = make_job(tenant)
    reservation = credit_release(reservation=credit_reserve(job_order=job, actor=tenant.owner), actor=tenant.owner)
    assert reservation.status == CreditReservation.Status.RELEASED and reservation.closed_by == tenant.owner
    release = reservation.close_entry
    assert release is not None and release.kind == CreditEntry.Kind.RELEASE and release.amount == 1
    assert release.lot == reservation.reserve_entry and release.expires_at == grant.expires_at
    summary = company_credit_summary(tenant.company)
    assert (summary.available, summary.reserved, summary.used) == (1, 0, 0)
    assert list(CreditEntry.objects.filter(company=tenant.company).open_lots()) == [release]
    assert AuditEntry.objects.filter(action="credit.release", company=tenant.company).count() == 1
    # The handed-back credit expires on the grant's date, not a new one.
    assert grant.expires_at is not None
    assert credits_expire(now=grant.expires_at - timedelta(seconds=1)) == 0
    assert credits_expire(now=grant.expires_at) == 1
    # The order may use a credit again after a release (there is none left now).
    with pytest.raises(CreditError, match="ありません"):
        credit_reserve(job_order=job, actor=tenant.owner)


def test_a_credit_released_after_its_date_comes_back_already_expired(tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    reservation = credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    CreditEntry.objects.filter(pk=reservation.reserve_entry.pk).update(expires_at=timezone.now() - timedelta(days=1))
    credit_release(reservation=reservation, actor=tenant.owner)
    summary = company_credit_summary(tenant.company)
    assert (summary.available, summary.reserved, summary.expired) == (0, 0, 1)
    assert summary_identity_holds(tenant.company)
    assert [a.action for a in AuditEntry.objects.filter(action__startswith="credit.").order_by("id")][-3:] == [
        "credit.reserve",
        "credit.release",
        "credit.expire",
    ]


def test_a_hire_consumes_the_reserved_credit(operator: User, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    reservation = credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    reservation = credit_consume(reservation=reservation, actor=operator)
    assert reservation.status == CreditReservation.Status.CONSUMED
    use = reservation.close_entry
    assert use is not None and use.kind == CreditEntry.Kind.USE and use.amount == 0
    assert use.lot == reservation.reserve_entry
    summary = company_credit_summary(tenant.company)
    assert (summary.used, summary.reserved, summary.available, summary.earned) == (1, 0, 0, 1)
    assert AuditEntry.objects.filter(action="credit.use", actor=operator).count() == 1
    with pytest.raises(CreditError, match="すでに確定"):
        credit_release(reservation=reservation, actor=operator, reason="誤り", by_operator=True)
    with pytest.raises(CreditError, match="すでに確定"):
        credit_consume(reservation=reservation, actor=operator)
    with pytest.raises(CreditError, match="1つの求人につき1枠"):
        credit_reserve(job_order=reservation.job_order, actor=tenant.owner)


@pytest.mark.parametrize("status", ["proposed", "declined", "cancelled"])
def test_the_company_may_cancel_while_no_candidate_has_accepted(operator: User, tenant: Tenant, status: str) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    reservation = credit_reserve(job_order=job, actor=tenant.owner)
    introduce(job, operator, status)
    assert credit_release(reservation=reservation, actor=tenant.owner).status == CreditReservation.Status.RELEASED


@pytest.mark.parametrize("status", ["document", "interview", "offer", "rejected", "withdrawn", "hired"])
def test_after_an_introduction_the_company_cancel_does_not_release(operator: User, tenant: Tenant, status: str) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    reservation = credit_reserve(job_order=job, actor=tenant.owner)
    introduce(job, operator, status)
    with pytest.raises(CreditError, match="ご紹介が始まっている"):
        credit_release(reservation=reservation, actor=tenant.owner)
    reservation.refresh_from_db()
    assert reservation.status == CreditReservation.Status.RESERVED
    assert company_credit_summary(tenant.company).reserved == 1
    assert not AuditEntry.objects.filter(action="credit.release").exists()


def test_the_operator_may_release_after_introductions_with_a_reason(operator: User, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    reservation = credit_reserve(job_order=job, actor=tenant.owner)
    introduce(job, operator, "rejected")
    with pytest.raises(CreditError, match="理由"):
        credit_release(reservation=reservation, actor=operator, reason=" ", by_operator=True)
    reservation = credit_release(reservation=reservation, actor=operator, reason="募集中止のため", by_operator=True)
    assert reservation.close_reason == "募集中止のため"
    audit = AuditEntry.objects.get(action="credit.release")
    assert audit.detail["by_operator"] is True and audit.detail["reason"] == "募集中止のため"


def test_a_reversal_never_takes_a_reserved_credit_and_a_later_release_pays_the_debt(
    operator: User, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    reservation = credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    referral_invalidate(referral=Referral.objects.filter(company=tenant.company)[0], reason="虚偽", actor=operator)
    reversal = CreditEntry.objects.get(kind="reversal")
    assert reversal.lot is None  # no free credit to take: a debt, the reserved one stays committed
    summary = company_credit_summary(tenant.company)
    assert (summary.balance, summary.reserved, summary.blocked) == (-1, 1, True)
    assert summary_identity_holds(tenant.company)
    release = credit_release(reservation=reservation, actor=tenant.owner).close_entry
    assert release is not None and release.applied_to_debt is True
    summary = company_credit_summary(tenant.company)
    assert (summary.balance, summary.reserved, summary.available) == (0, 0, 0)
    assert not CreditEntry.objects.filter(company=tenant.company).open_lots().exists()


# --- screens -------------------------------------------------------------------------------------------


def test_a_manager_uses_a_credit_from_the_job_order_page(owner_client: Client, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    page = owner_client.get(f"/company/jobs/{job.pk}/").content.decode()
    assert "無料紹介枠を使う" in page and "利用可能な無料紹介枠: 1 枠" in page
    response = owner_client.post(f"/company/jobs/{job.pk}/credit/", follow=True)
    page = response.content.decode()
    assert "無料紹介枠を1枠確保しました" in page
    assert "確保中" in page and "有効期限を迎えても失効しません" in page
    assert "無料紹介枠の利用を取り消す" in page
    assert CreditReservation.objects.filter(job_order=job, status="reserved").count() == 1
    dashboard = owner_client.get("/company/").content.decode()
    assert "確保中(求人でご利用中)" in dashboard


def test_without_credits_the_page_offers_no_button_and_a_forced_post_is_refused(
    owner_client: Client, tenant: Tenant
) -> None:
    job = make_job(tenant)
    assert "無料紹介枠を使う</button>" not in owner_client.get(f"/company/jobs/{job.pk}/").content.decode()
    page = owner_client.post(f"/company/jobs/{job.pk}/credit/", follow=True).content.decode()
    assert "ご利用いただける無料紹介枠がありません" in page


def test_the_company_cancels_before_introductions_and_sees_why_it_cannot_after(
    owner_client: Client, operator: User, tenant: Tenant
) -> None:
    grant_credits(tenant, 2)
    job = make_job(tenant)
    owner_client.post(f"/company/jobs/{job.pk}/credit/")
    page = owner_client.post(f"/company/jobs/{job.pk}/credit/release/", follow=True).content.decode()
    assert "無料紹介枠の利用を取り消しました" in page
    assert company_credit_summary(tenant.company).available == 2
    owner_client.post(f"/company/jobs/{job.pk}/credit/")
    introduce(job, operator, "document")
    page = owner_client.get(f"/company/jobs/{job.pk}/").content.decode()
    assert "すでにご紹介が始まっているため、利用の取り消しはできません" in page
    page = owner_client.post(f"/company/jobs/{job.pk}/credit/release/", follow=True).content.decode()
    assert "取り消すことはできません" in page
    assert company_credit_summary(tenant.company).reserved == 1


def test_a_member_sees_the_reservation_but_cannot_use_or_cancel(client: Client, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    credit_reserve(job_order=job, actor=tenant.owner)
    member = login(client, tenant.member)
    page = member.get(f"/company/jobs/{job.pk}/").content.decode()
    assert "確保中" in page and "無料紹介枠の利用を取り消す" not in page
    assert member.post(f"/company/jobs/{job.pk}/credit/release/").status_code == 404
    other = make_job(tenant, title="経理")
    assert member.post(f"/company/jobs/{other.pk}/credit/").status_code == 404
    assert company_credit_summary(tenant.company).reserved == 1


def test_another_company_gets_404_on_every_credit_url(outsider_client: Client, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    assert outsider_client.post(f"/company/jobs/{job.pk}/credit/").status_code == 404
    credit_reserve(job_order=job, actor=tenant.owner)
    assert outsider_client.post(f"/company/jobs/{job.pk}/credit/release/").status_code == 404
    assert outsider_client.get(f"/company/jobs/{job.pk}/").status_code == 404
    assert outsider_client.get("/ops/jobs/credit-queue/").status_code == 404
    reservation = CreditReservation.objects.get()
    assert outsider_client.post(f"/ops/jobs/credits/{reservation.pk}/release/", {"reason": "x"}).status_code == 404
    assert company_credit_summary(tenant.company).reserved == 1


def test_the_operator_queue_lists_credit_orders_oldest_first_with_progress(
    operator_client: Client, operator: User, tenant: Tenant, outsider: Tenant
) -> None:
    grant_credits(tenant, 1)
    grant_credits(outsider, 1)
    old_job = make_job(outsider, title="古い求人")
    new_job = make_job(tenant, title="新しい求人")
    old = credit_reserve(job_order=old_job, actor=outsider.owner)
    CreditReservation.objects.filter(pk=old.pk).update(reserved_at=timezone.now() - timedelta(days=9))
    credit_reserve(job_order=new_job, actor=tenant.owner)
    introduce(new_job, operator, "proposed")
    interview = introduce(new_job, operator, "rejected")
    IntroductionEvent.objects.create(introduction=interview, status=Introduction.Status.INTERVIEW)
    page = operator_client.get("/ops/jobs/credit-queue/").content.decode()
    assert page.index("古い求人") < page.index("新しい求人")
    assert "9 日" in page
    rows = page.split("<tr>")
    old_row = next(r for r in rows if "古い求人" in r)
    new_row = next(r for r in rows if "新しい求人" in r)
    assert "未達" in old_row and "達成" in new_row
    assert '<td class="num">2</td>' in new_row and '<td class="num">1</td>' in new_row  # proposed 2, introduced 1
    assert "成約の登録待ち" not in page
    introduce(new_job, operator, "hired")
    page = operator_client.get("/ops/jobs/credit-queue/").content.decode()
    assert "入社済み・成約の登録待ち" in page and f"/ops/placements/?company={tenant.company.pk}" in page


def test_the_operator_releases_from_the_queue_with_a_reason(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    reservation = credit_reserve(job_order=job, actor=tenant.owner)
    introduce(job, operator, "interview")
    page = operator_client.post(f"/ops/jobs/credits/{reservation.pk}/release/", {"reason": "  "}).content.decode()
    assert "解除の理由を入力してください" in page
    response = operator_client.post(f"/ops/jobs/credits/{reservation.pk}/release/", {"reason": "ご依頼の取り下げ"})
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == "released" and reservation.closed_by == operator
    owner = login(Client(), tenant.owner)
    assert "ご依頼の取り下げ" in owner.get(f"/company/jobs/{job.pk}/").content.decode()


# --- the property ----------------------------------------------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.integers(1, 2)),
        st.tuples(st.just("reserve"), st.integers(0, 2)),
        st.tuples(st.just("release"), st.integers(0, 2)),
        st.tuples(st.just("consume"), st.integers(0, 2)),
        st.tuples(st.just("expire"), st.integers(0, 1)),
        st.tuples(st.just("reverse"), st.integers(0, 1000)),
    ),
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=steps)
def test_property_credits_always_add_up_whatever_the_sequence(operator: User, ops: list[tuple[str, int]]) -> None:
    slug = f"use{CreditEntry.objects.count()}x{Company.objects.count()}"
    tenant = make_tenant(operator, f"枠利用テスト{slug}", slug, referrals_per_credit=1)
    jobs = [make_job(tenant, title=f"求人{i}") for i in range(3)]
    reversed_any = False
    for op, arg in ops:
        reservation = CreditReservation.objects.filter(job_order=jobs[arg % 3], status="reserved").first()
        try:
            if op == "grant":
                grant_credits(tenant, arg)
            elif op == "reserve":
                credit_reserve(job_order=jobs[arg], actor=tenant.owner)
            elif op == "release" and reservation is not None:
                credit_release(reservation=reservation, actor=tenant.owner)
            elif op == "consume" and reservation is not None:
                credit_consume(reservation=reservation, actor=operator)
            elif op == "expire":
                credits_expire(now=timezone.now() + timedelta(days=400 * (arg + 1)), company=tenant.company)
            elif op == "reverse":
                live = list(Referral.objects.filter(company=tenant.company).counted())
                if live:
                    referral_invalidate(referral=live[arg % len(live)], reason="性質テスト", actor=operator)
                    reversed_any = True
        except CreditError:
            pass
        entries = CreditEntry.objects.filter(company=tenant.company)
        s = entries.summary()
        assert s.balance + s.reserved + s.used + s.expired == s.earned - s.reversed
        assert s.balance == sum(entries.values_list("amount", flat=True))
        assert entries.open_lots().count() == max(s.balance, 0)
        live_reservations = CreditReservation.objects.filter(company=tenant.company, status="reserved")
        assert s.reserved == live_reservations.count() == entries.open_reservations().count()
        assert s.used == CreditReservation.objects.filter(company=tenant.company, status="consumed").count()
        assert s.reserved >= 0 and s.used >= 0
        for r in live_reservations.select_related("reserve_entry"):
            assert not CreditEntry.objects.filter(lot=r.reserve_entry).exists()  # never expired or reversed
        if not reversed_any:
            assert s.balance >= 0 and not s.blocked


# --- concurrency (PostgreSQL row locks) ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reservations_racing_for_the_last_credit_exactly_one_wins(tenant: Tenant) -> None:
    from django.db import connection

    from tests.concurrency import run_at_once

    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL")
    grant_credits(tenant, 1)
    jobs = [make_job(tenant, title=f"求人{i}") for i in range(6)]
    outcomes: list[str] = []

    def attempt(job: JobOrder) -> None:
        try:
            credit_reserve(job_order=job, actor=tenant.owner)
            outcomes.append("won")
        except CreditError:
            outcomes.append("refused")

    errors = run_at_once([functools.partial(attempt, job) for job in jobs], workers=6)
    assert errors == []
    assert sorted(outcomes) == ["refused"] * 5 + ["won"]
    assert CreditReservation.objects.count() == 1
    summary = company_credit_summary(tenant.company)
    assert (summary.reserved, summary.balance) == (1, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_reservations_on_one_job_order_reserve_once(tenant: Tenant) -> None:
    from django.db import connection

    from tests.concurrency import run_at_once

    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL")
    grant_credits(tenant, 3)
    job = make_job(tenant)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            credit_reserve(job_order=job, actor=tenant.owner)
            outcomes.append("won")
        except CreditError:
            outcomes.append("refused")

    assert run_at_once([attempt for _ in range(4)], workers=4) == []
    assert outcomes.count("won") == 1
    assert company_credit_summary(tenant.company).reserved == 1


def test_the_operator_sees_the_credit_state_on_the_job_order(operator_client: Client, tenant: Tenant) -> None:
    grant_credits(tenant, 1)
    job = make_job(tenant)
    assert "確保中" not in operator_client.get(f"/ops/jobs/{job.pk}/").content.decode()
    credit_reserve(job_order=job, actor=tenant.owner)
    page = operator_client.get(f"/ops/jobs/{job.pk}/").content.decode()
    assert "確保中" in page and "/ops/jobs/credit-queue/" in page
