"""Operator roles: what an advisor is refused leaves no trace, the menu shows each role its own screens, and an
admin sets roles on the staff page. The URL × role sweep is tests/test_role_sweep.py."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.services import StaffChangeRefused, operator_update
from audit.models import AuditEntry
from candidates.models import CandidateNote
from companies.models import Company
from mailings.models import OutboundEmail
from placements.models import CreditReservation, Introduction, JobOrder, Placement
from placements.services.credit_use import credit_reserve
from relay.models import CreditEntry, Referral
from tests.conftest import Tenant, login, make_user, register_verified
from tests.placement_support import grant_credits, introduce, make_job
from tests.test_contract_changes import contract_post
from tests.test_invitations import new_company_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def career_advisor(db: Any) -> User:
    return make_user("ca@agency.example.jp", name="相談 花子", operator_role="ca")


@pytest.fixture
def recruiting_advisor(db: Any) -> User:
    return make_user("ra@agency.example.jp", name="営業 次郎", operator_role="ra")


@pytest.fixture
def advisors(career_advisor: User, recruiting_advisor: User) -> list[Client]:
    return [login(Client(), career_advisor), login(Client(), recruiting_advisor)]


def test_an_advisor_cannot_create_a_company_and_no_invitation_goes_out(
    advisors: list[Client], operator_client: Client
) -> None:
    for client in advisors:
        assert client.post("/ops/companies/new/", new_company_data()).status_code == 404
    assert not Company.objects.filter(name="株式会社はじまり").exists() and not mail.outbox
    assert operator_client.post("/ops/companies/new/", new_company_data()).status_code == 302
    assert Company.objects.filter(name="株式会社はじまり").exists()


def test_an_advisor_cannot_invalidate_a_referral_or_touch_the_ledger(
    advisors: list[Client], operator_client: Client, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    referral = Referral.objects.get(company=tenant.company)
    entries, audits = CreditEntry.objects.count(), AuditEntry.objects.count()
    url = f"/ops/referrals/{referral.pk}/invalidate/"
    for client in advisors:
        assert client.post(url, {"reason": "なりすましの疑い"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COUNTED
    assert (CreditEntry.objects.count(), AuditEntry.objects.count()) == (entries, audits)
    assert operator_client.post(url, {"reason": "なりすましの疑い"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INVALIDATED


def test_an_advisor_cannot_record_a_placement_or_a_leaving_date(
    advisors: list[Client], operator_client: Client, operator: User, tenant: Tenant
) -> None:
    hired = introduce(make_job(tenant), operator, Introduction.Status.HIRED)
    url = f"/ops/placements/new/?introduction={hired.pk}"
    data = {"start_date": "2026-10-01", "annual_salary_yen": "6000000"}
    for client in advisors:
        assert client.post(url, data).status_code == 404
    assert not Placement.objects.exists()
    assert operator_client.post(url, data).status_code == 302
    placement = Placement.objects.get()
    for client in advisors:
        assert client.post(f"/ops/placements/{placement.pk}/", {"left_on": "2026-11-01"}).status_code == 404
    placement.refresh_from_db()
    assert placement.left_on is None and placement.refund_total_yen == 0


def test_an_advisor_cannot_release_a_reserved_credit(
    advisors: list[Client], operator_client: Client, tenant: Tenant
) -> None:
    grant_credits(tenant, 1)
    reservation = credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    url = f"/ops/jobs/credits/{reservation.pk}/release/"
    for client in advisors:
        assert client.post(url, {"reason": "ご依頼の取り下げ"}).status_code == 404
    reservation.refresh_from_db()
    assert reservation.status == CreditReservation.Status.RESERVED
    assert operator_client.post(url, {"reason": "ご依頼の取り下げ"}).status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == CreditReservation.Status.RELEASED


def test_an_advisor_cannot_cancel_a_companys_mail(
    advisors: list[Client], operator_client: Client, tenant: Tenant
) -> None:
    register_verified(tenant.link)
    email = OutboundEmail.objects.order_by("pk").first()
    assert email is not None
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.QUEUED)
    for client in advisors:
        assert client.post(f"/ops/mail/{email.pk}/cancel/").status_code == 404
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    operator_client.post(f"/ops/mail/{email.pk}/cancel/")
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.CANCELLED


def test_each_advisor_keeps_only_their_own_side_of_the_work(
    career_advisor: User, recruiting_advisor: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    ca, ra = login(Client(), career_advisor), login(Client(), recruiting_advisor)
    assert ra.post(f"/ops/candidates/{candidate.pk}/notes/", {"body": "法人担当のメモ"}).status_code == 404
    assert not CandidateNote.objects.exists()
    assert ca.post(f"/ops/candidates/{candidate.pk}/notes/", {"body": "初回面談の希望あり"}).status_code == 302
    assert CandidateNote.objects.count() == 1
    job = {"company": str(tenant.company.pk), **_job_fields()}
    assert ca.post("/ops/jobs/new/", job).status_code == 404
    assert not JobOrder.objects.exists()
    assert ra.post("/ops/jobs/new/", job).status_code == 302
    assert JobOrder.objects.filter(company=tenant.company).count() == 1


def _job_fields() -> dict[str, str]:
    return {
        "title": "法人営業",
        "job_category": "sales",
        "employment_type": "full_time",
        "prefecture": "13",
        "remote": "onsite",
        "salary_min": "400",
        "salary_max": "600",
        "required_skills": "法人営業",
        "preferred_skills": "",
        "description": "法人営業をお任せします。",
        "status": "open",
    }


def test_a_recruiting_advisor_reads_the_contract_but_cannot_change_it(recruiting_advisor: User, tenant: Tenant) -> None:
    client = login(Client(), recruiting_advisor)
    page = client.get(f"/ops/companies/{tenant.company.pk}/").content.decode()
    assert 'name="contract-referrals_per_credit"' in page and "disabled" in page
    assert "契約条件を保存" not in page and "招待メールを送る" not in page
    data = {"action": "invite", "invite-name": "人事", "invite-role": "owner"}
    data["invite-email"] = "new@test-shoji.example.jp"
    assert client.post(f"/ops/companies/{tenant.company.pk}/", data).status_code == 404
    assert not tenant.company.invitations.exists() and not mail.outbox


def test_an_advisor_cannot_change_the_fee_rate_either(
    advisors: list[Client], operator_client: Client, tenant: Tenant
) -> None:
    """Before roles, the service refused only the ratio and the counting rule: an advisor could lower the fee."""
    url, data = f"/ops/companies/{tenant.company.pk}/", {**contract_post("10"), "contract-fee_rate_percent": "20"}
    for client in advisors:
        assert client.post(url, data).status_code == 404
    tenant.company.contract.refresh_from_db()
    assert tenant.company.contract.fee_rate_percent == 35
    assert not AuditEntry.objects.filter(action="contract.update").exists()
    assert operator_client.post(url, data).status_code == 302
    tenant.company.contract.refresh_from_db()
    assert tenant.company.contract.fee_rate_percent == 20


def _menu(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    return page[page.index('<nav class="nav" id="main-menu"') : page.index("</nav>")]


def test_the_menu_shows_each_role_only_the_screens_it_may_use(
    operator_client: Client, career_advisor: User, recruiting_advisor: User
) -> None:
    admin_menu = _menu(operator_client, "/ops/")
    for label in ("導入企業", "求職者", "紹介", "求人", "成約", "KPI", "監査ログ", "運営スタッフ"):
        assert label in admin_menu
    ca_menu = _menu(login(Client(), career_advisor), "/ops/candidates/")
    assert "求職者" in ca_menu and "ご紹介" in ca_menu
    for label in ("導入企業", "/ops/referrals/", "/ops/jobs/", "成約", "KPI", "監査ログ", "運営スタッフ"):
        assert label not in ca_menu
    ra_menu = _menu(login(Client(), recruiting_advisor), "/ops/jobs/")
    assert "導入企業" in ra_menu and "/ops/jobs/" in ra_menu and "無料紹介枠のご依頼" in ra_menu
    for label in ("/ops/candidates/", "/ops/referrals/", "成約", "KPI", "監査ログ", "運営スタッフ"):
        assert label not in ra_menu


def test_signing_in_lands_each_role_on_its_first_screen(
    operator_client: Client, career_advisor: User, recruiting_advisor: User
) -> None:
    assert operator_client.get("/")["Location"] == "/ops/"
    assert login(Client(), career_advisor).get("/")["Location"] == "/ops/candidates/"
    assert login(Client(), recruiting_advisor).get("/")["Location"] == "/ops/jobs/"


def test_an_admin_changes_a_role_on_the_staff_page_and_it_applies_at_once(
    operator_client: Client, career_advisor: User
) -> None:
    advisor = login(Client(), career_advisor)
    assert advisor.get("/ops/candidates/").status_code == 200
    page = operator_client.get("/ops/staff/").content.decode()
    assert "相談 花子" in page and "ロールごとに使える機能" in page
    response = operator_client.post(f"/ops/staff/{career_advisor.pk}/", {"operator_role": "ra", "is_active": "on"})
    assert response.status_code == 302
    assert advisor.get("/ops/candidates/").status_code == 404
    assert advisor.get("/ops/jobs/").status_code == 200
    entry = AuditEntry.objects.get(action="operator.update")
    assert entry.detail == {"operator_role": {"before": "ca", "after": "ra"}}


def test_an_admin_turns_an_operator_off_and_the_account_can_no_longer_use_the_console(
    operator_client: Client, career_advisor: User
) -> None:
    advisor = login(Client(), career_advisor)
    assert operator_client.post(f"/ops/staff/{career_advisor.pk}/", {"operator_role": "ca"}).status_code == 302
    career_advisor.refresh_from_db()
    assert not career_advisor.is_active
    assert advisor.get("/ops/candidates/").status_code == 302  # signed out: to the sign-in page


def test_nobody_changes_their_own_role_so_an_admin_always_remains(operator_client: Client, operator: User) -> None:
    response = operator_client.post(f"/ops/staff/{operator.pk}/", {"operator_role": "ca", "is_active": "on"})
    assert response.status_code == 400
    assert "他の管理者に変更を依頼してください" in response.content.decode()
    operator.refresh_from_db()
    assert operator.operator_role == "admin" and operator.is_active
    assert not AuditEntry.objects.filter(action="operator.update").exists()


def test_the_staff_page_changes_operators_only(operator: User, tenant: Tenant) -> None:
    with pytest.raises(StaffChangeRefused):
        operator_update(user=tenant.owner, role="admin", is_active=True, actor=operator)
    tenant.owner.refresh_from_db()
    assert tenant.owner.operator_role == "" and tenant.owner.company_id == tenant.company.pk


def test_an_advisor_cannot_change_roles(advisors: list[Client], career_advisor: User) -> None:
    for client in advisors:
        response = client.post(f"/ops/staff/{career_advisor.pk}/", {"operator_role": "admin", "is_active": "on"})
        assert response.status_code == 404
    career_advisor.refresh_from_db()
    assert career_advisor.operator_role == "ca"
