"""Outbox email over a real SMTP server on loopback, through the real workers (database, RQ, and a killed process)."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from mailings.models import OutboundEmail
from mailings.services.dispatch import INTERRUPTED_REASON, outbox_dispatch
from mailings.services.outbox import outbox_enqueue, rejection_email_queue
from mailings.services.unsubscribe import unsubscribe_read
from relay.models import Referral
from tests.conftest import Tenant
from tests.outbox_support import make_applicant, make_version, sign_as, start_faulty_server
from tests.smtp import SmtpServer
from tests.test_registration import form_data
from tests.workers import run_rq_burst

BASE_DIR = Path(__file__).resolve().parent.parent
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
Status = OutboundEmail.Status
URL = re.compile(r"http://testserver(/r/\S+)")


def queue_for(tenant: Tenant, **applicant: Any) -> OutboundEmail:
    version = make_version(tenant.company)
    email = rejection_email_queue(applicant=make_applicant(tenant.company, **applicant), version=version)
    assert email is not None
    return email


@pytest.mark.django_db
def test_japanese_subject_body_and_sender_name_arrive_intact(tenant: Tenant, smtp_server: SmtpServer) -> None:
    sign_as(tenant.company, sender_name="株式会社テスト商事 採用担当", reply_to="saiyo@test-shoji.example.jp")
    email = queue_for(tenant, name="渡辺 健太", email="kenta@example.jp", position="法人営業（東京）")

    assert outbox_dispatch().counts == {"sent": 1}

    (message,) = smtp_server.messages
    # Python folds a long encoded header after "Subject:"; unfolding leaves one leading space clients drop.
    assert str(message["Subject"]).removeprefix(" ") == "【株式会社テスト商事】選考結果のご連絡"
    sender = message["From"].addresses[0]
    assert sender.display_name == "株式会社テスト商事 採用担当"
    assert sender.addr_spec == "no-reply@career-relay.example.jp"
    assert message["Reply-To"].addresses[0].addr_spec == "saiyo@test-shoji.example.jp"
    assert message["To"].addresses[0].addr_spec == "kenta@example.jp"
    assert message["Message-ID"] == email.message_id
    body = message.get_content().replace("\r\n", "\n")  # SMTP lines end in CRLF
    assert body.startswith("渡辺 健太 様\n\nこのたびは株式会社テスト商事の法人営業(東京)にご応募いただき、")
    assert "株式会社テスト商事\n採用担当 鈴木" in body
    assert "List-Unsubscribe" not in message
    assert "List-Unsubscribe-Post" not in message


@pytest.mark.django_db
def test_promotional_mail_carries_working_one_click_unsubscribe_headers(
    tenant: Tenant, smtp_server: SmtpServer, client: Client
) -> None:
    from mailings.models import Suppression

    outbox_enqueue(
        company=tenant.company,
        kind=OutboundEmail.Kind.RECHALLENGE,
        idempotency_key="rechallenge:1:6",
        to_email="misaki@example.jp",
        subject="【株式会社テスト商事】再チャレンジのご案内",
        body="新しい募集のご案内です。\n",
        is_promotional=True,
    )
    outbox_dispatch()

    (message,) = smtp_server.messages
    header = str(message["List-Unsubscribe"]).strip()  # a long URL is folded onto its own line
    found = re.fullmatch(r"<http://testserver(/unsubscribe/([^/]+)/)>", header)
    assert found, header
    token = unsubscribe_read(found.group(2))
    assert token is not None
    assert (token.email_normalized, token.company_id) == ("misaki@example.jp", tenant.company.pk)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # What a mail client does for RFC 8058: POST the header's URL with the header's body, no sign-in, no CSRF.
    path = found.group(1)
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Suppression.objects.filter(email_normalized="misaki@example.jp", company=tenant.company).exists()


@pytest.mark.django_db
def test_the_personal_link_in_the_email_leads_to_the_company_and_ties_the_registration_to_the_applicant(
    tenant: Tenant, smtp_server: SmtpServer, client: Client
) -> None:
    email = queue_for(tenant, email="daiki@example.jp")
    applicant = email.applicant
    assert applicant is not None
    outbox_dispatch()
    (message,) = smtp_server.messages
    found = URL.search(message.get_content())
    assert found, message.get_content()

    response = client.get(found.group(1))
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert landing.context["company"] == tenant.company
    email.refresh_from_db()
    assert email.clicked_at is not None and email.registered_at is None

    client.post(f"/r/{tenant.link.code}", form_data(email="daiki.new@example.jp"))

    referral = Referral.objects.get()
    assert (referral.company, referral.applicant_ref) == (tenant.company, applicant.ref)
    email.refresh_from_db()
    assert email.registered_at is not None


# --- the database worker ----------------------------------------------------------------------------------------------


def run_db_worker() -> str:
    out = StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_each_queued_email_exactly_once(
    tenant: Tenant, smtp_server: SmtpServer, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    version = make_version(tenant.company)
    with transaction.atomic():
        emails = [rejection_email_queue(applicant=make_applicant(tenant.company), version=version) for _ in range(5)]
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == ["mailings.tasks.dispatch_outbox"]
    assert smtp_server.messages == []

    run_db_worker()
    run_db_worker()

    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == sorted(
        e.to_email for e in emails if e is not None
    )
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}


# --- RQ on Redis ------------------------------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_the_rq_worker_sends_each_queued_email_exactly_once(
    rq_queue: Any, tenant: Tenant, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    import django_rq

    version = make_version(tenant.company)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            rejection_email_queue(applicant=make_applicant(tenant.company), version=version)
    assert [job.func_name for job in django_rq.get_queue("default").jobs] == ["mailings.tasks.dispatch_outbox"]
    assert smtp_server.messages == []

    assert run_rq_burst() is True
    assert run_rq_burst() is False

    assert len(smtp_server.messages) == 3
    assert len({m["To"].addresses[0].addr_spec for m in smtp_server.messages}) == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}


# --- a worker killed mid-batch ----------------------------------------------------------------------------------------

SEED = """
import django
django.setup()
from django.db import transaction
from accounts.models import User
from applicants.models import Applicant
from applicants.services import applicant_record
from companies.services import company_create
from mailings.models import RejectionTemplate, TemplateVersion
from mailings.services.outbox import rejection_email_queue

