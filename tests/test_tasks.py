"""Background work: the database worker, the hourly scheduler, RQ on Redis, and the expire_credits command."""

import logging
import re
import shlex
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend

import lib.periodic
from lib.models import ScheduledRun
from lib.periodic import JOBS, enqueue_due_jobs
from mailings.models import OutboundEmail
from mailings.tasks import deliver_email
from relay.models import CreditEntry
from relay.tasks import expire_credits
from tests.conftest import Tenant, register
from tests.workers import run_rq_burst

BASE_DIR = Path(__file__).resolve().parent.parent
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
# The hourly job alone, so these tests stay true as other periodic jobs are added to lib.periodic.JOBS.
EXPIRE_ONLY = [job for job in lib.periodic.JOBS if job.name == "expire_credits"]
EVERY_MINUTE = [job for job in lib.periodic.JOBS if job.name == "dispatch_outbox"]


def enqueue_mail() -> Any:
    return deliver_email.enqueue(to=["hanako@example.jp"], subject="件名", body="本文です。\n", headers={})


@pytest.fixture(autouse=True)
def _restore_process_state() -> Iterator[None]:
    """Workers install signal handlers and set logger levels for a whole process; put them back afterwards."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    loggers = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db", "rq.worker")}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def _only_the_expiry_job() -> Iterator[None]:
    """These tests are about the scheduler itself; jobs that other features add are tested with those features.

    Not through `monkeypatch`: a test here calls `monkeypatch.undo()`, which must not bring the other jobs back.
    """
    with mock.patch.object(lib.periodic, "JOBS", [job for job in lib.periodic.JOBS if job.name == "expire_credits"]):
        yield


def expired_lot(tenant: Tenant, *, days_ago: int = 1) -> CreditEntry:
    return CreditEntry.objects.create(
        company=tenant.company,
        kind=CreditEntry.Kind.GRANT,
        amount=1,
        milestone=10,
        expires_at=timezone.now() - timedelta(days=days_ago),
        reason="テスト用",
    )


def open_lot(tenant: Tenant) -> CreditEntry:
    return CreditEntry.objects.create(
        company=tenant.company,
        kind=CreditEntry.Kind.GRANT,
        amount=1,
        milestone=20,
        expires_at=timezone.now() + timedelta(days=30),
        reason="テスト用",
    )


# --- database backend and db_worker ---------------------------------------------------------------------------------


def run_db_worker() -> str:
    out = StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_queued_mail_exactly_once_with_the_db_worker(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    result = enqueue_mail()

    row = DBTaskResult.objects.get()
    assert str(row.id) == result.id
    assert row.status == TaskResultStatus.READY
    assert row.task_path == "mailings.tasks.deliver_email"
    assert mail.outbox == []

    run_db_worker()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hanako@example.jp"]
    assert mail.outbox[0].subject == "件名"
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert deliver_email.get_result(result.id).status == TaskResultStatus.SUCCESSFUL

    run_db_worker()

    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_it_queues_the_registration_mail_only_after_commit_and_the_worker_sends_it(
    settings: Any, tenant: Tenant
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS

    registration = register(tenant.link, name="高橋 三郎", email="saburo@example.jp")

    # Every e-mail is an outbox row; committing the registration wakes the outbox worker once.
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CANDIDATE_VERIFY, status="queued").count() == 1
    assert DBTaskResult.objects.filter(task_path="mailings.tasks.dispatch_outbox").count() == 1
    assert mail.outbox == []
    run_db_worker()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [registration.candidate.email]
    assert mail.outbox[0].subject == "【キャリアリレー】メールアドレスの確認をお願いいたします"
    assert "/me/verify/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_it_retries_a_temporary_smtp_failure_later_with_back_off(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    enqueue_mail()

    run_db_worker()

    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == TaskResultStatus.SUCCESSFUL
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after is not None and retry.run_after > timezone.now() + timedelta(minutes=1)
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_it_records_a_failed_delivery_after_the_last_attempt(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from lib.mail import MAX_ATTEMPTS

    settings.TASKS = DB_TASKS
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    deliver_email.enqueue(to=["hanako@example.jp"], subject="件名", body="本文", headers={}, attempt=MAX_ATTEMPTS)

    run_db_worker()

    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "builtins.ConnectionRefusedError"
    assert "Connection refused" in row.traceback


def test_it_treats_5xx_replies_as_permanent_and_4xx_as_temporary() -> None:
    import smtplib

    from lib.mail import is_permanent_error as _is_permanent

    assert _is_permanent(smtplib.SMTPRecipientsRefused({"x@example.jp": (550, b"no such user")}))
    assert not _is_permanent(smtplib.SMTPRecipientsRefused({"x@example.jp": (451, b"try later")}))
    assert _is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not _is_permanent(smtplib.SMTPServerDisconnected("gone"))
    assert not _is_permanent(ConnectionRefusedError())


# --- the scheduler --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_enqueues_each_job_once_per_hourly_slot(settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS
    nine_am_jst = datetime(2026, 11, 2, 0, 5, tzinfo=UTC)

    first = enqueue_due_jobs(now=nine_am_jst, jobs=EXPIRE_ONLY)
    same_hour = enqueue_due_jobs(now=nine_am_jst + timedelta(minutes=54), jobs=EXPIRE_ONLY)
    next_hour = enqueue_due_jobs(now=nine_am_jst + timedelta(minutes=55), jobs=EXPIRE_ONLY)

    assert first == ["expire_credits"]
    assert same_hour == []
    assert next_hour == ["expire_credits"]
    assert sorted(ScheduledRun.objects.values_list("job", "slot")) == [
        ("expire_credits", "2026-11-02T09"),
        ("expire_credits", "2026-11-02T10"),
    ]
    enqueued = default_task_backend.results  # type: ignore[attr-defined]
    assert [r.task.module_path for r in enqueued] == ["relay.tasks.expire_credits"] * 2


@pytest.mark.django_db
def test_it_uses_japan_time_for_the_slot(settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS

    enqueue_due_jobs(now=datetime(2026, 12, 31, 15, 0, tzinfo=UTC), jobs=EXPIRE_ONLY + EVERY_MINUTE)

    assert list(ScheduledRun.objects.filter(job="expire_credits").values_list("slot", flat=True)) == ["2027-01-01T00"]
    assert list(ScheduledRun.objects.filter(job="dispatch_outbox").values_list("slot", flat=True)) == [
        "2027-01-01T00:00"
    ]


@pytest.mark.django_db
def test_it_does_not_take_the_slot_when_enqueueing_fails(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django_tasks.backends.dummy import DummyBackend

    settings.TASKS = DUMMY_TASKS

    def broken_enqueue(*args: object, **kwargs: object) -> None:
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(DummyBackend, "enqueue", broken_enqueue)
    moment = datetime(2026, 11, 2, 0, 5, tzinfo=UTC)
    with pytest.raises(ConnectionError):
        enqueue_due_jobs(now=moment, jobs=EXPIRE_ONLY)
    monkeypatch.undo()

    assert not ScheduledRun.objects.exists()
    assert enqueue_due_jobs(now=moment, jobs=EXPIRE_ONLY) == ["expire_credits"]


@pytest.mark.django_db
def test_it_runs_the_scheduler_once_and_returns(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the immediate backend the enqueued job runs inline, so one pass also expires the overdue credit."""
    fixed = datetime(2026, 11, 2, 3, 30, tzinfo=UTC)
    monkeypatch.setattr(lib.periodic, "timezone", SimpleNamespace(now=lambda: fixed, localtime=timezone.localtime))
    lot = expired_lot(tenant)

    first, second = StringIO(), StringIO()
    # Not monkeypatch: conftest's autouse fixtures set it up first, so it would tear down after this module's
    # `_only_the_expiry_job` and leave lib.periodic.JOBS cut down for every later test.
    with mock.patch.object(lib.periodic, "JOBS", EXPIRE_ONLY + EVERY_MINUTE):
        call_command("scheduler", "--once", stdout=first)
        call_command("scheduler", "--once", stdout=second)

    assert first.getvalue() == "enqueued expire_credits\nenqueued dispatch_outbox\n"
    assert second.getvalue() == ""
    assert sorted(ScheduledRun.objects.values_list("job", "slot")) == [
        ("dispatch_outbox", "2026-11-02T12:30"),
        ("expire_credits", "2026-11-02T12"),
    ]
    assert CreditEntry.objects.get(lot=lot).kind == CreditEntry.Kind.EXPIRY


