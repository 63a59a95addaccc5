"""The REST API v1: API keys, personal relay links, posting rejected applicants (reason, consent, stage and track
mapping), reading, correcting and cancelling one applicant's mail, the changes feed, email statuses, the summary,
OpenAPI, and the JSON error shape everywhere (400, 401, 404, 405, 409, 413, 422, 429)."""

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import User
from applicants.models import Applicant, AtsMapping, RejectionReason
from applicants.services import applicant_close, applicant_link_exported, applicant_record
from applicants.vocabulary import match_key
from audit.models import AuditEntry
from companies.services import relay_link_create, relay_link_set_active
from insights.selectors.funnel import company_figures
from integrations.models import ApiKey
from integrations.services import api_key_create, api_key_revoke
from lib.jatext import nfkc
from mailings.models import OutboundEmail, RejectionTemplate
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import rejection_email_queue
from tests.conftest import Tenant, make_tenant, register_verified
from tests.hooks_support import rejection_rule


def key_for(tenant: Tenant) -> str:
    return api_key_create(company=tenant.company, name="社内システム", actor=tenant.owner).raw_key


def call(client: Client, method: str, path: str, key: str | None, body: Any = None, **headers: str) -> Any:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    send = getattr(client, method)
    return send(path, data=data, content_type="application/json", headers=headers)


def recently(days: int = 1) -> str:
    """A rejection date the automatic path accepts (mail fails closed for dates over 90 days old or in the future)."""
    return (timezone.now() - timedelta(days=days)).replace(microsecond=0).isoformat()


def applicant(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": "HR-0001",
        "name": "伊藤 さくら",
        "email": "sakura@example.jp",
        "position": "経理",
        "stage": "document",
        "track": "mid_career",
        "rejected_at": recently(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def api_key(tenant: Tenant) -> str:
    return key_for(tenant)


# Keys -----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_stores_only_the_hash_of_an_api_key(tenant: Tenant) -> None:
    created = api_key_create(company=tenant.company, name="社内システム", actor=tenant.owner)

    stored = ApiKey.objects.get()
    assert created.raw_key.startswith("cr_live_") and len(created.raw_key) > 40
    assert stored.key_hash == hashlib.sha256(created.raw_key.encode()).hexdigest()
    assert created.raw_key.startswith(stored.prefix)
    assert all(created.raw_key not in str(value) for value in ApiKey.objects.values().get().values())


@pytest.mark.django_db
def test_it_records_when_a_key_was_last_used(client: Client, api_key: str) -> None:
    assert ApiKey.objects.get().last_used_at is None

    call(client, "get", "/api/v1/summary", api_key)

    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "Bearer cr_live_not-a-real-key", "Bearer ", "Basic abc"])
def test_it_refuses_missing_or_wrong_keys_with_invalid_api_key(client: Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/api/v1/summary", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert response.json()["message"]


@pytest.mark.django_db
def test_it_refuses_a_revoked_key(client: Client, tenant: Tenant, api_key: str) -> None:
    assert call(client, "get", "/api/v1/summary", api_key).status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(), actor=tenant.owner)

    response = call(client, "get", "/api/v1/summary", api_key)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


# Relay links ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_a_signed_personal_relay_link(client: Client, tenant: Tenant, api_key: str) -> None:
    response = call(client, "post", "/api/v1/relay-links", api_key, {"applicant_ref": "ＨＲ－１２３"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["link_code"] == tenant.link.code
    [link] = body["links"]
    assert link["applicant_ref"] == "HR-123"
    token = link["url"].split("?ref=", 1)[1]
    assert link["url"].startswith(tenant.link.public_url)
    assert tenant.link.read_applicant_ref(token) == "HR-123"


@pytest.mark.django_db
def test_it_creates_links_in_a_batch_for_a_chosen_link(client: Client, tenant: Tenant, api_key: str) -> None:
    campaign = relay_link_create(company=tenant.company, label="2032新卒", actor=tenant.owner)

    response = call(
        client, "post", "/api/v1/relay-links", api_key, {"applicant_refs": ["a-1", "a-2"], "link_code": campaign.code}
    )

    assert response.status_code == 200
    assert [item["applicant_ref"] for item in response.json()["links"]] == ["a-1", "a-2"]
    assert all(item["url"].startswith(campaign.public_url) for item in response.json()["links"])


@pytest.mark.django_db
def test_it_will_not_sign_links_of_another_company(
    client: Client, tenant: Tenant, outsider: Tenant, api_key: str
) -> None:
    response = call(
        client, "post", "/api/v1/relay-links", api_key, {"applicant_ref": "x", "link_code": outsider.link.code}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_it_refuses_links_for_a_paused_relay_link(client: Client, tenant: Tenant, api_key: str) -> None:
    relay_link_set_active(link=tenant.link, active=False, actor=tenant.owner)

    response = call(
        client, "post", "/api/v1/relay-links", api_key, {"applicant_ref": "x", "link_code": tenant.link.code}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "link_inactive"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{}, {"applicant_ref": "a", "applicant_refs": ["b"]}, {"applicant_ref": ""}, {"applicant_refs": []}]
)
def test_it_answers_bad_link_requests_with_validation_error(client: Client, api_key: str, body: Any) -> None:
    response = call(client, "post", "/api/v1/relay-links", api_key, body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"]


# Applicants -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_records_a_rejected_applicant_and_schedules_by_rule(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)

    response = call(client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant()]})

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    stored = Applicant.objects.get(company=tenant.company)
    assert (stored.source, stored.external_system, stored.external_id) == ("api", "company", "HR-0001")
    assert result == {
        "id": "HR-0001",
        "applicant_ref": stored.ref,
        "created": True,
        "personal_url": result["personal_url"],
        "email": result["email"],
        "mail_scheduled": True,
        "mail_refusal": None,
        "reason": {"id": stored.reason_id, "name": "不採用", "code": "rejected", "sends_mail": True},
        "hold": None,
    }
    assert tenant.link.read_applicant_ref(result["personal_url"].split("?ref=")[1]) == stored.ref
    assert result["email"]["status"] == "queued"
    assert OutboundEmail.objects.get().applicant == stored


@pytest.mark.django_db
def test_it_is_idempotent_by_applicant_id(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    call(client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant()]})

    again = call(client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant(name="別の名前")]})

    [result] = again.json()["results"]
    assert result["created"] is False
    assert Applicant.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    assert result["email"]["id"] == OutboundEmail.objects.get().pk


