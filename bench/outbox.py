"""Benchmark of the outbox: queueing rejection emails and sending them to a loopback SMTP server (aiosmtpd).

Run: `.venv/bin/python bench/outbox.py` (SQLite in a temporary file) or `BENCH_DATABASE_URL=postgres://postgres@
127.0.0.1:5432/bench_outbox .venv/bin/python bench/outbox.py` (the database is created and dropped).
BENCH_EMAILS sets how many (default 2000), BENCH_WORKERS how many dispatchers run at once (default 1).
Prints figures; asserts nothing.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import harness

database_url = harness.configure(task_backend="")

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402

EMAILS = int(os.environ.get("BENCH_EMAILS", "2000"))
# Several dispatchers at once (threads, each with its own database and SMTP connection), as several workers would.
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP server did not start")


def main() -> None:
    with harness.scratch_database(database_url):
        run()


def run() -> None:
    from accounts.models import User
    from applicants.models import Applicant, RejectionReason
    from companies.services import company_create
    from mailings.models import MailSettings, OutboundEmail, RejectionTemplate, TemplateVersion
    from mailings.services.dispatch import outbox_dispatch
    from mailings.services.sending import Schedule, When, rejection_emails_send

    operator = User.objects.create_user("bench@example.jp", None, name="bench", operator_role="admin")
    company = company_create(name="ベンチ株式会社", name_kana="", contract_terms={}, actor=operator)
    owner = User.objects.create_user("owner@bench.example.jp", None, name="採用 担当", company=company)
    MailSettings.objects.update_or_create(
        company=company,
        defaults={
            "sender_name": "ベンチ株式会社 採用担当",
            "signature": "ベンチ株式会社",
            "reply_to": "saiyo@bench.example.jp",
        },
    )
    rejected = RejectionReason.objects.get(company=company, code=RejectionReason.Code.REJECTED)
    template = RejectionTemplate.objects.create(company=company, name="書類", stage="document", track="mid_career")
    version = TemplateVersion.objects.create(
        template=template,
        number=1,
        subject="【{{企業名}}】選考結果のご連絡",
        body="{{応募者名}} 様\n\n{{応募職種}}へのご応募ありがとうございました。\n{{リレーリンク}}\n\n{{署名}}\n",
    )
    Applicant.objects.bulk_create(
        [
            Applicant(
                company=company,
                source="csv",
                external_system="herp",
                external_id=f"B-{n}",
                ref=f"B-{n}",
                dedupe_key=f"id:herp:B-{n}",
                name=f"応募者 {n}",
                email=f"bench{n}@example.jp",
                email_normalized=f"bench{n}@example.jp",
                position="営業職",
                reason=rejected,
            )
            for n in range(EMAILS)
        ],
        batch_size=1000,
    )
    applicants = list(Applicant.objects.filter(company=company).order_by("id"))

    started = time.perf_counter()
    result = rejection_emails_send(
        company=company,
        applicants=applicants,
        version=version,
        link=company.links.get(),
        schedule=Schedule(when=When.NOW),
        actor=owner,
    )
    queued_in = time.perf_counter() - started
    assert result.queued == EMAILS

    # The SMTP server runs in its own process (as a real one would), so it does not share the worker's GIL.
    port = free_port()
    server = subprocess.Popen(  # noqa: S603  (fixed arguments)
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        counts: Counter[str] = Counter()

        def dispatcher() -> None:
            try:
                counts.update(outbox_dispatch(time_budget=3600).counts)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=dispatcher) for _ in range(WORKERS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent_in = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    sent = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count()

    print(f"database: {connection.vendor}, CPUs: {os.cpu_count()}")
    print(f"queue (render + store, one transaction): {EMAILS} in {queued_in:.2f}s = {EMAILS / queued_in:.0f} emails/s")
    print(
        f"send (claim + SMTP + mark, loopback aiosmtpd): {sent} in {sent_in:.2f}s = {sent / sent_in:.0f} emails/s "
        f"({WORKERS} dispatcher(s); {dict(counts)})"
    )


if __name__ == "__main__":
    main()
