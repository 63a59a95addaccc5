"""ATS webhooks: Greenhouse reject_candidate, Lever candidateArchiveChange and the generic applicant.rejected event,
fed with valid, replayed, forged, unsigned and malformed deliveries.

Payloads are shaped as the vendors document them:
- Greenhouse: https://developers.greenhouse.io/webhooks.html#candidate-prospect-rejected (and the rejection
  reason types of https://developers.greenhouse.io/harvest.html#rejection-reasons).
- Lever: https://hire.lever.co/developer/documentation#webhooks (signature over token + triggeredAt) and
  #archive-reasons / #retrieve-a-single-opportunity for the API the integration reads.
Dates are relative to now: a rejection more than 90 days old or in the future is held, not mailed.
"""

import copy
import hashlib
import hmac
import json
import logging
import time as clock
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant, AtsMapping, RejectionReason
from applicants.services import applicant_record
from applicants.vocabulary import match_key
from integrations.models import Integration, WebhookEvent
from integrations.services import integration_create, integration_lever_update, integration_set_enabled
from integrations.webhooks import MAX_BODY_BYTES
from lib.business_days import add_business_days
from mailings.models import OutboundEmail
from tests.conftest import Tenant
from tests.hooks_support import FakeLever, fake_lever, rejection_rule

__all__ = ["fake_lever"]

JST = ZoneInfo("Asia/Tokyo")
OPPORTUNITY_ID = "250d8f03-738a-4bba-a671-8a3d73477145"
ARCHIVE_REASON_ID = "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"
LEVER_DELIVERY_TOKEN = "5d1a2bc1e0a6c"  # Lever's per-delivery `token`, signed with triggeredAt


def third_business_day_10am(moment: datetime) -> datetime:
    """When a 3-business-days-at-10:00 rule sends a rejection made at `moment` (weekends and holidays skipped)."""
    day = add_business_days(timezone.localtime(moment, JST).date(), 3)
    return datetime.combine(day, time(10, 0), tzinfo=JST)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# A rejection two hours ago: well inside the 90 days an automatic rejection mail may follow.
RECENTLY = timezone.now().replace(microsecond=0) - timedelta(hours=2)
REJECTED_AT = iso(RECENTLY)
THIRD_BUSINESS_DAY_10AM = third_business_day_10am(RECENTLY)


def make_integration(tenant: Tenant, kind: str, **extra: Any) -> tuple[Integration, str]:
    if kind == Integration.Kind.LEVER:
        extra.setdefault("signature_token", "lever-signature-token-123")
    created = integration_create(company=tenant.company, kind=kind, name=f"{kind} 本番", actor=tenant.owner, **extra)
    return created.integration, created.secret


def post(client: Client, integration: Integration, body: bytes, **headers: str) -> Any:
    return client.post(integration.endpoint_path, data=body, content_type="application/json", headers=headers)


def signed(secret: str, body: bytes) -> str:
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def greenhouse_payload(
    application_id: int = 265293, *, reason: Any = "default", rejected_at: str = "", **candidate: Any
) -> dict[str, Any]:
    """The documented Greenhouse reject_candidate shape (trimmed of fields the integration never reads):
    https://developers.greenhouse.io/webhooks.html#candidate-prospect-rejected. A rejection reason's type is one of
    "We rejected them", "They rejected us", "None specified" (https://developers.greenhouse.io/harvest.html#rejection-reasons)."""
    if reason == "default":
        reason = {"id": 14, "name": "Too Junior", "type": {"id": 1, "name": "We rejected them"}}
    person = {
        "id": 265788,
        "first_name": "花子",
        "last_name": "山田",
        "title": None,
        "company": None,
        "external_id": None,
        "is_private": False,
        "can_email": True,
        "phone_numbers": [{"value": "090-1234-5678", "type": "mobile"}],
        "email_addresses": [{"value": "ＨＡＮＡＫＯ@Example.jp", "type": "personal"}],
        "tags": ["Imported"],
    }
    person.update(candidate)
    return {
        "action": "reject_candidate",
        "payload": {
            "application": {
                "id": application_id,
                "rejected_at": rejected_at or REJECTED_AT,
                "prospect": False,
                "status": "rejected",
                "applied_at": iso(RECENTLY - timedelta(days=30)),
                "last_activity_at": rejected_at or REJECTED_AT,
                "url": f"https://app.greenhouse.io/people/265788?application_id={application_id}",
                "source": {"id": 27, "public_name": "LinkedIn"},
                "credited_to": None,
                "rejection_reason": reason,
                "rejection_details": {"custom_fields": {}},
                "current_stage": {"id": 2708728, "name": "一次面接", "interviews": []},
                "custom_fields": {},
                "candidate": person,
                "jobs": [{"id": 371417, "name": "Web エンジニア", "requisition_id": None, "status": "open"}],
            }
        },
    }


