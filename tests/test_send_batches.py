"""A send of any size is a batch row written in the request, expanded into outbox rows in idempotent chunks that
survive a killed worker and a lost queue (issue 13, point 1): the outbox shows the batch, never an empty promise."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applicants.models import Applicant
from applicants.services import applicant_close
from mailings.models import MailSettings, OutboundEmail, SendBatch, TemplateVersion
from mailings.services.sending import (
    Assignment,
    Schedule,
    send_batch_create,
    send_batch_expand,
    send_batches_resume_stalled,
)
from tests.conftest import Tenant, make_tenant
from tests.outbox_support import make_applicant, make_version
from tests.test_sending import confirm_and_send

NOW = Schedule(when="now")


def _batch(tenant: Tenant, applicants: list[Applicant], version: TemplateVersion) -> SendBatch:
    return send_batch_create(
        company=tenant.company,
        assignments=[Assignment(a, version) for a in applicants],
        link=tenant.link,
        schedule=NOW,
        actor=tenant.owner,
        in_request=True,
    )


def _stall(batch: SendBatch, seconds: int = 75) -> None:
    SendBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_a_worker_killed_after_one_chunk_is_resumed_by_the_sweep_and_queues_each_mail_once(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    version = make_version(tenant.company)
    applicants = [make_applicant(tenant.company) for _ in range(7)]
    batch = _batch(tenant, applicants, version)

    batch = send_batch_expand(batch_id=batch.pk, chunk_size=3, max_chunks=1)  # then the worker is killed
    assert (batch.status, batch.next_index, batch.queued_count) == (SendBatch.Status.PENDING, 3, 3)
    assert send_batches_resume_stalled() == 0  # it made progress a moment ago

    _stall(batch)
    with django_capture_on_commit_callbacks(execute=True):  # the immediate task backend runs the expansion
        assert send_batches_resume_stalled() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.queued_count, batch.left_out_count) == (SendBatch.Status.DONE, 7, 0)
    assert OutboundEmail.objects.filter(applicant__in=applicants).count() == 7
    assert send_batch_expand(batch_id=batch.pk).queued_count == 7
    assert OutboundEmail.objects.count() == 7


@pytest.mark.django_db
def test_a_lost_queue_never_fails_the_request_and_the_sweep_sends_the_batch_later(
    owner_client: Client, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from mailings.services import sending

    make_version(tenant.company)
    applicants = [make_applicant(tenant.company, rejected_at=timezone.now() - timedelta(days=1)) for _ in range(4)]
    monkeypatch.setattr(sending, "BACKGROUND_THRESHOLD", 2)

    import lib.tasks

    class QueueDown:
        def enqueue(self, **kwargs: Any) -> None:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    reachable = lib.tasks.task_by_path
    monkeypatch.setattr(
        lib.tasks, "task_by_path", lambda path: QueueDown() if path.endswith("expand_send_batch") else reachable(path)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm_and_send(owner_client, {"link": tenant.link.pk, "applicant": [a.pk for a in applicants]})

    assert response.status_code == 302
    batch = SendBatch.objects.get()
    assert (batch.status, batch.total) == (SendBatch.Status.PENDING, 4)
    assert OutboundEmail.objects.count() == 0
    page = owner_client.get("/company/mail/outbox/").content.decode()
    assert "送信予約を準備しています(0 / 4 件)" in page

    monkeypatch.undo()
    _stall(batch)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_batches_resume_stalled() == 1
    batch.refresh_from_db()
    assert batch.status == SendBatch.Status.DONE
    assert sorted(OutboundEmail.objects.values_list("applicant_id", flat=True)) == sorted(a.pk for a in applicants)
    assert batch.versions_used  # the texts the chooser picked, as the audit record names them


@pytest.mark.django_db
def test_the_outbox_shows_progress_and_a_stalled_batch_only_to_its_own_company(
    owner_client: Client, outsider_client: Client, tenant: Tenant
) -> None:
    version = make_version(tenant.company)
    batch = _batch(tenant, [make_applicant(tenant.company) for _ in range(5)], version)
    send_batch_expand(batch_id=batch.pk, chunk_size=2, max_chunks=1)

    fresh = owner_client.get("/company/mail/outbox/").content.decode()
    _stall(batch)
    stalled = owner_client.get("/company/mail/outbox/").content.decode()
    theirs = outsider_client.get("/company/mail/outbox/").content.decode()

    assert "送信予約を準備しています(2 / 5 件)" in fresh and 'hx-trigger="every 3s"' in fresh
    assert "1〜2 分以内に自動で続きから再開します" in stalled
    assert "一括送信の受付状況" not in theirs


@pytest.mark.django_db
def test_a_batch_whose_sender_settings_were_cleared_is_refused_with_the_reason_on_the_outbox(
    owner_client: Client, tenant: Tenant
) -> None:
    batch = _batch(tenant, [make_applicant(tenant.company) for _ in range(3)], make_version(tenant.company))
    MailSettings.objects.filter(company=tenant.company).update(signature="")
    tenant.company.__dict__.pop("mail_settings", None)

    batch = send_batch_expand(batch_id=batch.pk)

    assert batch.status == SendBatch.Status.FAILED
    assert OutboundEmail.objects.count() == 0
    page = owner_client.get("/company/mail/outbox/").content.decode()
    assert "送信予約できませんでした。" in page and "署名" in page


@pytest.mark.django_db
def test_applicants_hired_after_the_confirmation_are_left_out_chunk_by_chunk(tenant: Tenant) -> None:
    applicants = [make_applicant(tenant.company) for _ in range(6)]
    batch = _batch(tenant, applicants, make_version(tenant.company))
    send_batch_expand(batch_id=batch.pk, chunk_size=2, max_chunks=1)
    applicant_close(applicant=applicants[4], why="入社決定のため")

    batch = send_batch_expand(batch_id=batch.pk, chunk_size=2)

    assert (batch.status, batch.queued_count, batch.left_out_count) == (SendBatch.Status.DONE, 5, 1)
    assert not OutboundEmail.objects.filter(applicant=applicants[4]).exists()


@pytest.mark.django_db
def test_another_companys_applicants_in_a_forged_batch_are_never_mailed(tenant: Tenant, operator: Any) -> None:
    other = make_tenant(operator, "他社株式会社", "other-co")
    theirs = [make_applicant(other.company) for _ in range(2)]
    mine = [make_applicant(tenant.company)]
    version = make_version(tenant.company)
    batch = _batch(tenant, mine, version)
    SendBatch.objects.filter(pk=batch.pk).update(
        assignments=[[mine[0].pk, version.pk], *[[a.pk, version.pk] for a in theirs]], total=3
    )

    batch = send_batch_expand(batch_id=batch.pk)

    assert (batch.queued_count, batch.left_out_count) == (1, 2)
    assert not OutboundEmail.objects.filter(applicant__in=theirs).exists()


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=0, max_value=9),
    chunk=st.integers(min_value=1, max_value=4),
    kills=st.lists(st.integers(min_value=1, max_value=3), max_size=4),
)
def test_any_pattern_of_chunk_sizes_and_kills_queues_exactly_one_mail_per_applicant(
    tenant: Tenant, size: int, chunk: int, kills: list[int]
) -> None:
    OutboundEmail.objects.all().delete()
    version = make_version(tenant.company)
    applicants = [make_applicant(tenant.company) for _ in range(size)]
    batch = _batch(tenant, applicants, version)

    for chunks_before_kill in kills:
        send_batch_expand(batch_id=batch.pk, chunk_size=chunk, max_chunks=chunks_before_kill)
    batch = send_batch_expand(batch_id=batch.pk, chunk_size=chunk)

    assert batch.status == SendBatch.Status.DONE
    assert batch.queued_count == size
    queued = list(OutboundEmail.objects.filter(applicant__in=applicants).values_list("applicant_id", flat=True))
    assert sorted(queued) == sorted(a.pk for a in applicants)