@pytest.mark.django_db
def test_it_sends_a_chosen_template_at_a_chosen_time(client: Client, tenant: Tenant, api_key: str) -> None:
    rule = rejection_rule(tenant.company)
    send_at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    schedule = {"mode": "template", "template_id": rule.template_id, "send_at": send_at.isoformat()}

    response = call(
        client,
        "post",
        "/api/v1/applicants",
        api_key,
        {
            "applicants": [applicant(id="a-1", email="a1@example.jp"), applicant(id="a-2", email="a2@example.jp")],
            "schedule": schedule,
        },
    )

    assert response.status_code == 200
    assert [r["created"] for r in response.json()["results"]] == [True, True]
    assert sorted(OutboundEmail.objects.values_list("send_after", flat=True)) == [send_at, send_at]


@pytest.mark.django_db
def test_it_can_record_without_sending(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)

    response = call(
        client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant()], "schedule": {"mode": "none"}}
    )

    assert response.json()["results"][0]["email"] is None
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_it_will_not_use_another_companys_template(
    client: Client, tenant: Tenant, outsider: Tenant, api_key: str
) -> None:
    theirs = rejection_rule(outsider.company)
    schedule = {"mode": "template", "template_id": theirs.template_id}

    response = call(client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant()], "schedule": schedule})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Applicant.objects.exists()


@pytest.mark.django_db
def test_it_names_every_invalid_field_in_japanese(client: Client, api_key: str) -> None:
    body = {"applicants": [applicant(), applicant(id="", email="nope", stage="社長面接", interview_date="11/12")]}

    response = call(client, "post", "/api/v1/applicants", api_key, body)

    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "validation_error"
    errors = {e["field"]: e["message"] for e in data["errors"]}
    assert errors["applicants.1.email"] == "メールアドレスの形式が正しくありません。"
    assert errors["applicants.1.id"] == "空にはできません。"
    assert "first_interview" in errors["applicants.1.stage"]
    assert "YYYY-MM-DD" in errors["applicants.1.interview_date"]
    assert "applicants.0.email" not in errors
    assert not Applicant.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"{broken", b'{"applicants": [}'])
def test_it_answers_unparseable_json_with_bad_request(client: Client, api_key: str, body: bytes) -> None:
    response = call(client, "post", "/api/v1/applicants", api_key, body)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.django_db
def test_it_answers_a_template_mode_without_template_with_validation_error(client: Client, api_key: str) -> None:
    body = {"applicants": [applicant()], "schedule": {"mode": "template"}}

    response = call(client, "post", "/api/v1/applicants", api_key, body)

    assert response.status_code == 422
    assert "template_id" in response.json()["message"]


# Emails ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_email_statuses_filtered_and_paginated(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    people = [applicant(id=f"p-{n}", email=f"p{n}@example.jp") for n in range(3)]
    call(client, "post", "/api/v1/applicants", api_key, {"applicants": people})
    sent = OutboundEmail.objects.get(applicant__external_id="p-1")
    OutboundEmail.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now(), clicked_at=timezone.now())

    everything = call(client, "get", "/api/v1/emails", api_key, {"page_size": 2})
    second_page = call(client, "get", "/api/v1/emails", api_key, {"page_size": 2, "page": 2})
    by_ref = call(client, "get", "/api/v1/emails", api_key, {"applicant_ref": "p-1"})
    clicked = call(client, "get", "/api/v1/emails", api_key, {"status": "clicked"})
    queued = call(client, "get", "/api/v1/emails", api_key, {"status": "queued"})

    assert everything.json()["count"] == 3 and len(everything.json()["results"]) == 2
    assert len(second_page.json()["results"]) == 1
    [only] = by_ref.json()["results"]
    assert (only["applicant_id"], only["status"], only["tracking"]) == ("p-1", "sent", "clicked")
    assert [e["id"] for e in clicked.json()["results"]] == [sent.pk]
    assert queued.json()["count"] == 2


@pytest.mark.django_db
def test_it_never_shows_another_companys_emails(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    rejection_rule(outsider.company)
    call(client, "post", "/api/v1/applicants", key_for(outsider), {"applicants": [applicant()]})

    response = call(client, "get", "/api/v1/emails", key_for(tenant), {"applicant_ref": "HR-0001"})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "page": 1, "page_size": 50, "results": []}


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"status": "delivered"}, {"page": "0"}, {"page_size": "1000"}])
def test_it_answers_bad_email_filters_with_validation_error(
    client: Client, api_key: str, query: dict[str, str]
) -> None:
    response = call(client, "get", "/api/v1/emails", api_key, query)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] in ("status", "page", "page_size")