def lever_payload(
    secret: str,
    *,
    event: str = "candidateArchiveChange",
    to_archived: Any = "default",
    token: str = LEVER_DELIVERY_TOKEN,
    triggered_at: int | None = None,
    opportunity_id: str = OPPORTUNITY_ID,
) -> dict[str, Any]:
    """The documented Lever webhook body (https://hire.lever.co/developer/documentation#webhooks): the signature
    is HMAC-SHA256(signature token, token + triggeredAt); triggeredAt is milliseconds since the epoch, now."""
    triggered_at = int(clock.time() * 1000) if triggered_at is None else triggered_at
    if to_archived == "default":
        to_archived = {"archivedAt": triggered_at - 1000, "reason": ARCHIVE_REASON_ID}
    return {
        "id": f"evt-{token}",
        "triggeredAt": triggered_at,
        "event": event,
        "signature": hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest(),
        "token": token,
        "data": {
            "opportunityId": opportunity_id,
            "candidateId": opportunity_id,
            "contactId": "f3d24e3b-6a3b-4a9b-8e5d-2f4e0c1b3a71",
            "fromArchived": None,
            "toArchived": to_archived,
        },
    }


def generic_payload(event_id: str = "evt-1", **applicant: Any) -> dict[str, Any]:
    person = {
        "id": "A-1024",
        "name": "佐藤 一郎",
        "name_kana": "ｻﾄｳ ｲﾁﾛｳ",
        "email": "ichiro@example.jp",
        "position": "営業職",
        "stage": "一次面接",
        "track": "new_graduate",
        "interview_date": (RECENTLY - timedelta(days=7)).date().isoformat(),
        "rejected_at": REJECTED_AT,
    }
    person.update(applicant)
    return {"event_id": event_id, "event": "applicant.rejected", "applicant": person}


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def assert_one_email_to(tenant: Tenant, applicant: Applicant) -> OutboundEmail:
    [email] = OutboundEmail.objects.filter(company=tenant.company)
    assert email.applicant == applicant
    assert email.to_email == applicant.email
    token = email.body.split("?ref=", 1)[1].split()[0]
    assert tenant.link.read_applicant_ref(token) == applicant.ref
    return email


