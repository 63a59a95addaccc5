import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from applicants.models import Applicant, RejectionReason
from applicants.selectors import company_vocabulary
from applicants.services import applicant_outcome_update, applicant_record, unknown_reason_detail
from applicants.vocabulary import Vocabulary, match_key
from audit.services import audit_record
from companies.models import Company, RelayLink
from integrations.models import API_KEY_PREFIX, ApiKey, Integration, WebhookEvent, new_webhook_secret
from integrations.schemas import ApplicantPatchIn, RejectedApplicantIn
from lib.errors import RuleRefused
from lib.jatext import nfkc
from mailings.models import OutboundEmail, TemplateVersion
from mailings.services.lifecycle import CancelledMail, rejection_mail_cancel, rejection_mail_readdress
from mailings.services.outbox import (
    mail_settings_refusal,
    rejection_email_queue,
    rejection_email_schedule_by_rule,
    stored_text,
)

Status = OutboundEmail.Status

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
    refusal: str = ""  # why no rejection mail is on its way (ScheduledRejection.refusal); empty when one is

    @property
    def mail_scheduled(self) -> bool:
        return self.email is not None and self.email.status in MAIL_ON_ITS_WAY


# A rejection mail in one of these states has gone or will go: the API reports it as scheduled.
MAIL_ON_ITS_WAY = (OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT)


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

    The sender's words for why selection ended (`reason`) are read through the company's vocabulary: unknown
    words are recorded and held for review, a reason that does not send (辞退, 入社…) and `can_email: false` are
    recorded and never mailed (DESIGN.md §3 rule 13). Each result says why no mail was scheduled.

    Idempotent by the sender's applicant id: posting the same applicant again never records a second person nor
    queues a second email; the person's details stay as first recorded (PATCH corrects them). Only a reason or a
    `can_email` sent again updates the outcome, and one that may no longer be mailed cancels its queued mail.
    """
    vocabulary = company_vocabulary(company)
    results = []
    for item in applicants:
        outcome = api_outcome(vocabulary, item.reason)
        track = item.track if item.track_given else vocabulary.track_for(item.job_id, item.job_name, item.position)
        with transaction.atomic():
            recorded = applicant_record(
                company=company,
                source=Applicant.Source.API,
                external_system=Applicant.COMPANY_ID_SYSTEM,
                external_id=item.id,
                name=item.name,
                email=item.email,
                name_kana=item.name_kana,
                position=item.position or item.job_name,
                stage=item.stage,
                track=track,
                interview_date=item.interview_date,
                rejected_at=item.rejected_at or timezone.now(),
                reason_id=outcome.reason_id,
                reason_text=outcome.reason_text,
                hold=outcome.hold,
                hold_detail=outcome.hold_detail,
                can_email=item.can_email,
                person_id=item.person_id,
            )
            applicant = recorded.applicant
            if not recorded.created:
                _outcome_reported_again(applicant, item, outcome)
            earlier = rejection_mail_of(applicant)
            email: OutboundEmail | None
            if earlier is not None:
                # Queued (or sent, or stopped) before: reported, never queued twice.
                email, refusal = earlier, "" if earlier.status in MAIL_ON_ITS_WAY else _mail_stopped(earlier)
            else:
                email, refusal = _schedule(applicant, mode=mode, version=version, send_at=send_at)
        results.append(PostedApplicant(applicant=applicant, created=recorded.created, email=email, refusal=refusal))
    return results


# --- The REST API's reads and corrections of one applicant (integrations/api.py) -------------------------------


@dataclass(frozen=True)
class ApiOutcome:
    """What the sender's `reason` means for the company: its reason (None: declared rejection or unknown) and
    the hold an unknown one puts the applicant on."""

    reason_id: int | None
    reason_text: str
    hold: str
    hold_detail: str


def api_outcome(vocabulary: Vocabulary, text: str) -> ApiOutcome:
    """No words: a declared rejection (`applicant_record` gives it the company's 不採用). A standard code
    (rejected / withdrawn / hired / not_screened) or words the company's vocabulary knows: that reason.
    Anything else: held as unknown_reason, never mailed."""
    words = nfkc(text or "").strip()
    if not words:
        return ApiOutcome(None, "", "", "")
    key = match_key(words)
    reason_id = vocabulary.code_reason(key) if key in RejectionReason.Code.values else vocabulary.reason_for(words)
    if reason_id is None:
        return ApiOutcome(None, words, Applicant.Hold.UNKNOWN_REASON, unknown_reason_detail(words))
    return ApiOutcome(reason_id, words, "", "")


def rejection_mail_of(applicant: Applicant) -> OutboundEmail | None:
    """The applicant's rejection mail (at most one: its idempotency key is the applicant's)."""
    return (
        OutboundEmail.objects.filter(applicant=applicant, kind=OutboundEmail.Kind.REJECTION)
        .order_by("-created_at", "-id")
        .first()
    )


def _mail_stopped(email: OutboundEmail) -> str:
    if email.status == OutboundEmail.Status.FAILED:
        return stored_text(_("お祈りメールの送信に失敗しました (%(error)s)。") % {"error": email.last_error[:200]})
    return email.last_error or stored_text(_("お祈りメールは取り消されています。"))


def _schedule(
    applicant: Applicant, *, mode: str, version: TemplateVersion | None, send_at: datetime | None
) -> tuple[OutboundEmail | None, str]:
    """Queue the applicant's first rejection mail as `mode` says, or say why not (fails closed)."""
    if mode == "none":
        return None, stored_text(_("送信しない指定 (schedule.mode: none) のため、メールは予約していません。"))
    try:
        if mode == "rule":
            scheduled = rejection_email_schedule_by_rule(applicant=applicant)
            return scheduled.email, scheduled.refusal
        refusal = applicant.mail_refusal or mail_settings_refusal(applicant.company)
        if refusal is not None or version is None:
            return None, refusal or ""
        return rejection_email_queue(applicant=applicant, version=version, send_after=send_at), ""
    except RelayLink.DoesNotExist:
        return None, stored_text(_("リレーリンクがないため、メールは予約していません。"))