# --- the expire_credits command -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_prints_how_many_credits_the_command_expired(tenant: Tenant) -> None:
    overdue = [expired_lot(tenant, days_ago=1), expired_lot(tenant, days_ago=40)]
    still_valid = open_lot(tenant)

    first, second = StringIO(), StringIO()
    call_command("expire_credits", stdout=first)
    call_command("expire_credits", stdout=second)

    assert first.getvalue() == "expired 2 credit(s)\n"
    assert second.getvalue() == "expired 0 credit(s)\n"
    expiries = CreditEntry.objects.filter(kind=CreditEntry.Kind.EXPIRY)
    assert {e.lot_id for e in expiries} == {lot.pk for lot in overdue}
    assert all(e.amount == -1 for e in expiries)
    assert list(CreditEntry.objects.open_lots()) == [still_valid]
    assert CreditEntry.objects.filter(company=tenant.company).summary().balance == 1


# --- RQ on Redis ----------------------------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_it_delivers_a_queued_mail_exactly_once_through_rq(rq_queue: Any) -> None:
    import django_rq

    result = enqueue_mail()

    assert django_rq.get_queue("default").count == 1
    assert mail.outbox == []
    assert run_rq_burst() is True

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hanako@example.jp"]
    assert deliver_email.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
    assert django_rq.get_queue("default").count == 0

    assert run_rq_burst() is False
    assert len(mail.outbox) == 1