# Greenhouse ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_schedules_exactly_one_email_for_a_greenhouse_rejection(client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())

    response = post(client, integration, body, Signature=signed(secret, body), **{"Greenhouse-Event-ID": "d-1"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    assert response.json()["email_scheduled"] is True
    applicant = Applicant.objects.get(company=tenant.company)
    assert (applicant.source, applicant.external_system, applicant.external_id) == (
        "greenhouse",
        "greenhouse",
        "265293",
    )
    assert (applicant.name, applicant.email, applicant.position) == ("山田 花子", "hanako@example.jp", "Web エンジニア")
    assert applicant.stage == Applicant.Stage.FIRST_INTERVIEW
    email = assert_one_email_to(tenant, applicant)
    assert email.send_after == THIRD_BUSINESS_DAY_10AM
    [log] = WebhookEvent.objects.all()
    assert (log.status, log.applicant, log.email, log.event_id) == ("processed", applicant, email, "d-1")


@pytest.mark.django_db
def test_it_gives_a_replayed_greenhouse_event_no_second_effect(client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())
    post(client, integration, body, Signature=signed(secret, body), **{"Greenhouse-Event-ID": "d-1"})

    # Greenhouse retrying with a new delivery id is still the same rejection.
    again = post(client, integration, body, Signature=signed(secret, body), **{"Greenhouse-Event-ID": "d-2"})

    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert Applicant.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["duplicate", "processed"]


@pytest.mark.django_db
def test_it_refuses_and_logs_a_forged_greenhouse_signature(
    client: Client, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    rejection_rule(tenant.company)
    integration, _secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())

    with caplog.at_level(logging.WARNING, logger="integrations.webhooks"):
        response = post(client, integration, body, Signature=signed("a-guessed-secret", body))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert not Applicant.objects.exists() and not OutboundEmail.objects.exists()
    [log] = WebhookEvent.objects.all()
    assert (log.status, log.http_status) == ("bad_signature", 401)
    assert "webhook refused" in caplog.text


@pytest.mark.django_db
def test_it_refuses_a_greenhouse_body_changed_after_signing(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())
    tampered = body.replace("山田".encode(), "田中".encode())
    assert tampered != body

    response = post(client, integration, tampered, Signature=signed(secret, body))

    assert response.status_code == 401
    assert not Applicant.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_unsigned_greenhouse_delivery(client: Client, tenant: Tenant) -> None:
    integration, _secret = make_integration(tenant, Integration.Kind.GREENHOUSE)

    response = post(client, integration, dumps(greenhouse_payload()))

    assert response.status_code == 401
    assert response.json()["code"] == "missing_signature"
    assert WebhookEvent.objects.get().status == "bad_signature"


@pytest.mark.django_db
def test_it_answers_malformed_greenhouse_json_with_400_and_a_reason(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = b'{"action": "reject_candidate", "payload": '

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "JSON" in response.json()["message"]
    assert WebhookEvent.objects.get().status == "bad_request"


@pytest.mark.django_db
def test_it_names_the_missing_field_of_a_wrongly_shaped_greenhouse_event(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    data = greenhouse_payload()
    del data["payload"]["application"]["candidate"]
    body = dumps(data)

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 400
    assert {"field": "payload.application.candidate", "message": "必須の項目です。"} in response.json()["errors"]
    log = WebhookEvent.objects.get()
    assert "application.candidate" in log.reason
    assert not Applicant.objects.exists()


@pytest.mark.django_db
def test_it_reports_a_greenhouse_candidate_without_an_email_address(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload(email_addresses=[]))

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 400
    assert "メールアドレス" in response.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"action": "ping", "payload": {"web_hook_id": 1}},
        {"action": "candidate_stage_change", "payload": {}},
        {"action": "update_candidate", "payload": {}},
    ],
)
def test_it_acknowledges_and_ignores_greenhouse_actions_that_do_not_change_a_selection_outcome(
    client: Client, tenant: Tenant, data: dict[str, Any]
) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(data)

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not Applicant.objects.exists() and not OutboundEmail.objects.exists()
    assert WebhookEvent.objects.get().event_type == data["action"]


@pytest.mark.django_db
def test_it_ignores_a_rejected_greenhouse_prospect(client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    data = greenhouse_payload()
    data["payload"]["application"]["prospect"] = True
    body = dumps(data)

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.json()["status"] == "ignored"
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_it_records_the_applicant_but_schedules_nothing_without_a_rule(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 200
    assert response.json()["email_scheduled"] is False
    assert Applicant.objects.count() == 1
    assert not OutboundEmail.objects.exists()
    assert "自動送信ルール" in WebhookEvent.objects.get().reason


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Integration.Kind.GREENHOUSE, Integration.Kind.LEVER, Integration.Kind.GENERIC])
def test_it_answers_410_while_the_integration_is_disabled(
    client: Client, tenant: Tenant, kind: Integration.Kind
) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, kind)
    integration_set_enabled(integration=integration, enabled=False, actor=tenant.owner)
    data = {
        Integration.Kind.GREENHOUSE: greenhouse_payload(),
        Integration.Kind.LEVER: lever_payload(secret),
        Integration.Kind.GENERIC: generic_payload(),
    }[kind]
    body = dumps(data)

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 410
    assert response.json()["code"] == "integration_disabled"
    assert not Applicant.objects.exists() and not OutboundEmail.objects.exists()
    assert WebhookEvent.objects.get().status == "disabled"


