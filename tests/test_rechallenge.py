"""Re-challenge invitations (DESIGN.md §3 rules 8 and 12): who is invited, when, what the email says, the page
behind its link, re-applications, and the company's screen."""

import contextlib
import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import User
from applicants.services import applicant_record
from audit.models import AuditEntry
from candidates.models import Candidate, Consent
from candidates.services import candidate_delete, candidate_register, candidate_set_consents
from companies.models import Contract
from demo.fakes import working_conditions
from demo.rechallenge import seed_rechallenge
from lib.periodic import JOBS, enqueue_due_jobs
from mailings.identity import operator_identity_block
from mailings.models import OutboundEmail
from mailings.services.dispatch import outbox_message
from mailings.services.unsubscribe import suppression_add
from placements.models import JobOrder
from placements.services.jobs import job_order_create, job_order_set_status
from rechallenge.models import Reapplication, RechallengeInvitation
from rechallenge.services import (
    TOKEN_SALT,
    rechallenge_candidates,
    rechallenge_invitations_send,
    rechallenge_token,
)
from relay.models import Referral
from tests.conftest import Tenant, login, profile
from tests.smtp import SmtpServer, plain_body

pytestmark = pytest.mark.django_db

JST = timezone.get_fixed_timezone(9 * 60)
# Rejected half an hour after midnight in Japan, which is still the previous day in UTC.
REJECTED_AT = datetime(2026, 5, 22, 0, 30, tzinfo=JST)
SIX_MONTHS_DUE = datetime(2026, 11, 22, 0, 0, tzinfo=JST)
TWELVE_MONTHS_DUE = datetime(2027, 5, 22, 0, 0, tzinfo=JST)


def open_job(tenant: Tenant, title: str = "バックエンドエンジニア", **overrides: Any) -> JobOrder:
    data = {
        "title": title,
        "job_category": "software",
        "employment_type": "full_time",
        "prefecture": 13,
        "remote": "partial",
        "salary_min": 500,
        "salary_max": 800,
        "required_skills": "Python",
        "preferred_skills": "",
        "description": "自社サービスの開発です。",
    }
    data.update(working_conditions(tenant.company.name))
    data.update(overrides)
    return job_order_create(company=tenant.company, data=data, actor=tenant.owner)


def rejected_candidate(
    tenant: Tenant,
    *,
    rechallenge: bool = True,
    rejected_at: datetime = REJECTED_AT,
    with_applicant: bool = True,
    **kw: Any,
) -> Candidate:
    """Someone the company rejected (an Applicant row with their ref), who registered through the personal link."""
    ref = ""
    if with_applicant:
        applicant = applicant_record(
            company=tenant.company,
            source="manual",
            name="応募 太郎",
            email=f"applicant{next(_n)}@example.jp",
            position="営業職",
            rejected_at=rejected_at,
        ).applicant
        ref = applicant.ref
    registration = candidate_register(
        link=tenant.link, profile=profile(**kw), rechallenge=rechallenge, newsletter=False, applicant_ref=ref
    )
    # Registered a few days after the rejection email.
    Referral.objects.filter(candidate=registration.candidate).update(registered_at=rejected_at + timedelta(days=3))
    return registration.candidate


_n = iter(range(1, 1_000_000))


def invitations(candidate: Candidate) -> list[int]:
    return sorted(RechallengeInvitation.objects.filter(candidate=candidate).values_list("sequence", flat=True))


def rechallenge_emails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundEmail.Kind.RECHALLENGE).order_by("pk"))


def delivered_body(email: OutboundEmail) -> str:
    """The body as the worker hands it to SMTP: its links are made only then (mailings.links)."""
    return str(outbox_message(email).body)


def path_of(body: str, prefix: str) -> str:
    found = re.search(rf"https?://\S+?({re.escape(prefix)}\S+)", body)
    assert found is not None, body
    return urlsplit(found.group(0)).path


