"""Emptying the outbox: claim one due row, hand it to SMTP once, record what happened.

Every row is claimed (status SENDING, attempts + 1) in its own committed transaction before SMTP sees it. A row
found still SENDING after OUTBOX_CLAIM_TIMEOUT_SECONDS belonged to a worker that died mid-send: the server may
have accepted it, so it is failed with a clear reason and left for a person to resend, never resent blindly.
"""

import contextlib
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from mailings.models import OutboundEmail
from mailings.mute import mail_is_muted
from mailings.tasks import MAX_ATTEMPTS, _is_permanent, retry_delay
from mailings.unsubscribe import unsubscribe_url

Status = OutboundEmail.Status

INTERRUPTED_REASON = _(
    "送信処理が中断されたため、二重送信を避けて自動再送を停止しました。内容をご確認のうえ再送してください。"
)
SUPPRESSED_REASON = _("宛先の方から配信停止のお申し出があったため、送信を取り止めました。")
PERMANENT_REASON = _("送信先のメールサーバーが受け取りを拒否しました。メールアドレスをご確認ください。(%(detail)s)")
RETRY_REASON = _("一時的なエラーのため、%(when)s に自動で再送します。(%(detail)s)")
GAVE_UP_REASON = _("一時的なエラーが %(attempts)s 回続いたため、送信を中止しました。(%(detail)s)")
CANCELLED_REASON = _("%(name)s さんが送信を取り消しました。")

# Rows handed to one SMTP connection before it is closed and the next batch claims afresh.
BATCH_SIZE = 20


def stored_text(text: object) -> str:
    """Reasons are stored in the site language, whoever's request or worker produced them."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def outbox_message_id() -> str:
    domain = sender_address().rpartition("@")[2] or "career-relay.invalid"
    return make_msgid(domain=domain)


def outbox_message(email: OutboundEmail) -> EmailMessage:
    """The message as it goes over the wire: the platform's address under the company's sender name."""
    headers = {"Message-ID": email.message_id or outbox_message_id()}
    if email.is_promotional:
        url = unsubscribe_url(email=email.to_email, company=email.company)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=formataddr((email.from_name, sender_address())) if email.from_name else sender_address(),
        to=[email.to_email],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
    )


def outbox_fail_interrupted(*, now: datetime | None = None) -> int:
    """Fail rows whose worker died while sending them (they may have reached the server)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    return OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.FAILED, failed_at=now, last_error=stored_text(INTERRUPTED_REASON)
    )


def outbox_claim_next(*, now: datetime | None = None) -> OutboundEmail | None:
    """Take the next due row for this worker and commit the claim before anything is sent."""
    while True:
        moment = now or timezone.now()
        with transaction.atomic():
            due = (
                OutboundEmail.objects.filter(status=Status.QUEUED, send_after__lte=moment)
                .select_related("company")
                .order_by("send_after", "id")
            )
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            email = due.first()
            if email is None:
                return None
            message_id = email.message_id or outbox_message_id()
            # The status condition makes the claim safe on databases without row locks (SQLite) too.
            claimed = OutboundEmail.objects.filter(pk=email.pk, status=Status.QUEUED).update(
                status=Status.SENDING, claimed_at=moment, attempts=F("attempts") + 1, message_id=message_id
            )
        if claimed:
            email.status, email.claimed_at, email.message_id = Status.SENDING, moment, message_id
            email.attempts += 1
            return email


def _error_detail(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for code, message in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        return f"{error.smtp_code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
    return f"{type(error).__name__}: {error}"[:500]


def _mine(email: OutboundEmail) -> QuerySet[OutboundEmail]:
    # Only the worker holding this claim may record the outcome.
    return OutboundEmail.objects.filter(pk=email.pk, claimed_at=email.claimed_at)


def _record_failure(email: OutboundEmail, error: Exception, now: datetime) -> str:
    detail = _error_detail(error)
    if _is_permanent(error):
        _mine(email).update(
            status=Status.FAILED, failed_at=now, last_error=stored_text(PERMANENT_REASON) % {"detail": detail}
        )
        return "failed"
    if email.attempts >= MAX_ATTEMPTS:
        _mine(email).update(
            status=Status.FAILED,
            failed_at=now,
            last_error=stored_text(GAVE_UP_REASON) % {"attempts": email.attempts, "detail": detail},
        )
        return "failed"
    retry_at = now + retry_delay(email.attempts)
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(retry_at), "Y/m/d H:i")
    reason = stored_text(RETRY_REASON) % {"when": when, "detail": detail}
    _mine(email).update(status=Status.QUEUED, send_after=retry_at, last_error=reason)
    return "retried"


