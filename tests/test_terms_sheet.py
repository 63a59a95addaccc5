"""The credit terms sheet (契約条件書): versioned from the contract, shown and acknowledged by the company's owner
or admin, downloadable as PDF, and its status visible to operators (DESIGN §3 rules 4–6; 違約金-kind terms
stated in advance)."""

import io
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from accounts.models import User
from audit.models import AuditEntry
from companies.models import Contract, TermsAcknowledgement, TermsSheet
from companies.services import TermsRefused, contract_update, terms_acknowledge
from companies.terms import text_sha256
from tests.conftest import Tenant, login

pytestmark = pytest.mark.django_db


def sheets(tenant: Tenant) -> list[TermsSheet]:
    return list(TermsSheet.objects.filter(contract__company=tenant.company).order_by("version"))


def test_a_new_company_gets_version_1_stating_every_credit_term(tenant: Tenant) -> None:
    [sheet] = sheets(tenant)
    assert sheet.version == 1 and sheet.sha256 == text_sha256(sheet.text)
    text = sheet.text
    for expected in (
        "第1版",
        "株式会社テスト商事 御中",
        "メールアドレスの確認を終えた方を1件の紹介としてカウント",  # what counts
        "確認期間は設けず",  # cooling_off_hours=0 in the fixture
        "カウントされた紹介10件ごとに、無料紹介枠を1件付与",  # the ratio
        "付与日から12か月",  # expiry
        "無料紹介枠を取り消します",  # claw-back on invalidation
        "残高がマイナスになります",  # negative balance
        "理論年収の35%",
        "13-ユ-000000",
    ):
        assert expected in text, expected


def test_a_ratio_change_makes_version_2_and_asks_again(owner_client: Client, operator: User, tenant: Tenant) -> None:
    terms_acknowledge(sheet=sheets(tenant)[0], user=tenant.owner, ip="192.0.2.1")
    assert 'id="terms-callout"' not in owner_client.get("/company/").content.decode()
    contract_update(contract=tenant.company.contract, terms={"referrals_per_credit": 5}, actor=operator)
    first, second = sheets(tenant)
    assert second.version == 2 and "紹介5件ごと" in second.text and "紹介10件ごと" in first.text
    assert second.terms["referrals_per_credit"] == 5 and first.terms["referrals_per_credit"] == 10
    page = owner_client.get("/company/").content.decode()
    assert 'id="terms-callout"' in page and "第2版" in page
    assert AuditEntry.objects.filter(action="terms_sheet.issue", company=tenant.company).count() == 2


def test_a_change_that_leaves_the_terms_as_they_were_makes_no_new_version(operator: User, tenant: Tenant) -> None:
    contract_update(contract=tenant.company.contract, terms={"note": "社内メモ"}, actor=operator)
    contract_update(contract=tenant.company.contract, terms={"referrals_per_credit": 10}, actor=operator)
    assert len(sheets(tenant)) == 1