# Summary --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reports_the_same_figures_as_the_dashboard(
    client: Client, tenant: Tenant, outsider: Tenant, api_key: str
) -> None:
    for _ in range(2):
        register_verified(tenant.link)
    register_verified(outsider.link)
    figures = company_figures(tenant.company)

    response = call(client, "get", "/api/v1/summary", api_key)

    assert response.status_code == 200
    body = response.json()
    # Registrations as the dashboard shows them: to yesterday and none below 5 (today's 2: 「5件未満」).
    assert figures.total.registrations == 2
    assert body["registrations"] is None and body["registrations_shown"] == figures.disclosed.registrations_shown
    assert body["registrations_shown"] == "5件未満" and body["registration_rate"] is None
    # The counted total is the credit progress: exact and live, as on the dashboard.
    assert body["counted_referrals"] == figures.total.counted == 2
    assert body["clicks"] == figures.total.clicks
    assert body["remaining_to_next_credit"] == 8
    assert body["credits"] == {
        "earned": 0,
        "reversed": 0,
        "used": 0,
        "expired": 0,
        "reserved": 0,
        "balance": 0,
        "available": 0,
    }
    assert body["sent"] == 0


@pytest.mark.django_db
def test_the_summary_shows_a_credit_reserved_on_a_job_order_and_the_emails_sent(
    client: Client, tenant: Tenant, api_key: str
) -> None:
    from placements.services.credit_use import credit_reserve
    from tests.introductions_support import make_job

    for n in range(10):
        register_verified(tenant.link, email=f"counted{n}@example.jp")
    credit_reserve(job_order=make_job(tenant), actor=tenant.owner)
    recorded = applicant_record(company=tenant.company, source="api", name="伊藤 さくら", email="sakura@example.jp")
    version = RejectionTemplate.objects.filter(company=tenant.company)[0].current_version
    assert version is not None
    rejection_email_queue(applicant=recorded.applicant, version=version)
    outbox_dispatch()

    body = call(client, "get", "/api/v1/summary", api_key).json()

    assert body["credits"]["earned"] == 1
    assert (body["credits"]["reserved"], body["credits"]["balance"], body["credits"]["available"]) == (1, 0, 0)
    assert body["sent"] == 1 == company_figures(tenant.company).total.sent


# Docs and errors ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_serves_openapi_docs_without_a_key(client: Client) -> None:
    docs = client.get("/api/docs")
    schema = client.get("/api/openapi.json")

    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/relay-links", "/api/v1/applicants", "/api/v1/emails", "/api/v1/summary"} <= set(paths)
    assert schema.json()["components"]["securitySchemes"]