operator = User.objects.create_user("ops@kill.example.jp", None, name="ops", operator_role="admin")
company = company_create(name="株式会社キル試験", name_kana="", contract_terms={}, actor=operator)
template = RejectionTemplate.objects.create(company=company, name="書類", stage="document", track="mid_career")
version = TemplateVersion.objects.create(template=template, number=1, subject="【{{企業名}}】選考結果のご連絡",
    body="{{応募者名}} 様\\n{{リレーリンク}}\\n")
with transaction.atomic():
    for n in range(int(__import__("os").environ["KILL_EMAILS"])):
        applicant = applicant_record(company=company, source="manual", name=f"応募者 {n}",
            email=f"kill{n}@example.jp", external_system="herp", external_id=f"K-{n}").applicant
        rejection_email_queue(applicant=applicant, version=version)
"""


def _wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_killed_mid_batch_never_sends_an_email_twice(tmp_path: Path) -> None:
    """A real `manage.py db_worker` on a file SQLite database is SIGKILLed while a slow SMTP server is receiving."""
    total = 100
    controller, server = start_faulty_server(delay=0.04)
    database = tmp_path / "kill.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "kill-test",
        "DEBUG": "0",
        "TASK_BACKEND": "",
        "EMAIL_URL": f"smtp://127.0.0.1:{server.port}",
        "SITE_URL": "http://testserver",
        "OUTBOX_CLAIM_TIMEOUT_SECONDS": "2",
        "KILL_EMAILS": str(total),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(BASE_DIR),
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    worker_args = [*manage, "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"]
    try:
        subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=BASE_DIR, check=True)
        subprocess.run([sys.executable, "-c", SEED], env=env, cwd=BASE_DIR, check=True)

        worker = subprocess.Popen(worker_args, env=env, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert _wait_for(lambda: len(server.handler.received) >= 30, timeout=60), "the worker never got going"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        delivered_before_restart = len(server.handler.received)
        assert delivered_before_restart < total, "the worker finished before it could be killed"

        with sqlite3.connect(database) as db:
            states = dict(db.execute("select status, count(*) from mailings_outboundemail group by status").fetchall())
        assert states.get("sent", 0) + states.get("sending", 0) < total
        assert states.get("sending", 0) <= 1  # killed between claims, or holding exactly one

        time.sleep(2.2)  # the killed worker's claim goes stale
        subprocess.run([*manage, "scheduler", "--once"], env=env, cwd=BASE_DIR, check=True, capture_output=True)
        subprocess.run([*worker_args, "--batch"], env=env, cwd=BASE_DIR, check=True, capture_output=True, timeout=120)

        with sqlite3.connect(database) as db:
            rows = db.execute("select to_email, status, last_error from mailings_outboundemail").fetchall()
    finally:
        controller.stop()

    interrupted = [to for to, status, error in rows if status == "failed" and error == str(INTERRUPTED_REASON)]
    sent = [to for to, status, _ in rows if status == "sent"]
    assert len(rows) == total
    assert len(sent) + len(interrupted) == total, {status for _, status, _ in rows}
    assert len(interrupted) <= 1  # one row is claimed at a time, so a kill can strand at most one
    counts = server.handler.recipients
    assert max(counts.values()) == 1, "someone got the same email twice"
    assert all(counts[to] == 1 for to in sent)
    assert all(counts[to] <= 1 for to in interrupted)
