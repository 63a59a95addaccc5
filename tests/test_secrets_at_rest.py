"""No secrets at rest (issue 11 point 8): after people register, sign in, are invited and re-invited and their
mail is delivered, nothing stored — the task table, Redis, the outbox rows, the log lines — holds a string that
opens any bearer-token page. Every string found is tried against the real views; none works, while the links
in the delivered messages do (so the detector can find a usable link)."""

import base64
import binascii
import json
import logging
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus

from accounts.models import Invitation
from accounts.services import invitation_create
from candidates.models import Candidate
from candidates.tokens import candidate_token_make
from lib.logredact import REDACTED, RedactTokensFilter, redact
from lib.periodic import JOBS, task_results_prune
from mailings.models import OutboundEmail, UnsubscribeToken
from mailings.services.dispatch import outbox_message
from mailings.services.unsubscribe import UNSUBSCRIBE_SALT, unsubscribe_read, unsubscribe_url
from rechallenge.services import rechallenge_invitations_send
from tests.conftest import Tenant
from tests.test_email_smtp import registration_form
from tests.test_rechallenge import SIX_MONTHS_DUE, open_job, rejected_candidate
from tests.workers import RQ_TASKS, run_rq_burst

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Each bearer-token page and how it answers a token that works.
ROUTES = {
    "sign-in": ("/me/auth/{}/", 302),
    "verification": ("/me/verify/{}/", 302),
    "invitation": ("/invite/{}/", 200),
    "unsubscribe": ("/unsubscribe/{}/", 200),
    "rechallenge": ("/rechallenge/{}/", 200),
}
_CANDIDATE_STRING = re.compile(r"[A-Za-z0-9_\-:.]{20,}")


def candidate_strings(texts: Iterable[str]) -> set[str]:
    """Every string long enough to be a token, and every path segment after a bearer route."""
    found: set[str] = set()
    for text in texts:
        found.update(_CANDIDATE_STRING.findall(text))
        found.update(re.findall(r"/(?:me/auth|me/verify|invite|unsubscribe|rechallenge)/([^/\s\"'<>]+)/", text))
    return {s for s in found if s != REDACTED}


class _Undo(Exception):
    pass


def opens(path: str, status: int) -> bool:
    """Does GET `path` open the page? Tried by a fresh anonymous client and rolled back afterwards, so trying one
    link (which signs in and so retires the person's other links) never hides the next one."""
    response = None
    try:
        with transaction.atomic():
            response = Client().get(path)
            raise _Undo
    except _Undo:
        pass
    assert response is not None
    return response.status_code == status and (status != 302 or "/me/" in response["Location"])


def usable_links(strings: Iterable[str]) -> Counter[str]:
    """How many of `strings` open each bearer page."""
    works: Counter[str] = Counter()
    for string in sorted(strings):
        for kind, (path, status) in ROUTES.items():
            works[kind] += opens(path.format(string), status)
    return +works


def run_db_worker() -> None:
    out = StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out, stderr=out)


def invite(tenant: Tenant) -> Invitation:
    return invitation_create(
        company=tenant.company,
        email="jiro@test-shoji.example.jp",
        name="佐藤 次郎",
        role="member",
        invited_by=tenant.owner,
    )


def journey(tenant: Tenant) -> None:
    """Registration, registering again, a sign-in link, an invitation and a re-challenge invitation; and log lines
    a real server writes when a token lands on the wrong page."""
    client = Client()
    client.post(f"/r/{tenant.link.code}", registration_form())
    client.post(f"/r/{tenant.link.code}", registration_form())  # "already registered": a sign-in link again
    client.post("/me/login/", {"email": "ichiro.suzuki@example.jp"})
    invite(tenant)
    open_job(tenant)
    rejected_candidate(tenant, name="再挑 花子", email="hanako.rechallenge@example.jp", phone="090-8888-7777")
    rechallenge_invitations_send(now=SIX_MONTHS_DUE)
    # A live sign-in token on the verification page: django.request logs "Bad Request: /me/verify/<token>/".
    candidate = Candidate.objects.get(email_normalized="ichiro.suzuki@example.jp")
    client.get(f"/me/verify/{candidate_token_make(candidate, 'login')}/")
    logging.getLogger("lib").error("delivery failed for %s", unsubscribe_url(email=candidate.email, company=None))


def stored_texts() -> list[str]:
    from django_tasks_db.models import DBTaskResult

    texts = [json.dumps(row, default=str, ensure_ascii=False) for row in DBTaskResult.objects.values()]
    texts += [json.dumps(row, default=str, ensure_ascii=False) for row in OutboundEmail.objects.values()]
    return texts