@pytest.mark.django_db
def test_it_does_not_let_one_company_post_into_another_companys_endpoint(
    client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    rejection_rule(tenant.company)
    rejection_rule(outsider.company)
    _ours, our_secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    theirs, _their_secret = make_integration(outsider, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())

    response = post(client, theirs, body, Signature=signed(our_secret, body))

    assert response.status_code == 401
    assert not Applicant.objects.exists()
    assert WebhookEvent.objects.get().company == outsider.company


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_token_or_a_token_of_another_kind(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    body = dumps(greenhouse_payload())

    unknown = client.post("/hooks/greenhouse/not-a-real-token/", data=body, content_type="application/json")
    wrong_kind = client.post(
        f"/hooks/lever/{integration.token}/", data=body, content_type="application/json", Signature=signed(secret, body)
    )

    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert wrong_kind.status_code == 404
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_it_refuses_bodies_over_the_size_cap_and_other_methods(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'

    too_big = post(client, integration, body, Signature=signed(secret, body))
    get = client.get(integration.endpoint_path)

    assert too_big.status_code == 413
    assert get.status_code == 405
    assert not Applicant.objects.exists()


# Lever ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_schedules_one_email_for_a_lever_archive_of_a_known_applicant(
    client: Client, tenant: Tenant, fake_lever: FakeLever
) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER, lever_api_key="lever-key")
    fake_lever.archive_reasons[ARCHIVE_REASON_ID] = {"id": ARCHIVE_REASON_ID, "text": "不採用", "type": "non-hired"}
    known = applicant_record(
        company=tenant.company,
        source=Applicant.Source.CSV,
        external_system="lever",
        external_id=OPPORTUNITY_ID,
        name="鈴木 次郎",
        email="jiro@example.jp",
        position="データアナリスト",
    ).applicant
    body = dumps(lever_payload(secret))

    first = post(client, integration, body)
    replay = post(client, integration, body)

    assert first.status_code == 200 and first.json()["status"] == "processed", first.content
    assert replay.json()["status"] == "duplicate"
    known.refresh_from_db()
    assert known.rejected_at is not None
    assert (known.reason_text, known.person_id) == ("不採用", "f3d24e3b-6a3b-4a9b-8e5d-2f4e0c1b3a71")
    email = assert_one_email_to(tenant, known)
    assert email.send_after == third_business_day_10am(timezone.now())
    assert Applicant.objects.count() == 1
    assert [path.split("?")[0] for path, _auth in fake_lever.requests] == [f"/v1/archive_reasons/{ARCHIVE_REASON_ID}"]


@pytest.mark.django_db
def test_it_reads_an_unknown_lever_applicant_from_the_lever_api(
    client: Client, tenant: Tenant, fake_lever: FakeLever
) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER, lever_api_key="lever-key")
    fake_lever.opportunities[OPPORTUNITY_ID] = {
        "id": OPPORTUNITY_ID,
        "name": "高橋 美咲",
        "contact": "f3d24e3b-6a3b-4a9b-8e5d-2f4e0c1b3a71",
        "emails": ["misaki@example.jp"],
        "stage": {"id": "stage-2", "text": "二次面接"},
        "applications": [{"id": "app-1", "posting": "posting-1"}],
    }
    fake_lever.postings["posting-1"] = {"id": "posting-1", "text": "カスタマーサクセス (2028年卒)"}
    fake_lever.archive_reasons[ARCHIVE_REASON_ID] = {"id": ARCHIVE_REASON_ID, "text": "スキル不足", "type": "non-hired"}
    # The company said what its Lever archive reason means (the mapping screen).
    AtsMapping.objects.create(
        company=tenant.company,
        kind=AtsMapping.Kind.REASON,
        label="スキル不足",
        match=match_key("スキル不足"),
        reason=RejectionReason.objects.get(company=tenant.company, code="rejected"),
    )
    body = dumps(lever_payload(secret))

    response = post(client, integration, body)

    assert response.status_code == 200 and response.json()["status"] == "processed", response.content
    applicant = Applicant.objects.get(company=tenant.company)
    assert (applicant.name, applicant.email, applicant.position) == (
        "高橋 美咲",
        "misaki@example.jp",
        "カスタマーサクセス (2028年卒)",
    )
    assert (applicant.source, applicant.external_system) == ("lever", "lever")
    assert (applicant.stage, applicant.track) == (Applicant.Stage.SECOND_INTERVIEW, Applicant.Track.NEW_GRADUATE)
    assert (applicant.reason.code if applicant.reason else None, applicant.reason_text) == ("rejected", "スキル不足")
    assert applicant.person_id == "f3d24e3b-6a3b-4a9b-8e5d-2f4e0c1b3a71"
    assert_one_email_to(tenant, applicant)
    assert fake_lever.api_key_of() == "lever-key"
    assert any(path.startswith("/v1/opportunities/250d8f03") for path, _auth in fake_lever.requests)


