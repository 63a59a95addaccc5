"""Writing rejection templates, the company's mail settings and its auto-send rules. Every change is audited.

Kept apart from the outbox (mailings.services.outbox) so that sending and the template editor grow independently.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from applicants.models import RejectionReason
from audit.services import audit_record
from companies.models import Company
from mailings.library import LIBRARY, LibraryTemplate
from mailings.merge import normalize_fields, template_text_validate
from mailings.models import AutoSendRule, MailSettings, RejectionTemplate, TemplateVersion
from mailings.services.outbox import mail_settings_for, mail_settings_missing
from mailings.services.sending import MailNotReady

if TYPE_CHECKING:  # accounts sits above this app: an actor is only named, never looked up here
    from accounts.models import User


def template_text_clean(*, subject: str, body: str) -> tuple[str, str]:
    """The form a subject and body are stored in: canonical fields, one-line subject, no trailing blank lines."""
    subject = " ".join(normalize_fields(subject).split("\n")).strip()
    body = "\n".join(line.rstrip() for line in normalize_fields(body).split("\n")).strip("\n")
    return subject, body


def _version_add(*, template: RejectionTemplate, subject: str, body: str, actor: User | None) -> TemplateVersion:
    # Callers hold the template's row lock, so two saves at once cannot both take the same number.
    latest = template.versions.aggregate(latest=Max("number"))["latest"] or 0
    return TemplateVersion.objects.create(
        template=template, number=latest + 1, subject=subject, body=body, created_by=actor
    )


def _locked(template: RejectionTemplate) -> RejectionTemplate:
    return RejectionTemplate.objects.select_for_update().get(pk=template.pk)


def rejection_templates_install_defaults(*, company: Company, actor: User | None = None) -> list[RejectionTemplate]:
    """Give the company the library's templates (version 1 each), skipping a stage and track it already has."""
    created: list[RejectionTemplate] = []
    with transaction.atomic():
        # Two first visits at once must not both install: the second waits here and then finds the names taken.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        existing = RejectionTemplate.objects.filter(company=company)
        names = set(existing.values_list("name", flat=True))
        covered = set(existing.values_list("stage", "track"))
        for entry in LIBRARY:
            # A stage and track the company already writes for (even under another name) needs no library copy.
            if entry.name in names or (entry.stage, entry.track) in covered:
                continue
            template = RejectionTemplate.objects.create(
                company=company, name=entry.name, stage=entry.stage, track=entry.track
            )
            subject, body = template_text_clean(subject=entry.subject, body=entry.body)
            # The text is the library's, not the actor's: the history says so; the audit row names the actor.
            _version_add(template=template, subject=subject, body=body, actor=None)
            created.append(template)
        if created:
            audit_record(
                actor=actor,
                action="mail_template.install_defaults",
                company=company,
                detail={"templates": [template.name for template in created]},
            )
    return created


def rejection_templates_ensure_library(*, company: Company, actor: User | None = None) -> list[RejectionTemplate]:
    """Install the library templates a company lacks (one made before a stage was added gets it on first use).

    Idempotent and cheap when nothing is missing: no lock is taken unless a library stage and track is uncovered.
    """
    existing = RejectionTemplate.objects.filter(company=company)
    names = set(existing.values_list("name", flat=True))
    covered = set(existing.values_list("stage", "track"))
    if all(entry.name in names or (entry.stage, entry.track) in covered for entry in LIBRARY):
        return []
    return rejection_templates_install_defaults(company=company, actor=actor)


def rejection_template_create(
    *, company: Company, name: str, stage: str, track: str, subject: str, body: str, actor: User
) -> RejectionTemplate:
    """A new template with its first version; raises ValidationError when the text cannot be sent."""
    subject, body = template_text_clean(subject=subject, body=body)
    template_text_validate(subject=subject, body=body)
    with transaction.atomic():
        template = RejectionTemplate.objects.create(company=company, name=name, stage=stage, track=track)
        version = _version_add(template=template, subject=subject, body=body, actor=actor)
        audit_record(
            actor=actor,
            action="mail_template.create",
            target=template,
            company=company,
            detail={"name": name, "stage": stage, "track": track, "version": version.number},
        )
    return template


def rejection_template_update(
    *, template: RejectionTemplate, name: str, stage: str, track: str, subject: str, body: str, actor: User
) -> TemplateVersion | None:
    """Save an edit: changed text becomes a new version (old ones never change); None when the text is unchanged."""
    subject, body = template_text_clean(subject=subject, body=body)
    template_text_validate(subject=subject, body=body)
    with transaction.atomic():
        template = _locked(template)
        before = {"name": template.name, "stage": template.stage, "track": template.track}
        after = {"name": name, "stage": stage, "track": track}
        if before != after:
            template.name, template.stage, template.track = name, stage, track
            template.save(update_fields=["name", "stage", "track", "updated_at"])
            audit_record(
                actor=actor,
                action="mail_template.update",
                target=template,
                company=template.company,
                detail={"before": before, "after": after},
            )
        current = template.current_version
        if current is not None and (current.subject, current.body) == (subject, body):
            return None
        version = _version_add(template=template, subject=subject, body=body, actor=actor)
        template.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="mail_template.version",
            target=template,
            company=template.company,
            detail={"version": version.number},
        )
    return version