@pytest.mark.django_db
def test_it_answers_unknown_api_paths_in_json(client: Client, api_key: str) -> None:
    response = call(client, "get", "/api/v2/anything", api_key)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_it_speaks_english_when_asked(client: Client) -> None:
    response = client.get("/api/v1/summary", headers={"Accept-Language": "en"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert "API key" in response.json()["message"]


# Outcome: reasons, consent, stages and tracks (issue 10, DESIGN.md §3 rule 13) ----------------------------------


def post_one(client: Client, key: str, **overrides: Any) -> dict[str, Any]:
    response = call(client, "post", "/api/v1/applicants", key, {"applicants": [applicant(**overrides)]})
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()["results"][0]
    return result


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["不採用", "rejected", "見送り", "ＮＧ"])
def test_a_reason_that_means_rejection_is_mailed(client: Client, tenant: Tenant, api_key: str, reason: str) -> None:
    rejection_rule(tenant.company)

    result = post_one(client, api_key, reason=reason)

    assert result["mail_scheduled"] is True and result["mail_refusal"] is None
    assert result["reason"]["code"] == "rejected"
    assert Applicant.objects.get().reason_text == nfkc(reason)
    assert OutboundEmail.objects.get().status == "queued"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason", "code"),
    [("応募者辞退", "withdrawn"), ("withdrawn", "withdrawn"), ("入社決定", "hired"), ("hired", "hired")],
)
def test_a_withdrawal_or_hire_is_recorded_and_never_mailed(
    client: Client, tenant: Tenant, api_key: str, reason: str, code: str
) -> None:
    rejection_rule(tenant.company)

    result = post_one(client, api_key, reason=reason)

    assert result["created"] is True and result["mail_scheduled"] is False and result["email"] is None
    assert result["reason"]["code"] == code and result["reason"]["sends_mail"] is False
    assert "対象外" in result["mail_refusal"]
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_an_unknown_reason_is_held_for_review_and_never_mailed(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)

    result = post_one(client, api_key, reason="ポジションクローズ")

    stored = Applicant.objects.get()
    assert (stored.hold, stored.reason_id, stored.reason_text) == ("unknown_reason", None, "ポジションクローズ")
    assert result["hold"] == "unknown_reason" and result["reason"] is None
    assert result["mail_scheduled"] is False and "ポジションクローズ" in result["mail_refusal"]
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_the_companys_own_mapping_reads_the_ats_words(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    withdrawn = RejectionReason.objects.get(company=tenant.company, code="withdrawn")
    AtsMapping.objects.create(
        company=tenant.company,
        kind="reason",
        label="They rejected us",
        match=match_key("They rejected us"),
        reason=withdrawn,
    )

    result = post_one(client, api_key, reason="they rejected  us")

    assert result["reason"]["id"] == withdrawn.pk and result["mail_scheduled"] is False


@pytest.mark.django_db
def test_can_email_false_is_recorded_and_never_mailed(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)

    result = post_one(client, api_key, can_email=False)

    assert Applicant.objects.get().can_email is False
    assert result["mail_scheduled"] is False and "can_email" in result["mail_refusal"]
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_a_chosen_template_still_honours_reason_and_consent(client: Client, tenant: Tenant, api_key: str) -> None:
    rule = rejection_rule(tenant.company)
    schedule = {"mode": "template", "template_id": rule.template_id}
    people = [
        applicant(id="a-1", email="a1@example.jp", reason="辞退"),
        applicant(id="a-2", email="a2@example.jp", can_email=False),
        applicant(id="a-3", email="a3@example.jp"),
    ]

    response = call(client, "post", "/api/v1/applicants", api_key, {"applicants": people, "schedule": schedule})

    assert [r["mail_scheduled"] for r in response.json()["results"]] == [False, False, True]
    assert list(OutboundEmail.objects.values_list("applicant__external_id", flat=True)) == ["a-3"]


@pytest.mark.django_db
def test_a_company_that_has_not_signed_its_mail_gets_the_reason_in_the_answer(client: Client, operator: User) -> None:
    newcomer = make_tenant(operator, "初日株式会社", "day-one", mail_ready=False)
    rejection_rule(newcomer.company)

    result = post_one(client, key_for(newcomer))

    assert result["created"] is True and result["mail_scheduled"] is False
    assert "メール送信設定" in result["mail_refusal"]
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_an_old_rejection_date_is_held_for_confirmation(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)

    result = post_one(client, api_key, rejected_at=recently(days=120))

    assert result["mail_scheduled"] is False and result["hold"] == "date_out_of_range"
    assert "90日" in result["mail_refusal"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "stored"),
    [
        ("二次面接", "second_interview"),
        ("second_interview", "second_interview"),
        ("カジュアル面談", "casual_interview"),
        ("適性検査", "aptitude_test"),
        ("三次以降・役員面接", "later_interview"),
        ("グループディスカッション", "group_discussion"),
        ("final_interview", "final_interview"),
    ],
)
def test_every_stage_is_accepted_by_value_or_label(client: Client, api_key: str, stage: str, stored: str) -> None:
    post_one(client, api_key, stage=stage)

    assert Applicant.objects.get().stage == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("job", "track"),
    [
        ({"job_name": "2028年卒 総合職"}, "new_graduate"),
        ({"job_name": "法人営業 (中途)"}, "mid_career"),
        ({"job_id": "JOB-77"}, "new_graduate"),
        ({"job_id": "JOB-77", "track": "mid_career"}, "mid_career"),
        ({}, "mid_career"),
    ],
)
def test_the_track_is_read_from_the_job_unless_given(
    client: Client, tenant: Tenant, api_key: str, job: dict[str, str], track: str
) -> None:
    AtsMapping.objects.create(
        company=tenant.company, kind="track", label="JOB-77", match="job-77", track="new_graduate"
    )
    body = applicant(**job)
    del body["track"]
    if "track" in job:
        body["track"] = job["track"]

    call(client, "post", "/api/v1/applicants", api_key, {"applicants": [body]})

    assert Applicant.objects.get().track == track


@pytest.mark.django_db
def test_the_job_name_is_the_position_when_none_is_given(client: Client, api_key: str) -> None:
    post_one(client, api_key, position="", job_name="バックエンドエンジニア")

    assert Applicant.objects.get().position == "バックエンドエンジニア"


@pytest.mark.django_db
def test_posting_again_with_can_email_false_cancels_the_queued_mail(
    client: Client, tenant: Tenant, api_key: str
) -> None:
    rejection_rule(tenant.company)
    first = post_one(client, api_key)

    again = post_one(client, api_key, can_email=False)

    assert first["mail_scheduled"] is True
    assert again["created"] is False and again["mail_scheduled"] is False
    assert OutboundEmail.objects.get().status == "cancelled"
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_posting_the_same_applicant_again_changes_nothing(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key, reason="不採用")
    before = Applicant.objects.values().get()

    again = post_one(client, api_key, reason="不採用", name="別の名前")

    assert again["created"] is False and again["mail_scheduled"] is True
    assert Applicant.objects.values().get() == before
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("can_email", "maybe"), ("reason", "x" * 201), ("job_id", "y" * 101), ("stage", "社長室")],
)
def test_bad_outcome_fields_are_named(client: Client, api_key: str, field: str, value: str) -> None:
    response = call(client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant(**{field: value})]})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [f"applicants.0.{field}"]
    assert not Applicant.objects.exists()