@pytest.mark.django_db
def test_it_holds_a_lever_archive_without_an_api_key_and_says_what_to_do(client: Client, tenant: Tenant) -> None:
    """Without Lever's API the archive reason (hired, withdrew, rejected) is unknown: never mailed blind."""
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.status_code == 200
    assert response.json()["status"] == "held"
    log = WebhookEvent.objects.get()
    assert log.get_status_display() == "確認待ち (メールは送っていません)"
    assert log.external_id == OPPORTUNITY_ID
    assert "Lever API キー" in log.reason and "再処理" in log.reason
    assert log.can_retry and log.retry_data is not None and log.retry_data["archive_reason"] == ARCHIVE_REASON_ID
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_it_logs_why_the_lever_api_could_not_help(client: Client, tenant: Tenant, fake_lever: FakeLever) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER, lever_api_key="wrong-key")

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["status"] == "held"
    log = WebhookEvent.objects.get()
    assert log.status == WebhookEvent.Status.HELD and "401" in log.reason
    assert not Applicant.objects.exists() and not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_it_sends_nothing_when_lever_archives_a_hire(client: Client, tenant: Tenant, fake_lever: FakeLever) -> None:
    """GET /archive_reasons/:id says `type: hired` (https://hire.lever.co/developer/documentation#archive-reasons)."""
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER, lever_api_key="lever-key")
    fake_lever.archive_reasons[ARCHIVE_REASON_ID] = {"id": ARCHIVE_REASON_ID, "text": "Hired", "type": "hired"}

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["status"] == "processed"
    assert response.json()["email_scheduled"] is False
    assert "入社決定" in WebhookEvent.objects.get().reason
    assert not OutboundEmail.objects.exists() and not Applicant.objects.exists()
    assert not any(path.startswith("/v1/opportunities/") for path, _auth in fake_lever.requests)


@pytest.mark.django_db
def test_it_ignores_lever_events_that_do_not_change_a_selection_outcome(client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)

    response = post(client, integration, dumps(lever_payload(secret, event="candidateStageChange")))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not Applicant.objects.exists() and not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_forged_or_missing_lever_signature(client: Client, tenant: Tenant) -> None:
    integration, _secret = make_integration(tenant, Integration.Kind.LEVER)
    forged = lever_payload("not-the-token")
    unsigned = copy.deepcopy(forged)
    del unsigned["signature"]

    forged_response = post(client, integration, dumps(forged))
    unsigned_response = post(client, integration, dumps(unsigned))

    assert forged_response.status_code == 401 and forged_response.json()["code"] == "invalid_signature"
    assert unsigned_response.status_code == 401 and unsigned_response.json()["code"] == "missing_signature"
    # Refusals are counted on one row per result and hour, with the last reason (issue 11: aggregated).
    assert list(WebhookEvent.objects.values_list("status", "repeat_count")) == [("bad_signature", 2)]
    assert "token・triggeredAt・signature" in WebhookEvent.objects.get().reason


