"""The HERP Hire connector: a periodic pull of finished candidacies, against a fake HERP Hire on loopback.

The fake (tests/herp_fake.py) answers as HERP Hire API ドキュメント 1.5.0 documents it
(https://public-api.herp.cloud/hire/public/doc: 「APIキーの発行」 Bearer key, 「アクセス制限」 100 requests a
minute per tenant, 「ステータスコード」 401 / 429 / 500) with `GET /v1/candidacies` holding 応募ID, 名前, ステータス,
職種ID, 選考ステップ, メールアドレス, 選考終了理由 and 選考終了日時 (https://help.herp.cloud/ja/articles/
HERP-Hire-API-86ba917e, 「HERP Hire API名」 table), in HERP's JSON: `{"candidacies": [...], "hasNextPage": …}`,
`terminationReason` "rejected" (不採用) / "refusedByCandidate" (応募者辞退) / "notEligible" (非選考対象) /
"hired" (入社決定), absent while selection goes on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import integrations.herp as herp
from applicants.models import Applicant
from applicants.services import applicant_import_process, applicant_import_start, applicant_import_upload
from demo.fakes import HERP_HIRE_HEADERS
from integrations.herp import (
    RATE_LIMIT,
    HerpCursor,
    SlidingWindowLimiter,
    herp_pull,
    integration_herp_create,
)
from integrations.models import Integration
from lib.periodic import JOBS
from mailings.models import OutboundEmail
from tests.conftest import Tenant, login
from tests.herp_fake import API_KEY, Answer, FakeHerp, candidacy
from tests.herp_fake import fake_herp as fake_herp
from tests.hooks_support import rejection_rule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limiters() -> Iterator[None]:
    herp._LIMITERS.clear()
    yield
    herp._LIMITERS.clear()


def connected(tenant: Tenant, key: str = API_KEY) -> Integration:
    rejection_rule(tenant.company)
    return integration_herp_create(company=tenant.company, name="HERP Hire", herp_api_key=key, actor=tenant.owner)


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def rejection_mails(tenant: Tenant) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(company=tenant.company, kind=OutboundEmail.Kind.REJECTION))


def log(integration: Integration) -> list[tuple[str, str]]:
    return list(integration.events.order_by("id").values_list("external_id", "status"))


def test_the_first_pull_records_only_finished_rejections_and_queues_their_mail(
    tenant: Tenant, fake_herp: FakeHerp
) -> None:
    fake_herp.requisitions.append({"id": "req-grad", "title": "27卒 総合職"})
    rejected = candidacy(1, updated_at=ago(hours=2), step="secondInterview", requisition_id="req-grad")
    in_selection = candidacy(2, termination=None, updated_at=ago(hours=1))
    withdrew = candidacy(3, termination="refusedByCandidate", updated_at=ago(hours=1))
    hired = candidacy(4, termination="hired", updated_at=ago(hours=1))
    not_screened = candidacy(5, termination="notEligible", updated_at=ago(hours=1))
    fake_herp.candidacies += [rejected, in_selection, withdrew, hired, not_screened]
    integration = connected(tenant)

    result = herp_pull(integration_id=integration.pk)

    assert result.finished and not result.error
    [applicant] = Applicant.objects.filter(company=tenant.company)
    assert (applicant.external_system, applicant.external_id, applicant.email) == (
        "herp",
        rejected["id"],
        "oubo1@example.jp",
    )
    assert (applicant.stage, applicant.track, applicant.position) == ("second_interview", "new_graduate", "27卒 総合職")
    assert applicant.reason is not None and applicant.reason.code == "rejected"
    assert applicant.rejected_at == datetime.fromisoformat(rejected["terminatedAt"])
    [mail] = rejection_mails(tenant)
    assert mail.applicant == applicant and mail.status == OutboundEmail.Status.QUEUED
    assert log(integration) == [
        (rejected["id"], "processed"),
        (withdrew["id"], "ignored"),
        (hired["id"], "ignored"),
        (not_screened["id"], "ignored"),
    ]
    assert "応募者辞退" in integration.events.get(external_id=withdrew["id"]).reason
    assert {auth for _path, _query, auth, _at, _status in fake_herp.requests} == {f"Bearer {API_KEY}"}
    integration.refresh_from_db()
    assert integration.polled_at is not None and integration.poll_error == ""
    assert HerpCursor.load(integration.cursor, default_since=ago(days=1)).started is None


def test_a_second_pull_with_no_changes_does_nothing(tenant: Tenant, fake_herp: FakeHerp) -> None:
    fake_herp.candidacies += [
        candidacy(1, updated_at=ago(hours=1)),
        candidacy(2, termination="hired", updated_at=ago(hours=1)),
    ]
    integration = connected(tenant)
    herp_pull(integration_id=integration.pk)
    events, mails = integration.events.count(), len(rejection_mails(tenant))

    herp_pull(integration_id=integration.pk)

    assert (integration.events.count(), len(rejection_mails(tenant))) == (events, mails) == (2, 1)
    first, second = fake_herp.candidacy_requests()
    assert datetime.fromisoformat(second["updatedSince"]) > datetime.fromisoformat(first["updatedSince"])


def test_even_a_server_that_ignores_updated_since_mails_each_rejection_once(
    tenant: Tenant, fake_herp: FakeHerp
) -> None:
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(seconds=30)))
    integration = connected(tenant)

    for _run in range(3):  # the overlap makes each run read the candidacy again
        herp_pull(integration_id=integration.pk)

    assert len(rejection_mails(tenant)) == 1
    assert integration.events.count() == 1


def test_it_reads_every_page_and_commits_each_before_asking_for_the_next(tenant: Tenant, fake_herp: FakeHerp) -> None:
    fake_herp.page_size = 2
    fake_herp.candidacies += [candidacy(n, updated_at=ago(minutes=60 - n)) for n in range(1, 6)]
    fake_herp.page_answers = {2: Answer(503)}  # HERP fails on the second page
    integration = connected(tenant)

    herp_pull(integration_id=integration.pk)

    integration.refresh_from_db()
    assert Applicant.objects.filter(company=tenant.company).count() == 2  # page 1 stays committed
    assert "HTTP 503" in integration.poll_error and "再試行" in integration.poll_error
    assert HerpCursor.load(integration.cursor, default_since=ago(days=1)).page == 2

    herp_pull(integration_id=integration.pk)

    assert Applicant.objects.filter(company=tenant.company).count() == 5
    assert len(rejection_mails(tenant)) == 5
    assert [query["page"] for query in fake_herp.candidacy_requests()] == ["1", "2", "2", "3"]
    first, *_rest, last = fake_herp.candidacy_requests()
    assert first["updatedSince"] == last["updatedSince"]  # the resumed run reads the same changes
    integration.refresh_from_db()
    assert integration.poll_error == "" and integration.polled_at is not None


def test_it_never_asks_more_than_100_times_in_60_seconds(tenant: Tenant, fake_herp: FakeHerp) -> None:
    clock = {"now": 1000.0}
    fake_herp.clock = lambda: clock["now"]
    fake_herp.send_limits = False  # our own sliding window is what must hold the line
    limiter = SlidingWindowLimiter(clock=lambda: clock["now"])
    fake_herp.page_size = 1
    fake_herp.candidacies += [candidacy(n, updated_at=ago(minutes=200 - n)) for n in range(1, 151)]
    integration = connected(tenant)

    herp_pull(integration_id=integration.pk, limiter=limiter)

    assert len(fake_herp.requests) == RATE_LIMIT  # 1 requisitions page + 99 candidacy pages, then it stopped
    integration.refresh_from_db()
    assert integration.backoff_until is not None and "1分間100リクエスト" in integration.poll_error
    assert Applicant.objects.filter(company=tenant.company).count() == 99

    clock["now"] += 61
    herp_pull(integration_id=integration.pk, limiter=limiter, now=integration.backoff_until + timedelta(seconds=1))

    assert Applicant.objects.filter(company=tenant.company).count() == 150
    assert len(rejection_mails(tenant)) == 150
    assert 429 not in fake_herp.statuses()
    assert limiter.in_window() <= RATE_LIMIT
    moments = [at for _path, _query, _auth, at, _status in fake_herp.requests]
    assert max(sum(1 for m in moments if start <= m < start + 60) for start in moments) <= RATE_LIMIT


def test_when_herp_says_the_minute_is_used_up_it_waits_for_the_reset(tenant: Tenant, fake_herp: FakeHerp) -> None:
    clock = {"now": 1000.0}
    fake_herp.clock = lambda: clock["now"]
    fake_herp.page_size = 1
    fake_herp.candidacies += [candidacy(n, updated_at=ago(minutes=200 - n)) for n in range(1, 120)]
    integration = connected(tenant)
    # Another tool of the same company used 40 of this minute's requests.
    fake_herp._window = [clock["now"]] * 40

    herp_pull(integration_id=integration.pk, limiter=SlidingWindowLimiter(clock=lambda: clock["now"]))

    assert len(fake_herp.requests) == 60 and 429 not in fake_herp.statuses()
    integration.refresh_from_db()
    assert integration.backoff_until is not None and integration.backoff_until > timezone.now()


def test_a_429_sets_the_back_off_and_a_run_before_it_asks_nothing(tenant: Tenant, fake_herp: FakeHerp) -> None:
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(hours=1)))
    fake_herp.scripted = [Answer(429, {"Retry-After": "120"})]
    integration = connected(tenant)
    before = timezone.now()

    herp_pull(integration_id=integration.pk)

    integration.refresh_from_db()
    assert integration.backoff_until is not None
    assert before + timedelta(seconds=115) < integration.backoff_until < timezone.now() + timedelta(seconds=125)
    assert "利用上限" in integration.poll_error
    asked = len(fake_herp.requests)

    assert herp_pull(integration_id=integration.pk).skipped == "backoff"
    assert len(fake_herp.requests) == asked

    herp_pull(integration_id=integration.pk, now=integration.backoff_until + timedelta(seconds=1))
    assert len(rejection_mails(tenant)) == 1
    integration.refresh_from_db()
    assert integration.backoff_until is None and integration.poll_error == ""


def test_a_wrong_key_is_shown_in_japanese_on_the_page(
    tenant: Tenant, fake_herp: FakeHerp, owner_client: Client
) -> None:
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(hours=1)))
    integration = connected(tenant, key="wrong-key")

    herp_pull(integration_id=integration.pk)

    integration.refresh_from_db()
    assert "API キーを認証しませんでした (HTTP 401)" in integration.poll_error
    assert integration.cursor == "" and not Applicant.objects.exists()
    html = owner_client.get(integration.get_absolute_url()).content.decode()
    assert "前回の取得でエラーがありました" in html and "HTTP 401" in html


def test_a_candidacy_that_turns_from_rejected_to_hired_cancels_the_queued_mail(
    tenant: Tenant, fake_herp: FakeHerp
) -> None:
    first = candidacy(1, updated_at=ago(hours=2))
    fake_herp.candidacies.append(first)
    integration = connected(tenant)
    herp_pull(integration_id=integration.pk)
    [mail] = rejection_mails(tenant)
    assert mail.status == OutboundEmail.Status.QUEUED

    fake_herp.upsert(candidacy(1, termination="hired", updated_at=ago(minutes=1)))
    herp_pull(integration_id=integration.pk)

    mail.refresh_from_db()
    assert mail.status == OutboundEmail.Status.CANCELLED and "入社決定" in mail.last_error
    applicant = Applicant.objects.get()
    assert applicant.closed_at is not None and applicant.mail_refusal
    assert log(integration) == [(first["id"], "processed"), (first["id"], "cancelled")]


def test_a_candidacy_back_in_selection_after_a_rejection_is_not_mailed(tenant: Tenant, fake_herp: FakeHerp) -> None:
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(hours=2)))
    integration = connected(tenant)
    herp_pull(integration_id=integration.pk)

    fake_herp.upsert(candidacy(1, termination=None, updated_at=ago(minutes=1)))
    herp_pull(integration_id=integration.pk)

    [mail] = rejection_mails(tenant)
    assert mail.status == OutboundEmail.Status.CANCELLED and "選考が再開" in mail.last_error
    assert Applicant.objects.get().closed_at is not None


def test_a_reason_nobody_has_mapped_is_held_and_never_mailed(tenant: Tenant, fake_herp: FakeHerp) -> None:
    fake_herp.candidacies.append(candidacy(1, termination="talentPool", updated_at=ago(hours=1)))
    integration = connected(tenant)

    herp_pull(integration_id=integration.pk)

    applicant = Applicant.objects.get()
    assert (applicant.hold, applicant.reason_id, applicant.reason_text) == ("unknown_reason", None, "talentPool")
    assert rejection_mails(tenant) == []
    assert log(integration) == [(applicant.external_id, "held")]


def test_a_rejection_without_an_address_is_logged_and_taken_once_herp_has_one(
    tenant: Tenant, fake_herp: FakeHerp
) -> None:
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(hours=1), email=""))
    integration = connected(tenant)
    herp_pull(integration_id=integration.pk)
    assert not Applicant.objects.exists()
    assert [status for _id, status in log(integration)] == ["applicant_missing"]

    fake_herp.upsert(candidacy(1, updated_at=ago(seconds=10)))
    herp_pull(integration_id=integration.pk)

    assert Applicant.objects.count() == 1 and len(rejection_mails(tenant)) == 1


def herp_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HERP_HIRE_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp932")


def test_a_person_imported_from_a_herp_csv_and_then_pulled_is_one_applicant(
    tenant: Tenant, fake_herp: FakeHerp
) -> None:
    pulled = candidacy(7, updated_at=ago(hours=1))
    day = timezone.localtime(ago(days=1)).strftime("%Y/%m/%d")
    row = [pulled["id"], "応募 7郎", "オウボ", "oubo7@example.jp", "法人営業 (中途)", "一次面接", "", day, "不採用"]
    batch = applicant_import_upload(
        company=tenant.company,
        filename="herp.csv",
        content=herp_csv([row]),
        default_stage="document",
        default_track="mid_career",
        actor=tenant.owner,
    )
    applicant_import_start(batch=batch)
    applicant_import_process(batch_id=batch.pk)
    [imported] = Applicant.objects.filter(company=tenant.company)
    assert (imported.external_system, imported.external_id) == ("herp", pulled["id"])
    fake_herp.candidacies.append(pulled)
    integration = connected(tenant)

    herp_pull(integration_id=integration.pk)

    assert list(Applicant.objects.filter(company=tenant.company)) == [imported]
    assert integration.events.get().applicant == imported
    assert len(rejection_mails(tenant)) == 1  # by the rule, once: the CSV import itself mails nobody


def test_the_scheduler_pulls_herp_every_few_minutes(
    tenant: Tenant, fake_herp: FakeHerp, django_capture_on_commit_callbacks: Any
) -> None:
    [job] = [job for job in JOBS if job.name == "pull_herp"]
    assert job.task_path == "integrations.tasks.herp_pull_all"
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(hours=1)))
    connected(tenant)

    from integrations.tasks import herp_pull_all

    with django_capture_on_commit_callbacks(execute=True):
        herp_pull_all.call()

    assert len(rejection_mails(tenant)) == 1


# --- The company's screens ---------------------------------------------------------------------------------------


def test_a_company_connects_herp_hire_with_its_api_key(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        reverse("integrations:new"), {"kind": "herp", "name": "HERP Hire", "herp_api_key": "  herp-secret-key-1234  "}
    )

    integration = Integration.objects.get(company=tenant.company)
    assert response.status_code == 302 and response["Location"] == integration.get_absolute_url()
    assert (integration.kind, integration.herp_api_key) == ("herp", "herp-secret-key-1234")
    html = owner_client.get(integration.get_absolute_url()).content.decode()
    assert "…1234" in html and "herp-secret-key-1234" not in html
    assert integration.endpoint_path not in html and integration.secret not in html
    assert "今すぐ取得" in html and "まだ取得していません" in html


def test_an_empty_herp_key_is_refused_in_japanese(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        reverse("integrations:new"), {"kind": "herp", "name": "HERP Hire", "herp_api_key": "   "}
    )

    assert response.status_code == 400
    assert "HERP Hire の API キーを入力してください。" in response.content.decode()
    assert not Integration.objects.exists()


def test_pull_now_fetches_and_the_page_shows_the_time_and_the_log(
    owner_client: Client, tenant: Tenant, fake_herp: FakeHerp, django_capture_on_commit_callbacks: Any
) -> None:
    fake_herp.candidacies.append(candidacy(1, updated_at=ago(hours=1)))
    integration = connected(tenant)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("integrations:herp_pull", args=[integration.pk]))

    assert response["Location"] == integration.get_absolute_url()
    html = owner_client.get(response["Location"]).content.decode()
    assert "取得を開始しました" in html
    integration.refresh_from_db()
    assert integration.polled_at is not None
    assert timezone.localtime(integration.polled_at).strftime("%Y/%m/%d %H:%M") in html
    assert "応募 1郎" in html and "処理済み" in html


def test_a_manager_replaces_a_wrong_key(owner_client: Client, tenant: Tenant) -> None:
    integration = connected(tenant, key="wrong-key")
    Integration.objects.filter(pk=integration.pk).update(poll_error="HTTP 401")

    owner_client.post(reverse("integrations:herp", args=[integration.pk]), {"herp_api_key": " new-key-5678 "})

    integration.refresh_from_db()
    assert (integration.herp_api_key, integration.poll_error) == ("new-key-5678", "")


def test_a_member_who_does_not_manage_cannot_pull(client: Client, tenant: Tenant) -> None:
    integration = connected(tenant)
    response = login(client, tenant.member).post(reverse("integrations:herp_pull", args=[integration.pk]))

    assert response.status_code in (403, 404)


def test_another_company_sees_none_of_the_herp_screens(outsider_client: Client, tenant: Tenant) -> None:
    integration = connected(tenant)

    assert outsider_client.get(reverse("integrations:detail", args=[integration.pk])).status_code == 404
    assert outsider_client.post(reverse("integrations:herp_pull", args=[integration.pk])).status_code == 404
    response = outsider_client.post(reverse("integrations:herp", args=[integration.pk]), {"herp_api_key": "x-key"})
    assert response.status_code == 404
    integration.refresh_from_db()
    assert integration.herp_api_key == API_KEY


def test_the_webhook_url_of_a_herp_integration_does_not_exist(client: Client, tenant: Tenant) -> None:
    """HERP Hire has no outbound webhook: nothing may post to a HERP integration, and a stray post logs nothing."""
    integration = connected(tenant)
    response = client.post(integration.endpoint_path, data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not integration.events.exists()