# Reading one applicant ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reads_one_applicant_by_ref_or_by_the_senders_id(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    posted = post_one(client, api_key, id="ATS-9", stage="二次面接")
    stored = Applicant.objects.get()
    stored.ref = "cr-own-ref"
    stored.save()

    by_ref = call(client, "get", "/api/v1/applicants/cr-own-ref", api_key)
    by_id = call(client, "get", "/api/v1/applicants/ＡＴＳ－９", api_key)

    assert posted["created"] is True
    assert by_ref.status_code == 200, by_ref.content
    assert by_ref.json() == by_id.json()
    body = by_ref.json()
    assert (body["id"], body["applicant_ref"], body["stage"], body["stage_label"]) == (
        "ATS-9",
        "cr-own-ref",
        "second_interview",
        "二次面接",
    )
    assert body["reason"]["code"] == "rejected" and body["hold"] is None and body["can_email"] is True
    assert body["mail"]["status"] == "queued" and body["mail"]["may_send"] is True
    assert body["mail"]["email"]["to_email"] == "sakura@example.jp"


@pytest.mark.django_db
def test_reading_an_applicant_never_tells_whether_they_registered(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)
    now = timezone.now()
    OutboundEmail.objects.update(status="sent", sent_at=now, clicked_at=now, registered_at=now)

    response = call(client, "get", "/api/v1/applicants/HR-0001", api_key)

    assert response.json()["mail"]["status"] == "sent"
    assert "regist" not in response.content.decode() and "click" not in response.content.decode()


@pytest.mark.django_db
def test_a_held_applicant_shows_why(client: Client, tenant: Tenant, api_key: str) -> None:
    post_one(client, api_key, reason="ポジションクローズ")

    body = call(client, "get", "/api/v1/applicants/HR-0001", api_key).json()

    assert (body["hold"], body["reason"], body["reason_text"]) == ("unknown_reason", None, "ポジションクローズ")
    assert body["mail"] == {"status": "none", "may_send": False, "refusal": body["mail"]["refusal"], "email": None}
    assert "ポジションクローズ" in body["mail"]["refusal"]


@pytest.mark.django_db
def test_an_exported_personal_link_shows_on_the_applicant(client: Client, tenant: Tenant, api_key: str) -> None:
    post_one(client, api_key)
    applicant_link_exported(applicants=list(Applicant.objects.all()))

    body = call(client, "get", "/api/v1/applicants/HR-0001", api_key).json()

    assert body["link_exported_at"] is not None and body["mail"]["status"] == "none"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/applicants/HR-0001", None),
        ("patch", "/api/v1/applicants/HR-0001", {"name": "他社が変える"}),
        ("post", "/api/v1/applicants/HR-0001/cancel-mail", {}),
    ],
)
def test_another_companys_applicant_is_not_found(
    client: Client, tenant: Tenant, outsider: Tenant, method: str, path: str, body: Any
) -> None:
    rejection_rule(tenant.company)
    post_one(client, key_for(tenant))

    response = call(client, method, path, key_for(outsider), body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Applicant.objects.get().name == "伊藤 さくら"
    assert OutboundEmail.objects.get().status == "queued"


@pytest.mark.django_db
def test_an_unknown_applicant_is_not_found_in_json(client: Client, api_key: str) -> None:
    response = call(client, "get", "/api/v1/applicants/nobody", api_key)

    assert response.status_code == 404 and response.json()["code"] == "not_found"


# Correcting an applicant --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_corrected_address_takes_effect_on_the_unsent_mail(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)

    response = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"email": " Sakura.Ito@Example.JP "})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == ["email"] and body["mail_readdressed"] == 1
    assert body["applicant"]["email"] == "sakura.ito@example.jp"
    assert OutboundEmail.objects.get().to_email == "sakura.ito@example.jp"
    assert Applicant.objects.get().email_normalized == "sakura.ito@example.jp"


@pytest.mark.django_db
def test_a_corrected_address_after_sending_says_the_mail_went_to_the_old_one(
    client: Client, tenant: Tenant, api_key: str
) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)
    OutboundEmail.objects.update(status="sent", sent_at=timezone.now())

    body = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"email": "new@example.jp"}).json()

    assert body["mail_readdressed"] == 0
    assert OutboundEmail.objects.get().to_email == "sakura@example.jp"
    assert any("以前のアドレス" in note for note in body["notes"])


@pytest.mark.django_db
def test_can_email_false_cancels_the_queued_mail(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)

    body = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"can_email": False}).json()

    assert body["changed"] == ["can_email"] and body["mail_cancelled"] == 1
    assert body["applicant"]["mail"]["status"] == "cancelled" and body["applicant"]["mail"]["may_send"] is False
    assert OutboundEmail.objects.get().status == "cancelled"


@pytest.mark.django_db
def test_a_reason_that_does_not_send_cancels_the_queued_mail(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)

    body = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"reason": "入社決定"}).json()

    assert body["changed"] == ["reason"] and body["mail_cancelled"] == 1
    assert body["applicant"]["reason"]["code"] == "hired"
    assert OutboundEmail.objects.get().status == "cancelled"


@pytest.mark.django_db
def test_a_known_reason_releases_an_unknown_reason_hold_without_mailing(
    client: Client, tenant: Tenant, api_key: str
) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key, reason="ポジションクローズ")

    body = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"reason": "不採用"}).json()

    assert body["applicant"]["hold"] is None and body["applicant"]["mail"]["may_send"] is True
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_it_corrects_name_position_stage_and_track(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)
    patch = {"name": "伊藤　咲良", "position": "経理 (シニア)", "stage": "最終面接", "track": "new_graduate"}

    body = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, patch).json()

    stored = Applicant.objects.get()
    assert (stored.name, stored.position, stored.stage, stored.track) == (
        "伊藤 咲良",
        "経理 (シニア)",
        "final_interview",
        "new_graduate",
    )
    assert set(body["changed"]) == {"name", "position", "stage", "track"}
    assert any("本文は作成時のまま" in note for note in body["notes"])


