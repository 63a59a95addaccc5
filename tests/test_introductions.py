"""Introductions (推薦): propose → the person accepts or declines on My Page → the company sees them and moves the
selection. The company never sees who someone is before they accept, and other companies never see anything."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEntry
from candidates.models import Candidate
from candidates.tokens import candidate_token_make
from demo.introductions import seed_introductions
from placements.models import CompanyExclusion, Introduction, IntroductionEvent, JobOrder, ProvisionRecord
from placements.services.introductions import (
    PROVIDED_ITEMS,
    TRANSITIONS,
    IntroductionNotAllowed,
    introduction_accept,
    introduction_decline,
    introduction_move,
    introduction_propose,
)
from placements.services.jobs import job_order_set_status
from tests.concurrency import run_at_once
from tests.conftest import Tenant, login
from tests.introductions_support import make_job, opt_in_rechallenge, person, withdraw_service_consent
from tests.smtp import SmtpServer, plain_body

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "推薦 花子", "suisen.hanako@example.jp", "090-3333-4444"


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


@pytest.fixture
def proposal(tenant: Tenant, outsider: Tenant, operator: Any) -> Introduction:
    """`outsider` is hiring; the person came through `tenant`'s relay; the operator proposed them."""
    job = make_job(outsider)
    hanako = person(tenant, name=NAME, email=EMAIL, phone=PHONE, skills="Python、SQL", career_summary="経歴の概要")
    return introduction_propose(
        job_order=job, candidate=hanako, recommendation="Python の経験が豊富です。", actor=operator
    )


def company_pages(introduction: Introduction) -> list[str]:
    return [
        "/company/jobs/introductions/",
        f"/company/jobs/introductions/{introduction.pk}/",
        f"/company/jobs/{introduction.job_order_id}/",
        "/company/jobs/",
        "/company/pool/",
        "/company/pool/requests/",
        "/company/",
        "/company/referrals/",
    ]