# --- eligibility and the daily run ----------------------------------------------------------------------------------


def test_it_invites_only_people_who_opted_in(tenant: Tenant) -> None:
    open_job(tenant)
    yes = rejected_candidate(tenant, rechallenge=True)
    no = rejected_candidate(tenant, rechallenge=False)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 1
    assert invitations(yes) == [1] and invitations(no) == []
    [email] = rechallenge_emails()
    assert email.candidate == yes and email.is_promotional and email.to_email == yes.email
    assert email.idempotency_key == f"rechallenge:{yes.pk}:{tenant.company.pk}:1"


def test_the_cool_down_ends_at_midnight_in_japan(tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE - timedelta(minutes=1)) == 0
    assert invitations(candidate) == []
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 1
    assert invitations(candidate) == [1]


def test_the_cool_down_follows_the_contract_term(tenant: Tenant) -> None:
    Contract.objects.filter(company=tenant.company).update(rechallenge_first_months=3, rechallenge_second_months=9)
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    assert rechallenge_invitations_send(now=datetime(2026, 8, 22, 0, 0, tzinfo=JST)) == 1
    assert rechallenge_invitations_send(now=datetime(2027, 2, 22, 0, 0, tzinfo=JST)) == 1
    assert invitations(candidate) == [1, 2]


def test_without_an_applicant_row_the_registration_date_is_the_rejection_date(tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant, with_applicant=False)  # registered 2026-05-25 00:30 JST
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0
    assert rechallenge_invitations_send(now=datetime(2026, 11, 25, 0, 0, tzinfo=JST)) == 1
    assert invitations(candidate) == [1]


def test_no_open_job_order_means_no_invitation(tenant: Tenant) -> None:
    job = open_job(tenant)
    job_order_set_status(job_order=job, status="paused", actor=tenant.owner)
    candidate = rejected_candidate(tenant)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0
    job_order_set_status(job_order=job, status="closed", actor=tenant.owner)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0
    assert invitations(candidate) == [] and rechallenge_emails() == []


def test_a_withdrawn_consent_means_no_invitation(tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    candidate_set_consents(candidate=candidate, wanted={Consent.Kind.RECHALLENGE: False})
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0
    assert rechallenge_emails() == []


@pytest.mark.parametrize("from_everyone", [False, True])
def test_an_unsubscribed_address_is_never_invited(tenant: Tenant, from_everyone: bool) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    suppression_add(email=candidate.email.upper(), company=None if from_everyone else tenant.company)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE) == 0
    assert rechallenge_emails() == [] and invitations(candidate) == []


def test_an_unsubscribe_from_another_company_does_not_stop_this_one(tenant: Tenant, outsider: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    suppression_add(email=candidate.email, company=outsider.company)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 1


def test_an_erased_candidate_is_never_invited(tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    candidate_delete(candidate=candidate)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0


def test_it_sends_the_second_invitation_at_twelve_months_and_each_only_once(tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 1
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE) == 0
    assert rechallenge_invitations_send(now=SIX_MONTHS_DUE + timedelta(days=100)) == 0
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE - timedelta(minutes=1)) == 0
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE) == 1
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE) == 0
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE + timedelta(days=400)) == 0
    assert invitations(candidate) == [1, 2]
    keys = [e.idempotency_key for e in rechallenge_emails()]
    assert keys == [f"rechallenge:{candidate.pk}:{tenant.company.pk}:{n}" for n in (1, 2)]


def test_someone_first_found_after_twelve_months_gets_one_invitation_not_two(tenant: Tenant) -> None:
    candidate = rejected_candidate(tenant)
    open_job(tenant)  # no open position until more than a year after the rejection
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE + timedelta(days=3)) == 1
    assert invitations(candidate) == [2]