def test_the_owner_acknowledges_on_the_terms_page_and_it_is_recorded(owner_client: Client, tenant: Tenant) -> None:
    sheet = sheets(tenant)[0]
    page = owner_client.get("/company/terms/").content.decode()
    assert "無料紹介枠に関する契約条件書" in page and "内容を確認しました" in page and "残高がマイナス" in page
    response = owner_client.post("/company/terms/", {"sheet": sheet.pk}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    ack = TermsAcknowledgement.objects.get(sheet=sheet)
    assert ack.user == tenant.owner and ack.ip == "198.51.100.7" and tenant.owner.email in ack.user_label
    assert AuditEntry.objects.filter(action="terms_sheet.acknowledge", actor=tenant.owner).exists()
    assert 'id="terms-callout"' not in owner_client.get("/company/").content.decode()
    owner_client.post("/company/terms/", {"sheet": sheet.pk})
    assert TermsAcknowledgement.objects.filter(sheet=sheet).count() == 1


def test_a_member_cannot_acknowledge_while_the_company_has_an_owner(client: Client, tenant: Tenant) -> None:
    sheet = sheets(tenant)[0]
    member = login(client, tenant.member)
    assert member.get("/company/terms/").status_code == 200  # a member may read it
    member.post("/company/terms/", {"sheet": sheet.pk})
    assert not TermsAcknowledgement.objects.exists()
    with pytest.raises(TermsRefused):
        terms_acknowledge(sheet=sheet, user=tenant.member, ip=None)
    assert 'id="terms-callout"' in member.get("/company/").content.decode()


def test_an_old_version_cannot_be_acknowledged(operator: User, tenant: Tenant) -> None:
    first = sheets(tenant)[0]
    contract_update(contract=tenant.company.contract, terms={"credit_validity_months": 6}, actor=operator)
    with pytest.raises(TermsRefused):
        terms_acknowledge(sheet=first, user=tenant.owner, ip=None)


def test_the_pdf_downloads_with_the_stored_text(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.get("/company/terms/v1.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="terms-v1.pdf"' in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "契約条件書" in text and "無料紹介枠を取り消します" in text and sheets(tenant)[0].sha256 in text
    assert owner_client.get("/company/terms/v1.pdf").content == response.content  # deterministic
    assert owner_client.get("/company/terms/v2.pdf").status_code == 404


def test_operators_see_who_acknowledged_and_download_it(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    page = operator_client.get(f"/ops/companies/{tenant.company.pk}/").content.decode()
    assert 'id="terms-status"' in page and "未確認" in page
    terms_acknowledge(sheet=sheets(tenant)[0], user=tenant.owner, ip="192.0.2.1")
    page = operator_client.get(f"/ops/companies/{tenant.company.pk}/").content.decode()
    assert tenant.owner.email in page
    response = operator_client.get(f"/ops/companies/{tenant.company.pk}/terms/v1.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_another_company_gets_404(outsider_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    sheet = sheets(tenant)[0]
    # The outsider's own sheet is at the same URL: they read theirs, never the tenant's.
    page = outsider_client.get("/company/terms/").content.decode()
    assert "株式会社テスト商事" not in page and "他社株式会社" in page
    response = outsider_client.post("/company/terms/", {"sheet": sheet.pk})
    assert response.status_code == 404
    assert not TermsAcknowledgement.objects.filter(sheet=sheet).exists()
    assert outsider_client.get(f"/ops/companies/{tenant.company.pk}/terms/v1.pdf").status_code == 404
    assert outsider_client.post("/company/terms/", {"sheet": "abc"}).status_code == 404
    with pytest.raises(TermsRefused):
        terms_acknowledge(sheet=sheet, user=outsider.owner, ip=None)


def test_a_company_with_members_only_may_acknowledge_through_a_member(operator: User, tenant: Tenant) -> None:
    User.objects.filter(pk=tenant.owner.pk).update(is_active=False)
    ack = terms_acknowledge(sheet=sheets(tenant)[0], user=tenant.member, ip=None)
    assert ack.user == tenant.member


def test_the_existing_sheet_of_a_company_records_the_terms_it_was_made_from(tenant: Tenant) -> None:
    contract: Any = Contract.objects.get(company=tenant.company)
    assert sheets(tenant)[0].terms["cooling_off_hours"] == contract.cooling_off_hours == 0


def test_the_migration_gives_every_existing_company_version_1(transactional_db: Any) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("companies", "0005_contract_cooling_off_hours")]
    after = [("companies", "0007_terms_sheets")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    company = old_apps.get_model("companies", "Company").objects.create(name="株式会社既存", name_kana="")
    old_apps.get_model("companies", "Contract").objects.create(company=company, referrals_per_credit=7)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    sheet = new_apps.get_model("companies", "TermsSheet").objects.get(contract__company_id=company.pk)
    assert sheet.version == 1 and "紹介7件ごと" in sheet.text and "株式会社既存 御中" in sheet.text
    assert sheet.sha256 == text_sha256(sheet.text)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
