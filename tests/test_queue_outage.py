"""No request fails when the queue is down (issue 13): with RQ pointed at a Redis that does not answer, a
registration, an import, a batch send and a sign-in link each answer normally, and nothing is lost — the work is
a row written with the business change, the queue only wakes a worker, the periodic sweeps carry it out later."""

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants.models import ApplicantImport
from applicants.services import applicant_imports_resume_stuck
from candidates.models import Candidate
from mailings.models import OutboundEmail, SendBatch
from mailings.services.sending import send_batches_resume_stalled
from mailings.tasks import dispatch_outbox
from tests.conftest import Tenant, register_verified
from tests.fixture_types import CaptureOnCommit
from tests.outbox_support import make_applicant, make_version
from tests.test_applicant_imports import HERP_HEADERS, csv_bytes, herp_row, upload_file
from tests.test_registration import form_data
from tests.test_sending import confirm_and_send
from tests.workers import RQ_TASKS

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused


class Queue:
    """Turns the RQ backend on a dead Redis on, and back to the suite's inline backend (the queue is back)."""

    def __init__(self, settings: Any) -> None:
        self.settings, self.inline = settings, settings.TASKS

    def down(self) -> None:
        self.settings.RQ_QUEUES = {"default": {"URL": DEAD_REDIS, "DEFAULT_TIMEOUT": 60}}
        self.settings.TASKS = RQ_TASKS
        self.settings.REDIS_URL = DEAD_REDIS  # the rate limits' store too

    def back(self) -> None:
        self.settings.TASKS = self.inline


@pytest.fixture
def queue(settings: Any, caplog: pytest.LogCaptureFixture) -> Iterator[Queue]:
    caplog.set_level(logging.WARNING)
    outage = Queue(settings)
    outage.down()
    yield outage
    outage.back()


@pytest.fixture
def capture(django_capture_on_commit_callbacks: CaptureOnCommit) -> CaptureOnCommit:
    return django_capture_on_commit_callbacks


def the_sweep_delivers() -> None:
    """What the every-minute dispatch_outbox job does once a worker runs it."""
    dispatch_outbox.call()


def test_a_registration_answers_normally_and_its_verification_mail_goes_out_with_the_sweep(
    client: Client, tenant: Tenant, queue: Queue, caplog: pytest.LogCaptureFixture, capture: CaptureOnCommit
) -> None:
    with capture(execute=True):
        response = client.post(f"/r/{tenant.link.code}", form_data())

    assert response.status_code == 302 and response["Location"] == f"/r/{tenant.link.code}/thanks"
    candidate = Candidate.objects.get()
    queued = OutboundEmail.objects.get(to_email=candidate.email)
    assert queued.status == OutboundEmail.Status.QUEUED and mail.outbox == []
    assert "タスクキューに接続できません" in caplog.text  # the lost wake-up, as one warning
    assert "rate limit: Redis に接続できません" in caplog.text  # counted in the database meanwhile

    queue.back()
    the_sweep_delivers()
    assert [m.to for m in mail.outbox] == [[candidate.email]] and "/me/verify/" in str(mail.outbox[0].body)


def test_a_sign_in_link_request_answers_normally_and_the_link_goes_out_with_the_sweep(
    client: Client, tenant: Tenant, queue: Queue, capture: CaptureOnCommit
) -> None:
    queue.back()
    candidate = register_verified(tenant.link, email="known@example.jp")
    the_sweep_delivers()
    mail.outbox.clear()
    queue.down()

    with capture(execute=True):
        response = client.post("/me/login/", {"email": "known@example.jp"})

    assert response.status_code == 200 and "ログイン用のリンクをお送りしました" in response.content.decode()
    assert mail.outbox == []
    queue.back()
    the_sweep_delivers()
    assert [m.to for m in mail.outbox] == [[candidate.email]] and "/me/auth/" in str(mail.outbox[0].body)


def test_starting_an_import_answers_normally_and_the_stuck_import_sweep_stores_it(
    owner_client: Client, tenant: Tenant, queue: Queue, capture: CaptureOnCommit
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2)])
    file: SimpleUploadedFile = upload_file(content)
    owner_client.post(
        reverse("applicants:imports"), {"file": file, "default_stage": "document", "default_track": "mid_career"}
    )
    batch = ApplicantImport.objects.get()

    with capture(execute=True):
        response = owner_client.post(reverse("applicants:import_start", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ApplicantImport.Status.RUNNING and batch.stored_count == 0
    assert owner_client.get(reverse("applicants:import_detail", args=[batch.pk])).status_code == 200

    queue.back()
    with capture(execute=True):
        assert applicant_imports_resume_stuck(now=timezone.now() + ApplicantImport.STALLED_AFTER * 2) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count) == (ApplicantImport.Status.DONE, 2)


def test_a_batch_send_answers_normally_and_the_stalled_batch_sweep_queues_every_mail(
    owner_client: Client, tenant: Tenant, queue: Queue, capture: CaptureOnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailings.services import sending

    make_version(tenant.company)
    applicants = [make_applicant(tenant.company, rejected_at=timezone.now() - timedelta(days=1)) for _ in range(4)]
    monkeypatch.setattr(sending, "BACKGROUND_THRESHOLD", 2)  # so the worker, not the request, expands it

    with capture(execute=True):
        response = confirm_and_send(owner_client, {"link": tenant.link.pk, "applicant": [a.pk for a in applicants]})

    assert response.status_code == 302
    batch = SendBatch.objects.get()
    assert batch.status == SendBatch.Status.PENDING and OutboundEmail.objects.count() == 0

    queue.back()
    SendBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=75))
    with capture(execute=True):
        assert send_batches_resume_stalled() == 1
    batch.refresh_from_db()
    assert batch.status == SendBatch.Status.DONE
    assert OutboundEmail.objects.filter(applicant__in=applicants).count() == 4


def test_rate_limits_still_hold_through_a_redis_outage_counted_in_the_database(
    client: Client, tenant: Tenant, settings: Any, queue: Queue, capture: CaptureOnCommit
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "candidate_login:email": "2/h"}
    statuses = []
    for _ in range(3):
        with capture(execute=True):
            statuses.append(client.post("/me/login/", {"email": "someone@example.jp"}).status_code)

    assert statuses == [200, 200, 429]


def test_a_lost_database_answers_the_japanese_503_page_with_retry_after(
    tenant: Tenant, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db.backends.base.base import BaseDatabaseWrapper

    settings.DEBUG = False
    code = tenant.link.code

    def refused(self: Any) -> None:
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refused)
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refused)
    response = Client(raise_request_exception=False).get(f"/r/{code}")

    assert response.status_code == 503 and response["Retry-After"] == "60"
    body = response.content.decode()
    assert "ただいま一時的にご利用いただけません" in body
    assert "Server Error" not in body


def test_the_503_page_renders_without_a_request_or_a_database() -> None:
    from django.template.loader import render_to_string

    assert "申し訳ございません" in render_to_string("503.html")