def test_invitations_found_at_night_wait_for_ten_in_the_morning(tenant: Tenant) -> None:
    open_job(tenant)
    rejected_candidate(tenant)
    rechallenge_invitations_send(now=SIX_MONTHS_DUE + timedelta(minutes=5))
    [email] = rechallenge_emails()
    assert email.send_after == datetime(2026, 11, 22, 10, 0, tzinfo=JST)


def test_the_daily_job_is_scheduled_once_per_japanese_day_from_ten_in_the_morning(
    settings: Any, tenant: Tenant
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    job = [j for j in JOBS if j.name == "send_rechallenge_invitations"]
    ten_am_jst = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert enqueue_due_jobs(now=ten_am_jst, jobs=job) == ["send_rechallenge_invitations"]
    assert enqueue_due_jobs(now=ten_am_jst + timedelta(hours=23, minutes=59), jobs=job) == []
    assert enqueue_due_jobs(now=ten_am_jst + timedelta(hours=24), jobs=job) == ["send_rechallenge_invitations"]


def test_the_task_runs_the_daily_send(tenant: Tenant) -> None:
    from rechallenge.tasks import send_rechallenge_invitations

    open_job(tenant)
    candidate = rejected_candidate(tenant, rejected_at=timezone.now() - timedelta(days=200))
    send_rechallenge_invitations.enqueue()
    assert invitations(candidate) == [1]


# --- the email ------------------------------------------------------------------------------------------------------


def test_the_email_names_the_sender_lists_open_jobs_and_carries_the_unsubscribe_links(
    tenant: Tenant, settings: Any
) -> None:
    open_job(tenant, title="バックエンドエンジニア")
    open_job(tenant, title="フルリモートの SRE", prefecture=None, remote="full")
    paused = open_job(tenant, title="一時停止中の営業職")
    job_order_set_status(job_order=paused, status="paused", actor=tenant.owner)
    rejected_candidate(tenant, name="再挑 花子")
    rechallenge_invitations_send(now=SIX_MONTHS_DUE)
    [email] = rechallenge_emails()
    assert email.subject == "【株式会社テスト商事】再チャレンジのご案内(募集中の求人のお知らせ)"
    assert email.from_name == "株式会社テスト商事 採用担当"  # the sender name the company set
    assert "/rechallenge/" not in email.body and "/unsubscribe/" not in email.body  # made at delivery, never stored
    body = delivered_body(email)
    assert "再挑 花子 様" in body
    assert "■ 送信者" in body and "株式会社テスト商事" in body
    assert operator_identity_block() in body  # who runs the relay, its licence and contact (特定電子メール法 4条)
    assert settings.OPERATOR_CONTACT_EMAIL in body and settings.OPERATOR_ADDRESS in body
    assert "バックエンドエンジニア" in body and "フルリモートの SRE" in body and "500〜800万円" in body
    assert "一時停止中の営業職" not in body
    assert "/rechallenge/" in body and "/unsubscribe/" in body
    assert "キャリアリレーからのお知らせメールをすべて停止する場合" in body
    assert body.rstrip().endswith("/me/consents/")


def test_the_unsubscribe_link_works_without_signing_in_and_stops_the_second_invitation(tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant)
    rechallenge_invitations_send(now=SIX_MONTHS_DUE)
    [email] = rechallenge_emails()
    body = delivered_body(email)
    stop_this_company = path_of(body, "/unsubscribe/")
    anonymous = Client()
    assert anonymous.get(stop_this_company).status_code == 200
    assert anonymous.post(stop_this_company).status_code == 200
    assert rechallenge_invitations_send(now=TWELVE_MONTHS_DUE) == 0
    assert invitations(candidate) == [1]
    page = anonymous.get(path_of(body, "/rechallenge/"))
    assert "再チャレンジのご案内は停止されています" in page.content.decode()


def test_the_stop_everything_link_is_a_global_unsubscribe(tenant: Tenant, outsider: Tenant) -> None:
    open_job(tenant)
    rejected_candidate(tenant)
    rechallenge_invitations_send(now=SIX_MONTHS_DUE)
    [email] = rechallenge_emails()
    links = re.findall(r"https?://\S+/unsubscribe/\S+/", delivered_body(email))
    assert len(links) == 2
    Client().post(urlsplit(links[1]).path)
    from mailings.models import Suppression

    assert Suppression.objects.get().company is None


# --- the re-challenge page ------------------------------------------------------------------------------------------


@pytest.fixture
def invited(tenant: Tenant) -> tuple[RechallengeInvitation, JobOrder, str]:
    job = open_job(tenant, title="バックエンドエンジニア")
    rejected_candidate(tenant, name="再挑 花子", email="hanako.rechallenge@example.jp", phone="090-8888-7777")
    rechallenge_invitations_send(now=SIX_MONTHS_DUE)
    invitation = RechallengeInvitation.objects.get()
    assert invitation.outbound_email is not None
    return invitation, job, path_of(delivered_body(invitation.outbound_email), "/rechallenge/")


def test_the_page_opens_without_signing_in_and_records_the_click(invited: Any) -> None:
    invitation, _job, path = invited
    response = Client().get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "株式会社テスト商事 から、再チャレンジのご案内です" in page and "再挑 花子 様" in page
    assert "バックエンドエンジニア" in page and "この求人に再応募する" in page
    invitation.refresh_from_db()
    assert invitation.clicked_at is not None
    assert invitation.outbound_email.clicked_at == invitation.clicked_at
    first_click = invitation.clicked_at
    Client().get(path)
    invitation.refresh_from_db()
    assert invitation.clicked_at == first_click


def test_re_applying_tells_what_the_company_receives_then_records_once_and_notifies_the_owners(
    invited: Any, tenant: Tenant, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    invitation, job, path = invited
    client = Client()
    confirm_url = f"{path}jobs/{job.pk}/"
    confirm = client.get(confirm_url).content.decode()
    assert "再応募すると、株式会社テスト商事 にあなたの次の情報をお伝えします。" in confirm
    assert "hanako.rechallenge@example.jp" in confirm and "090-8888-7777" in confirm
    assert not Reapplication.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url)
        client.post(confirm_url)
    assert response.status_code == 302
    reapplication = Reapplication.objects.get()
    assert (reapplication.candidate, reapplication.job_order, reapplication.invitation) == (
        invitation.candidate,
        job,
        invitation,
    )
    assert reapplication.provided_items == ["name", "furigana", "email", "phone"]
    entry = AuditEntry.objects.get(action="rechallenge.reapply")
    assert entry.company == tenant.company and entry.detail["provided_items"] == reapplication.provided_items
    # The one outbox also delivers the invitation queued earlier in this test; the owner gets exactly one notice.
    to_owner = [i for i, r in enumerate(smtp_server.handler.received) if r.envelope_to == [tenant.owner.email]]
    assert len(to_owner) == 1
    message = smtp_server.messages[to_owner[0]]
    assert str(message["Subject"]).strip() == (
        "【キャリアリレー】再チャレンジのご案内から「バックエンドエンジニア」に再応募がありました"
    )
    body = plain_body(message)
    assert "再挑 花子 様" in body and "http://testserver/rechallenge/company/" in body
    assert "hanako.rechallenge@example.jp" not in body  # contact details stay behind the sign-in
    done = client.get(confirm_url).content.decode()
    assert "再応募を受け付けました" in done
    assert "再応募済み" in client.get(path).content.decode()


def test_re_applying_to_a_closed_or_foreign_job_is_refused(invited: Any, tenant: Tenant, outsider: Tenant) -> None:
    _invitation, job, path = invited
    foreign = job_order_create(
        company=outsider.company,
        data={
            "title": "他社の求人",
            "job_category": "sales",
            "employment_type": "full_time",
            "prefecture": 13,
            "remote": "onsite",
            "salary_min": 300,
            "salary_max": 400,
            "required_skills": "営業",
            "preferred_skills": "",
            "description": "他社です。",
        },
        actor=outsider.owner,
    )
    client = Client()
    assert client.get(f"{path}jobs/{foreign.pk}/").status_code == 404
    assert client.post(f"{path}jobs/{foreign.pk}/").status_code == 404
    job_order_set_status(job_order=job, status="closed", actor=tenant.owner)
    response = client.post(f"{path}jobs/{job.pk}/", follow=True)
    assert "この求人の募集は終了しました。" in response.content.decode()
    assert not Reapplication.objects.exists()


def test_a_withdrawn_consent_closes_the_page(invited: Any) -> None:
    invitation, job, path = invited
    candidate_set_consents(candidate=invitation.candidate, wanted={Consent.Kind.RECHALLENGE: False})
    client = Client()
    page = client.get(path).content.decode()
    assert "再チャレンジのご案内は停止されています" in page and "この求人に再応募する" not in page
    client.post(f"{path}jobs/{job.pk}/")
    assert not Reapplication.objects.exists()
    invitation.refresh_from_db()
    assert invitation.clicked_at is None


def test_a_bad_or_expired_link_gets_a_friendly_page(invited: Any) -> None:
    invitation, job, _path = invited
    client = Client()
    forged = client.get("/rechallenge/not-a-real-token/")
    assert forged.status_code == 404 and "このリンクは使用できません" in forged.content.decode()
    other = signing.dumps({"i": invitation.pk}, salt="something.else")
    assert client.get(f"/rechallenge/{other}/").status_code == 404
    old = timezone.now() - timedelta(days=61)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.core.signing.time.time", lambda: old.timestamp())
        expired_token = rechallenge_token(invitation)
    expired = client.get(f"/rechallenge/{expired_token}/")
    assert expired.status_code == 410 and "有効期限が切れています" in expired.content.decode()
    assert client.post(f"/rechallenge/{expired_token}/jobs/{job.pk}/").status_code == 410
    fresh = signing.dumps({"i": invitation.pk}, salt=TOKEN_SALT)
    assert client.get(f"/rechallenge/{fresh}/").status_code == 200


# --- the company's screen -------------------------------------------------------------------------------------------


def test_the_company_sees_eligible_people_without_identity_until_they_re_apply(
    owner_client: Client, tenant: Tenant
) -> None:
    open_job(tenant)
    rejected_candidate(tenant, name="匿名 希望", email="anon@example.jp")
    unknown = rejected_candidate(tenant, with_applicant=False, name="秘密 太郎", email="secret@example.jp")
    referral = Referral.objects.get(candidate=unknown)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("rechallenge.views.company.jst_today", lambda: date(2026, 12, 1))
        page = owner_client.get("/rechallenge/company/").content.decode()
    assert "応募 太郎(営業職)" in page  # the company's own applicant row
    assert f"登録者 #{referral.pk}" in page
    for secret in ("匿名 希望", "anon@example.jp", "秘密 太郎", "secret@example.jp"):
        assert secret not in page


def test_a_manager_invites_by_hand_after_the_cool_down_and_it_counts_as_the_first(
    owner_client: Client, tenant: Tenant
) -> None:
    open_job(tenant)
    too_soon = rejected_candidate(tenant, rejected_at=timezone.now() - timedelta(days=150))
    response = owner_client.post(
        f"/rechallenge/company/invite/{Referral.objects.get(candidate=too_soon).pk}/", follow=True
    )
    assert "この方には、現在ご案内をお送りできません。" in response.content.decode()
    assert invitations(too_soon) == []

    candidate = rejected_candidate(tenant, rejected_at=timezone.now() - timedelta(days=200))
    url = f"/rechallenge/company/invite/{Referral.objects.get(candidate=candidate).pk}/"
    response = owner_client.post(url, follow=True)
    assert "再チャレンジのご案内(1回目)の送信手続きをしました。" in response.content.decode()
    response = owner_client.post(url, follow=True)
    assert "この方へのご案内はすでにお送りしています。" in response.content.decode()
    assert invitations(candidate) == [1]
    invitation = RechallengeInvitation.objects.get()
    assert invitation.trigger == "manual" and invitation.created_by == tenant.owner
    assert invitation.outbound_email is not None and invitation.outbound_email.send_after <= timezone.now()
    assert AuditEntry.objects.filter(action="rechallenge.invite", actor=tenant.owner).count() == 1
    # The daily run does not send a second first invitation, and sends the 12-month one later.
    assert rechallenge_invitations_send() == 0
    assert rechallenge_invitations_send(now=timezone.now() + timedelta(days=200)) == 2
    assert invitations(candidate) == [1, 2] and invitations(too_soon) == [1]


def test_a_manager_cannot_invite_without_an_open_job_order(owner_client: Client, tenant: Tenant) -> None:
    job = open_job(tenant)
    job_order_set_status(job_order=job, status="paused", actor=tenant.owner)
    candidate = rejected_candidate(tenant, rejected_at=timezone.now() - timedelta(days=200))
    page = owner_client.get("/rechallenge/company/").content.decode()
    assert "募集中の求人がないため、ご案内はお送りできません。" in page
    response = owner_client.post(
        f"/rechallenge/company/invite/{Referral.objects.get(candidate=candidate).pk}/", follow=True
    )
    assert "募集中の求人がないため、再チャレンジのご案内はお送りできません。" in response.content.decode()
    assert invitations(candidate) == []


def test_a_member_sees_the_screen_but_cannot_invite(client: Client, tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant, rejected_at=timezone.now() - timedelta(days=200))
    referral = Referral.objects.get(candidate=candidate)
    member = login(client, tenant.member)
    page = member.get("/rechallenge/company/")
    assert page.status_code == 200 and "ご案内を送る" not in page.content.decode()
    assert member.post(f"/rechallenge/company/invite/{referral.pk}/").status_code == 404
    assert invitations(candidate) == []


def test_an_outsider_gets_404_and_sees_nothing(outsider_client: Client, tenant: Tenant) -> None:
    open_job(tenant)
    candidate = rejected_candidate(tenant, rejected_at=timezone.now() - timedelta(days=200))
    referral = Referral.objects.get(candidate=candidate)
    assert outsider_client.post(f"/rechallenge/company/invite/{referral.pk}/").status_code == 404
    page = outsider_client.get("/rechallenge/company/").content.decode()
    assert "応募 太郎" not in page and f"#{referral.pk}" not in page
    assert invitations(candidate) == []


def test_the_company_sees_sent_invitations_clicks_and_re_applications_with_identity(
    invited: Any, owner_client: Client
) -> None:
    invitation, job, path = invited
    Client().post(f"{path}jobs/{job.pk}/")
    page = owner_client.get("/rechallenge/company/").content.decode()
    assert "1回目" in page and "再応募あり" in page
    assert "再挑 花子" in page and "hanako.rechallenge@example.jp" in page
    candidate_set_consents(candidate=invitation.candidate, wanted={Consent.Kind.RECHALLENGE: False})
    page = owner_client.get("/rechallenge/company/").content.decode()
    assert "現在ご案内できる方はいません。" in page
    assert "応募 太郎(営業職)" in page  # the invitation row still says who it was, as the company knows them


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client, tenant: Tenant) -> None:
    response = client.get("/rechallenge/company/")
    assert response.status_code == 302 and "/login" in response["Location"]