@pytest.mark.django_db
def test_the_same_correction_twice_changes_nothing_the_second_time(client: Client, api_key: str) -> None:
    post_one(client, api_key)
    call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"name": "伊藤 咲良"})

    body = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"name": "伊藤 咲良"}).json()

    assert body["changed"] == [] and body["notes"] == ["変更はありませんでした。"]


@pytest.mark.django_db
def test_bad_corrections_are_named_field_by_field(client: Client, api_key: str) -> None:
    post_one(client, api_key)
    patch = {"email": "nope", "stage": "社長室", "name": None, "track": "", "colour": "blue", "can_email": "perhaps"}

    response = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, patch)

    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["email"] == "メールアドレスの形式が正しくありません。"
    assert "second_interview" in errors["stage"]
    assert "null" in errors["name"]
    assert errors["track"] == "空にはできません。"
    assert errors["colour"] == "この項目は受け付けていません。"
    assert "true" in errors["can_email"]
    assert Applicant.objects.get().email == "sakura@example.jp"


@pytest.mark.django_db
def test_an_empty_correction_is_refused_clearly(client: Client, api_key: str) -> None:
    post_one(client, api_key)

    response = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {})

    assert response.status_code == 422 and "1 つ以上" in response.json()["message"]


@pytest.mark.django_db
def test_bad_corrections_are_told_in_english_when_asked(client: Client, api_key: str) -> None:
    post_one(client, api_key)

    response = call(
        client, "patch", "/api/v1/applicants/HR-0001", api_key, {"email": "nope"}, **{"Accept-Language": "en"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"


@pytest.mark.django_db
def test_an_erased_applicant_cannot_be_corrected(client: Client, api_key: str) -> None:
    post_one(client, api_key)
    applicant_close(applicant=Applicant.objects.get(), why="candidate_anonymized", erase=True)

    response = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"email": "back@example.jp"})
    read = call(client, "get", "/api/v1/applicants/HR-0001", api_key).json()

    assert response.status_code == 409 and response.json()["code"] == "applicant_erased"
    assert read["erased"] is True and read["email"] == "" and read["mail"]["may_send"] is False


@pytest.mark.django_db
def test_an_address_and_position_another_applicant_has_is_a_conflict(
    client: Client, tenant: Tenant, api_key: str
) -> None:
    for email in ("one@example.jp", "two@example.jp"):
        applicant_record(company=tenant.company, source="manual", name="手入力", email=email, position="経理")
    second = Applicant.objects.get(email="two@example.jp")

    response = call(client, "patch", f"/api/v1/applicants/{second.ref}", api_key, {"email": "one@example.jp"})

    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert Applicant.objects.get(pk=second.pk).email == "two@example.jp"


@pytest.mark.django_db
def test_a_correction_is_audited_under_the_api_key(client: Client, api_key: str) -> None:
    post_one(client, api_key)

    call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"name": "伊藤 咲良"})

    entry = AuditEntry.objects.get(action="applicant.update_by_api")
    assert entry.detail["fields"] == ["name"] and ApiKey.objects.get().prefix in entry.actor_label


# Cancelling a queued mail -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_cancels_a_queued_rejection_mail_once(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    post_one(client, api_key)

    first = call(client, "post", "/api/v1/applicants/HR-0001/cancel-mail", api_key, {})
    again = call(client, "post", "/api/v1/applicants/HR-0001/cancel-mail", api_key, {})

    assert first.status_code == 200 and first.json()["cancelled"] == 1
    assert first.json()["mail"]["status"] == "cancelled"
    assert again.status_code == 200 and again.json()["cancelled"] == 0
    assert OutboundEmail.objects.get().status == "cancelled"


@pytest.mark.django_db
def test_it_cancels_a_mail_by_its_id(client: Client, tenant: Tenant, api_key: str) -> None:
    rejection_rule(tenant.company)
    email_id = post_one(client, api_key)["email"]["id"]

    response = call(client, "post", f"/api/v1/emails/{email_id}/cancel", api_key, {})

    assert response.status_code == 200 and response.json()["cancelled"] == 1
    assert OutboundEmail.objects.get().status == "cancelled"


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "code"), [("sending", "mail_sending"), ("sent", "mail_sent")])
def test_a_mail_already_sending_or_sent_cannot_be_cancelled(
    client: Client, tenant: Tenant, api_key: str, status: str, code: str
) -> None:
    rejection_rule(tenant.company)
    email_id = post_one(client, api_key)["email"]["id"]
    OutboundEmail.objects.update(status=status)

    by_id = call(client, "post", f"/api/v1/emails/{email_id}/cancel", api_key, {})
    by_ref = call(client, "post", "/api/v1/applicants/HR-0001/cancel-mail", api_key, {})

    for response in (by_id, by_ref):
        assert response.status_code == 409
        assert response.json()["code"] == code and response.json()["message"]
    assert OutboundEmail.objects.get().status == status