@pytest.mark.redis
@pytest.mark.django_db
def test_it_expires_credits_through_rq(rq_queue: Any, tenant: Tenant) -> None:
    lot = expired_lot(tenant)

    result = expire_credits.enqueue()
    run_rq_burst()

    finished = expire_credits.get_result(result.id)
    assert finished.status == TaskResultStatus.SUCCESSFUL
    assert finished.return_value == 1
    assert CreditEntry.objects.get(lot=lot).kind == CreditEntry.Kind.EXPIRY


@pytest.mark.redis
@pytest.mark.django_db
def test_it_enqueues_the_scheduled_job_on_rq(rq_queue: Any) -> None:
    import django_rq

    assert enqueue_due_jobs(now=datetime(2026, 11, 2, 0, 5, tzinfo=UTC), jobs=EXPIRE_ONLY) == ["expire_credits"]
    assert enqueue_due_jobs(now=datetime(2026, 11, 2, 0, 59, tzinfo=UTC), jobs=EXPIRE_ONLY) == []

    jobs = django_rq.get_queue("default").jobs
    assert [job.func_name for job in jobs] == ["relay.tasks.expire_credits"]


def _serve_sh_worker_queues() -> list[str]:
    script = (BASE_DIR / "scripts" / "serve.sh").read_text()
    found = re.search(r"manage\.py worker([^&\n]*)", script)
    assert found is not None, "scripts/serve.sh no longer starts `manage.py worker`"
    arguments = shlex.split(found.group(1))
    return arguments[arguments.index("--queue") + 1].split(",") if "--queue" in arguments else ["default"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_it_delivers_mail_with_the_rq_worker_that_serve_sh_starts(rq_queue: Any, settings: Any) -> None:
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    result = enqueue_mail()

    from lib.workers import rq_worker_make

    # The worker `manage.py worker` makes when REDIS_URL is set, on the queues serve.sh names; in this process.
    rq_worker_make(_serve_sh_worker_queues(), worker_class="rq.SimpleWorker").work(burst=True)

    assert deliver_email.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_enqueues_the_outbox_dispatch_once_per_minute(settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS
    moment = datetime(2026, 11, 2, 0, 5, 10, tzinfo=UTC)
    outbox_only = [job for job in JOBS if job.name == "dispatch_outbox"]

    assert enqueue_due_jobs(now=moment, jobs=outbox_only) == ["dispatch_outbox"]
    assert enqueue_due_jobs(now=moment + timedelta(seconds=40), jobs=outbox_only) == []
    assert enqueue_due_jobs(now=moment + timedelta(seconds=50), jobs=outbox_only) == ["dispatch_outbox"]
    enqueued = default_task_backend.results  # type: ignore[attr-defined]
    assert [r.task.module_path for r in enqueued] == ["mailings.tasks.dispatch_outbox"] * 2