# --- the operator's contract terms ----------------------------------------------------------------------------------


def test_the_operator_sets_the_re_challenge_terms(operator_client: Client, tenant: Tenant) -> None:
    url = f"/ops/companies/{tenant.company.pk}/"
    page = operator_client.get(url).content.decode()
    assert "再チャレンジのご案内(1回目)までの月数" in page and 'value="6"' in page and 'value="12"' in page
    terms = {
        "action": "contract",
        "contract-referrals_per_credit": "10",
        "contract-credit_validity_months": "12",
        "contract-counting_rule": "verified",
        "contract-rechallenge_first_months": "3",
        "contract-rechallenge_second_months": "9",
    }
    assert operator_client.post(url, terms).status_code == 302
    contract = Contract.objects.get(company=tenant.company)
    assert (contract.rechallenge_first_months, contract.rechallenge_second_months) == (3, 9)
    entry = AuditEntry.objects.filter(action="contract.update").latest("id")
    assert entry.detail["after"]["rechallenge_first_months"] == 3
    bad = operator_client.post(url, {**terms, "contract-rechallenge_second_months": "2"}).content.decode()
    assert "2回目のご案内は、1回目より後の月数を指定してください。" in bad
    zero = operator_client.post(url, {**terms, "contract-rechallenge_first_months": "0"}).content.decode()
    assert "1 か月以上を指定してください。" in zero
    contract.refresh_from_db()
    assert (contract.rechallenge_first_months, contract.rechallenge_second_months) == (3, 9)