def rejection_template_restore(*, version: TemplateVersion, actor: User) -> TemplateVersion:
    """Bring an old text back as the newest version, so the history still shows what was sent when."""
    template_text_validate(subject=version.subject, body=version.body)
    with transaction.atomic():
        template = _locked(version.template)
        restored = _version_add(template=template, subject=version.subject, body=version.body, actor=actor)
        template.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="mail_template.restore",
            target=template,
            company=template.company,
            detail={"restored": version.number, "version": restored.number},
        )
    return restored


def rejection_template_set_active(*, template: RejectionTemplate, active: bool, actor: User) -> RejectionTemplate:
    with transaction.atomic():
        template = _locked(template)
        if template.is_active == active:
            return template
        template.is_active = active
        template.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="mail_template.activate" if active else "mail_template.deactivate",
            target=template,
            company=template.company,
        )
    return template


def mail_settings_update(
    *, company: Company, sender_name: str, reply_to: str, signature: str, actor: User | None
) -> MailSettings:
    with transaction.atomic():
        settings = mail_settings_for(company)
        settings = MailSettings.objects.select_for_update().get(pk=settings.pk)
        before = {"sender_name": settings.sender_name, "reply_to": settings.reply_to, "signature": settings.signature}
        after = {"sender_name": sender_name, "reply_to": reply_to, "signature": signature}
        if before == after:
            return settings
        settings.sender_name, settings.reply_to, settings.signature = sender_name, reply_to, signature
        settings.save()
        company.mail_settings = settings  # the instance mail_settings_for caches: later checks see the new values
        audit_record(
            actor=actor,
            action="mail_settings.update",
            target=settings,
            company=company,
            detail={"before": before, "after": after},
        )
    return settings


def _rule_detail(rule: AutoSendRule) -> dict[str, object]:
    return {
        "stage": rule.stage,
        "track": rule.track,
        "reason": rule.reason_id,
        "template": rule.template_id,
        "business_days_after": rule.business_days_after,
        "send_time": rule.send_time.strftime("%H:%M"),
        "is_active": rule.is_active,
    }


def auto_send_rule_save(
    *,
    company: Company,
    stage: str,
    track: str,
    template: RejectionTemplate,
    business_days_after: int,
    send_time: time,
    is_active: bool,
    actor: User | None,
    rule: AutoSendRule | None = None,
    reason: RejectionReason | None = None,
) -> AutoSendRule:
    """Create a rule, or change `rule`; the template and the reason (one that sends mail) must be the company's.

    A rule is active only once the company's mail is signed: MailNotReady while its sender name, signature or
    reply-to is missing (an inactive rule may be prepared before)."""
    if template.company_id != company.pk or (rule is not None and rule.company_id != company.pk):
        raise ValueError("rule and template must belong to the company")
    if reason is not None and (reason.company_id != company.pk or not reason.sends_mail):
        raise ValueError("the reason must be one of the company's reasons that send mail")
    if is_active:
        refusal = mail_settings_rule_refusal(company)
        if refusal is not None:
            raise MailNotReady(refusal)
    with transaction.atomic():
        # Reload: a ModelForm has already copied the new values onto the instance it was given.
        rule = AutoSendRule.objects.select_for_update().get(pk=rule.pk) if rule is not None else None
        before = _rule_detail(rule) if rule is not None else None
        rule = rule or AutoSendRule(company=company)
        rule.stage, rule.track, rule.template, rule.reason = stage, track, template, reason
        rule.business_days_after, rule.send_time, rule.is_active = business_days_after, send_time, is_active
        rule.full_clean()
        rule.save()
        audit_record(
            actor=actor,
            action="auto_send_rule.create" if before is None else "auto_send_rule.update",
            target=rule,
            company=company,
            detail={"after": _rule_detail(rule)} if before is None else {"before": before, "after": _rule_detail(rule)},
        )
    return rule


def mail_settings_rule_refusal(company: Company) -> str | None:
    """Why a rule of this company cannot be switched on yet, or None."""
    missing = mail_settings_missing(company)
    if not missing:
        return None
    return gettext(
        "メール送信設定(%(fields)s)が未設定のため、ルールを有効にできません。"
        "先にメール送信設定を保存してください(無効のまま保存することはできます)。"
    ) % {"fields": "・".join(missing)}


def auto_send_rule_delete(*, rule: AutoSendRule, actor: User) -> None:
    with transaction.atomic():
        detail = _rule_detail(rule)
        audit_record(actor=actor, action="auto_send_rule.delete", target=rule, company=rule.company, detail=detail)
        rule.delete()


def library_entry_text(entry: LibraryTemplate) -> tuple[str, str]:
    return template_text_clean(subject=entry.subject, body=entry.body)
