"""The mailings app's background tasks: each takes ids and plain values and calls a service."""

import logging
import smtplib
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from companies.models import Company
from lib.mail import MAX_ATTEMPTS, is_permanent_error, retry_delay
from mailings.models import TemplateVersion
from mailings.services import dispatch
from mailings.services.sending import (
    MailNotReady,
    Schedule,
    applicants_by_ids,
    rejection_emails_send,
    rejection_emails_send_ids,
    send_batch_expand,
    send_batches_resume_stalled,
)

logger = logging.getLogger(__name__)


@task()
def deliver_email(*, to: list[str], subject: str, body: str, headers: dict[str, str], attempt: int = 1) -> None:
    """Deprecated: kept one release so jobs queued before every e-mail became an outbox row still run.

    Nothing enqueues it any more (mail_send writes an outbox row); it delivers directly, as it always did, with
    the outbox's retry policy."""
    try:
        EmailMessage(subject=subject, body=body, to=to, headers=headers).send()
    except (smtplib.SMTPException, OSError) as error:
        if is_permanent_error(error) or attempt >= MAX_ATTEMPTS or not deliver_email.get_backend().supports_defer:
            raise
        logger.warning("email delivery attempt %s failed (%s); retrying", attempt, type(error).__name__)
        deliver_email.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
            to=to, subject=subject, body=body, headers=headers, attempt=attempt + 1
        )


@task()
def dispatch_outbox() -> int:
    """Empty the outbox (mailings.services.dispatch); queued on commit after sends are queued, and every minute."""
    report = dispatch.outbox_dispatch()
    if report.more_due:
        # Hand the rest to a fresh task so one run never holds a worker for long.
        dispatch_outbox.enqueue()
    if report.handled or report.interrupted:
        logger.info("outbox: %s, %s interrupted", report.counts, report.interrupted)
    return report.counts.get("sent", 0)


@task()
def expand_send_batch(*, batch_id: int) -> int:
    """Turn a confirmed batch send into outbox rows, chunk by chunk; re-running it carries on where it stopped."""
    batch = send_batch_expand(batch_id=batch_id)
    if batch.error:
        logger.warning("send batch %s not queued: %s", batch_id, batch.error)
    return batch.queued_count


@task()
def resume_stalled_send_batches() -> int:
    return send_batches_resume_stalled()


@task()
def queue_confirmed_rejection_emails(
    *,
    company_id: int,
    assignments: list[list[int]],
    link_id: int,
    schedule: dict[str, Any],
    actor_id: int,
) -> int:
    """Deprecated: a large confirmed send queued before send batches (mailings.SendBatch) existed. Kept one release
    so such jobs still run; everyone is checked again, and running it twice adds nothing."""
    company = Company.objects.get(pk=company_id)
    try:
        result = rejection_emails_send_ids(
            company=company,
            assignments=assignments,
            link_id=link_id,
            schedule=schedule,
            actor=get_user_model().objects.get(pk=actor_id),
        )
    except MailNotReady:
        # The settings were cleared after the confirmation: nothing goes unsigned; the outbox shows nothing new.
        logger.warning("confirmed send for company %s not queued: mail settings incomplete", company_id)
        return 0
    if result.left_out:
        logger.info("confirmed send for company %s: %s no longer mailable", company_id, result.left_out)
    return result.queued


@task()
def queue_rejection_emails(
    *,
    company_id: int,
    applicant_ids: list[int],
    version_id: int,
    link_id: int,
    schedule: dict[str, Any],
    actor_id: int,
) -> int:
    """Deprecated: jobs queued before each applicant got their own template (one text for the whole batch, as
    confirmed then). Kept one release; the sending screen now records a SendBatch (expand_send_batch)."""
    company = Company.objects.get(pk=company_id)
    result = rejection_emails_send(
        company=company,
        applicants=applicants_by_ids(company=company, ids=applicant_ids),
        version=TemplateVersion.objects.get(pk=version_id, template__company=company),
        link=company.links.get(pk=link_id),
        schedule=Schedule.from_json(schedule),
        actor=get_user_model().objects.get(pk=actor_id),
    )
    return result.queued