@pytest.fixture
def redacted_caplog(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog's handler with the filter settings.LOGGING puts on every handler."""
    log_filter = RedactTokensFilter()
    caplog.handler.addFilter(log_filter)
    caplog.set_level(logging.INFO)
    yield caplog
    caplog.handler.removeFilter(log_filter)


@pytest.mark.django_db(transaction=True)
def test_after_every_mail_is_delivered_no_stored_string_or_log_line_opens_a_bearer_page(
    settings: Any, tenant: Tenant, redacted_caplog: pytest.LogCaptureFixture
) -> None:
    settings.TASKS = DB_TASKS
    journey(tenant)
    run_db_worker()

    delivered = [str(message.body) for message in mail.outbox]
    assert OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).count() == 0
    assert len(delivered) == OutboundEmail.objects.count() >= 5

    at_rest = usable_links(candidate_strings([*stored_texts(), redacted_caplog.text]))
    print("usable links at rest:", dict(at_rest))  # the figure the closing note reports
    assert at_rest == Counter()
    assert "/me/verify/" + REDACTED in redacted_caplog.text  # the log line is there, its token is not

    # The detector finds working links where they belong: in the delivered messages.
    in_mailboxes = usable_links(candidate_strings(delivered))
    assert {"sign-in", "verification", "invitation", "unsubscribe", "rechallenge"} <= set(in_mailboxes)


@pytest.mark.django_db(transaction=True)
def test_with_redis_no_job_or_result_holds_a_usable_link(settings: Any, tenant: Tenant, rq_queue: Any) -> None:
    connection = rq_queue  # REDIS_TEST_URL's database, flushed before and after
    try:
        journey(tenant)
        run_rq_burst()
        values: list[bytes] = []
        for key in connection.keys("*"):
            kind = connection.type(key).decode()
            if kind == "string":
                values.append(connection.get(key))
            elif kind == "hash":
                values.extend(connection.hgetall(key).values())
        # RQ keeps a job's call as a zlib-compressed pickle: its strings are plain UTF-8 once decompressed.
        texts = [_inflated(value).decode("utf-8", "replace") for value in values if isinstance(value, bytes)]
        assert texts, "the queue held no job: the test would prove nothing"
        assert usable_links(candidate_strings(texts)) == Counter()
    finally:
        connection.flushdb()
    assert settings.TASKS == RQ_TASKS


def _inflated(value: bytes) -> bytes:
    try:
        return zlib.decompress(value)
    except zlib.error:
        return value


# --- the outbox rows ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_queued_sign_in_mail_stores_a_placeholder_and_the_recipe_never_the_link(tenant: Tenant) -> None:
    client = Client()
    client.post(f"/r/{tenant.link.code}", registration_form())
    row = OutboundEmail.objects.get(kind=OutboundEmail.Kind.CANDIDATE_VERIFY)

    assert "/me/verify/" not in row.body and "[[secret-link:0]]" in row.body
    # The recipe names the person and the relay link the mail names (opening it attributes them there).
    recipe = {"candidate": Candidate.objects.get().pk, "link": tenant.link.pk}
    assert row.links == [{"maker": "candidates.verify", "params": recipe}]
    assert "(本人専用のリンクのため表示しません)" in row.shown_body
    # The worker makes the link for the message only: it works, and the row is unchanged.
    path = re.search(r"http://testserver(/me/verify/\S+/)", str(outbox_message(row).body))
    assert path is not None
    row.refresh_from_db()
    assert "/me/verify/" not in row.body
    assert Client().get(path.group(1)).status_code == 302


@pytest.mark.django_db
def test_an_invitation_link_is_made_at_delivery_and_the_last_delivered_one_alone_works(tenant: Tenant) -> None:
    invite(tenant)
    row = OutboundEmail.objects.get(kind=OutboundEmail.Kind.COMPANY_INVITATION)
    first = re.search(r"(/invite/\S+/)", str(outbox_message(row).body))
    second = re.search(r"(/invite/\S+/)", str(outbox_message(row).body))
    assert first and second and first.group(1) != second.group(1)

    assert Client().get(first.group(1)).status_code == 404  # a retry's new link replaced it
    assert Client().get(second.group(1)).status_code == 200