def _outcome_reported_again(applicant: Applicant, item: RejectedApplicantIn, outcome: ApiOutcome) -> None:
    """A second POST of a known applicant that carries a reason or `can_email` brings the sender's latest word."""
    fields_set = item.model_fields_set
    new_reason = "reason" in fields_set and bool(outcome.reason_text)
    new_consent = "can_email" in fields_set and item.can_email != applicant.can_email
    if not new_reason and not new_consent:
        return
    if new_reason and (outcome.reason_id, outcome.hold) == (applicant.reason_id, applicant.hold):
        new_reason = False
    if not new_reason and not new_consent:
        return
    _outcome_apply(applicant, outcome if new_reason else None, item.can_email if new_consent else None)
    if applicant.mail_refusal is not None:
        rejection_mail_cancel(applicant=applicant, why=applicant.mail_refusal)


def _outcome_apply(applicant: Applicant, outcome: ApiOutcome | None, can_email: bool | None) -> None:
    """Write a new reason and/or consent; a hold other than the unknown reason (a date to confirm) stays."""
    if outcome is None:
        reason_id, reason_text, hold, detail = (
            applicant.reason_id,
            applicant.reason_text,
            applicant.hold,
            applicant.hold_detail,
        )
    else:
        reason_id, reason_text, hold, detail = outcome.reason_id, outcome.reason_text, outcome.hold, outcome.hold_detail
        if not hold and applicant.hold not in ("", Applicant.Hold.UNKNOWN_REASON):
            hold, detail = applicant.hold, applicant.hold_detail
    applicant_outcome_update(
        applicant=applicant,
        reason_id=reason_id,
        reason_text=reason_text,
        hold=hold,
        hold_detail=detail,
        can_email=can_email,
    )


def applicant_by_ref(*, company: Company, ref: str) -> Applicant | None:
    """The company's applicant that `ref` names: its applicant ref, else the sender's id (the API's and the
    generic webhook's), else another system's id when exactly one applicant carries it."""
    key = nfkc(ref or "").strip()[:100]
    if not key or "\x00" in key:  # no database stores NUL: nobody's ref has one
        return None
    applicants = Applicant.objects.filter(company=company).company_visible().select_related("reason")
    found = applicants.filter(ref=key).first()
    if found is None:
        found = applicants.filter(external_system=Applicant.COMPANY_ID_SYSTEM, external_id=key).first()
    if found is None:
        matches = list(applicants.filter(external_id=key)[:2])
        found = matches[0] if len(matches) == 1 else None
    return found