def test_proposing_emails_the_person_who_accepts_and_the_company_then_sees_them(
    proposal: Introduction,
    outsider: Tenant,
    operator: Any,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    company = login(Client(), outsider.owner)
    # Before the answer the company learns only that one proposal waits.
    listing = company.get("/company/jobs/introductions/").content.decode()
    assert "ご本人の承諾待ち 1件" in listing
    for url in company_pages(proposal):
        response = company.get(url)
        assert response.status_code in (200, 404), url
        page = response.content.decode()
        assert NAME not in page and EMAIL not in page and "3333" not in page and "経歴の概要" not in page, url
    assert company.get(f"/company/jobs/introductions/{proposal.pk}/").status_code == 404

    # The person is told by email (the proposal's mail was sent in the fixture, outside this capture).
    me = signed_in(hanako)
    with django_capture_on_commit_callbacks(execute=True):
        introduction_propose(
            job_order=make_job(outsider, title="データエンジニア"),
            candidate=hanako,
            recommendation="SQL に強い方です。",
            actor=operator,
        )
    # The one outbox also delivers the fixture's proposal mail now; this proposal is for データエンジニア.
    [message] = [m for m in smtp_server.messages if "データエンジニア" in plain_body(m)]
    assert message["To"] == EMAIL and "企業のご紹介のご案内" in str(message["Subject"])
    body = plain_body(message)
    assert "他社株式会社" in body and "データエンジニア" in body
    link = re.search(r"http://testserver(/me/auth/\S+)", body)
    assert link is not None and "next=%2Fme%2Fintroductions%2F" in link.group(1)

    detail = me.get(f"/me/introductions/{proposal.pk}/").content.decode()
    assert "バックエンドエンジニア" in detail and "他社株式会社" in detail
    assert "メールアドレス" in detail and "職務経歴の概要" in detail and "ご紹介を承諾する" in detail
    assert "Python の経験が豊富です。" not in detail  # the recommendation is written for the company

    refused = me.post(f"/me/introductions/{proposal.pk}/accept/", {})
    assert refused.status_code == 400 and "チェックを入れてください" in refused.content.decode()
    assert not ProvisionRecord.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = me.post(f"/me/introductions/{proposal.pk}/accept/", {"confirm": "on"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Introduction.Status.DOCUMENT and proposal.accepted_at is not None
    record = ProvisionRecord.objects.get()
    assert (record.candidate, record.company, record.introduction) == (hanako, outsider.company, proposal)
    assert record.items == list(PROVIDED_ITEMS) and record.purpose
    assert AuditEntry.objects.filter(action="introduction.accept", company=outsider.company).exists()
    notified = {m["To"] for m in smtp_server.messages if "承諾されました" in str(m["Subject"])}
    assert notified == {outsider.owner.email, outsider.member.email}

    page = company.get(f"/company/jobs/introductions/{proposal.pk}/").content.decode()
    assert NAME in page and EMAIL in page and "090-3333-4444" in page and "経歴の概要" in page
    assert "Python の経験が豊富です。" in page
    assert NAME in company.get("/company/jobs/introductions/").content.decode()


def test_declining_tells_the_company_nothing(proposal: Introduction, outsider: Tenant) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    me = signed_in(hanako)
    assert "お断りしますか" in me.get(f"/me/introductions/{proposal.pk}/decline/").content.decode()
    assert me.post(f"/me/introductions/{proposal.pk}/decline/").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Introduction.Status.DECLINED and proposal.accepted_at is None
    assert not ProvisionRecord.objects.exists()
    company = login(Client(), outsider.owner)
    listing = company.get("/company/jobs/introductions/").content.decode()
    assert NAME not in listing and "承諾待ち" not in listing
    assert company.get(f"/company/jobs/introductions/{proposal.pk}/").status_code == 404
    with pytest.raises(IntroductionNotAllowed):
        introduction_accept(introduction=proposal, candidate=hanako)


def test_proposals_are_refused_with_a_reason(tenant: Tenant, outsider: Tenant, operator: Any) -> None:
    job = make_job(outsider)
    hanako = person(tenant)
    introduction_propose(job_order=job, candidate=hanako, recommendation="推薦", actor=operator)
    with pytest.raises(IntroductionNotAllowed, match="すでにこの求人に推薦されています"):
        introduction_propose(job_order=job, candidate=hanako, recommendation="推薦", actor=operator)

    rejected_here = person(outsider)
    with pytest.raises(IntroductionNotAllowed, match="不採用となった方です"):
        introduction_propose(job_order=job, candidate=rejected_here, recommendation="推薦", actor=operator)
    opt_in_rechallenge(rejected_here, months_ago=7)
    assert introduction_propose(job_order=job, candidate=rejected_here, recommendation="推薦", actor=operator)

    competitor_job = make_job(outsider, title="別の求人")
    CompanyExclusion.objects.create(company=tenant.company, excluded=outsider.company)
    with pytest.raises(IntroductionNotAllowed, match="紹介先から除外している"):
        introduction_propose(job_order=competitor_job, candidate=person(tenant), recommendation="推薦", actor=operator)
    CompanyExclusion.objects.all().delete()

    withdrawn = person(tenant)
    withdraw_service_consent(withdrawn)
    with pytest.raises(IntroductionNotAllowed, match="同意していない"):
        introduction_propose(job_order=job, candidate=withdrawn, recommendation="推薦", actor=operator)

    job_order_set_status(job_order=job, status=JobOrder.Status.PAUSED, actor=operator)
    with pytest.raises(IntroductionNotAllowed, match="募集中ではない"):
        introduction_propose(job_order=job, candidate=person(tenant), recommendation="推薦", actor=operator)


def test_the_operator_proposes_from_the_screen_and_sees_the_refusal(
    tenant: Tenant, outsider: Tenant, operator_client: Client, outsider_client: Client
) -> None:
    job = make_job(outsider)
    hanako = person(tenant, name=NAME)
    url = f"/ops/introductions/new/?job={job.pk}&candidate={hanako.pk}"
    assert NAME in operator_client.get(url).content.decode()
    empty = operator_client.post("/ops/introductions/new/", {"job": job.pk, "candidate": hanako.pk})
    assert empty.status_code == 400 and "推薦コメントを入力してください" in empty.content.decode()
    response = operator_client.post(
        "/ops/introductions/new/", {"job": job.pk, "candidate": hanako.pk, "recommendation": "ぜひ"}
    )
    introduction = Introduction.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ops/introductions/{introduction.pk}/"
    assert IntroductionEvent.objects.get().status == Introduction.Status.PROPOSED
    assert AuditEntry.objects.filter(action="introduction.propose").exists()
    again = operator_client.post(
        "/ops/introductions/new/", {"job": job.pk, "candidate": hanako.pk, "recommendation": "ぜひ"}
    )
    assert again.status_code == 400 and "すでにこの求人に推薦されています" in again.content.decode()
    rejected_here = person(outsider)
    page = operator_client.get(f"/ops/introductions/new/?job={job.pk}&candidate={rejected_here.pk}").content.decode()
    assert "不採用となった方です" in page
    assert NAME in operator_client.get("/ops/introductions/").content.decode()
    for path in (url, "/ops/introductions/", f"/ops/introductions/{introduction.pk}/"):
        assert outsider_client.get(path).status_code == 404


def test_the_selection_moves_only_along_allowed_steps(proposal: Introduction, outsider: Tenant, operator: Any) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    with pytest.raises(IntroductionNotAllowed):  # nobody moves a selection before the person accepts
        introduction_move(introduction=proposal, status="interview", actor=operator)
    introduction_accept(introduction=proposal, candidate=hanako)
    with pytest.raises(IntroductionNotAllowed, match="「書類選考」の推薦を「入社」にすることはできません"):
        introduction_move(introduction=proposal, status="hired", actor=outsider.owner)
    with pytest.raises(IntroductionNotAllowed):
        introduction_move(introduction=proposal, status="declined", actor=outsider.owner)
    for status in ("interview", "offer", "hired"):
        proposal = introduction_move(introduction=proposal, status=status, actor=outsider.member, comment=status)
    assert proposal.status == Introduction.Status.HIRED
    with pytest.raises(IntroductionNotAllowed):  # 入社 ends the selection
        introduction_move(introduction=proposal, status="withdrawn", actor=outsider.owner)
    assert list(proposal.events.values_list("status", flat=True)) == [
        "proposed",
        "document",
        "interview",
        "offer",
        "hired",
    ]
    assert set(TRANSITIONS) == {"proposed", "document", "interview", "offer"}


def test_the_company_moves_the_selection_with_comments_and_both_sides_see_the_history(
    proposal: Introduction, outsider: Tenant, operator_client: Client
) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    introduction_accept(introduction=proposal, candidate=hanako)
    member = login(Client(), outsider.member)  # members run the selection too
    url = f"/company/jobs/introductions/{proposal.pk}/"
    bad = member.post(f"{url}move/", {"status": "hired"})
    assert bad.status_code == 400 and "選んだ選考状況には進められません" in bad.content.decode()
    assert member.post(f"{url}move/", {"status": "interview", "comment": "一次面接は 12/1 です"}).status_code == 302
    assert member.post(f"{url}comment/", {"comment": "面接の準備をお願いします"}).status_code == 302
    assert member.post(f"{url}comment/", {"comment": "  "}).status_code == 400
    assert operator_client.post(f"/ops/introductions/{proposal.pk}/move/", {"status": "offer"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Introduction.Status.OFFER
    for page in (member.get(url), operator_client.get(f"/ops/introductions/{proposal.pk}/")):
        text = page.content.decode()
        assert "一次面接は 12/1 です" in text and "面接の準備をお願いします" in text and "内定" in text
    # The person sees where the selection stands, not what the two sides wrote to each other.
    mine = signed_in(hanako).get(f"/me/introductions/{proposal.pk}/").content.decode()
    assert "内定" in mine and "一次面接は 12/1 です" not in mine
    assert AuditEntry.objects.filter(action="introduction.interview", company=outsider.company).exists()


def test_outsiders_get_404_on_every_introduction_page(
    proposal: Introduction, tenant: Tenant, outsider: Tenant, operator: Any
) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    introduction_accept(introduction=proposal, candidate=hanako)
    # `tenant` is the outsider here: the introduction belongs to `outsider`, who is hiring.
    stranger = login(Client(), tenant.owner)
    base = f"/company/jobs/introductions/{proposal.pk}/"
    assert stranger.get(base).status_code == 404
    assert stranger.post(f"{base}move/", {"status": "interview"}).status_code == 404
    assert stranger.post(f"{base}comment/", {"comment": "x"}).status_code == 404
    assert NAME not in stranger.get("/company/jobs/introductions/").content.decode()
    for path in (
        "/ops/introductions/",
        f"/ops/introductions/{proposal.pk}/",
        f"/ops/jobs/{proposal.job_order_id}/matches/",
    ):
        assert stranger.get(path).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == Introduction.Status.DOCUMENT


def test_a_candidate_cannot_see_or_answer_someone_elses_introduction(proposal: Introduction, tenant: Tenant) -> None:
    other = signed_in(person(tenant))
    for path in ("", "accept/", "decline/"):
        assert other.get(f"/me/introductions/{proposal.pk}/{path}").status_code in (404, 405)
    assert other.post(f"/me/introductions/{proposal.pk}/accept/", {"confirm": "on"}).status_code == 404
    assert other.post(f"/me/introductions/{proposal.pk}/decline/").status_code == 404
    assert "バックエンドエンジニア" not in other.get("/me/introductions/").content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Introduction.Status.PROPOSED
    assert Client().get("/me/introductions/").status_code == 302  # signed out → sign-in page


def test_my_page_shows_waiting_introductions(proposal: Introduction) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    page = signed_in(hanako).get("/me/").content.decode()
    assert "ご回答をお待ちしているご紹介が 1 件あります。" in page


def test_accepting_after_withdrawing_consent_or_after_the_job_closed_is_refused(
    proposal: Introduction, operator: Any
) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    withdraw_service_consent(hanako)
    with pytest.raises(IntroductionNotAllowed, match="同意の設定"):
        introduction_accept(introduction=proposal, candidate=hanako)
    from candidates.services import candidate_set_consents

    candidate_set_consents(candidate=hanako, wanted={"service": True})
    job_order_set_status(job_order=proposal.job_order, status="closed", actor=operator)
    with pytest.raises(IntroductionNotAllowed, match="募集は終了"):
        introduction_accept(introduction=proposal, candidate=hanako)
    assert not ProvisionRecord.objects.exists()


def test_a_deleted_person_leaves_the_history_without_their_data(proposal: Introduction, outsider: Tenant) -> None:
    from candidates.services import candidate_delete

    hanako = proposal.candidate
    assert hanako is not None
    introduction_accept(introduction=proposal, candidate=hanako)
    candidate_delete(candidate=hanako)
    page = login(Client(), outsider.owner).get(f"/company/jobs/introductions/{proposal.pk}/").content.decode()
    assert "退会された方" in page and NAME not in page
    assert ProvisionRecord.objects.get().candidate is None


def test_the_operator_can_withdraw_an_unanswered_proposal(proposal: Introduction, operator_client: Client) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    assert operator_client.post(f"/ops/introductions/{proposal.pk}/cancel/").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Introduction.Status.CANCELLED
    assert signed_in(hanako).get(f"/me/introductions/{proposal.pk}/").status_code == 404
    with pytest.raises(IntroductionNotAllowed):
        introduction_decline(introduction=proposal, candidate=hanako)


def test_the_demo_seeds_proposals_and_an_accepted_introduction(tenant: Tenant, outsider: Tenant, operator: Any) -> None:
    make_job(outsider)
    people = [person(tenant) for _ in range(3)]
    seeded = seed_introductions(operator=operator, company=outsider.company, candidates=people)
    assert len(seeded) == 3
    again = seed_introductions(operator=operator, company=outsider.company, candidates=people)
    assert {i.pk for i in again} == {i.pk for i in seeded}
    statuses = sorted(Introduction.objects.values_list("status", flat=True))
    assert statuses == ["document", "interview", "proposed"]


def test_an_exclusion_added_after_the_proposal_stops_the_disclosure(
    proposal: Introduction, tenant: Tenant, outsider: Tenant
) -> None:
    hanako = proposal.candidate
    assert hanako is not None
    CompanyExclusion.objects.create(company=tenant.company, excluded=outsider.company)
    with pytest.raises(IntroductionNotAllowed, match="現在お受けいただけません"):
        introduction_accept(introduction=proposal, candidate=hanako)
    assert not ProvisionRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_simultaneous_answers_and_proposals_take_effect_once(tenant: Tenant, outsider: Tenant, operator: Any) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks and unique indexes under concurrency are proven on PostgreSQL")
    job = make_job(outsider)
    hanako = person(tenant)
    errors = run_at_once(
        [lambda: introduction_propose(job_order=job, candidate=hanako, recommendation="推薦", actor=operator)] * 4,
        workers=4,
    )
    assert len(errors) == 3 and all(isinstance(error, IntroductionNotAllowed) for error in errors)
    introduction = Introduction.objects.get()
    errors = run_at_once([lambda: introduction_accept(introduction=introduction, candidate=hanako)] * 4, workers=4)
    assert len(errors) == 3 and all(isinstance(error, IntroductionNotAllowed) for error in errors)
    assert ProvisionRecord.objects.count() == 1
    errors = run_at_once(
        [lambda: introduction_move(introduction=introduction, status="interview", actor=outsider.member)] * 4, workers=4
    )
    assert len(errors) == 3
    assert introduction.events.filter(status="interview").count() == 1