@pytest.mark.django_db
def test_another_companys_mail_cannot_be_cancelled(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    rejection_rule(tenant.company)
    email_id = post_one(client, key_for(tenant))["email"]["id"]

    response = call(client, "post", f"/api/v1/emails/{email_id}/cancel", key_for(outsider), {})

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert OutboundEmail.objects.get().status == "queued"


@pytest.mark.django_db
def test_only_rejection_mail_can_be_cancelled_through_the_api(client: Client, tenant: Tenant, api_key: str) -> None:
    other = OutboundEmail.objects.create(
        company=tenant.company,
        kind="rechallenge",
        idempotency_key="rechallenge:1",
        to_email="hr@example.jp",
        subject="再チャレンジのご案内",
        send_after=timezone.now(),
    )

    response = call(client, "post", f"/api/v1/emails/{other.pk}/cancel", api_key, {})

    assert response.status_code == 409 and response.json()["code"] == "not_cancellable"


# Changes since a cursor ---------------------------------------------------------------------------------------


def changes(client: Client, key: str, **query: Any) -> Any:
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        return call(client, "get", "/api/v1/changes", key, query)


@pytest.mark.django_db
def test_it_lists_changes_page_by_page_in_a_stable_order(client: Client, tenant: Tenant, api_key: str) -> None:
    people = [applicant(id=f"c-{n}", email=f"c{n}@example.jp") for n in range(5)]
    call(client, "post", "/api/v1/applicants", api_key, {"applicants": people, "schedule": {"mode": "none"}})

    first = changes(client, api_key, limit=2).json()
    second = changes(client, api_key, limit=2, cursor=first["next_cursor"]).json()
    third = changes(client, api_key, limit=2, cursor=second["next_cursor"]).json()
    after = changes(client, api_key, limit=2, cursor=third["next_cursor"]).json()

    ids = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert ids == [f"c-{n}" for n in range(5)]
    assert [first["has_more"], second["has_more"], third["has_more"]] == [True, True, False]
    assert after == {"results": [], "next_cursor": third["next_cursor"], "has_more": False}


@pytest.mark.django_db
def test_a_change_after_the_cursor_is_listed_again(client: Client, tenant: Tenant, api_key: str) -> None:
    people = [applicant(id=f"c-{n}", email=f"c{n}@example.jp") for n in range(3)]
    call(client, "post", "/api/v1/applicants", api_key, {"applicants": people, "schedule": {"mode": "none"}})
    cursor = changes(client, api_key).json()["next_cursor"]

    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        call(client, "patch", "/api/v1/applicants/c-0", api_key, {"can_email": False})
    later = changes(client, api_key, cursor=cursor).json()

    assert [(row["id"], row["can_email"]) for row in later["results"]] == [("c-0", False)]


@pytest.mark.django_db
def test_a_change_appears_only_once_it_has_settled(client: Client, tenant: Tenant, api_key: str) -> None:
    post_one(client, api_key)

    right_away = call(client, "get", "/api/v1/changes", api_key).json()

    assert right_away == {"results": [], "next_cursor": None, "has_more": False}
    assert [row["id"] for row in changes(client, api_key).json()["results"]] == ["HR-0001"]


@pytest.mark.django_db
def test_changes_never_list_another_companys_applicants(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    post_one(client, key_for(outsider))

    assert changes(client, key_for(tenant)).json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["not-a-cursor", "!!!", base64.urlsafe_b64encode(b"2026-01-01|x").decode()])
def test_a_cursor_the_api_did_not_give_is_a_validation_error(client: Client, api_key: str, cursor: str) -> None:
    response = changes(client, api_key, cursor=cursor)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error" and response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_a_bad_page_size_is_a_validation_error(client: Client, api_key: str, limit: str) -> None:
    response = call(client, "get", "/api/v1/changes", api_key, {"limit": limit})

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "limit"


# Every error in JSON ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/applicants", "POST"),
        ("delete", "/api/v1/summary", "GET"),
        ("post", "/api/v1/changes", "GET"),
        ("delete", "/api/v1/applicants/HR-0001", "GET, PATCH"),
    ],
)
def test_a_method_a_path_does_not_take_is_answered_in_json(
    client: Client, api_key: str, method: str, path: str, allowed: str
) -> None:
    response = call(client, method, path, api_key, {})

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "method_not_allowed" and method.upper() in response.json()["message"]
    assert sorted(response["Allow"].split(", ")) == sorted(allowed.split(", "))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/", "/api/v2/anything", "/api/v1/applicants/HR-0001/extra", "/api/v1/nothing", "/api/v1/applicants/"]
)
@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_every_unknown_api_path_is_answered_in_json(client: Client, api_key: str, path: str, method: str) -> None:
    response = call(client, method, path, api_key, {})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/applicants/x"), ("patch", "/api/v1/applicants/x"), ("get", "/api/v1/changes")],
)
def test_new_endpoints_need_a_key(client: Client, method: str, path: str) -> None:
    response = call(client, method, path, None, {"name": "x"})

    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"[]", b"null", b"123", b'"text"', b'{"applicants": "all"}', b'{"applicants": [null]}', "不正".encode("cp932")],
)
def test_odd_bodies_are_clear_errors_never_500(client: Client, api_key: str, body: bytes) -> None:
    for path, method in (("/api/v1/applicants", "post"), ("/api/v1/applicants/HR-0001", "patch")):
        response = call(client, method, path, api_key, body)

        assert response.status_code in (400, 404, 422), (path, body, response.content)
        assert response.json()["code"] in ("bad_request", "validation_error", "not_found")


