"""Putting email in the outbox, and what a person does to a row (resend, cancel). The worker that empties it is
mailings.services.dispatch, run by the task mailings.tasks.dispatch_outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import make_msgid, parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from applicants.services import applicant_hold
from audit.services import audit_record
from companies.models import Company, RelayLink
from lib.business_days import add_business_days
from lib.dates import JST
from lib.tasks import QUEUE_OUTAGES, queue_outage_log, task_by_path
from mailings.identity import with_operator_identity
from mailings.merge import render_merge
from mailings.models import AutoSendRule, MailSettings, OutboundEmail, Suppression, TemplateVersion
from mailings.mute import mail_is_muted

if TYPE_CHECKING:  # accounts and candidates sit above the outbox: a row only names its actor and person
    from accounts.models import User
    from candidates.models import Candidate

Status = OutboundEmail.Status

CANCELLED_REASON = _("%(name)s さんが送信を取り消しました。")


def stored_text(text: object) -> str:
    """Reasons are stored in the site language, whoever's request or worker produced them."""
    with translation.override(django_settings.LANGUAGE_CODE):
        return str(text)


def sender_address() -> str:
    return parseaddr(django_settings.DEFAULT_FROM_EMAIL)[1]


def outbox_message_id() -> str:
    domain = sender_address().rpartition("@")[2] or "career-relay.invalid"
    return make_msgid(domain=domain)


def mail_settings_for(company: Company) -> MailSettings:
    try:
        return company.mail_settings  # cached on the instance: a batch of sends reads it once
    except MailSettings.DoesNotExist:
        settings, _ = MailSettings.objects.get_or_create(company=company)
        company.mail_settings = settings
        return settings


def outbox_enqueue(
    *,
    company: Company | None,
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
    is_secret: bool = False,
    links: list[dict[str, Any]] | None = None,
) -> OutboundEmail | None:
    """Queue one email; the same idempotency key twice returns the first row. None: suppressed promotional mail.

    Company-written mail goes out under the company's sender name and reply-to; transactional mail (no
    company, or a transactional kind) under the platform's own address."""
    existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if is_promotional and Suppression.objects.blocks(email=to_email, company=company):
        return None
    from_name, reply_to = "", ""
    if company is not None and kind in (OutboundEmail.Kind.REJECTION, OutboundEmail.Kind.RECHALLENGE):
        settings = mail_settings_for(company)
        from_name, reply_to = settings.sender_name or company.name, settings.reply_to
    email = OutboundEmail(
        company=company,
        kind=kind,
        is_promotional=is_promotional,
        is_secret=is_secret,
        idempotency_key=idempotency_key,
        applicant=applicant,
        candidate=candidate,
        template_version=template_version,
        to_email=to_email,
        from_name=from_name,
        reply_to=reply_to,
        subject=subject,
        body=body,
        links=links or [],
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
        # The operator's identity is added here, never read from the template (特定電子メール法 4条).
        body=with_operator_identity(render_merge(version.body, values), language=django_settings.LANGUAGE_CODE),
        send_after=send_after,
        applicant=applicant,
        template_version=version,
        actor=actor,
    )


def business_days_send_time(*, rejected_at: datetime, business_days: int, send_time: time) -> datetime:
    """`business_days` Japanese business days after the rejection, at `send_time` in Japan; never in the past."""
    rejected_day = timezone.localtime(rejected_at, JST).date()
    day = add_business_days(rejected_day, business_days)
    moment = datetime.combine(day, send_time, tzinfo=JST)
    now = timezone.now()
    return moment if moment > now else now


def send_time_after_rejection(*, rejected_at: datetime, business_days: int, rule: AutoSendRule) -> datetime:
    """`business_days` Japanese business days after the rejection, at the rule's time in Japan; never in the past."""
    return business_days_send_time(rejected_at=rejected_at, business_days=business_days, send_time=rule.send_time)


def rule_for(applicant: Applicant) -> AutoSendRule | None:
    """The most specific active rule for the applicant: reason beats stage beats track, exact beats blank."""
    return rule_among(applicant, active_rules(applicant.company_id))


def active_rules(company_id: int) -> list[AutoSendRule]:
    """The company's active rules, read once for a batch (see rule_among)."""
    return list(AutoSendRule.objects.filter(company_id=company_id, is_active=True).select_related("template"))


def rule_among(applicant: Applicant, rules: list[AutoSendRule]) -> AutoSendRule | None:
    """rule_for over rules already read (active_rules): a batch of thousands asks the database once."""
    matching = [
        rule
        for rule in rules
        if rule.is_active
        and rule.stage in ("", applicant.stage)
        and rule.track in ("", applicant.track)
        and rule.reason_id in (None, applicant.reason_id)
        and rule.template.is_active
    ]
    matching.sort(key=lambda rule: (rule.reason_id is None, rule.stage == "", rule.track == "", rule.pk))
    return matching[0] if matching else None


