import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # about two hours of back-off: 2, 4, 8, 16, 32 minutes


def retry_delay(attempt: int) -> timedelta:
    return timedelta(minutes=2**attempt)


def _is_permanent(error: Exception) -> bool:
    # 5xx replies (unknown mailbox, rejected sender) will not change by waiting; 4xx and network errors might.
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [reply[0] for reply in error.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return isinstance(code, int) and 500 <= code < 600


@task()
def deliver_email(*, to: list[str], subject: str, body: str, headers: dict[str, str], attempt: int = 1) -> None:
    """Runs in the worker so a slow SMTP server never slows a page; a temporary failure is retried with back-off."""
    try:
        EmailMessage(subject=subject, body=body, to=to, headers=headers).send()
    except (smtplib.SMTPException, OSError) as error:
        if _is_permanent(error) or attempt >= MAX_ATTEMPTS or not deliver_email.get_backend().supports_defer:
            raise
        logger.warning("email delivery attempt %s failed (%s); retrying", attempt, type(error).__name__)
        deliver_email.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
            to=to, subject=subject, body=body, headers=headers, attempt=attempt + 1
        )


@task()
def dispatch_outbox() -> int:
    """Empty the outbox (mailings.dispatch); queued on commit after sends are queued, and every minute."""
    from mailings.dispatch import outbox_dispatch

    report = outbox_dispatch()
    if report.more_due:
        # Hand the rest to a fresh task so one run never holds a worker for long.
        dispatch_outbox.enqueue()
    if report.handled or report.interrupted:
        logger.info("outbox: %s, %s interrupted", report.counts, report.interrupted)
    return report.counts.get("sent", 0)


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
    """A large send from the sending screen, queued off the request; safe to run twice (one email per applicant)."""
    from accounts.models import User
    from companies.models import Company
    from mailings.models import TemplateVersion
    from mailings.sending import Schedule, applicants_by_ids, rejection_emails_send

    company = Company.objects.get(pk=company_id)
    result = rejection_emails_send(
        company=company,
        applicants=applicants_by_ids(company=company, ids=applicant_ids),
        version=TemplateVersion.objects.get(pk=version_id, template__company=company),
        link=company.links.get(pk=link_id),
        schedule=Schedule.from_json(schedule),
        actor=User.objects.get(pk=actor_id),
    )
    return result.queued