def outbox_deliver(*, email: OutboundEmail, smtp: BaseEmailBackend) -> str:
    """Send one claimed row over an open connection; returns sent, retried, failed or cancelled."""
    from mailings.outbox import is_suppressed

    if email.is_promotional and is_suppressed(email=email.to_email, company=email.company):
        _mine(email).update(status=Status.CANCELLED, last_error=stored_text(SUPPRESSED_REASON))
        return "cancelled"
    try:
        smtp.open()
        smtp.send_messages([outbox_message(email)])
    except (smtplib.SMTPException, OSError) as error:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.close()  # a half-broken session must not carry the next message
        outcome = _record_failure(email, error, timezone.now())
        return SERVER_UNAVAILABLE if _server_unavailable(error) else outcome
    _mine(email).update(status=Status.SENT, sent_at=timezone.now(), failed_at=None, last_error="")
    return "sent"


SERVER_UNAVAILABLE = "server_unavailable"


def _server_unavailable(error: Exception) -> bool:
    """The server, not this message, is the problem: trying the next emails now would only use up their attempts."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    # Any other SMTPException is about this message; a bare OSError (refused, timed out) is about the server.
    return not isinstance(error, smtplib.SMTPException)


@dataclass
class DispatchReport:
    counts: dict[str, int] = field(default_factory=dict)
    interrupted: int = 0
    more_due: bool = False

    @property
    def handled(self) -> int:
        return sum(self.counts.values())


def outbox_dispatch(*, time_budget: float = 45.0, batch_size: int = BATCH_SIZE) -> DispatchReport:
    """Send every due row, a batch per SMTP connection, until none is due or the time budget is spent."""
    report = DispatchReport(interrupted=outbox_fail_interrupted())
    started = time.monotonic()
    while time.monotonic() - started < time_budget:
        smtp = get_connection()
        handled = 0
        try:
            while handled < batch_size:
                email = outbox_claim_next()
                if email is None:
                    break
                outcome = outbox_deliver(email=email, smtp=smtp)
                report.counts[outcome] = report.counts.get(outcome, 0) + 1
                handled += 1
                if outcome == SERVER_UNAVAILABLE:
                    # The rest stay queued untouched; the per-minute job tries again.
                    return report
                if time.monotonic() - started >= time_budget:
                    break
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.close()
        if handled < batch_size and time.monotonic() - started < time_budget:
            return report
    report.more_due = OutboundEmail.objects.filter(status=Status.QUEUED, send_after__lte=timezone.now()).exists()
    return report


def _enqueue_dispatch() -> None:
    from mailings.tasks import dispatch_outbox

    dispatch_outbox.enqueue()


def outbox_dispatch_soon() -> None:
    """Ask a worker to empty the outbox once the current transaction commits (once per transaction)."""
    if mail_is_muted():
        return
    db = transaction.get_connection()
    if db.in_atomic_block and any(func is _enqueue_dispatch for _, func, _ in db.run_on_commit):
        return
    # Robust: if the queue is unreachable the email stays QUEUED and the per-minute job sends it.
    transaction.on_commit(_enqueue_dispatch, robust=True)


def outbox_resend(*, email: OutboundEmail, actor: User) -> bool:
    """A person looked at a failed email and asks for one more explicit attempt on the same row."""
    with transaction.atomic():
        resent = OutboundEmail.objects.filter(pk=email.pk, status=Status.FAILED).update(
            status=Status.QUEUED, send_after=timezone.now(), claimed_at=None, failed_at=None
        )
        if resent:
            audit_record(actor=actor, action="outbound_email.resend", target=email, company=email.company)
            outbox_dispatch_soon()
    return bool(resent)


def outbox_cancel(*, email: OutboundEmail, actor: User) -> bool:
    """Stop an email that has not been handed to a worker yet."""
    with transaction.atomic():
        cancelled = OutboundEmail.objects.filter(pk=email.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, last_error=stored_text(CANCELLED_REASON) % {"name": actor.display_name}
        )
        if cancelled:
            audit_record(actor=actor, action="outbound_email.cancel", target=email, company=email.company)
    return bool(cancelled)
