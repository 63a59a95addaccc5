"""The outbox worker: claim before SMTP, send once, retry 4xx with back-off, fail 5xx, never resend a cut-off send."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from lib.mail import MAX_ATTEMPTS
from mailings.models import OutboundEmail
from mailings.services.dispatch import (
    INTERRUPTED_REASON,
    outbox_claim_next,
    outbox_dispatch,
    outbox_due,
    outbox_fail_interrupted,
)
from mailings.services.outbox import outbox_cancel, outbox_enqueue, outbox_resend, rejection_email_queue
from mailings.services.unsubscribe import suppression_add
from tests.conftest import Tenant
from tests.outbox_support import FaultyServer, faulty_smtp, make_applicant, make_version, sign_as

__all__ = ["faulty_smtp"]

Status = OutboundEmail.Status
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


def queue(tenant: Tenant, *, email: str | None = None, send_after: Any = None) -> OutboundEmail:
    applicant = make_applicant(tenant.company, email=email)
    queued = rejection_email_queue(applicant=applicant, version=make_version_once(tenant), send_after=send_after)
    assert queued is not None
    return queued


def make_version_once(tenant: Tenant) -> Any:
    from mailings.models import TemplateVersion

    return TemplateVersion.objects.filter(template__company=tenant.company).first() or make_version(tenant.company)


def promotional(tenant: Tenant, *, to: str = "kaori@example.jp") -> OutboundEmail | None:
    return outbox_enqueue(
        company=tenant.company,
        kind=OutboundEmail.Kind.RECHALLENGE,
        idempotency_key=f"rechallenge:{to}:6",
        to_email=to,
        subject="【株式会社テスト商事】再チャレンジのご案内",
        body="以前ご応募いただいた方へ、新しい募集のご案内です。\n",
        is_promotional=True,
    )


@pytest.mark.django_db
def test_it_claims_a_due_email_sends_it_and_marks_it_sent(tenant: Tenant) -> None:
    sign_as(tenant.company)
    email = queue(tenant, email="hanako@example.jp")

    report = outbox_dispatch()

    email.refresh_from_db()
    assert report.counts == {"sent": 1}
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert email.sent_at is not None and email.claimed_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["hanako@example.jp"]
    assert sent.extra_headers["Message-ID"] == email.message_id
    assert email.message_id.endswith("@career-relay.example.jp>")
    assert "no-reply@career-relay.example.jp" in sent.from_email
    assert sent.reply_to == ["saiyo@test-shoji.example.jp"]

    assert outbox_dispatch().counts == {}
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_leaves_emails_scheduled_for_later_in_the_outbox(tenant: Tenant) -> None:
    later = queue(tenant, send_after=timezone.now() + timedelta(hours=3))

    outbox_dispatch()

    later.refresh_from_db()
    assert (later.status, later.attempts) == (Status.QUEUED, 0)
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_it_commits_the_claim_before_talking_to_smtp(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.mail.backends.locmem import EmailBackend

    email = queue(tenant, send_after=timezone.now() + timedelta(hours=1))
    OutboundEmail.objects.filter(pk=email.pk).update(send_after=timezone.now())
    seen: list[tuple[str, int, bool]] = []
    original = EmailBackend.send_messages

    def spy(self: EmailBackend, messages: Any) -> int:
        row = OutboundEmail.objects.get(pk=email.pk)
        seen.append((row.status, row.attempts, connection.in_atomic_block))
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", spy)
    outbox_dispatch()

    assert seen == [(Status.SENDING, 1, False)]
    email.refresh_from_db()
    assert email.status == Status.SENT


@pytest.mark.django_db
def test_it_retries_a_4xx_later_with_exponential_back_off_then_gives_up(
    tenant: Tenant, faulty_smtp: FaultyServer
) -> None:
    email = queue(tenant, email="temp-busy@example.jp")

    before = timezone.now()
    outbox_dispatch()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert before + timedelta(minutes=2) <= email.send_after <= timezone.now() + timedelta(minutes=2)
    assert "451" in email.last_error and "自動で再送します" in email.last_error

    OutboundEmail.objects.filter(pk=email.pk).update(send_after=timezone.now())
    before = timezone.now()
    outbox_dispatch()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 2)
    assert email.send_after >= before + timedelta(minutes=4)

    OutboundEmail.objects.filter(pk=email.pk).update(send_after=timezone.now(), attempts=MAX_ATTEMPTS - 1)
    outbox_dispatch()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert email.failed_at is not None
    assert f"一時的なエラーが {MAX_ATTEMPTS} 回続いたため" in email.last_error
    assert faulty_smtp.handler.received == []


@pytest.mark.django_db
def test_it_fails_a_5xx_at_once_with_a_clear_japanese_reason(tenant: Tenant, faulty_smtp: FaultyServer) -> None:
    refused = queue(tenant, email="perm-gone@example.jp")
    fine = queue(tenant, email="fine@example.jp")

    report = outbox_dispatch()

    refused.refresh_from_db()
    fine.refresh_from_db()
    assert report.counts == {"failed": 1, "sent": 1}
    assert (refused.status, refused.attempts) == (Status.FAILED, 1)
    assert refused.last_error.startswith("送信先のメールサーバーが受け取りを拒否しました。")
    assert "550" in refused.last_error
    assert fine.status == Status.SENT  # the refusal did not spoil the shared connection
    assert faulty_smtp.handler.recipients == {"fine@example.jp": 1}


@pytest.mark.django_db
def test_it_treats_an_unreachable_server_as_temporary_and_stops_until_the_next_run(
    tenant: Tenant, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    email = queue(tenant)
    waiting = [queue(tenant) for _ in range(2)]

    report = outbox_dispatch()

    email.refresh_from_db()
    assert report.counts == {"server_unavailable": 1}
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert "ConnectionRefusedError" in email.last_error
    # The server is down, not these emails: they keep their attempts for when it is back.
    for other in waiting:
        other.refresh_from_db()
        assert (other.status, other.attempts, other.last_error) == (Status.QUEUED, 0, "")


@pytest.mark.django_db
def test_it_fails_an_interrupted_send_instead_of_sending_it_again(tenant: Tenant, settings: Any) -> None:
    settings.OUTBOX_CLAIM_TIMEOUT_SECONDS = 300
    interrupted = queue(tenant)
    in_progress = queue(tenant)
    OutboundEmail.objects.filter(pk=interrupted.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=6)
    )
    OutboundEmail.objects.filter(pk=in_progress.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(seconds=30)
    )

    report = outbox_dispatch()

    interrupted.refresh_from_db()
    in_progress.refresh_from_db()
    assert report.interrupted == 1
    assert interrupted.status == Status.FAILED
    assert interrupted.last_error == (
        "送信処理が中断されたため、二重送信を避けて自動再送を停止しました。内容をご確認のうえ再送してください。"
    )
    assert str(INTERRUPTED_REASON) == interrupted.last_error
    assert in_progress.status == Status.SENDING  # another worker may still be talking to SMTP
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_manager_resends_a_failed_email_on_the_same_row_with_the_same_message_id(tenant: Tenant) -> None:
    email = queue(tenant)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(hours=1)
    )
    outbox_fail_interrupted()
    email.refresh_from_db()
    message_id = email.message_id

    assert outbox_resend(email=email, actor=tenant.owner) is True
    assert outbox_resend(email=email, actor=tenant.owner) is False  # already queued again
    outbox_dispatch()

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 2, "")
    assert email.message_id == message_id
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message_id]
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_a_queued_email_can_be_cancelled_but_a_sent_one_cannot(tenant: Tenant) -> None:
    queued = queue(tenant, send_after=timezone.now() + timedelta(days=1))
    sent = queue(tenant)
    outbox_dispatch()

    assert outbox_cancel(email=queued, actor=tenant.owner) is True
    assert outbox_cancel(email=sent, actor=tenant.owner) is False
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED
    assert "送信を取り消しました" in queued.last_error


@pytest.mark.django_db
def test_it_queues_one_rejection_email_per_applicant_however_often_asked(tenant: Tenant) -> None:
    applicant = make_applicant(tenant.company)
    version = make_version(tenant.company)

    first = rejection_email_queue(applicant=applicant, version=version)
    again = rejection_email_queue(applicant=applicant, version=version, send_after=timezone.now() + timedelta(days=3))
    outbox_dispatch()
    after_sending = rejection_email_queue(applicant=applicant, version=version)

    assert first is not None and again is not None and after_sending is not None
    assert first.pk == again.pk == after_sending.pk
    assert OutboundEmail.objects.filter(applicant=applicant).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_cancels_promotional_mail_to_an_address_suppressed_after_queuing(tenant: Tenant) -> None:
    email = promotional(tenant, to="kaori@example.jp")
    assert email is not None
    suppression_add(email="KAORI@example.jp", company=tenant.company)

    report = outbox_dispatch()

    email.refresh_from_db()
    assert report.counts == {"cancelled": 1}
    assert email.status == Status.CANCELLED
    assert "配信停止のお申し出" in email.last_error
    assert mail.outbox == []
    assert promotional(tenant, to="kaori@example.jp") == email  # same key: the cancelled row, not a new one


@pytest.mark.django_db
def test_it_adds_one_click_unsubscribe_headers_to_promotional_mail_only(tenant: Tenant) -> None:
    promotional(tenant)
    queue(tenant)

    outbox_dispatch()

    by_kind = {("再チャレンジ" in m.subject): m for m in mail.outbox}
    promo, rejection = by_kind[True], by_kind[False]
    assert promo.extra_headers["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")
    assert promo.extra_headers["List-Unsubscribe"].endswith("/>")
    assert promo.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe" not in rejection.extra_headers
    assert "List-Unsubscribe-Post" not in rejection.extra_headers


@pytest.mark.django_db(transaction=True)
def test_queuing_enqueues_one_dispatch_after_commit_and_none_for_later_sends(tenant: Tenant, settings: Any) -> None:
    from django_tasks import default_task_backend

    settings.TASKS = DUMMY_TASKS
    version = make_version(tenant.company)
    applicants = [make_applicant(tenant.company) for _ in range(3)]

    with transaction.atomic():
        for applicant in applicants:
            rejection_email_queue(applicant=applicant, version=version)
        assert default_task_backend.results == []  # type: ignore[attr-defined]  # not before commit
    enqueued = [r.task.module_path for r in default_task_backend.results]  # type: ignore[attr-defined]
    assert enqueued == ["mailings.tasks.dispatch_outbox"]

    rejection_email_queue(
        applicant=make_applicant(tenant.company), version=version, send_after=timezone.now() + timedelta(days=2)
    )
    assert len(default_task_backend.results) == 1  # type: ignore[attr-defined]  # the per-minute job sends it


@pytest.mark.django_db(transaction=True)
def test_queuing_with_the_immediate_backend_sends_right_after_commit(tenant: Tenant) -> None:
    with transaction.atomic():
        email = queue(tenant)
        assert mail.outbox == []

    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_dispatch_task_hands_the_rest_to_a_fresh_task_when_its_time_is_up(
    tenant: Tenant, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks import default_task_backend

    import mailings.services.dispatch
    from mailings.tasks import dispatch_outbox

    settings.TASKS = DUMMY_TASKS
    for _ in range(3):
        queue(tenant)
    real = mailings.services.dispatch.outbox_dispatch
    monkeypatch.setattr(mailings.services.dispatch, "outbox_dispatch", lambda: real(time_budget=0.0))

    dispatch_outbox.call()

    assert OutboundEmail.objects.filter(status=Status.QUEUED).count() == 3
    enqueued = [r.task.module_path for r in default_task_backend.results]  # type: ignore[attr-defined]
    assert enqueued == ["mailings.tasks.dispatch_outbox"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_email(tenant: Tenant, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) are proven on PostgreSQL")
    settings.TASKS = DUMMY_TASKS  # keep the rows queued: the workers below are the only ones claiming
    for _ in range(60):
        queue(tenant)
    claimed: list[list[int]] = [[] for _ in range(6)]
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker(mine: list[int]) -> None:
        try:
            barrier.wait()
            while (email := outbox_claim_next()) is not None:
                mine.append(email.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [pk for mine in claimed for pk in mine]
    assert errors == []
    assert sum(1 for mine in claimed if mine) > 1  # the claims really were shared out
    assert len(every) == len(set(every)) == 60
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_the_demo_outbox_shows_every_state_sends_nothing_and_can_be_seeded_twice(tenant: Tenant, settings: Any) -> None:
    from demo.outbox import seed_outbox

    # A configured mail server that would fail every send: the demo must not use it.
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1

    assert seed_outbox(company=tenant.company, actor=tenant.owner) == 10
    assert seed_outbox(company=tenant.company, actor=tenant.owner) == 0

    emails = OutboundEmail.objects.filter(company=tenant.company)
    assert emails.count() == 10
    assert {e.progress[0] for e in emails} == {"registered", "clicked", "sent", "failed", "queued"}
    assert emails.get(status=Status.FAILED).last_error.startswith("送信先のメールサーバーが受け取りを拒否しました。")
    assert all(e.send_after > timezone.now() for e in emails.filter(status=Status.QUEUED))
    assert emails.filter(status=Status.SENT).count() == 7


def test_it_tells_a_server_outage_from_a_refused_message() -> None:
    import smtplib

    from lib.mail import smtp_server_unavailable as _server_unavailable

    assert _server_unavailable(ConnectionRefusedError())
    assert _server_unavailable(TimeoutError())
    assert _server_unavailable(smtplib.SMTPServerDisconnected("gone"))
    assert _server_unavailable(smtplib.SMTPConnectError(421, b"busy"))
    assert _server_unavailable(smtplib.SMTPDataError(421, b"shutting down"))
    assert not _server_unavailable(smtplib.SMTPRecipientsRefused({"x@example.jp": (451, b"later")}))
    assert not _server_unavailable(smtplib.SMTPDataError(554, b"rejected"))
    assert not _server_unavailable(smtplib.SMTPSenderRefused(450, b"later", "no-reply@example.jp"))


@pytest.mark.django_db
def test_a_muted_block_queues_email_but_wakes_no_worker_until_the_per_minute_job(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    from mailings.services import mail_muted

    with django_capture_on_commit_callbacks() as callbacks, mail_muted():
        queued = outbox_enqueue(
            company=tenant.company,
            kind=OutboundEmail.Kind.REJECTION,
            idempotency_key="muted-1",
            to_email="hanako@example.jp",
            subject="件名",
            body="本文",
        )

    assert queued is not None and queued.status == OutboundEmail.Status.QUEUED
    assert callbacks == []


def test_the_claim_reads_a_batch_sharing_one_send_after_in_order_from_the_index_without_sorting(
    tenant: Tenant, settings: Any
) -> None:
    """A batch of 10,000 rows shares one send_after: sorting them afresh for every claim made dispatch O(n²)."""
    settings.TASKS = DUMMY_TASKS
    moment = timezone.now()
    for _ in range(30):
        queue(tenant, send_after=moment)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table this small is cheaper to sort: say so, so the plan shows whether an ordered index exists.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
        plan = outbox_due(moment).explain()

    assert "outbox_claim_order" in plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