@pytest.mark.django_db
def test_a_mail_whose_link_can_no_longer_be_made_is_cancelled_not_sent_without_it(tenant: Tenant) -> None:
    from mailings.services.dispatch import outbox_dispatch

    invitation = invite(tenant)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])

    outbox_dispatch()

    row = OutboundEmail.objects.get(kind=OutboundEmail.Kind.COMPANY_INVITATION)
    assert row.status == OutboundEmail.Status.CANCELLED and "リンク" in row.last_error
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_secret_mail_written_before_this_change_loses_its_link_once_delivered(tenant: Tenant) -> None:
    from mailings.services import mail_send
    from mailings.services.dispatch import outbox_dispatch

    legacy = mail_send(
        to="hanako@example.jp",
        template="candidate_login",
        context={"candidate": {"name": "山田 花子"}, "url": "http://testserver/me/auth/LEGACY-TOKEN/"},
    )
    assert legacy is not None and "LEGACY-TOKEN" in legacy.body

    outbox_dispatch()

    legacy.refresh_from_db()
    assert legacy.status == OutboundEmail.Status.SENT
    assert "LEGACY-TOKEN" in str(mail.outbox[0].body) and "LEGACY-TOKEN" not in legacy.body


# --- unsubscribe links ----------------------------------------------------------------------------------------------


def _decodings(token: str) -> Iterator[str]:
    for part in [token, *re.split(r"[:.]", token)]:
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                yield decode(padded).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                continue
        yield part


@pytest.mark.django_db
def test_an_unsubscribe_link_contains_no_address_in_any_encoding_and_is_stored_hashed(tenant: Tenant) -> None:
    address = "Hanako.Yamada@Example.jp"
    url = unsubscribe_url(email=address, company=tenant.company)
    token = url.rstrip("/").rsplit("/", 1)[1]

    for text in _decodings(token):
        assert "hanako" not in text.lower() and "example" not in text.lower()
    row = UnsubscribeToken.objects.get()
    assert token not in row.digest and len(row.digest) == 64
    found = unsubscribe_read(token)
    assert found is not None
    assert (found.email_normalized, found.company_id) == ("hanako.yamada@example.jp", tenant.company.pk)


@pytest.mark.django_db
def test_an_old_signed_unsubscribe_link_still_works_but_none_is_issued_any_more(tenant: Tenant) -> None:
    from django.core import signing

    from mailings.models import Suppression

    old = signing.dumps(["hanako@example.jp", tenant.company.pk], salt=UNSUBSCRIBE_SALT)
    assert Client().post(f"/unsubscribe/{old}/").status_code == 200
    assert Suppression.objects.blocks(email="hanako@example.jp", company=tenant.company)
    assert ":" not in unsubscribe_url(email="hanako@example.jp", company=None).rsplit("/", 2)[1]


# --- pruning task results -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_daily_job_prunes_successes_after_a_day_and_failures_after_thirty_days() -> None:
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()

    def result(status: TaskResultStatus, age: timedelta) -> Any:
        return DBTaskResult.objects.create(
            task_path="mailings.tasks.dispatch_outbox",
            args_kwargs={"args": [], "kwargs": {}},
            status=status,
            finished_at=None if status == TaskResultStatus.READY else now - age,
            queue_name="default",
            backend_name="default",
            priority=0,
        )

    kept = [
        result(TaskResultStatus.SUCCESSFUL, timedelta(hours=23)),
        result(TaskResultStatus.FAILED, timedelta(days=29)),
        result(TaskResultStatus.READY, timedelta(days=90)),
    ]
    result(TaskResultStatus.SUCCESSFUL, timedelta(hours=25))
    result(TaskResultStatus.FAILED, timedelta(days=31))

    pruned = task_results_prune(now=now)

    assert (pruned.database, pruned.redis) == (2, 0)
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {row.pk for row in kept}
    assert any(job.task_path == "lib.tasks.prune_task_results" for job in JOBS)


# --- log lines ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Not Found: /me/auth/eyJjIjoiMTIzIn0:1vQ:abc/", "Not Found: /me/auth/[redacted]/"),
        ("Bad Request: /me/verify/eyJjIjoiMTIzIn0:1vQ:abc/?next=/me/", "Bad Request: /me/verify/[redacted]/?next=/me/"),
        ("GET /invite/Zm9vYmFyYmF6cXV4/ 404", "GET /invite/[redacted]/ 404"),
        ("POST /unsubscribe/WyJoYW5ha29AZXhhbXBsZS5qcCIsbnVsbF0:1x/ 200", "POST /unsubscribe/[redacted]/ 200"),
        ("GET /rechallenge/eyJpIjoxfQ:1x:y/jobs/3/", "GET /rechallenge/[redacted]/jobs/3/"),
        ("GET /rechallenge/company/ 200", "GET /rechallenge/company/ 200"),
        ("GET /accounts/password-reset/MQ/set-password/ 302", "GET /accounts/password-reset/MQ/[redacted]/ 302"),
        ("POST /hooks/greenhouse/abcdefgh12345678/ 401", "POST /hooks/greenhouse/[redacted]/ 401"),
        ("headers: Authorization: Bearer cr_live_AbC123xyz789", "headers: Authorization: Bearer [redacted]"),
        ("key cr_live_AbC123xyz789 refused", "key [redacted] refused"),
        ("url=/api/x?token=s3cr3t&page=2", "url=/api/x?token=[redacted]&page=2"),
        ("GET /r/abc123/ 200", "GET /r/abc123/ 200"),
    ],
)
def test_tokens_are_redacted_from_log_text_and_the_rest_is_kept(line: str, kept: str) -> None:
    assert redact(line) == kept