@pytest.fixture
def tight_rate_limit(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.API_RATE_LIMIT = "2/m"
    monkeypatch.setattr("lib.ratelimit.now_seconds", lambda: 1_800_000_030.0)  # mid-minute: no reset mid-test


@pytest.mark.django_db
@pytest.mark.usefixtures("tight_rate_limit")
def test_too_many_requests_are_answered_in_json_with_retry_after(client: Client, tenant: Tenant, api_key: str) -> None:
    answers = [call(client, "get", "/api/v1/summary", api_key) for _ in range(3)]
    other_key = call(client, "get", "/api/v1/summary", key_for(tenant))

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited" and answers[2]["Retry-After"] == "30"
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["1", "0", "0"]
    assert {answer["X-RateLimit-Limit"] for answer in answers} == {"2"}
    assert {answer["X-RateLimit-Reset"] for answer in answers} == {"1800000060"}
    assert other_key.status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("tight_rate_limit")
def test_errors_carry_the_rate_limit_headers_too_and_an_unknown_key_is_not_counted(
    client: Client, api_key: str
) -> None:
    missing = call(client, "get", "/api/v1/applicants/NO-SUCH-REF", api_key)
    unknown_key = call(client, "get", "/api/v1/summary", "not-a-key")

    assert missing.status_code == 404 and missing["X-RateLimit-Remaining"] == "1"
    assert unknown_key.status_code == 401 and "X-RateLimit-Limit" not in unknown_key


@pytest.mark.django_db
def test_the_default_limit_stops_a_sequential_client_at_the_601st_request_of_a_minute(
    client: Client, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lib.ratelimit.now_seconds", lambda: 1_800_000_000.0)
    codes = [call(client, "get", "/api/v1/summary", api_key).status_code for _ in range(602)]

    assert codes.count(200) == 600 and codes[600:] == [429, 429]


# OpenAPI ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(SITE_URL="https://relay.example.jp")
def test_the_openapi_schema_names_the_server_and_every_endpoint(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()

    assert schema["servers"][0]["url"] == "https://relay.example.jp"
    paths = schema["paths"]
    assert set(paths["/api/v1/applicants/{ref}"]) == {"get", "patch"}
    for path in ("/api/v1/applicants/{ref}/cancel-mail", "/api/v1/emails/{email_id}/cancel"):
        assert "409" in paths[path]["post"]["responses"]
    assert "get" in paths["/api/v1/changes"]
    for operation in (op for item in paths.values() for op in item.values()):
        assert operation["summary"] and operation.get("description")
        assert {"401", "422"} <= set(operation["responses"]) or not operation.get("security")


@pytest.mark.django_db
def test_the_openapi_schema_shows_the_enums(client: Client) -> None:
    components = client.get("/api/openapi.json").json()["components"]["schemas"]
    text = json.dumps(components, ensure_ascii=False)

    def enum_of(schema: dict[str, Any]) -> list[str]:
        if "$ref" in schema:
            return enum_of(components[schema["$ref"].rsplit("/", 1)[1]])
        for option in schema.get("anyOf", []):
            if option.get("type") != "null":
                return enum_of(option)
        return list(schema.get("enum", []))

    detail = components["ApplicantDetailOut"]["properties"]
    assert enum_of(detail["stage"]) == list(Applicant.Stage.values)
    assert enum_of(detail["track"]) == list(Applicant.Track.values)
    assert enum_of(detail["hold"]) == [value for value in Applicant.Hold.values if value]
    assert enum_of(components["MailStateOut"]["properties"]["status"])[0] == "none"
    assert enum_of(components["ApplicantMailOut"]["properties"]["status"]) == list(OutboundEmail.Status.values)
    assert enum_of(components["ReasonOut"]["properties"]["code"]) == list(RejectionReason.Code.values)
    posted = components["RejectedApplicantIn"]["properties"]
    assert posted["stage"]["enum"] == list(Applicant.Stage.values) and "二次面接" in posted["stage"]["description"]
    assert {"reason", "can_email", "job_id", "job_name"} <= set(posted)
    assert "second_interview" in text


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_413_in_json(client: Client, api_key: str) -> None:
    huge = {"applicants": [applicant(name="名" * 1_000_000)]}

    response = call(client, "post", "/api/v1/applicants", api_key, huge)

    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


@pytest.mark.django_db
def test_control_characters_are_refused_before_they_reach_the_database(client: Client, api_key: str) -> None:
    posted = call(client, "post", "/api/v1/applicants", api_key, {"applicants": [applicant(id="a\x00", name="b\x01")]})
    post_one(client, api_key)
    patched = call(client, "patch", "/api/v1/applicants/HR-0001", api_key, {"name": "伊藤\x00"})
    read = call(client, "get", "/api/v1/applicants/HR%00", api_key)

    assert posted.status_code == 422
    assert {e["field"] for e in posted.json()["errors"]} == {"applicants.0.id", "applicants.0.name"}
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "name"
    assert read.status_code == 404 and Applicant.objects.get().name == "伊藤 さくら"


@pytest.mark.django_db
@pytest.mark.parametrize("email_id", ["abc", "0", "99999999999999999999999"])
def test_a_bad_email_id_is_a_validation_error(client: Client, api_key: str, email_id: str) -> None:
    response = call(client, "post", f"/api/v1/emails/{email_id}/cancel", api_key, {})

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "email_id"