@pytest.mark.django_db
def test_it_answers_malformed_lever_bodies_with_400(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    shapeless = lever_payload(secret)
    del shapeless["data"]["opportunityId"]

    broken = post(client, integration, b"{not json")
    wrong_shape = post(client, integration, dumps(shapeless))

    assert broken.status_code == 400
    assert wrong_shape.status_code == 400
    assert {"field": "data.opportunityId", "message": "必須の項目です。"} in wrong_shape.json()["errors"]


# Generic -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_schedules_one_email_for_a_generic_event_and_ignores_its_replay(client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload())

    first = post(client, integration, body, Signature=signed(secret, body))
    replay = post(client, integration, body, Signature=signed(secret, body))

    assert first.status_code == 200 and first.json()["status"] == "processed", first.content
    assert replay.json()["status"] == "duplicate"
    applicant = Applicant.objects.get()
    assert (applicant.source, applicant.external_system, applicant.external_id) == ("webhook", "company", "A-1024")
    assert applicant.name_kana == "サトウ イチロウ"
    assert (applicant.stage, applicant.track) == (Applicant.Stage.FIRST_INTERVIEW, Applicant.Track.NEW_GRADUATE)
    assert first.json()["applicant_ref"] == applicant.ref
    email = assert_one_email_to(tenant, applicant)
    assert email.send_after == THIRD_BUSINESS_DAY_10AM


@pytest.mark.django_db
def test_it_sends_one_email_when_the_same_applicant_comes_in_two_generic_events(client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    for event_id in ("evt-1", "evt-2"):
        body = dumps(generic_payload(event_id))
        assert post(client, integration, body, Signature=signed(secret, body)).json()["status"] == "processed"

    assert Applicant.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_forged_and_unsigned_generic_events(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload())

    forged = post(client, integration, body, Signature=signed(secret + "x", body))
    wrong_algorithm = post(client, integration, body, Signature="sha1 " + signed(secret, body).split()[1])
    unsigned = post(client, integration, body)

    assert [r.status_code for r in (forged, wrong_algorithm, unsigned)] == [401, 401, 401]
    assert unsigned.json()["code"] == "missing_signature"
    assert list(WebhookEvent.objects.filter(status="bad_signature").values_list("repeat_count", flat=True)) == [3]
    assert not Applicant.objects.exists()


@pytest.mark.django_db
def test_it_explains_each_invalid_field_of_a_generic_event(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload(email="not-an-address", stage="ステージX", name=""))

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["applicant.email"] == "メールアドレスの形式が正しくありません。"
    assert "document" in errors["applicant.stage"] and "second_interview (二次面接)" in errors["applicant.stage"]
    assert errors["applicant.name"] == "空にはできません。"
    assert not Applicant.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"", b"[1, 2]", b"\xff\xfe", b'{"event": "applicant.rejected"}'])
def test_it_answers_malformed_generic_bodies_with_400(client: Client, tenant: Tenant, body: bytes) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 400
    assert response.json()["message"]


