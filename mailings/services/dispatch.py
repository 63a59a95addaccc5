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
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from lib.mail import (
    MAX_ATTEMPTS,
    delivery_uncertain,
    is_permanent_error,
    retry_delay,
    smtp_error_detail,
    smtp_server_unavailable,
)
from mailings.links import LinkUnavailable, placeholders_fill
from mailings.models import OutboundEmail, Suppression, mask_links
from mailings.services.outbox import outbox_message_id, sender_address, stored_text
from mailings.services.unsubscribe import unsubscribe_url

Status = OutboundEmail.Status

INTERRUPTED_REASON = _(
    "送信処理が中断されたため、二重送信を避けて自動再送を停止しました。内容をご確認のうえ再送してください。"
)
UNCERTAIN_REASON = _(
    "配信不明: メール本文を送信先のサーバーへ渡した後に応答が途絶えたため、届いている可能性がございます。"
    "二重送信を避けて自動再送を停止しました。届いていないことをご確認のうえ再送してください。(%(detail)s)"
)
SUPPRESSED_REASON = _("宛先の方から配信停止のお申し出があったため、送信を取り止めました。")
PERMANENT_REASON = _("送信先のメールサーバーが受け取りを拒否しました。メールアドレスをご確認ください。(%(detail)s)")
RETRY_REASON = _("一時的なエラーのため、%(when)s に自動で再送します。(%(detail)s)")
LINK_GONE_REASON = _(
    "メール内のリンクがもう使えない状態になったため (招待の承諾済み・退会など)、送信を取り止めました。"
)
GAVE_UP_REASON = _("一時的なエラーが %(attempts)s 回続いたため、送信を中止しました。(%(detail)s)")

# Rows handed to one SMTP connection before it is closed and the next batch claims afresh.
BATCH_SIZE = 20


def outbox_message(email: OutboundEmail) -> EmailMessage:
    """The message as it goes over the wire: the platform's address under the company's sender name."""
    headers = {"Message-ID": email.message_id or outbox_message_id()}
    if email.is_promotional:
        url = unsubscribe_url(email=email.to_email, company=email.company)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if email.is_transactional:
        from_email = settings.DEFAULT_FROM_EMAIL  # the platform speaks for itself, exactly as it always has
    elif email.from_name:
        from_email = formataddr((email.from_name, sender_address()))
    else:
        from_email = sender_address()
    return EmailMessage(
        subject=email.subject,
        # The links that act for their reader are made now, for this message only; the row keeps placeholders.
        body=placeholders_fill(email.body, recipes=email.links, to_email=email.to_email),
        from_email=from_email,
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


def outbox_due(moment: datetime) -> QuerySet[OutboundEmail]:
    """Queued rows due at `moment`, in the order they go out: read in order from the index `outbox_claim_order`,
    so a claim costs the same whether 10 or 100,000 rows share one send_after."""
    return OutboundEmail.objects.filter(status=Status.QUEUED, send_after__lte=moment).order_by("send_after", "id")


def outbox_claim_next(*, now: datetime | None = None) -> OutboundEmail | None:
    """Take the next due row for this worker and commit the claim before anything is sent."""
    while True:
        moment = now or timezone.now()
        with transaction.atomic():
            due = outbox_due(moment).select_related("company")
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


def _mine(email: OutboundEmail) -> QuerySet[OutboundEmail]:
    # Only the worker holding this claim may record the outcome.
    return OutboundEmail.objects.filter(pk=email.pk, claimed_at=email.claimed_at)


def _record_failure(email: OutboundEmail, error: Exception, now: datetime) -> str:
    detail = smtp_error_detail(error)
    if is_permanent_error(error):
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
    """Send one claimed row over an open connection; returns sent, retried, failed, uncertain or cancelled."""
    # Transactional mail is never promotional: an unsubscribe never stops a sign-in link.
    if email.is_promotional and Suppression.objects.blocks(email=email.to_email, company=email.company):
        _mine(email).update(status=Status.CANCELLED, last_error=stored_text(SUPPRESSED_REASON))
        return "cancelled"
    try:
        message = outbox_message(email)
    except LinkUnavailable:
        _mine(email).update(status=Status.CANCELLED, last_error=stored_text(LINK_GONE_REASON))
        return "cancelled"
    try:
        smtp.open()
        smtp.send_messages([message])
    except (smtplib.SMTPException, OSError) as error:
        uncertain = delivery_uncertain(getattr(smtp, "connection", None))
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.close()  # a half-broken session must not carry the next message
        if uncertain:
            # The whole message reached the server before it fell silent: it may be in the inbox already.
            reason = stored_text(UNCERTAIN_REASON) % {"detail": smtp_error_detail(error)}
            _mine(email).update(status=Status.FAILED, failed_at=timezone.now(), last_error=reason)
            return UNCERTAIN
        outcome = _record_failure(email, error, timezone.now())
        return SERVER_UNAVAILABLE if smtp_server_unavailable(error) else outcome
    sent = {"status": Status.SENT, "sent_at": timezone.now(), "failed_at": None, "last_error": ""}
    if email.is_secret:
        # A row written before links were made at delivery still holds its link: gone once it is delivered.
        sent["body"] = mask_links(email.body)
    _mine(email).update(**sent)
    return "sent"


SERVER_UNAVAILABLE = "server_unavailable"
UNCERTAIN = "uncertain"


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
                if outcome in (SERVER_UNAVAILABLE, UNCERTAIN):
                    # A server that fell silent would leave the next messages uncertain too: the rest stay queued
                    # untouched, and the per-minute job tries again.
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