class ApplicantUpdateRefused(RuleRefused):
    """A correction the rules refuse (an erased person, an address and position another applicant has)."""

    def __init__(self, code: str, message: object) -> None:
        super().__init__(str(message))
        self.code = code


@dataclass(frozen=True)
class UpdatedApplicant:
    applicant: Applicant
    changed: list[str]
    readdressed: int  # queued rejection mails now addressed to the corrected address
    cancelled: CancelledMail | None  # what happened to the queued mail when it may no longer go
    notes: list[str]  # what the caller should know, in the caller's language


def _api_actor(api_key: ApiKey) -> str:
    return f"API ({api_key.name} {api_key.prefix}…)"


def applicant_update_by_api(*, applicant: Applicant, patch: ApplicantPatchIn, api_key: ApiKey) -> UpdatedApplicant:
    """Correct an applicant from the company's system: details, stage and track, reason and consent.

    A corrected address reaches the rejection mail not yet handed to a worker; a reason that does not send or
    `can_email: false` cancels it. Nothing is queued here: a mail the correction now allows is sent by the
    company's rule or from the outbox, as for any applicant.
    """
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update(of=("self",)).select_related("reason").get(pk=applicant.pk)
        if applicant.erased_at is not None:
            raise ApplicantUpdateRefused(
                "applicant_erased", _("ATS で削除された応募者のため、個人情報は変更できません。")
            )
        changed = _details_apply(applicant, patch)
        if changed:
            applicant.save()
        changed += _outcome_change(applicant, patch)
        readdressed = rejection_mail_readdress(applicant=applicant) if "email" in changed else 0
        cancelled = None
        refusal = applicant.mail_refusal
        if refusal is not None and {"reason", "can_email"} & set(changed):
            cancelled = rejection_mail_cancel(applicant=applicant, why=refusal)
        if changed:
            audit_record(
                actor=None,
                actor_label=_api_actor(api_key),
                action="applicant.update_by_api",
                target=applicant,
                company=applicant.company,
                detail={
                    "fields": changed,
                    "readdressed": readdressed,
                    "cancelled": cancelled.cancelled if cancelled else 0,
                },
            )
        notes = _update_notes(applicant, changed, readdressed, cancelled)
    return UpdatedApplicant(
        applicant=applicant, changed=changed, readdressed=readdressed, cancelled=cancelled, notes=notes
    )


def _details_apply(applicant: Applicant, patch: ApplicantPatchIn) -> list[str]:
    """Set the corrected details on the (locked, unsaved) applicant; the names of the fields that changed."""
    fields_set = patch.model_fields_set
    changed: list[str] = []
    for name in ("name", "name_kana", "position"):
        value = getattr(patch, name)
        if name in fields_set and value is not None and nfkc(value) != getattr(applicant, name):
            setattr(applicant, name, nfkc(value))
            changed.append(name)
    for name in ("stage", "track", "interview_date"):
        value = getattr(patch, name)
        if name in fields_set and value != getattr(applicant, name):
            setattr(applicant, name, value)  # stage and track are never None here (schema), a date may be
            changed.append(name)
    if patch.email is not None and patch.email != applicant.email_normalized:
        applicant.email = applicant.email_normalized = patch.email
        changed.append("email")
    if applicant.dedupe_key.startswith("email:") and {"email", "position"} & set(changed):
        # Without an ATS id the person is their address and position: the new pair must be nobody else's.
        applicant.dedupe_key = Applicant.dedupe_key_for(
            external_system=applicant.external_system,
            external_id=applicant.external_id,
            email_normalized=applicant.email_normalized,
            position=applicant.position,
        )
        taken = Applicant.objects.filter(company_id=applicant.company_id, dedupe_key=applicant.dedupe_key)
        if taken.exclude(pk=applicant.pk).exists():
            raise ApplicantUpdateRefused(
                "conflict", _("同じメールアドレスと応募職種の応募者がすでに登録されています。")
            )
    return changed


