"""The ATS's truth decides whether a rejection mail goes (DESIGN.md §3 rule 13, issue 10): the outcome and reason of
each vendor event, the address and consent, and every event that reverses or ends a rejection.

Vendor documents the payloads follow:
- Greenhouse web hooks: https://developers.greenhouse.io/webhooks.html, sections "Candidate/Prospect rejected"
  (`application.rejection_reason` {name, type{name}}, `candidate.can_email`, `email_addresses[].type` one of
  personal / work / other, "Common Attributes"), "Candidate/Prospect unrejected", "Candidate hired", "Candidate
  deleted" (`payload.person`) and "Candidate anonymized" (`payload.candidate_id`). Rejection reason types: "We
  rejected them", "They rejected us", "None specified" (https://developers.greenhouse.io/harvest.html#rejection-reasons).
- Lever: https://hire.lever.co/developer/documentation, sections "Webhooks" (candidateArchiveChange with
  fromArchived / toArchived, candidateHired, candidateDeleted; `token`, `triggeredAt` and `signature`), "Archive
  Reasons" (GET /archive_reasons/:id: `text`, `type` hired / non-hired), "Opportunities" and "Rate Limits" (429).
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant, AtsMapping, RejectionReason
from applicants.selectors import held_applicants
from applicants.services import applicant_record
from applicants.vocabulary import match_key
from integrations import lever
from integrations.models import Integration, WebhookEvent
from integrations.webhooks import webhook_events_retry_held
from lib.periodic import JOBS
from mailings.models import OutboundEmail
from mailings.services.outbox import rejection_email_schedule_by_rule
from tests.conftest import Tenant
from tests.hooks_support import FakeLever, fake_lever, rejection_rule
from tests.test_webhooks import (
    ARCHIVE_REASON_ID,
    OPPORTUNITY_ID,
    RECENTLY,
    dumps,
    generic_payload,
    greenhouse_payload,
    iso,
    lever_payload,
    make_integration,
    post,
    signed,
)

__all__ = ["fake_lever"]

pytestmark = pytest.mark.django_db

CONTACT_ID = "f3d24e3b-6a3b-4a9b-8e5d-2f4e0c1b3a71"


def reason_of(tenant: Tenant, code: str) -> RejectionReason:
    return RejectionReason.objects.get(company=tenant.company, code=code)


def greenhouse(client: Client, integration: Integration, secret: str, data: dict[str, Any], event_id: str) -> Any:
    body = dumps(data)
    return post(client, integration, body, Signature=signed(secret, body), **{"Greenhouse-Event-ID": event_id})


def rejection_mails(tenant: Tenant) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(company=tenant.company, kind=OutboundEmail.Kind.REJECTION))


def last_log() -> WebhookEvent:
    log = WebhookEvent.objects.order_by("-pk").first()
    assert log is not None
    return log


def unreject_payload(application_id: int = 265293) -> dict[str, Any]:
    """Greenhouse "Candidate/Prospect unrejected": the application, active again, without a rejection reason."""
    data = greenhouse_payload(application_id, reason=None)
    data["action"] = "unreject_candidate"
    application = data["payload"]["application"]
    application.update(rejected_at=None, status="active", rejection_details=None)
    return data


def hire_payload(application_id: int = 265293) -> dict[str, Any]:
    """Greenhouse "Candidate hired" (offer accepted), trimmed of the offer and job details the integration skips."""
    return {
        "action": "hire_candidate",
        "payload": {
            "application": {
                "id": application_id,
                "opening": {"opening_id": "1234-56", "custom_fields": []},
                "url": f"https://app.greenhouse.io/people/265788?application_id={application_id}",
                "candidate": {
                    "id": 265788,
                    "first_name": "花子",
                    "last_name": "山田",
                    "can_email": True,
                    "email_addresses": [{"value": "hanako@example.jp", "type": "personal"}],
                },
                "jobs": [{"id": 371417, "name": "Web エンジニア", "requisition_id": None}],
                "offer": {"id": 506409, "version": 2, "starts_at": (RECENTLY + timedelta(days=60)).date().isoformat()},
            }
        },
    }


def delete_payload(person_id: int = 265788, application_ids: list[int] | None = None) -> dict[str, Any]:
    """Greenhouse "Candidate deleted": `payload.person` with the applications the deletion removes."""
    return {
        "action": "delete_candidate",
        "payload": {
            "person": {
                "id": person_id,
                "first_name": "花子",
                "last_name": "山田",
                "company": None,
                "title": None,
                "created_at": iso(RECENTLY - timedelta(days=40)),
                "is_private": False,
                "recruiter_user_id": 123,
                "coordinator_user_id": 456,
                "can_email": True,
                "deleted_application_ids": application_ids or [],
            }
        },
    }


@pytest.fixture
def rule(tenant: Tenant) -> None:
    rejection_rule(tenant.company)


# Greenhouse: reason, address and consent -------------------------------------------------------------------------


@pytest.mark.usefixtures("rule")
def test_a_greenhouse_candidate_who_rejected_us_is_recorded_as_withdrawn_and_not_mailed(
    client: Client, tenant: Tenant
) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    reason = {"id": 7, "name": "Took another offer", "type": {"id": 2, "name": "They rejected us"}}

    response = greenhouse(client, integration, secret, greenhouse_payload(reason=reason), "d-1")

    assert response.status_code == 200 and response.json()["email_scheduled"] is False
    applicant = Applicant.objects.get()
    assert applicant.reason == reason_of(tenant, "withdrawn")
    assert applicant.reason_text == "Took another offer / They rejected us"
    assert applicant.person_id == "265788"
    assert not rejection_mails(tenant)
    assert "応募者辞退" in last_log().reason


@pytest.mark.usefixtures("rule")
def test_a_greenhouse_reason_nobody_mapped_is_held_and_not_mailed(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    reason = {"id": 21, "name": "カルチャーフィット", "type": {"id": 3, "name": "None specified"}}

    response = greenhouse(client, integration, secret, greenhouse_payload(reason=reason), "d-1")

    assert response.json()["status"] == "held"
    applicant = Applicant.objects.get()
    assert (applicant.reason, applicant.hold) == (None, Applicant.Hold.UNKNOWN_REASON)
    assert "カルチャーフィット" in applicant.hold_detail
    log = last_log()
    assert log.status == WebhookEvent.Status.HELD and log.applicant == applicant
    assert "確認待ち" in log.reason
    assert not rejection_mails(tenant)


@pytest.mark.usefixtures("rule")
def test_a_company_mapping_of_a_greenhouse_reason_decides_over_the_built_in_words(
    client: Client, tenant: Tenant
) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    AtsMapping.objects.create(
        company=tenant.company,
        kind=AtsMapping.Kind.REASON,
        label="カルチャーフィット",
        match=match_key("カルチャーフィット"),
        reason=reason_of(tenant, "rejected"),
    )
    reason = {"id": 21, "name": "カルチャーフィット", "type": {"id": 3, "name": "None specified"}}

    response = greenhouse(client, integration, secret, greenhouse_payload(reason=reason), "d-1")

    assert response.json()["email_scheduled"] is True
    assert Applicant.objects.get().reason == reason_of(tenant, "rejected")


@pytest.mark.usefixtures("rule")
def test_we_rejected_them_is_a_rejection_even_when_the_reason_names_a_hire(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    reason = {"id": 9504, "name": "Hired another candidate", "type": {"id": 1, "name": "We rejected them"}}

    response = greenhouse(client, integration, secret, greenhouse_payload(reason=reason), "d-1")

    assert response.json()["email_scheduled"] is True
    assert Applicant.objects.get().reason == reason_of(tenant, "rejected")


@pytest.mark.usefixtures("rule")
def test_the_personal_address_is_preferred_over_the_work_address(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    addresses = [
        {"value": "h.yamada@current-employer.example.com", "type": "work"},
        {"value": "hanako.private@example.jp", "type": "personal"},
    ]

    greenhouse(client, integration, secret, greenhouse_payload(email_addresses=addresses), "d-1")

    [email] = rejection_mails(tenant)
    assert email.to_email == "hanako.private@example.jp" == Applicant.objects.get().email


@pytest.mark.usefixtures("rule")
def test_an_invalid_first_address_is_skipped_for_the_next_valid_one(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    addresses = [
        {"value": "hanako at example", "type": "personal"},
        {"value": "hanako@example.jp", "type": "other"},
    ]

    response = greenhouse(client, integration, secret, greenhouse_payload(email_addresses=addresses), "d-1")

    assert response.status_code == 200, response.content
    assert Applicant.objects.get().email == "hanako@example.jp"
    assert len(rejection_mails(tenant)) == 1


def test_a_greenhouse_candidate_without_any_valid_address_is_refused(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    addresses = [{"value": "hanako at example", "type": "personal"}]

    response = greenhouse(client, integration, secret, greenhouse_payload(email_addresses=addresses), "d-1")

    assert response.status_code == 400
    assert "有効なメールアドレスがありません" in response.json()["message"]
    assert not Applicant.objects.exists()


@pytest.mark.usefixtures("rule")
def test_can_email_false_is_recorded_and_never_mailed(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)

    response = greenhouse(client, integration, secret, greenhouse_payload(can_email=False), "d-1")

    assert response.status_code == 200 and response.json()["email_scheduled"] is False
    applicant = Applicant.objects.get()
    assert applicant.can_email is False
    assert "can_email: false" in last_log().reason
    assert not rejection_mails(tenant)


def test_greenhouse_stage_and_track_come_from_the_company_vocabulary(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    data = greenhouse_payload()
    application = data["payload"]["application"]
    application["current_stage"] = {"id": 2708729, "name": "二次面接", "interviews": []}
    application["jobs"] = [{"id": 371418, "name": "2028年卒 総合職", "requisition_id": "NG-28"}]

    greenhouse(client, integration, secret, data, "d-1")

    applicant = Applicant.objects.get()
    assert (applicant.stage, applicant.track) == (Applicant.Stage.SECOND_INTERVIEW, Applicant.Track.NEW_GRADUATE)


# Greenhouse: lifecycle -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("rule")
def test_unreject_cancels_the_queued_mail_naming_the_event_and_a_later_reject_reopens(
    client: Client, tenant: Tenant
) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    greenhouse(client, integration, secret, greenhouse_payload(), "d-1")
    [email] = rejection_mails(tenant)

    response = greenhouse(client, integration, secret, unreject_payload(), "d-2")

    assert response.json()["status"] == "cancelled"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.CANCELLED
    assert "Greenhouse の unreject_candidate" in email.last_error
    applicant = Applicant.objects.get()
    assert applicant.closed_at is not None and applicant.mail_refusal is not None
    log = last_log()
    assert (log.status, log.applicant, log.email) == (WebhookEvent.Status.CANCELLED, applicant, email)
    assert "送信予定のお祈りメールを取り消しました。" in log.reason

    later = iso(timezone.now() - timedelta(minutes=5))
    again = greenhouse(client, integration, secret, greenhouse_payload(rejected_at=later), "d-3")

    applicant.refresh_from_db()
    assert applicant.closed_at is None
    assert again.json()["email_scheduled"] is False  # the cancelled mail is not revived behind anyone's back
    assert "以前に取り消されている" in last_log().reason
    assert len(rejection_mails(tenant)) == 1


@pytest.mark.usefixtures("rule")
def test_hire_closes_the_applicant_and_cancels_the_mail(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    greenhouse(client, integration, secret, greenhouse_payload(), "d-1")

    response = greenhouse(client, integration, secret, hire_payload(), "d-2")

    assert response.json()["status"] == "cancelled"
    [email] = rejection_mails(tenant)
    assert email.status == OutboundEmail.Status.CANCELLED
    assert "hire_candidate" in email.last_error
    assert Applicant.objects.get().closed_at is not None


@pytest.mark.usefixtures("rule")
def test_a_lifecycle_event_after_the_mail_went_says_it_could_not_be_called_back(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    greenhouse(client, integration, secret, greenhouse_payload(), "d-1")
    OutboundEmail.objects.update(status=OutboundEmail.Status.SENT)

    response = greenhouse(client, integration, secret, hire_payload(), "d-2")

    assert response.json()["status"] == "processed"
    log = last_log()
    assert log.status == WebhookEvent.Status.PROCESSED
    assert "お祈りメールは送信済みのため、取り消せませんでした。" in log.reason


def test_a_lifecycle_event_for_nobody_known_says_nothing_was_done(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)

    response = greenhouse(client, integration, secret, unreject_payload(), "d-1")

    assert response.status_code == 200 and response.json()["status"] == "processed"
    assert "該当する応募者は登録されていない" in last_log().reason


@pytest.mark.usefixtures("rule")
def test_delete_candidate_erases_every_application_of_the_person(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    greenhouse(client, integration, secret, greenhouse_payload(265293), "d-1")
    second = greenhouse_payload(265294)
    second["payload"]["application"]["jobs"] = [{"id": 371419, "name": "データアナリスト", "requisition_id": None}]
    greenhouse(client, integration, secret, second, "d-2")
    assert Applicant.objects.count() == 2

    response = greenhouse(client, integration, secret, delete_payload(265788, [265293, 265294]), "d-3")

    assert response.json() | {"message": ""} == {
        "status": "cancelled",
        "event_id": "d-3",
        "applicants": 2,
        "message": "",
    }
    for applicant in Applicant.objects.all():
        assert applicant.erased_at is not None
        assert (applicant.email, applicant.email_normalized, applicant.position, applicant.name_kana) == (
            "",
            "",
            "",
            "",
        )
        assert "山田" not in applicant.name and "hanako" not in applicant.search_text
    assert {email.status for email in rejection_mails(tenant)} == {OutboundEmail.Status.CANCELLED}
    assert "delete_candidate" in rejection_mails(tenant)[0].last_error
    assert "2 名の個人情報を削除しました" in last_log().reason
    for email in rejection_mails(tenant):  # the mail rows keep what happened, not whom it was for
        assert (email.to_email, email.body) == ("", "")
        assert "山田" not in email.subject


@pytest.mark.usefixtures("rule")
def test_candidate_anonymized_erases_the_person_named_by_candidate_id(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    greenhouse(client, integration, secret, greenhouse_payload(), "d-1")
    data = {"action": "candidate_anonymized", "payload": {"candidate_id": 265788, "anonymized_fields": ["full_name"]}}

    response = greenhouse(client, integration, secret, data, "d-2")

    assert response.json()["status"] == "cancelled"
    applicant = Applicant.objects.get()
    assert applicant.erased_at is not None and applicant.email == ""
    assert "candidate_anonymized" in rejection_mails(tenant)[0].last_error


def test_a_greenhouse_deletion_without_a_person_is_refused_with_the_field(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)

    response = greenhouse(client, integration, secret, {"action": "delete_candidate", "payload": {}}, "d-1")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "payload.person.id", "message": "必須の項目です。"}]


@pytest.mark.usefixtures("rule")
def test_a_person_from_a_csv_and_then_greenhouse_is_one_applicant_with_the_webhooks_truth(
    client: Client, tenant: Tenant
) -> None:
    csv_row = applicant_record(
        company=tenant.company,
        source=Applicant.Source.CSV,
        external_system="herp",
        external_id="C-77",
        name="山田 花子",
        email="hanako@example.jp",
        position="Web エンジニア",
        rejected_at=RECENTLY,
    ).applicant
    queued = rejection_email_schedule_by_rule(applicant=csv_row).email
    assert queued is not None
    integration, secret = make_integration(tenant, Integration.Kind.GREENHOUSE)
    reason = {"id": 7, "name": "Took another offer", "type": {"id": 2, "name": "They rejected us"}}

    greenhouse(client, integration, secret, greenhouse_payload(reason=reason), "d-1")

    assert Applicant.objects.get() == csv_row
    csv_row.refresh_from_db()
    assert (csv_row.reason, csv_row.person_id) == (reason_of(tenant, "withdrawn"), "265788")
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.CANCELLED
    assert "応募者辞退" in queued.last_error

    # Greenhouse's later events name the application; the CSV row is found through the first event.
    greenhouse(client, integration, secret, hire_payload(), "d-2")
    csv_row.refresh_from_db()
    assert csv_row.closed_at is not None


# Lever -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def known_lever_applicant(tenant: Tenant) -> Applicant:
    return applicant_record(
        company=tenant.company,
        source=Applicant.Source.CSV,
        external_system="lever",
        external_id=OPPORTUNITY_ID,
        name="鈴木 次郎",
        email="jiro@example.jp",
        position="データアナリスト",
    ).applicant


@pytest.fixture
def lever_with_key(tenant: Tenant, fake_lever: FakeLever) -> Iterator[tuple[Integration, str]]:
    yield make_integration(tenant, Integration.Kind.LEVER, lever_api_key="lever-key")


def archive_reason(fake: FakeLever, text: str, kind: str = "non-hired") -> None:
    fake.archive_reasons[ARCHIVE_REASON_ID] = {"id": ARCHIVE_REASON_ID, "text": text, "type": kind}


@pytest.mark.usefixtures("rule")
def test_a_lever_hire_archive_marks_a_known_applicant_hired_and_cancels_its_mail(
    client: Client,
    tenant: Tenant,
    fake_lever: FakeLever,
    lever_with_key: tuple[Integration, str],
    known_lever_applicant: Applicant,
) -> None:
    queued = rejection_email_schedule_by_rule(applicant=known_lever_applicant).email
    assert queued is not None and queued.status == OutboundEmail.Status.QUEUED
    archive_reason(fake_lever, "Hired", "hired")
    integration, secret = lever_with_key

    post(client, integration, dumps(lever_payload(secret)))

    known_lever_applicant.refresh_from_db()
    assert known_lever_applicant.reason == reason_of(tenant, "hired")
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.CANCELLED
    log = last_log()
    assert log.status == WebhookEvent.Status.CANCELLED and "入社決定" in log.reason


@pytest.mark.usefixtures("rule")
def test_a_lever_withdrew_archive_is_not_mailed(
    client: Client,
    tenant: Tenant,
    fake_lever: FakeLever,
    lever_with_key: tuple[Integration, str],
    known_lever_applicant: Applicant,
) -> None:
    archive_reason(fake_lever, "Withdrew")
    integration, secret = lever_with_key

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["email_scheduled"] is False
    known_lever_applicant.refresh_from_db()
    assert known_lever_applicant.reason == reason_of(tenant, "withdrawn")
    assert not rejection_mails(tenant)


@pytest.mark.usefixtures("rule")
def test_an_unknown_lever_archive_reason_is_held_with_the_person_recorded(
    client: Client, tenant: Tenant, fake_lever: FakeLever, lever_with_key: tuple[Integration, str]
) -> None:
    archive_reason(fake_lever, "Timing")
    fake_lever.opportunities[OPPORTUNITY_ID] = {
        "id": OPPORTUNITY_ID,
        "name": "高橋 美咲",
        "contact": CONTACT_ID,
        "emails": ["misaki@example.jp"],
        "applications": [{"id": "app-1", "posting": {"id": "posting-1", "text": "カスタマーサクセス"}}],
    }
    integration, secret = lever_with_key

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["status"] == "held"
    applicant = Applicant.objects.get()
    assert (applicant.hold, applicant.reason_text) == (Applicant.Hold.UNKNOWN_REASON, "Timing")
    assert last_log().status == WebhookEvent.Status.HELD
    assert not rejection_mails(tenant)


@pytest.mark.usefixtures("rule")
def test_a_lever_archive_is_held_while_lever_is_down_and_retried_by_the_scheduler(
    client: Client,
    tenant: Tenant,
    fake_lever: FakeLever,
    lever_with_key: tuple[Integration, str],
    known_lever_applicant: Applicant,
) -> None:
    archive_reason(fake_lever, "不採用")
    fake_lever.failing_with = 503
    integration, secret = lever_with_key

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["status"] == "held"
    held = last_log()
    assert held.status == WebhookEvent.Status.HELD and "503" in held.reason and "再処理" in held.reason
    assert not rejection_mails(tenant)
    known_lever_applicant.refresh_from_db()  # on the company's 確認待ち list with the other held people
    assert known_lever_applicant.hold == Applicant.Hold.UNVERIFIED and "503" in known_lever_applicant.hold_detail
    assert list(held_applicants(tenant.company)) == [known_lever_applicant]
    assert webhook_events_retry_held() == 0  # still down: still held, nothing mailed

    fake_lever.failing_with = None
    assert webhook_events_retry_held() == 1
    known_lever_applicant.refresh_from_db()
    assert known_lever_applicant.hold == "" and not held_applicants(tenant.company).exists()

    held.refresh_from_db()
    assert held.retried_at is not None
    [email] = rejection_mails(tenant)
    assert email.applicant == known_lever_applicant
    assert any(job.task_path == "integrations.tasks.retry_held_webhook_events" for job in JOBS)


@pytest.mark.usefixtures("rule")
def test_a_lever_api_that_does_not_answer_in_time_holds_the_archive(
    client: Client,
    tenant: Tenant,
    fake_lever: FakeLever,
    lever_with_key: tuple[Integration, str],
    known_lever_applicant: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lever, "TIMEOUT_SECONDS", 0.2)
    fake_lever.delay = 1.0
    archive_reason(fake_lever, "不採用")
    integration, secret = lever_with_key

    response = post(client, integration, dumps(lever_payload(secret)))

    assert response.json()["status"] == "held"
    assert "時間内に応答しませんでした" in last_log().reason
    assert not rejection_mails(tenant)


@pytest.mark.usefixtures("rule")
def test_lever_rate_limits_are_honoured_with_retry_after_and_nothing_is_mailed_blind(
    client: Client,
    tenant: Tenant,
    fake_lever: FakeLever,
    lever_with_key: tuple[Integration, str],
    known_lever_applicant: Applicant,
) -> None:
    archive_reason(fake_lever, "不採用")
    fake_lever.throttled, fake_lever.retry_after = 1, "120"
    integration, secret = lever_with_key

    first = post(client, integration, dumps(lever_payload(secret)))

    assert first.json()["status"] == "held"
    integration.refresh_from_db()
    assert integration.backoff_until is not None
    wait = integration.backoff_until - timezone.now()
    assert timedelta(seconds=100) < wait <= timedelta(seconds=120)
    assert "429" in last_log().reason
    asked = len(fake_lever.requests)

    # While Lever asked us to wait, nothing is asked of it: another archive and the scheduler's retry wait too.
    other = post(client, integration, dumps(lever_payload(secret, token="second-token", opportunity_id="opp-2")))
    assert other.json()["status"] == "held"
    assert webhook_events_retry_held() == 0
    assert len(fake_lever.requests) == asked
    assert not rejection_mails(tenant)

    Integration.objects.filter(pk=integration.pk).update(backoff_until=timezone.now() - timedelta(seconds=1))
    assert webhook_events_retry_held() >= 1
    [email] = rejection_mails(tenant)
    assert email.applicant == known_lever_applicant


def test_lever_retry_after_accepts_seconds_and_http_dates() -> None:
    now = timezone.now()
    http_date = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    assert lever.retry_after_seconds("30") == 30
    assert 85 <= lever.retry_after_seconds(http_date, now=now) <= 90
    assert lever.retry_after_seconds(None) == lever.DEFAULT_RETRY_AFTER_SECONDS
    assert lever.retry_after_seconds("999999") == lever.MAX_RETRY_AFTER_SECONDS


@pytest.mark.usefixtures("rule")
def test_a_lever_unarchive_closes_the_applicant_and_cancels_the_mail(
    client: Client, tenant: Tenant, known_lever_applicant: Applicant
) -> None:
    queued = rejection_email_schedule_by_rule(applicant=known_lever_applicant).email
    assert queued is not None
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    data = lever_payload(secret, to_archived=None)
    data["data"]["fromArchived"] = {"archivedAt": data["triggeredAt"] - 60_000, "reason": ARCHIVE_REASON_ID}

    response = post(client, integration, dumps(data))

    assert response.json()["status"] == "cancelled"
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.CANCELLED
    assert "Lever の candidateArchiveChange (アーカイブの解除)" in queued.last_error
    known_lever_applicant.refresh_from_db()
    assert known_lever_applicant.closed_at is not None
    assert "送信予定のお祈りメールを取り消しました。" in last_log().reason


@pytest.mark.usefixtures("rule")
def test_lever_candidate_hired_closes_the_applicant_and_cancels_the_mail(
    client: Client, tenant: Tenant, known_lever_applicant: Applicant
) -> None:
    queued = rejection_email_schedule_by_rule(applicant=known_lever_applicant).email
    assert queued is not None
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    data = lever_payload(secret, event="candidateHired")
    data["data"] = {"opportunityId": OPPORTUNITY_ID, "candidateId": OPPORTUNITY_ID, "contactId": CONTACT_ID}

    response = post(client, integration, dumps(data))

    assert response.json()["status"] == "cancelled"
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.CANCELLED and "candidateHired" in queued.last_error
    known_lever_applicant.refresh_from_db()
    assert known_lever_applicant.closed_at is not None


@pytest.mark.usefixtures("rule")
def test_lever_candidate_deleted_erases_the_applicant(
    client: Client, tenant: Tenant, known_lever_applicant: Applicant
) -> None:
    queued = rejection_email_schedule_by_rule(applicant=known_lever_applicant).email
    assert queued is not None
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    data = lever_payload(secret, event="candidateDeleted")
    data["data"] = {"candidateId": OPPORTUNITY_ID, "contactId": CONTACT_ID, "deletedBy": "user-1"}

    response = post(client, integration, dumps(data))

    assert response.json()["status"] == "cancelled"
    known_lever_applicant.refresh_from_db()
    assert known_lever_applicant.erased_at is not None
    assert (known_lever_applicant.email, known_lever_applicant.position) == ("", "")
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.CANCELLED and "candidateDeleted" in queued.last_error


@pytest.mark.usefixtures("rule")
def test_a_replayed_lever_token_with_another_opportunity_is_refused(
    client: Client, tenant: Tenant, fake_lever: FakeLever, lever_with_key: tuple[Integration, str]
) -> None:
    archive_reason(fake_lever, "Withdrew")
    integration, secret = lever_with_key
    genuine = lever_payload(secret)
    post(client, integration, dumps(genuine))
    replayed = lever_payload(secret, triggered_at=genuine["triggeredAt"], opportunity_id="another-opportunity")
    assert (replayed["token"], replayed["signature"]) == (genuine["token"], genuine["signature"])

    refused = post(client, integration, dumps(replayed))
    again = post(client, integration, dumps(genuine))

    assert refused.status_code == 409
    assert refused.json()["code"] == "replayed_token" and refused.json()["message"]
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    statuses = list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [WebhookEvent.Status.PROCESSED, WebhookEvent.Status.STALE, WebhookEvent.Status.DUPLICATE]
    assert not Applicant.objects.exists()


@pytest.mark.parametrize(
    ("offset", "code"), [(timedelta(minutes=-11), "stale_delivery"), (timedelta(minutes=10), "stale_delivery")]
)
def test_a_lever_delivery_too_old_or_from_the_future_is_refused(
    client: Client, tenant: Tenant, offset: timedelta, code: str
) -> None:
    rejection_rule(tenant.company)
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    moment = int((timezone.now() + offset).timestamp() * 1000)

    response = post(client, integration, dumps(lever_payload(secret, triggered_at=moment)))

    assert response.status_code == 400
    assert response.json()["code"] == code and "triggeredAt" in response.json()["message"]
    log = WebhookEvent.objects.get()
    assert log.status == WebhookEvent.Status.STALE
    assert not Applicant.objects.exists() and not OutboundEmail.objects.exists()


def test_a_year_old_genuine_lever_delivery_is_refused(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    a_year_ago = int((timezone.now() - timedelta(days=365)).timestamp() * 1000)

    response = post(client, integration, dumps(lever_payload(secret, triggered_at=a_year_ago)))

    assert response.status_code == 400 and response.json()["code"] == "stale_delivery"


def test_only_managers_of_the_company_can_retry_a_held_event(
    client: Client, tenant: Tenant, outsider_client: Client
) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.LEVER)
    post(client, integration, dumps(lever_payload(secret)))
    held = WebhookEvent.objects.get(status=WebhookEvent.Status.HELD)

    response = outsider_client.post(f"/company/integrations/{integration.pk}/events/{held.pk}/retry/")

    assert response.status_code == 404


# Generic ---------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("rule")
def test_the_generic_webhook_accepts_every_stage_and_maps_the_company_words(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    for event_id, stage, person in (
        ("e-1", "二次面接", "A-1"),
        ("e-2", "later_interview", "A-2"),
        ("e-3", "社長面接", "A-3"),
    ):
        body = dumps(generic_payload(event_id, id=person, email=f"{person.lower()}@example.jp", stage=stage))
        assert post(client, integration, body, Signature=signed(secret, body)).status_code == 200

    stages = dict(Applicant.objects.values_list("external_id", "stage"))
    assert stages == {"A-1": "second_interview", "A-2": "later_interview", "A-3": "later_interview"}


@pytest.mark.usefixtures("rule")
@pytest.mark.parametrize(
    ("reason", "code", "mailed", "hold"),
    [
        ("不採用", "rejected", True, ""),
        ("応募者辞退", "withdrawn", False, ""),
        ("入社決定", "hired", False, ""),
        ("ポジションクローズ", None, False, Applicant.Hold.UNKNOWN_REASON),
    ],
)
def test_the_generic_webhooks_reason_goes_through_the_vocabulary(
    client: Client, tenant: Tenant, reason: str, code: str | None, mailed: bool, hold: str
) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    body = dumps(generic_payload(reason=reason))

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 200, response.content
    applicant = Applicant.objects.get()
    assert (applicant.reason.code if applicant.reason else None, applicant.hold) == (code, hold)
    assert bool(rejection_mails(tenant)) is mailed


@pytest.mark.usefixtures("rule")
def test_the_generic_webhook_reads_the_track_from_the_job_and_honours_can_email(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    person = generic_payload(job_id="J-28", job_name="27卒 総合職", position=None, can_email=False, person_id=4711)
    del person["applicant"]["track"]
    body = dumps(person)

    response = post(client, integration, body, Signature=signed(secret, body))

    assert response.status_code == 200, response.content
    applicant = Applicant.objects.get()
    assert (applicant.track, applicant.position) == (Applicant.Track.NEW_GRADUATE, "27卒 総合職")
    assert (applicant.can_email, applicant.person_id) == (False, "4711")
    assert not rejection_mails(tenant)
    assert "can_email: false" in last_log().reason
