import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from applicants.models import Applicant
from applicants.services import applicant_record
from audit.services import audit_record
from companies.models import Company
from integrations.models import API_KEY_PREFIX, ApiKey, Integration, WebhookEvent, new_webhook_secret
from integrations.schemas import RejectedApplicantIn
from mailings.models import OutboundEmail, TemplateVersion
from mailings.services.outbox import rejection_email_queue, rejection_email_schedule_by_rule

# The delivery log is for troubleshooting; it is kept this long, so unsigned noise cannot pile up for ever.
WEBHOOK_LOG_RETENTION = timedelta(days=180)

# last_used_at is written at most this often per key, so busy API clients do not turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedIntegration:
    integration: Integration
    secret: str  # shown to the person once; for Lever it is the token they pasted


@transaction.atomic
def integration_create(
    *, company: Company, kind: str, name: str, signature_token: str = "", lever_api_key: str = "", actor: User
) -> CreatedIntegration:
    """Enable an ATS integration. Greenhouse and generic get a new random secret; Lever signs with its own token."""
    secret = signature_token.strip() if kind == Integration.Kind.LEVER else new_webhook_secret()
    integration = Integration.objects.create(
        company=company,
        kind=kind,
        name=name.strip(),
        secret=secret,
        lever_api_key=lever_api_key.strip() if kind == Integration.Kind.LEVER else "",
        created_by=actor,
    )
    audit_record(actor=actor, action="integration.create", target=integration, company=company, detail={"kind": kind})
    return CreatedIntegration(integration=integration, secret=secret)


@transaction.atomic
def integration_secret_regenerate(*, integration: Integration, actor: User) -> str:
    """A new secret for Greenhouse or generic; the old one stops working at once."""
    if integration.kind == Integration.Kind.LEVER:
        raise ValueError("Lever signs with its own token; update it with integration_lever_update")
    integration.secret = new_webhook_secret()
    integration.secret_rotated_at = timezone.now()
    integration.save(update_fields=["secret", "secret_rotated_at"])
    audit_record(actor=actor, action="integration.secret_regenerate", target=integration, company=integration.company)
    return integration.secret


@transaction.atomic
def integration_lever_update(
    *, integration: Integration, signature_token: str, lever_api_key: str | None, actor: User
) -> Integration:
    """Replace Lever's signature token, and the API key when one is given ("" removes it, None keeps it)."""
    fields = ["secret", "secret_rotated_at"]
    integration.secret = signature_token.strip()
    integration.secret_rotated_at = timezone.now()
    if lever_api_key is not None:
        integration.lever_api_key = lever_api_key.strip()
        fields.append("lever_api_key")
    integration.save(update_fields=fields)
    audit_record(actor=actor, action="integration.lever_update", target=integration, company=integration.company)
    return integration


@transaction.atomic
def integration_set_enabled(*, integration: Integration, enabled: bool, actor: User) -> Integration:
    integration.is_enabled = enabled
    integration.save(update_fields=["is_enabled"])
    audit_record(
        actor=actor,
        action="integration.enable" if enabled else "integration.disable",
        target=integration,
        company=integration.company,
    )
    return integration


def webhook_events_prune(*, now: datetime | None = None) -> int:
    """Delete delivery-log rows past retention, except the ones that keep replays from taking effect again."""
    cutoff = (now or timezone.now()) - WEBHOOK_LOG_RETENTION
    deleted, _by_model = WebhookEvent.objects.filter(received_at__lt=cutoff, dedupe_key__isnull=True).delete()
    return deleted


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


@transaction.atomic
def api_key_create(*, company: Company, name: str, actor: User) -> CreatedApiKey:
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        company=company,
        name=name.strip(),
        prefix=raw_key[: len(API_KEY_PREFIX) + 6],
        key_hash=api_key_hash(raw_key),
        created_by=actor,
    )
    audit_record(actor=actor, action="api_key.create", target=api_key, company=company, detail={"name": api_key.name})
    return CreatedApiKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoke", target=api_key, company=api_key.company)
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key with this value, or None. Looked up by its hash: the key itself is never stored."""
    if not raw_key.startswith(API_KEY_PREFIX) or len(raw_key) > 200:
        return None
    api_key = ApiKey.objects.active().select_related("company").filter(key_hash=api_key_hash(raw_key)).first()
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@dataclass(frozen=True)
class PostedApplicant:
    applicant: Applicant
    created: bool
    email: OutboundEmail | None


def applicants_post(
    *,
    company: Company,
    applicants: list[RejectedApplicantIn],
    mode: str,
    version: TemplateVersion | None = None,
    send_at: datetime | None = None,
) -> list[PostedApplicant]:
    """Record rejected applicants sent through the API and schedule their email: by the company's rule
    ("rule"), with a chosen template at a chosen time ("template"), or not at all ("none").

    Idempotent by the sender's applicant id: posting the same applicant again changes nothing and never
    queues a second email.
    """
    results = []
    for item in applicants:
        with transaction.atomic():
            recorded = applicant_record(
                company=company,
                source=Applicant.Source.API,
                external_system=Applicant.COMPANY_ID_SYSTEM,
                external_id=item.id,
                name=item.name,
                email=item.email,
                name_kana=item.name_kana,
                position=item.position,
                stage=item.stage,
                track=item.track,
                interview_date=item.interview_date,
                rejected_at=item.rejected_at or timezone.now(),
            )
            email: OutboundEmail | None = None
            if mode == "rule":
                email = rejection_email_schedule_by_rule(applicant=recorded.applicant).email
            elif mode == "template" and version is not None:
                email = rejection_email_queue(applicant=recorded.applicant, version=version, send_after=send_at)
            if email is None:
                # Nothing queued now; report the email an earlier call or import queued, if any.
                email = OutboundEmail.objects.filter(
                    applicant=recorded.applicant, kind=OutboundEmail.Kind.REJECTION
                ).first()
        results.append(PostedApplicant(applicant=recorded.applicant, created=recorded.created, email=email))
    return results
