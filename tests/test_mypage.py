"""The candidate's My Page: magic-link sign-in, profile, consents, data download and erasure."""

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Candidate, Consent
from candidates.tokens import candidate_token_make
from relay.models import CreditEntry, Referral
from tests.conftest import Tenant, register, register_verified
from tests.fixture_types import CaptureOnCommit

pytestmark = pytest.mark.django_db


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    response = client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/")
    assert response.status_code == 302
    return client


def test_my_page_needs_a_signed_in_candidate(client: Client) -> None:
    for url in ("/me/", "/me/profile/", "/me/consents/", "/me/data/", "/me/data.json", "/me/delete/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/me/login/"


def test_a_company_user_is_not_a_candidate(owner_client: Client) -> None:
    assert owner_client.get("/me/")["Location"] == "/me/login/"


def test_asking_for_a_sign_in_link_answers_the_same_for_unknown_addresses(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link, email="known@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/me/login/", {"email": "ＫＮＯＷＮ@example.jp"})
        unknown = client.post("/me/login/", {"email": "nobody@example.jp"})
    assert known.status_code == unknown.status_code == 200
    assert "ログイン用のリンクをお送りしました" in known.content.decode()
    assert "ログイン用のリンクをお送りしました" in unknown.content.decode()
    # The registration's verification mail leaves with the same dispatch; only one sign-in link went out.
    sign_ins = [m for m in mail.outbox if "/me/auth/" in str(m.body)]
    assert [m.to for m in sign_ins] == [[candidate.email]]
    link = re.search(r"http://testserver(/me/auth/\S+/)", str(sign_ins[0].body))
    assert link
    assert client.get(link.group(1))["Location"] == "/me/"
    assert Client().get(link.group(1)).status_code == 400  # used once


def test_an_expired_sign_in_link_is_refused(tenant: Tenant, settings: Any) -> None:
    candidate = register_verified(tenant.link)
    token = candidate_token_make(candidate, "login")
    settings.CANDIDATE_LINK_MAX_AGE = -1
    response = Client().get(f"/me/auth/{token}/")
    assert response.status_code == 400
    assert "有効期限" in response.content.decode()


def test_a_verification_token_cannot_be_used_as_a_sign_in_token(tenant: Tenant) -> None:
    candidate = register(tenant.link).candidate
    token = candidate_token_make(candidate, "verify")
    assert Client().get(f"/me/auth/{token}/").status_code == 400


def test_my_page_shows_the_profile_and_the_company_that_referred_them(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    page = signed_in(candidate).get("/me/").content.decode()
    assert candidate.name in page
    assert "090-" in page  # national format, not E.164
    assert "株式会社テスト商事 からのご案内" in page


def test_editing_the_profile_keeps_input_on_error_and_saves_when_valid(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    client = signed_in(candidate)
    data = {
        "name": "山田 花子",
        "furigana": "ヤマダ ハナコ",
        "email": candidate.email,
        "phone": "03-1234-5678",
        "prefecture": "14",
        "job_category": "sales",
        "years_of_experience": "4",
        "skills": "法人営業",
        "desired_salary": "",
        "career_summary": "",
    }
    bad = client.post("/me/profile/", {**data, "phone": "電話"})
    assert "電話番号を正しくご入力ください" in bad.content.decode()
    assert "法人営業" in bad.content.decode()
    assert client.post("/me/profile/", data)["Location"] == "/me/"
    candidate.refresh_from_db()
    assert (candidate.phone, candidate.prefecture, candidate.desired_salary) == ("+81312345678", 14, None)


def test_a_profile_cannot_take_another_persons_email_or_phone(tenant: Tenant) -> None:
    other = register_verified(tenant.link, email="other@example.jp", phone="090-7777-8888")
    candidate = register_verified(tenant.link)
    data = {
        "name": "山田 花子",
        "furigana": "ヤマダ ハナコ",
        "email": "Other@example.jp",
        "phone": "09077778888",
        "prefecture": "13",
        "job_category": "sales",
        "years_of_experience": "4",
    }
    page = signed_in(candidate).post("/me/profile/", data).content.decode()
    assert "このメールアドレスは別のアカウントで登録されています" in page
    assert "この電話番号は別のアカウントで登録されています" in page
    assert Candidate.objects.get(pk=other.pk).email == "other@example.jp"


def test_changing_consents_appends_history_with_version_and_channel(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    client = signed_in(candidate)
    client.post("/me/consents/", {"service": "on", "newsletter": "on"})
    latest = candidate.consents.filter(kind=Consent.Kind.NEWSLETTER).first()
    assert latest is not None and latest.granted and latest.channel == Consent.Channel.MYPAGE
    assert latest.version == Consent.current_version()
    assert candidate.consents.count() == 5  # four at registration, one change
    assert candidate.current_consents()["newsletter"] is True


def test_consent_history_tells_a_withdrawal_from_a_consent_never_given(tenant: Tenant, operator_client: Client) -> None:
    candidate = register_verified(tenant.link)  # service agreed; the three optional boxes left unticked
    client = signed_in(candidate)
    client.post("/me/consents/", {"service": "on", "newsletter": "on"})
    client.post("/me/consents/", {"service": "on"})

    rows = re.findall(
        r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td>", client.get("/me/consents/").content.decode()
    )
    newsletter = [state for kind, state in rows if kind == Consent.Kind.NEWSLETTER.label]
    assert newsletter == ["撤回", "同意", "同意なし"]  # newest first
    assert "撤回・不同意" not in client.get("/me/consents/").content.decode()
    ops_page = operator_client.get(f"/ops/candidates/{candidate.pk}/").content.decode()
    assert "同意なし" in ops_page and "撤回" in ops_page and "撤回・不同意" not in ops_page


def test_the_data_page_shows_everything_held_with_labels_not_codes(tenant: Tenant) -> None:
    candidate = register_verified(
        tenant.link, name="資料 花子", prefecture=27, job_category="sales", phone="080-1234-9876"
    )
    client = signed_in(candidate)

    page = client.get("/me/data/").content.decode()

    assert "お預かりしている登録情報" in page
    for shown in ("資料 花子", "大阪府", "営業", "080-1234-9876", "株式会社テスト商事", "利用規約・個人情報の取扱い"):
        assert shown in page, shown
    assert 'href="/me/data.json"' in page and "data-print" in page
    assert ">27<" not in page and ">sales<" not in page
    other = register_verified(tenant.link, name="別人 次郎")
    assert "資料 花子" not in signed_in(other).get("/me/data/").content.decode()


def test_the_json_download_keeps_the_codes_and_says_what_they_mean(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link, prefecture=13, job_category="software")

    data = json.loads(signed_in(candidate).get("/me/data.json").content)

    assert data["profile"]["prefecture"] == 13 and data["profile_labels"]["prefecture"] == "東京都"
    assert data["profile_labels"]["job_category"] == candidate.get_job_category_display()
    assert all(consent["kind_label"] and consent["channel_label"] for consent in data["consents"])


def test_the_data_download_contains_profile_and_consents(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    response = signed_in(candidate).get("/me/data.json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["profile"]["email"] == candidate.email
    assert data["introduced_by_company"] == "株式会社テスト商事"
    assert len(data["consents"]) == 4


def test_deleting_the_account_erases_the_person_but_keeps_counts_and_credits(tenant: Tenant, operator: User) -> None:
    from candidates.models import AdvisorInterview, CandidateNote, PipelineEvent
    from candidates.services import candidate_note_add, candidate_pipeline_move

    candidates = [register_verified(tenant.link) for _ in range(10)]
    candidate_note_add(candidate=candidates[0], author=operator, body="ご家族の事情で転居予定")
    candidate_pipeline_move(candidate=candidates[0], status="withdrawn", actor=operator, reason="転居のため")
    AdvisorInterview.objects.create(
        candidate=candidates[0], advisor=operator, starts_at=timezone.now(), method="phone", created_by=operator
    )
    client = signed_in(candidates[0])
    assert "確認のチェックを入れてください" in client.post("/me/delete/", {}).content.decode()
    response = client.post("/me/delete/", {"confirm": "on"})
    assert "退会手続きが完了しました" in response.content.decode()
    assert "お祈り" not in response.content.decode()  # the phrase this service is named against
    assert not Candidate.objects.filter(pk=candidates[0].pk).exists()
    assert not Consent.objects.filter(candidate_id=candidates[0].pk).exists()
    assert not CandidateNote.objects.exists() and not PipelineEvent.objects.exists()
    assert not AdvisorInterview.objects.exists()
    assert Referral.objects.filter(company=tenant.company).counted().count() == 10
    assert Referral.objects.filter(candidate__isnull=True).count() == 1
    assert CreditEntry.objects.filter(company=tenant.company).summary().available == 1
    assert AuditEntry.objects.filter(action="candidate.delete").exists()
    assert client.get("/me/")["Location"] == "/me/login/"


def test_signing_out_ends_the_session(tenant: Tenant) -> None:
    client = signed_in(register_verified(tenant.link))
    client.post("/me/logout/")
    assert client.get("/me/").status_code == 302


def test_sign_in_links_are_recorded_without_personal_data_in_the_url(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    token = candidate_token_make(candidate, "login")
    assert candidate.email not in token and "@" not in token
    assert candidate.last_login_at is None or candidate.last_login_at <= timezone.now() + timedelta(seconds=1)
