"""Operator creates a company with contract terms and invites its first user, who sets a password."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, User
from audit.models import AuditEntry
from companies.models import Company
from tests.conftest import Tenant
from tests.fixture_types import CaptureOnCommit

pytestmark = pytest.mark.django_db


def new_company_data(**overrides: str) -> dict[str, str]:
    data = {
        "company-name": "株式会社はじまり",
        "company-name_kana": "ハジマリ",
        "company-landing_message": "",
        "contract-referrals_per_credit": "8",
        "contract-credit_validity_months": "0",
        "contract-counting_rule": "first_interview",
        "contract-starts_on": "2026-12-01",
        "contract-note": "",
        "invite-name": "人事 一郎",
        "invite-email": "ichiro@hajimari.example.jp",
        "invite-role": "owner",
    }
    data.update(overrides)
    return data


def invitation_path() -> str:
    match = re.search(r"http://testserver(/invite/\S+/)", str(mail.outbox[-1].body))
    assert match
    return match.group(1)


def test_an_operator_creates_a_company_with_its_contract_and_invites_the_owner(
    operator_client: Client, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/ops/companies/new/", new_company_data())
    company = Company.objects.get(name="株式会社はじまり")
    assert response["Location"] == f"/ops/companies/{company.pk}/"
    assert (company.contract.referrals_per_credit, company.contract.credit_validity_months) == (8, 0)
    assert company.contract.counting_rule == "first_interview"
    assert company.links.count() == 1
    assert mail.outbox[-1].to == ["ichiro@hajimari.example.jp"]
    assert "株式会社はじまり" in mail.outbox[-1].subject
    body = str(mail.outbox[-1].body)
    # The operator's staff invite as the operator, not as a person the invitee should honour with 様.
    assert "キャリアリレー運営事務局より、株式会社はじまり のメンバーとしてご招待をお送りいたします。" in body
    assert "運営 太郎 様より" not in body
    assert AuditEntry.objects.filter(action="company.create", company=company).exists()
    assert AuditEntry.objects.filter(action="user.invite", company=company).exists()


def test_contract_defaults_are_ten_referrals_and_twelve_months(operator_client: Client) -> None:
    page = operator_client.get("/ops/companies/new/").content.decode()
    assert 'name="contract-referrals_per_credit" value="10"' in page
    assert 'name="contract-credit_validity_months" value="12"' in page


def test_bad_company_input_is_explained_and_nothing_is_created(operator_client: Client) -> None:
    page = operator_client.post(
        "/ops/companies/new/",
        new_company_data(
            **{"contract-referrals_per_credit": "0", "invite-email": "not-mail", "company-name": "株式会社はじまり"}
        ),
    ).content.decode()
    assert "1 以上の人数を指定してください" in page
    assert "メールアドレスの形式が正しくありません" in page
    assert 'value="株式会社はじまり"' in page
    assert not Company.objects.filter(name="株式会社はじまり").exists()


def test_the_invited_user_sets_a_password_and_lands_on_the_dashboard(
    operator_client: Client, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post("/ops/companies/new/", new_company_data())
    path = invitation_path()
    client = Client()
    assert "株式会社はじまり" in client.get(path).content.decode()
    weak = client.post(path, {"name": "人事 一郎", "password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and "パスワード" in weak.content.decode()
    mismatch = client.post(path, {"name": "人事 一郎", "password1": "long-enough-pass-1", "password2": "other-pass-22"})
    assert "確認用のパスワードが一致しません" in mismatch.content.decode()
    response = client.post(
        path, {"name": "人事 一郎", "password1": "long-enough-pass-1", "password2": "long-enough-pass-1"}
    )
    assert response["Location"] == "/company/"
    user = User.objects.get(email="ichiro@hajimari.example.jp")
    assert user.company is not None and user.company.name == "株式会社はじまり" and user.company_role == "owner"
    assert user.password.startswith("argon2")
    assert client.get("/company/").status_code == 200
    assert Client().get(path).status_code == 404  # used once


def test_an_expired_invitation_is_refused(
    operator_client: Client, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post("/ops/companies/new/", new_company_data())
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(invitation_path())
    assert response.status_code == 404
    assert "有効期限" in response.content.decode()


def test_only_a_digest_of_the_invitation_token_is_stored(
    operator_client: Client, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post("/ops/companies/new/", new_company_data())
    token = invitation_path().split("/")[2]
    assert not Invitation.objects.filter(token_digest=token).exists()


def test_an_owner_invites_a_colleague_but_a_member_cannot(
    owner_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/company/users/", {"name": "", "email": "new@test-shoji.example.jp", "role": "member"}
        )
    assert response["Location"] == "/company/users/"
    assert Invitation.objects.get(email="new@test-shoji.example.jp").company == tenant.company
    assert "株式会社テスト商事 の 株式会社テスト商事 オーナー 様より" in str(mail.outbox[-1].body)
    from tests.conftest import login

    member = login(Client(), tenant.member)
    assert member.post("/company/users/", {"email": "x@test-shoji.example.jp", "role": "owner"}).status_code == 404
    dup = owner_client.post("/company/users/", {"email": tenant.member.email, "role": "member"}).content.decode()
    assert "すでに登録されています" in dup


def test_another_companys_user_never_sees_our_members(outsider_client: Client, tenant: Tenant) -> None:
    page = outsider_client.get("/company/users/").content.decode()
    assert tenant.owner.email not in page and tenant.member.email not in page


def test_the_message_for_candidates_is_saved_with_the_new_company(operator_client: Client) -> None:
    operator_client.post(
        "/ops/companies/new/", new_company_data(**{"company-landing_message": "次の一歩を応援しています"})
    )
    company = Company.objects.get(name="株式会社はじまり")
    assert company.landing_message == "次の一歩を応援しています"
    assert "次の一歩を応援しています" in Client().get(f"/r/{company.links.get().code}").content.decode()