def test_every_configured_log_handler_carries_the_redacting_filter() -> None:
    logging_config: dict[str, Any] = django_settings.LOGGING
    assert logging_config["filters"]["redact_tokens"]["()"] == "lib.logredact.RedactTokensFilter"
    for name, handler in logging_config["handlers"].items():
        assert "redact_tokens" in handler.get("filters", []), name
    root_handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactTokensFilter) for h in root_handlers for f in h.filters)
    # Django's default handlers (console in DEBUG, mail to ADMINS) would write request paths unfiltered.
    for name in ("django", "django.request", "django.server", "django.security"):
        logger = logging.getLogger(name)
        assert not logger.handlers and logger.propagate, name


@pytest.mark.django_db
def test_a_request_error_line_and_its_traceback_carry_no_token(redacted_caplog: pytest.LogCaptureFixture) -> None:
    token = "eyJjIjoiMTIzIn0:1vQ:secretsignature"
    Client().get(f"/me/auth/{token}/")
    try:
        raise ValueError(f"could not open /invite/{token}/")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /me/verify/%s/", token)

    assert "/me/auth/[redacted]/" in redacted_caplog.text
    assert token not in redacted_caplog.text
    record = redacted_caplog.records[-1]
    assert record.exc_text and token not in record.exc_text and "/invite/[redacted]/" in record.exc_text


@pytest.mark.django_db
def test_a_sign_in_mail_queued_before_the_address_changed_is_cancelled_not_sent_to_the_old_address(
    tenant: Tenant,
) -> None:
    from mailings.services.dispatch import outbox_dispatch

    Client().post(f"/r/{tenant.link.code}", registration_form())
    Candidate.objects.update(email="new.address@example.jp", email_normalized="new.address@example.jp")

    outbox_dispatch()

    row = OutboundEmail.objects.get(kind=OutboundEmail.Kind.CANDIDATE_VERIFY)
    assert row.status == OutboundEmail.Status.CANCELLED
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_migration_masks_the_links_of_secret_mail_already_delivered_and_leaves_queued_mail_alone(
    tenant: Tenant,
) -> None:
    import importlib

    from django.apps import apps

    from mailings.services import mail_send

    migration = importlib.import_module("mailings.migrations.0007_secret_links_at_delivery")
    context = {"candidate": {"name": "山田 花子"}, "url": "http://testserver/me/auth/OLD-TOKEN/"}
    delivered = mail_send(to="hanako@example.jp", template="candidate_login", context=context)
    waiting = mail_send(to="jiro@example.jp", template="candidate_login", context=context)
    assert delivered is not None and waiting is not None
    OutboundEmail.objects.filter(pk=delivered.pk).update(status=OutboundEmail.Status.SENT)

    migration.mask_stored_secret_links(apps, None)

    delivered.refresh_from_db()
    waiting.refresh_from_db()
    assert "OLD-TOKEN" not in delivered.body and "(本人専用のリンクのため表示しません)" in delivered.body
    assert "OLD-TOKEN" in waiting.body  # the worker masks it once it has gone


@pytest.mark.django_db(transaction=True)
def test_with_redis_the_daily_job_prunes_finished_jobs_after_a_day_and_failed_ones_after_thirty_days(
    settings: Any, rq_queue: Any
) -> None:
    import django_rq
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from mailings.tasks import dispatch_outbox, queue_confirmed_rejection_emails

    settings.TASKS = RQ_TASKS
    dispatch_outbox.enqueue()
    # No such company: the job fails, and RQ would keep the failure (its arguments included) for a year.
    queue_confirmed_rejection_emails.enqueue(company_id=0, assignments=[], link_id=0, schedule={}, actor_id=0)
    run_rq_burst()
    queue = django_rq.get_queue("default")
    finished, failed = FinishedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)
    assert (len(finished.get_job_ids()), len(failed.get_job_ids())) == (1, 1)

    now = timezone.now()
    assert task_results_prune(now=now + timedelta(hours=1)).redis == 0
    assert task_results_prune(now=now + timedelta(days=2)).redis == 1
    assert (len(finished.get_job_ids()), len(failed.get_job_ids())) == (0, 1)
    assert task_results_prune(now=now + timedelta(days=31)).redis == 1
    assert failed.get_job_ids() == [] and rq_queue.keys("rq:job:*") == []
