"""Operator console: companies, candidates, referrals, invalidation, first interviews and the audit log."""

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEntry
from companies.models import Contract
from relay.models import CreditEntry, Referral
from tests.conftest import Tenant, login, register, register_verified

pytestmark = pytest.mark.django_db

OPS_PAGES = ["/ops/", "/ops/companies/new/", "/ops/candidates/", "/ops/referrals/", "/ops/audit/"]


def test_company_users_get_404_on_every_operator_page(owner_client: Client, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    referral = Referral.objects.get(candidate=candidate)
    pages = [
        *OPS_PAGES,
        f"/ops/companies/{tenant.company.pk}/",
        f"/ops/candidates/{candidate.pk}/",
        f"/ops/referrals/{referral.pk}/invalidate/",
    ]
    for url in pages:
        assert owner_client.get(url).status_code == 404, url
    assert owner_client.post(f"/ops/referrals/{referral.pk}/invalidate/", {"reason": "x"}).status_code == 404
    assert owner_client.post(f"/ops/candidates/{candidate.pk}/interview/").status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COUNTED


def test_the_operator_reaches_every_console_page(operator_client: Client, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    for url in [*OPS_PAGES, f"/ops/companies/{tenant.company.pk}/", f"/ops/candidates/{candidate.pk}/"]:
        assert operator_client.get(url).status_code == 200, url


@pytest.mark.parametrize("query", ["エンジニア", "えんじにあ", "ｴﾝｼﾞﾆｱ", "バックエンド エンジニア"])
def test_candidate_search_finds_partial_japanese_words_in_any_kana(
    operator_client: Client, tenant: Tenant, query: str
) -> None:
    register_verified(tenant.link, name="検索 一郎", skills="バックエンドエンジニア、Go")
    register_verified(tenant.link, name="別人 二郎", skills="経理、簿記")
    page = operator_client.get("/ops/candidates/", {"q": query}).content.decode()
    assert "検索 一郎" in page
    assert "別人 二郎" not in page


def test_candidate_search_by_furigana_in_hiragana(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="高橋 誠", furigana="タカハシ マコト")
    assert "高橋 誠" in operator_client.get("/ops/candidates/", {"q": "たかはし"}).content.decode()
    assert "高橋 誠" in operator_client.get("/ops/candidates/", {"q": "タカハシマコト"}).content.decode()


def test_candidate_filters_by_prefecture_and_job_category(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="大阪 花子", prefecture=27, job_category="sales")
    register_verified(tenant.link, name="東京 花子", prefecture=13, job_category="sales")
    page = operator_client.get("/ops/candidates/", {"prefecture": "27", "job_category": "sales"}).content.decode()
    assert "大阪 花子" in page and "東京 花子" not in page


def test_company_search_works_on_kana_and_width(operator_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    page = operator_client.get("/ops/", {"q": "テスト"}).content.decode()
    assert "株式会社テスト商事" in page and "他社株式会社" not in page


def test_invalidating_needs_a_reason_then_reverses_and_audits(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    candidates = [register_verified(tenant.link) for _ in range(10)]
    referral = Referral.objects.get(candidate=candidates[-1])
    url = f"/ops/referrals/{referral.pk}/invalidate/"
    page = operator_client.post(url, {"reason": ""}).content.decode()
    assert "無効化の理由を入力してください" in page
    response = operator_client.post(url, {"reason": "同一人物の重複登録"})
    assert response["Location"] == "/ops/referrals/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INVALIDATED
    assert referral.invalidation_reason == "同一人物の重複登録"
    assert CreditEntry.objects.filter(company=tenant.company).summary().balance == 0
    entry = AuditEntry.objects.get(action="referral.invalidate")
    assert entry.actor == operator and entry.detail["reason"] == "同一人物の重複登録"
    again = operator_client.post(url, {"reason": "もう一度"}).content.decode()
    assert "すでに無効になっています" in again


def test_recording_the_first_interview_counts_under_the_stricter_rule(operator_client: Client, tenant: Tenant) -> None:
    Contract.objects.filter(company=tenant.company).update(counting_rule="first_interview")
    candidate = register_verified(tenant.link)
    operator_client.post(f"/ops/candidates/{candidate.pk}/interview/")
    assert Referral.objects.get(candidate=candidate).status == Referral.Status.COUNTED
    page = operator_client.get(f"/ops/candidates/{candidate.pk}/").content.decode()
    assert "実施済み" in page


def test_contract_changes_are_audited_with_before_and_after(operator_client: Client, tenant: Tenant) -> None:
    response = operator_client.post(
        f"/ops/companies/{tenant.company.pk}/",
        {
            "action": "contract",
            "contract-referrals_per_credit": "5",
            "contract-credit_validity_months": "6",
            "contract-counting_rule": "verified",
            "contract-starts_on": "",
            "contract-note": "",
        },
    )
    assert response.status_code == 302
    tenant.company.contract.refresh_from_db()
    assert tenant.company.contract.referrals_per_credit == 5
    entry = AuditEntry.objects.get(action="contract.update")
    assert entry.detail["before"]["referrals_per_credit"] == 10 and entry.detail["after"]["referrals_per_credit"] == 5


def test_the_referral_list_filters_by_status_and_searches_companies(
    operator_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    register_verified(tenant.link, name="数える 人")
    register(outsider.link, name="待つ 人")
    page = operator_client.get("/ops/referrals/", {"status": "pending"}).content.decode()
    assert "待つ 人" in page and "数える 人" not in page
    page = operator_client.get("/ops/referrals/", {"q": "テスト商事"}).content.decode()
    assert "数える 人" in page and "待つ 人" not in page


def test_the_audit_log_filters_by_company_and_action(operator_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    for _ in range(10):
        register_verified(tenant.link)
    page = operator_client.get("/ops/audit/", {"company": str(tenant.company.pk), "action": "credit"}).content.decode()
    assert "credit.grant" in page and "referral.count" not in page


def test_a_career_advisor_can_use_the_console(tenant: Tenant) -> None:
    from accounts.models import User

    advisor = User.objects.create_user("ca@agency.example.jp", "x-long-password-1", name="CA", operator_role="ca")
    assert login(Client(), advisor).get("/ops/candidates/").status_code == 200