def test_terms_left_empty_keep_their_values(operator_client: Client, tenant: Tenant) -> None:
    Contract.objects.filter(company=tenant.company).update(rechallenge_first_months=4, rechallenge_second_months=10)
    url = f"/ops/companies/{tenant.company.pk}/"
    terms = {
        "action": "contract",
        "contract-referrals_per_credit": "10",
        "contract-credit_validity_months": "12",
        "contract-counting_rule": "verified",
    }
    assert operator_client.post(url, terms).status_code == 302
    contract = Contract.objects.get(company=tenant.company)
    assert (contract.rechallenge_first_months, contract.rechallenge_second_months) == (4, 10)


def test_company_users_cannot_reach_the_contract(owner_client: Client, tenant: Tenant) -> None:
    assert owner_client.get(f"/ops/companies/{tenant.company.pk}/").status_code == 404


# --- demo -----------------------------------------------------------------------------------------------------------


def test_the_demo_is_idempotent(tenant: Tenant) -> None:
    seed_rechallenge(company=tenant.company)
    seed_rechallenge(company=tenant.company)
    assert JobOrder.objects.filter(company=tenant.company, status="open").exists()
    assert RechallengeInvitation.objects.filter(company=tenant.company).count() >= 1
    assert Reapplication.objects.filter(company=tenant.company).count() == 1
    assert User.objects.filter(company=tenant.company).count() == 2
    assert rechallenge_candidates(company=tenant.company)


# --- at the same moment (PostgreSQL) ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_daily_runs_and_manual_sends_at_the_same_moment_invite_each_person_once(tenant: Tenant) -> None:
    from django.db import connection

    from tests.concurrency import run_at_once

    if connection.vendor != "postgresql":
        pytest.skip("row locks and unique indexes under concurrency are proven on PostgreSQL")
    open_job(tenant)
    rejected_at = timezone.now() - timedelta(days=200)
    people = [rejected_candidate(tenant, rejected_at=rejected_at) for _ in range(5)]
    referrals = [Referral.objects.get(candidate=c) for c in people]

    def manual(referral: Referral) -> None:
        from rechallenge.services import RechallengeNotAllowed, rechallenge_invite

        # The daily run may get there first; then there is nothing left to send by hand.
        with contextlib.suppress(RechallengeNotAllowed):
            rechallenge_invite(company=tenant.company, referral=referral, actor=tenant.owner)

    jobs: list[Callable[[], object]] = [rechallenge_invitations_send] * 4
    jobs += [functools.partial(manual, r) for r in referrals]
    assert run_at_once(jobs, workers=len(jobs)) == []
    for person in people:
        assert invitations(person) == [1]
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.RECHALLENGE).count() == 5