# A rejection reported by an ATS more than this long ago, or dated in the future, waits for a person.
OLDEST_AUTOMATIC_REJECTION = timedelta(days=90)


def rejection_date_implausible(*, rejected_at: datetime, now: datetime) -> bool:
    """A rejection dated in the future or more than 90 days ago: a person confirms it before any mail goes."""
    return rejected_at > now + timedelta(hours=1) or rejected_at < now - OLDEST_AUTOMATIC_REJECTION


# What a company must set before its first rejection mail, as MailSettings fields (mail_settings_missing's order).
MAIL_SETTINGS_REQUIRED = ("sender_name", "signature", "reply_to")


def mail_settings_missing_fields(company: Company) -> list[str]:
    """mail_settings_missing as field names, for a form that asks for exactly those."""
    settings = mail_settings_for(company)
    return [name for name in MAIL_SETTINGS_REQUIRED if not str(getattr(settings, name)).strip()]


def mail_settings_missing(company: Company) -> list[str]:
    """What the company must still set before its first rejection mail (sender name, signature, reply-to)."""
    labels = {field.name: str(field.verbose_name) for field in MailSettings._meta.concrete_fields}
    return [labels[name] for name in mail_settings_missing_fields(company)]


def mail_settings_refusal(company: Company) -> str | None:
    missing = mail_settings_missing(company)
    if not missing:
        return None
    return stored_text(
        _("メール送信設定(%(fields)s)が未設定のため、メールは送っていません。設定後に送信できます。")
    ) % {"fields": "・".join(missing)}


@dataclass(frozen=True)
class ScheduledRejection:
    """What an automatic path (ATS webhook, API, HERP) did about one applicant's rejection mail."""

    email: OutboundEmail | None
    refusal: str = ""  # why nothing was queued, for the delivery log; empty when queued


def rejection_email_schedule_by_rule(*, applicant: Applicant, now: datetime | None = None) -> ScheduledRejection:
    """What an ATS webhook or API call triggers: queue the rejection email per the company's rule, if it may go.

    Fails closed (DESIGN.md §3 rule 13): an applicant the ATS did not clearly reject, whose address may not be
    mailed, whose rejection date is implausible, or whose company has not signed its mail yet gets nothing; the
    reason is returned for the log. A date out of range puts the applicant on the company's 確認待ち list.
    """
    now = now or timezone.now()
    refusal = applicant.mail_refusal
    if refusal is not None:
        return ScheduledRejection(None, refusal)
    rejected_at = applicant.rejected_at or now
    if rejection_date_implausible(rejected_at=rejected_at, now=now):
        detail = stored_text(_("不採用日 %(day)s が未来か90日以上前のため、送る前にご確認ください。")) % {
            "day": timezone.localtime(rejected_at, JST).strftime("%Y/%m/%d")
        }
        applicant_hold(applicant=applicant, hold=Applicant.Hold.DATE_OUT_OF_RANGE, detail=detail)
        return ScheduledRejection(None, detail)
    refusal = mail_settings_refusal(applicant.company)
    if refusal is not None:
        return ScheduledRejection(None, refusal)
    rule = rule_for(applicant)
    if rule is None:
        return ScheduledRejection(None, stored_text(_("該当する自動送信ルールがないため、メールは送っていません。")))
    version = rule.template.current_version
    if version is None:
        return ScheduledRejection(None, stored_text(_("テンプレートに本文がないため、メールは送っていません。")))
    send_after = send_time_after_rejection(rejected_at=rejected_at, business_days=rule.business_days_after, rule=rule)
    return ScheduledRejection(rejection_email_queue(applicant=applicant, version=version, send_after=send_after))


def _enqueue_dispatch() -> None:
    # By dotted path: the task module imports these services, never the other way round.
    try:
        task_by_path("mailings.tasks.dispatch_outbox").enqueue()
    except QUEUE_OUTAGES as error:
        # The mail is a committed QUEUED row; the queue only wakes the dispatcher, the per-minute job sends it.
        queue_outage_log("mailings.tasks.dispatch_outbox", error)


def outbox_dispatch_soon() -> None:
    """Ask a worker to empty the outbox once the current transaction commits (once per transaction)."""
    if mail_is_muted():
        return
    db = transaction.get_connection()
    # Once per transaction level: a wake-up already waiting at this very savepoint covers this row too.
    here = set(db.savepoint_ids)
    if db.in_atomic_block and any(func is _enqueue_dispatch and sids == here for sids, func, _ in db.run_on_commit):
        return
    # Robust: if the queue is unreachable the email stays QUEUED and the per-minute job sends it.
    transaction.on_commit(_enqueue_dispatch, robust=True)


def outbox_resend(*, email: OutboundEmail, actor: User) -> bool:
    """A person looked at a failed email and asks for one more explicit attempt on the same row.

    The same row goes again, unchanged: a sign-in mail carries the link it was issued with (the person gets the
    message they should have got), and it still goes only to the address it was written for."""
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