def _outcome_change(applicant: Applicant, patch: ApplicantPatchIn) -> list[str]:
    """Write a new reason and/or consent when they differ from the applicant's; the names of what changed."""
    changed: list[str] = []
    outcome = None
    if patch.reason is not None:
        outcome = api_outcome(company_vocabulary(applicant.company), patch.reason)
        now = (applicant.reason_id, applicant.reason_text, applicant.hold)
        if (outcome.reason_id, outcome.reason_text, outcome.hold) == now:
            outcome = None
        else:
            changed.append("reason")
    can_email = patch.can_email if patch.can_email is not None and patch.can_email != applicant.can_email else None
    if can_email is not None:
        changed.append("can_email")
    if changed:
        _outcome_apply(applicant, outcome, can_email)
        applicant.refresh_from_db()
    return changed


def _update_notes(
    applicant: Applicant, changed: list[str], readdressed: int, cancelled: CancelledMail | None
) -> list[str]:
    """In the caller's language (the answer's), unlike the refusals, which are stored."""
    email = rejection_mail_of(applicant)
    notes: list[str] = []
    if not changed:
        notes.append(str(_("変更はありませんでした。")))
    if readdressed:
        notes.append(str(_("送信予定のお祈りメールの宛先を新しいアドレスに変えました。")))
    elif "email" in changed and email is not None and email.status in (Status.SENDING, Status.SENT):
        notes.append(str(_("お祈りメールはすでに以前のアドレスへ送信済み(または送信中)です。")))
    if cancelled is not None:
        notes.append(cancelled.summary())
    rendered = {"name", "position", "stage", "track", "interview_date"} & set(changed)
    if rendered and email is not None and email.status == Status.QUEUED:
        notes.append(
            str(
                _(
                    "送信予定のメールの本文は作成時のままです。内容を変えるには、メールを取り消してから送り直してください。"
                )
            )
        )
    return notes


def applicant_mail_cancel_by_api(*, applicant: Applicant, api_key: ApiKey) -> CancelledMail:
    """The company's system asks that the applicant's queued rejection mail not go."""
    why = stored_text(_("%(actor)s から取り消されました。")) % {"actor": _api_actor(api_key)}
    return rejection_mail_cancel(applicant=applicant, why=why)


# --- Changes since a cursor ------------------------------------------------------------------------------------

# A row is listed only once it is this old, so a transaction that commits late (an import chunk) is not passed
# over by a cursor that moved on meanwhile.
CHANGES_SETTLE = timedelta(seconds=30)


class InvalidCursor(ValueError):
    pass


def changes_cursor(applicant: Applicant) -> str:
    """Opaque to the client: where the listing stopped, as (updated_at, id)."""
    raw = f"{applicant.updated_at.isoformat()}|{applicant.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def changes_cursor_read(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _sep, pk = raw.rpartition("|")
        when = datetime.fromisoformat(moment)
        if timezone.is_naive(when):
            raise ValueError(moment)
        return when, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidCursor(cursor) from None


def applicants_changed(
    *, company: Company, cursor: str | None, limit: int, now: datetime | None = None
) -> tuple[list[Applicant], bool]:
    """The company's applicants changed after `cursor`, oldest change first (a stable order), and whether more
    follow. Raises InvalidCursor for a cursor this API did not give."""
    settled = (now or timezone.now()) - CHANGES_SETTLE
    rows = Applicant.objects.filter(company=company, updated_at__lte=settled)
    if cursor:
        when, pk = changes_cursor_read(cursor)
        rows = rows.filter(Q(updated_at__gt=when) | Q(updated_at=when, pk__gt=pk))
    mails = Prefetch(
        "emails",
        queryset=OutboundEmail.objects.filter(kind=OutboundEmail.Kind.REJECTION).order_by("-created_at", "-id"),
        to_attr="rejection_mails",
    )
    page = list(rows.select_related("reason").prefetch_related(mails).order_by("updated_at", "pk")[: limit + 1])
    return page[:limit], len(page) > limit
