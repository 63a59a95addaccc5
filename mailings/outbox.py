"""Putting email in the outbox. The worker that empties it lives in mailings.tasks."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from applicants.models import Applicant
from candidates.models import Candidate
from companies.models import Company, RelayLink
from lib.business_days import add_business_days
from lib.jatext import normalize_email
from mailings.dispatch import outbox_dispatch_soon, outbox_message_id
from mailings.merge import render_merge
from mailings.models import AutoSendRule, MailSettings, OutboundEmail, Suppression, TemplateVersion

JAPAN = ZoneInfo("Asia/Tokyo")


def mail_settings_for(company: Company) -> MailSettings:
    try:
        return company.mail_settings  # cached on the instance: a batch of sends reads it once
    except MailSettings.DoesNotExist:
        settings, _ = MailSettings.objects.get_or_create(company=company)
        company.mail_settings = settings
        return settings


def is_suppressed(*, email: str, company: Company) -> bool:
    """Unsubscribed from this company's promotional mail, or from all promotional mail."""
    return Suppression.objects.filter(email_normalized=normalize_email(email), company__in=[company]).exists() or (
        Suppression.objects.filter(email_normalized=normalize_email(email), company__isnull=True).exists()
    )


def outbox_enqueue(
    *,
    company: Company,
    kind: str,
    idempotency_key: str,
    to_email: str,
    subject: str,
    body: str,
    send_after: datetime | None = None,
    is_promotional: bool = False,
    applicant: Applicant | None = None,
    candidate: Candidate | None = None,
    template_version: TemplateVersion | None = None,
    actor: User | None = None,
) -> OutboundEmail | None:
    """Queue one email; the same idempotency key twice returns the first row. None: suppressed promotional mail."""
    existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if is_promotional and is_suppressed(email=to_email, company=company):
        return None
    settings = mail_settings_for(company)
    email = OutboundEmail(
        company=company,
        kind=kind,
        is_promotional=is_promotional,
        idempotency_key=idempotency_key,
        applicant=applicant,
        candidate=candidate,
        template_version=template_version,
        to_email=to_email,
        from_name=settings.sender_name or company.name,
        reply_to=settings.reply_to,
        subject=subject,
        body=body,
        send_after=send_after or timezone.now(),
        created_by=actor,
    )
    email.message_id = outbox_message_id()
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        return OutboundEmail.objects.get(idempotency_key=idempotency_key)
    if email.send_after <= timezone.now():
        outbox_dispatch_soon()
    return email


def default_link(company: Company) -> RelayLink:
    link = company.links.active().first() or company.links.first()
    if link is None:
        raise RelayLink.DoesNotExist(f"company {company.pk} has no relay link")
    return link


def applicant_personal_url(*, applicant: Applicant, link: RelayLink | None = None) -> str:
    """The applicant's own relay link: a registration through it is tied to this rejected application."""
    link = link or default_link(applicant.company)
    return link.personal_url(applicant.ref)


def _japanese_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def merge_values(*, applicant: Applicant, link: RelayLink | None = None) -> dict[str, str]:
    settings = mail_settings_for(applicant.company)
    return {
        "応募者名": applicant.name,
        "応募職種": applicant.position,
        "企業名": applicant.company.name,
        "面接日": _japanese_date(applicant.interview_date),
        "リレーリンク": applicant_personal_url(applicant=applicant, link=link),
        "署名": settings.signature,
    }


def rejection_idempotency_key(applicant: Applicant) -> str:
    return f"rejection:{applicant.pk}"


def rejection_email_queue(
    *,
    applicant: Applicant,
    version: TemplateVersion,
    send_after: datetime | None = None,
    link: RelayLink | None = None,
    actor: User | None = None,
) -> OutboundEmail | None:
    """Queue the rejection email for one applicant: at most one per applicant, whatever calls this and how often."""
    values = merge_values(applicant=applicant, link=link)
    return outbox_enqueue(
        company=applicant.company,
        kind=OutboundEmail.Kind.REJECTION,
        idempotency_key=rejection_idempotency_key(applicant),
        to_email=applicant.email,
        subject=render_merge(version.subject, values),
        body=render_merge(version.body, values),
        send_after=send_after,
        applicant=applicant,
        template_version=version,
        actor=actor,
    )


def business_days_send_time(*, rejected_at: datetime, business_days: int, send_time: time) -> datetime:
    """`business_days` Japanese business days after the rejection, at `send_time` in Japan; never in the past."""
    rejected_day = timezone.localtime(rejected_at, JAPAN).date()
    day = add_business_days(rejected_day, business_days)
    moment = datetime.combine(day, send_time, tzinfo=JAPAN)
    now = timezone.now()
    return moment if moment > now else now


def send_time_after_rejection(*, rejected_at: datetime, business_days: int, rule: AutoSendRule) -> datetime:
    """`business_days` Japanese business days after the rejection, at the rule's time in Japan; never in the past."""
    return business_days_send_time(rejected_at=rejected_at, business_days=business_days, send_time=rule.send_time)


def rule_for(applicant: Applicant) -> AutoSendRule | None:
    """The most specific active rule for the applicant's stage and track (exact beats blank)."""
    rules = AutoSendRule.objects.filter(company_id=applicant.company_id, is_active=True).select_related("template")
    matching = [
        rule
        for rule in rules
        if rule.stage in ("", applicant.stage) and rule.track in ("", applicant.track) and rule.template.is_active
    ]
    matching.sort(key=lambda rule: (rule.stage == "", rule.track == "", rule.pk))
    return matching[0] if matching else None


def rejection_email_schedule_by_rule(*, applicant: Applicant) -> OutboundEmail | None:
    """What an ATS webhook or API call triggers: queue the rejection email per the company's rule, if it has one."""
    rule = rule_for(applicant)
    if rule is None:
        return None
    version = rule.template.current_version
    if version is None:
        return None
    send_after = send_time_after_rejection(
        rejected_at=applicant.rejected_at or timezone.now(), business_days=rule.business_days_after, rule=rule
    )
    return rejection_email_queue(applicant=applicant, version=version, send_after=send_after)