@pytest.mark.django_db
def test_it_ignores_generic_events_other_than_applicant_rejected(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps({"event_id": "e-9", "event": "applicant.hired", "applicant": {}})

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.json()["status"] == "ignored"
    assert not Applicant.objects.exists()


@pytest.mark.django_db
def test_the_demo_webhook_and_api_key_work_and_seeding_twice_changes_nothing(client: Client, tenant: Tenant) -> None:
    from demo.integrations import DEMO_API_KEY, DEMO_WEBHOOK_SECRET, seed_integrations

    rejection_rule(tenant.company)
    seed_integrations(company=tenant.company)
    demo = seed_integrations(company=tenant.company)
    body = dumps(generic_payload())

    hook = client.post(
        "/hooks/generic/demo-generic-webhook/",
        data=body,
        content_type="application/json",
        headers={"Signature": signed(DEMO_WEBHOOK_SECRET, body)},
    )
    api = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {DEMO_API_KEY}"})

    assert Integration.objects.count() == 1 and demo.webhook.company == tenant.company
    assert hook.status_code == 200 and hook.json()["status"] == "processed"
    assert api.status_code == 200
    assert OutboundEmail.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copies_of_one_event_arriving_at_once_take_effect_once(tenant: Tenant) -> None:
    from django.db import connection

    from integrations.webhooks import webhook_event_receive
    from tests.concurrency import run_at_once

    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts are proven on PostgreSQL")
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload())
    headers = {"Signature": signed(secret, body)}
    statuses: list[str] = []

    def deliver() -> None:
        statuses.append(webhook_event_receive(integration=integration, body=body, headers=headers).body["status"])

    errors = run_at_once([deliver] * 8)

    assert errors == []
    assert sorted(statuses) == ["duplicate"] * 7 + ["processed"]
    assert Applicant.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_it_finds_a_lever_applicant_posted_earlier_through_the_api(
    client: Client, tenant: Tenant, fake_lever: FakeLever
) -> None:
    from integrations.services import api_key_create

    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER, lever_api_key="lever-key")
    fake_lever.archive_reasons[ARCHIVE_REASON_ID] = {"id": ARCHIVE_REASON_ID, "text": "不採用", "type": "non-hired"}
    key = api_key_create(company=tenant.company, name="連携", actor=tenant.owner).raw_key
    person = {"id": OPPORTUNITY_ID, "name": "中村 陽子", "email": "yoko@example.jp"}
    client.post(
        "/api/v1/applicants",
        data=json.dumps({"applicants": [person], "schedule": {"mode": "none"}}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["status"] == "processed", response.content
    assert Applicant.objects.count() == 1
    assert_one_email_to(tenant, Applicant.objects.get())


@pytest.mark.django_db
def test_a_held_lever_archive_can_be_processed_again_once_the_company_set_its_api_key(
    client: Client, owner_client: Client, tenant: Tenant, fake_lever: FakeLever
) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    delivery = dumps(lever_payload(secret))
    post(client, integration, delivery)
    held = WebhookEvent.objects.get()
    retry_url = f"/company/integrations/{integration.pk}/events/{held.pk}/retry/"

    still_held = owner_client.post(retry_url, follow=True)
    assert "まだ処理できません" in still_held.content.decode()
    assert not OutboundEmail.objects.exists()

    person = applicant_record(
        company=tenant.company,
        source=Applicant.Source.CSV,
        external_system="lever",
        external_id=OPPORTUNITY_ID,
        name="鈴木 次郎",
        email="jiro@example.jp",
    ).applicant
    fake_lever.archive_reasons[ARCHIVE_REASON_ID] = {"id": ARCHIVE_REASON_ID, "text": "不採用", "type": "non-hired"}
    integration_lever_update(
        integration=integration, signature_token=integration.secret, lever_api_key="lever-key", actor=tenant.owner
    )
    owner_client.post(retry_url)
    owner_client.post(retry_url)
    replay = post(client, integration, delivery)

    held.refresh_from_db()
    assert held.retried_at is not None
    email = assert_one_email_to(tenant, person)
    assert email.send_after == third_business_day_10am(timezone.now())
    assert replay.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(status="processed").count() == 1


@pytest.mark.django_db
def test_only_managers_of_the_company_can_retry_an_event(
    client: Client, tenant: Tenant, outsider_client: Client
) -> None:
    from tests.conftest import login

    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    post(client, integration, dumps(lever_payload(secret)))
    missing = WebhookEvent.objects.get()
    retry_url = f"/company/integrations/{integration.pk}/events/{missing.pk}/retry/"

    assert outsider_client.post(retry_url).status_code == 404
    assert login(Client(), tenant.member).post(retry_url).status_code == 404
    missing.refresh_from_db()
    assert missing.reason.startswith("Lever API キーが設定されていない")


@pytest.mark.django_db
def test_pruning_drops_old_log_rows_but_keeps_what_stops_replays(client: Client, tenant: Tenant) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from integrations.services import webhook_events_prune

    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload())
    post(client, integration, body, Signature=signed(secret, body))
    post(client, integration, body)  # unsigned: logged as bad_signature

    assert webhook_events_prune(now=timezone.now() + timedelta(days=179)) == 0
    assert webhook_events_prune(now=timezone.now() + timedelta(days=181)) == 1

    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["processed"]
    assert post(client, integration, body, Signature=signed(secret, body)).json()["status"] == "duplicate"


@pytest.mark.django_db
def test_the_same_applicant_id_through_the_api_and_the_generic_webhook_is_one_person_with_one_email(
    client: Client, tenant: Tenant
) -> None:
    from integrations.services import api_key_create

    rejection_rule(tenant.company)
    key = api_key_create(company=tenant.company, name="社内システム", actor=tenant.owner).raw_key
    person = {"id": "A-1024", "name": "佐藤 一郎", "email": "ichiro@example.jp", "position": "営業職"}
    posted = client.post(
        "/api/v1/applicants",
        data=json.dumps({"applicants": [person], "schedule": {"mode": "rule"}}, ensure_ascii=False),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload())
    hooked = post(client, integration, body, Signature=signed(secret, body))

    assert posted.status_code == 200, posted.content
    assert hooked.status_code == 200, hooked.content
    applicant = Applicant.objects.get()
    assert_one_email_to(tenant, applicant)
