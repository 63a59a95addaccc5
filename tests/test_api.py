"""The REST API v1: API keys, personal relay links, posting rejected applicants, email statuses, the summary,
and the JSON error shape everywhere."""

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant
from applicants.services import applicant_record
from companies.services import relay_link_create, relay_link_set_active
from insights.selectors.funnel import company_figures
from integrations.models import ApiKey
from integrations.services import api_key_create, api_key_revoke
from mailings.models import OutboundEmail, RejectionTemplate
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import rejection_email_queue
from tests.conftest import Tenant, register_verified
from tests.hooks_support import rejection_rule


def key_for(tenant: Tenant) -> str:
    return api_key_create(company=tenant.company, name="社内システム", actor=tenant.owner).raw_key


def call(client: Client, method: str, path: str, key: str | None, body: Any = None, **headers: str) -> Any:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    return client.post(path, data=data, content_type="application/json", headers=headers)


def applicant(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": "HR-0001",
        "name": "伊藤 さくら",
        "email": "sakura@example.jp",
        "position": "経理",
        "stage": "document",
        "track": "mid_career",
        "rejected_at": "2031-11-21T18:00:00+09:00",
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
    assert body["registrations"] == figures.total.registrations == 2
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
