"""Receiving ATS rejection events: verify the signature, read the vendor's payload, record the applicant once,
schedule the rejection email by the company's rule, and log every delivery for the company to read.

Payload shapes follow the vendors' documentation: Greenhouse's `reject_candidate` webhook (HMAC-SHA256 of the
raw body in `Signature: sha256 <hex>`), Lever's `candidateArchiveChange` (HMAC-SHA256 of token + triggeredAt
with the webhook's signature token, carried in the body), and our own generic `applicant.rejected` event.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import pydantic
from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from applicants.models import Applicant
from applicants.services import applicant_record
from companies.models import RelayLink
from integrations.errors import field_errors, summary
from integrations.lever import LeverApiError, lever_archive_reason_is_hire, lever_opportunity_fetch
from integrations.models import Integration, WebhookEvent
from integrations.schemas import RejectedApplicantIn
from mailings.models import OutboundEmail
from mailings.services.outbox import rejection_email_schedule_by_rule

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024
GENERIC_EVENT = "applicant.rejected"


@dataclass(frozen=True)
class Delivery:
    """What the endpoint answers."""

    http_status: int
    body: dict[str, Any]


@dataclass
class RejectionEvent:
    """A verified, well-formed rejection, whatever ATS it came from."""

    event_type: str
    event_id: str
    dedupe_key: str
    external_system: str
    source: str
    external_id: str
    rejected_at: datetime | None
    # None: the payload names the applicant by id only (Lever); it is resolved afterwards.
    applicant: dict[str, Any] | None = None
    lever_archive_reason: str = ""


@dataclass
class Ignored:
    event_type: str
    event_id: str
    reason: str


@dataclass
class PayloadError(Exception):
    errors: list[dict[str, str]] = field(default_factory=list)


def sign_body(secret: str, body: bytes) -> str:
    """The `Signature` header value Greenhouse (and our generic event) put on a body."""
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def lever_signature(secret: str, token: str, triggered_at: object) -> str:
    return hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()


def _body_signature_valid(secret: str, body: bytes, header: str) -> bool:
    algorithm, _sep, digest = header.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def _log(
    integration: Integration,
    *,
    status: str,
    http_status: int,
    reason: str = "",
    event_type: str = "",
    event_id: str = "",
    external_id: str = "",
    applicant: Applicant | None = None,
    email: OutboundEmail | None = None,
) -> WebhookEvent:
    return WebhookEvent.objects.create(
        integration=integration,
        company_id=integration.company_id,
        status=status,
        http_status=http_status,
        reason=reason[:500],
        event_type=event_type[:60],
        event_id=event_id[:200],
        external_id=external_id[:100],
        applicant=applicant,
        email=email,
    )


def _refuse(integration: Integration, *, http_status: int, status: str, code: str, message: str) -> Delivery:
    _log(integration, status=status, http_status=http_status, reason=message)
    if status == WebhookEvent.Status.BAD_SIGNATURE:
        logger.warning("webhook refused: integration=%s kind=%s: %s", integration.pk, integration.kind, code)
    return Delivery(http_status, {"code": code, "message": message})


def _bad_request(integration: Integration, errors: list[dict[str, str]], event_type: str = "") -> Delivery:
    message = summary(errors)
    _log(integration, status=WebhookEvent.Status.BAD_REQUEST, http_status=400, reason=message, event_type=event_type)
    return Delivery(400, {"code": "bad_request", "message": message, "errors": errors})


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError([{"field": "", "message": _("本文を JSON として読み取れません。")}]) from None
    if not isinstance(data, dict):
        raise PayloadError([{"field": "", "message": _("本文は JSON のオブジェクト ({…}) にしてください。")}])
    return data


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise PayloadError(field_errors(error.errors())) from None


def stage_from_name(name: str) -> str:
    """An ATS stage name (free text, any language) mapped onto our four stages, for the auto-send rules."""
    text = name.lower()
    if any(word in text for word in ("最終", "役員", "final", "offer", "executive")):
        return Applicant.Stage.FINAL_INTERVIEW
    if any(word in text for word in ("一次", "1次", "二次", "2次", "面接", "interview", "phone", "screen")):
        return Applicant.Stage.FIRST_INTERVIEW
    if any(word in text for word in ("書類", "応募", "application", "review", "resume", "履歴書")):
        return Applicant.Stage.DOCUMENT
    return Applicant.Stage.OTHER if text else Applicant.Stage.DOCUMENT


# Greenhouse ------------------------------------------------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _GreenhouseEmail(_Loose):
    value: str | None = None
    type: str | None = None


class _GreenhouseCandidate(_Loose):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    email_addresses: list[_GreenhouseEmail] = []


class _GreenhouseNamed(_Loose):
    name: str | None = None


class _GreenhouseApplication(_Loose):
    id: int | str
    prospect: bool | None = False
    rejected_at: datetime | None = None
    candidate: _GreenhouseCandidate
    jobs: list[_GreenhouseNamed] = []
    current_stage: _GreenhouseNamed | None = None


class _GreenhousePayload(_Loose):
    application: _GreenhouseApplication


class _GreenhouseReject(_Loose):
    action: str
    payload: _GreenhousePayload


def parse_greenhouse(data: dict[str, Any], headers: Mapping[str, str]) -> RejectionEvent | Ignored:
    action = data.get("action")
    if not isinstance(action, str) or not action:
        raise PayloadError([{"field": "action", "message": _("必須の項目です。")}])
    delivery_id = headers.get("Greenhouse-Event-ID", "")
    if action == "ping":
        return Ignored(action, delivery_id, _("接続確認 (ping) を受け付けました。"))
    if action != "reject_candidate":
        return Ignored(action, delivery_id, _("不採用 (reject_candidate) 以外のイベントのため、処理していません。"))
    event = _validated(_GreenhouseReject, data)
    application = event.payload.application
    if application.prospect:
        return Ignored(action, delivery_id, _("見込み候補者 (prospect) の不採用は、応募者ではないため対象外です。"))
    candidate = application.candidate
    email = next((e.value for e in candidate.email_addresses if e.value and e.value.strip()), "")
    name = " ".join(part for part in (candidate.last_name, candidate.first_name) if part)
    fields = {
        "id": str(application.id),
        "name": name or email,
        "email": email,
        "position": next((job.name for job in application.jobs if job.name), ""),
        "stage": stage_from_name(application.current_stage.name or "" if application.current_stage else ""),
        "rejected_at": application.rejected_at,
    }
    if not email:
        raise PayloadError(
            [{"field": "payload.application.candidate.email_addresses", "message": _("メールアドレスがありません。")}]
        )
    applicant = _validated(RejectedApplicantIn, fields)
    rejected = applicant.rejected_at.isoformat() if applicant.rejected_at else ""
    return RejectionEvent(
        event_type=action,
        event_id=delivery_id or f"{application.id}",
        dedupe_key=f"reject_candidate:{application.id}:{rejected}",
        external_system="greenhouse",
        source=Applicant.Source.GREENHOUSE,
        external_id=applicant.id,
        rejected_at=applicant.rejected_at,
        applicant=applicant.model_dump(),
    )


# Lever ------------------------------------------------------------------------------------------------------


class _LeverArchived(_Loose):
    archivedAt: int | None = None
    reason: str | None = None


class _LeverData(_Loose):
    opportunityId: str = Field(min_length=1, max_length=100)
    candidateId: str | None = None
    contactId: str | None = None
    fromArchived: _LeverArchived | None = None
    toArchived: _LeverArchived | None = None


class _LeverEvent(_Loose):
    id: str | None = None
    event: str
    triggeredAt: int
    data: _LeverData


def lever_signature_fields(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    token, triggered_at, signature = data.get("token"), data.get("triggeredAt"), data.get("signature")
    if not isinstance(token, str) or not isinstance(signature, str) or not token or not signature:
        return None
    if isinstance(triggered_at, bool) or not isinstance(triggered_at, int | str) or triggered_at == "":
        return None
    return token, str(triggered_at), signature


def parse_lever(data: dict[str, Any]) -> RejectionEvent | Ignored:
    event_type = data.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError([{"field": "event", "message": _("必須の項目です。")}])
    event_id = str(data.get("id") or "")
    if event_type != "candidateArchiveChange":
        return Ignored(
            event_type, event_id, _("アーカイブ (candidateArchiveChange) 以外のイベントのため、処理していません。")
        )
    event = _validated(_LeverEvent, data)
    archived = event.data.toArchived
    if archived is None:
        return Ignored(event_type, event_id, _("アーカイブの解除 (選考再開) のため、メールは送りません。"))
    moment = archived.archivedAt or event.triggeredAt
    return RejectionEvent(
        event_type=event_type,
        event_id=event_id or f"{event.data.opportunityId}:{event.triggeredAt}",
        dedupe_key=f"candidateArchiveChange:{event.data.opportunityId}:{moment}",
        external_system="lever",
        source=Applicant.Source.LEVER,
        external_id=event.data.opportunityId,
        rejected_at=datetime.fromtimestamp(moment / 1000, tz=UTC),
        lever_archive_reason=archived.reason or "",
    )


# Generic ----------------------------------------------------------------------------------------------------


class _GenericEvent(_Loose):
    event_id: str = Field(min_length=1, max_length=200)
    event: str
    applicant: RejectedApplicantIn


def parse_generic(data: dict[str, Any]) -> RejectionEvent | Ignored:
    event_type = data.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError([{"field": "event", "message": _("必須の項目です。")}])
    if event_type != GENERIC_EVENT:
        event_id = str(data.get("event_id") or "")
        return Ignored(event_type, event_id, _("applicant.rejected 以外のイベントのため、処理していません。"))
    event = _validated(_GenericEvent, data)
    return RejectionEvent(
        event_type=event_type,
        event_id=event.event_id,
        dedupe_key=f"{GENERIC_EVENT}:{event.event_id}",
        external_system=Applicant.COMPANY_ID_SYSTEM,
        source=Applicant.Source.WEBHOOK,
        external_id=event.applicant.id,
        rejected_at=event.applicant.rejected_at,
        applicant=event.applicant.model_dump(),
    )


# Receiving --------------------------------------------------------------------------------------------------


def _verify_and_parse(
    integration: Integration, body: bytes, headers: Mapping[str, str]
) -> Delivery | RejectionEvent | Ignored:
    """A refusal (Delivery) or the verified, parsed event."""
    if integration.kind == Integration.Kind.LEVER:
        try:
            data = _json_object(body)
        except PayloadError as error:
            return _bad_request(integration, error.errors)
        fields = lever_signature_fields(data)
        if fields is None:
            return _refuse(
                integration,
                http_status=401,
                status=WebhookEvent.Status.BAD_SIGNATURE,
                code="missing_signature",
                message=_("署名 (token・triggeredAt・signature) がありません。"),
            )
        token, triggered_at, signature = fields
        if not hmac.compare_digest(lever_signature(integration.secret, token, triggered_at), signature.lower()):
            return _refuse(
                integration,
                http_status=401,
                status=WebhookEvent.Status.BAD_SIGNATURE,
                code="invalid_signature",
                message=_("署名が一致しません。Lever の署名トークンをご確認ください。"),
            )
        try:
            return parse_lever(data)
        except PayloadError as error:
            return _bad_request(integration, error.errors, str(data.get("event") or ""))

    header = headers.get("Signature", "")
    if not header:
        return _refuse(
            integration,
            http_status=401,
            status=WebhookEvent.Status.BAD_SIGNATURE,
            code="missing_signature",
            message=_("署名 (Signature ヘッダー) がありません。"),
        )
    if not _body_signature_valid(integration.secret, body, header):
        return _refuse(
            integration,
            http_status=401,
            status=WebhookEvent.Status.BAD_SIGNATURE,
            code="invalid_signature",
            message=_("署名が一致しません。シークレットをご確認ください。"),
        )
    try:
        data = _json_object(body)
    except PayloadError as error:
        return _bad_request(integration, error.errors)
    try:
        if integration.kind == Integration.Kind.GREENHOUSE:
            return parse_greenhouse(data, headers)
        return parse_generic(data)
    except PayloadError as error:
        return _bad_request(integration, error.errors, str(data.get("action") or data.get("event") or ""))


def _resolve_lever_applicant(integration: Integration, event: RejectionEvent) -> Applicant | str | None:
    """The existing applicant, None (fields filled from Lever's API into the event), or why neither worked."""
    # Registered from Lever earlier, or under the opportunity id by a CSV import or the API (UUIDs never collide).
    existing = (
        Applicant.objects.filter(company_id=integration.company_id, external_id=event.external_id)
        .order_by(Case(When(external_system="lever", then=0), default=1), "pk")
        .first()
    )
    if existing is not None:
        return existing
    if not integration.lever_api_key:
        return _(
            "この応募者 (Lever opportunity %(id)s) は未登録です。CSV 取り込みや API で先に登録するか、"
            "Lever API キーを設定してください。"
        ) % {"id": event.external_id}
    try:
        opportunity = lever_opportunity_fetch(api_key=integration.lever_api_key, opportunity_id=event.external_id)
    except LeverApiError as error:
        return str(error)
    try:
        applicant = RejectedApplicantIn.model_validate(
            {
                "id": event.external_id,
                "name": opportunity.name or opportunity.email,
                "email": opportunity.email,
                "position": opportunity.position,
                "rejected_at": event.rejected_at,
            }
        )
    except pydantic.ValidationError as error:
        return _("Lever の応募者情報を読み取れませんでした: %(errors)s") % {
            "errors": summary(field_errors(error.errors()))
        }
    event.applicant = applicant.model_dump()
    return None


def _lever_hire(integration: Integration, event: RejectionEvent) -> bool:
    if not integration.lever_api_key or not event.lever_archive_reason:
        return False
    try:
        return lever_archive_reason_is_hire(api_key=integration.lever_api_key, reason_id=event.lever_archive_reason)
    except LeverApiError:
        return False  # unknown reason: treat the archive as the rejection it almost always is


def _take_effect(integration: Integration, event: RejectionEvent, existing: Applicant | None) -> Delivery:
    """Record the applicant and schedule the email, at most once per event (unique dedupe key)."""
    try:
        with transaction.atomic():
            log = WebhookEvent.objects.create(
                integration=integration,
                company_id=integration.company_id,
                status=WebhookEvent.Status.PROCESSED,
                http_status=200,
                event_type=event.event_type[:60],
                event_id=event.event_id[:200],
                dedupe_key=event.dedupe_key[:300],
                external_id=event.external_id[:100],
            )
            applicant = existing
            if applicant is None:
                assert event.applicant is not None
                fields = dict(event.applicant)
                fields["external_id"] = fields.pop("id")
                applicant = applicant_record(
                    company=integration.company,
                    source=event.source,
                    external_system=event.external_system,
                    **fields,
                ).applicant
            if applicant.rejected_at is None and event.rejected_at is not None:
                applicant.rejected_at = event.rejected_at
                applicant.save(update_fields=["rejected_at", "updated_at"])
            try:
                scheduled = rejection_email_schedule_by_rule(applicant=applicant)
                email, refusal = scheduled.email, scheduled.refusal
            except RelayLink.DoesNotExist:
                email, refusal = None, ""
            log.applicant = applicant
            log.email = email
            if email is None:
                log.reason = refusal or _("応募者を登録しました。メールは予約していません。")
            log.save(update_fields=["applicant", "email", "reason"])
    except IntegrityError:
        return _duplicate(integration, event)
    body: dict[str, Any] = {
        "status": "processed",
        "event_id": event.event_id,
        "applicant_ref": applicant.ref,
        "email_scheduled": email is not None,
    }
    if email is not None:
        body["send_after"] = email.send_after.isoformat()
    return Delivery(200, body)


def _duplicate(integration: Integration, event: RejectionEvent) -> Delivery:
    first = WebhookEvent.objects.filter(integration=integration, dedupe_key=event.dedupe_key[:300]).first()
    _log(
        integration,
        status=WebhookEvent.Status.DUPLICATE,
        http_status=200,
        reason=_("処理済みのイベントのため、何もしていません。"),
        event_type=event.event_type,
        event_id=event.event_id,
        external_id=event.external_id,
        applicant=first.applicant if first else None,
        email=first.email if first else None,
    )
    return Delivery(200, {"status": "duplicate", "event_id": event.event_id})


def webhook_event_receive(*, integration: Integration, body: bytes, headers: Mapping[str, str]) -> Delivery:
    """Handle one delivery to an integration's endpoint; every outcome is logged for the company."""
    if not integration.is_enabled:
        return _refuse(
            integration,
            http_status=410,
            status=WebhookEvent.Status.DISABLED,
            code="integration_disabled",
            message=_("この連携は停止されています。"),
        )
    if len(body) > MAX_BODY_BYTES:
        return _bad_request(integration, [{"field": "", "message": _("本文が大きすぎます (上限 512KB)。")}])
    parsed = _verify_and_parse(integration, body, headers)
    if isinstance(parsed, Delivery):
        return parsed
    if isinstance(parsed, Ignored):
        _log(
            integration,
            status=WebhookEvent.Status.IGNORED,
            http_status=200,
            reason=parsed.reason,
            event_type=parsed.event_type,
            event_id=parsed.event_id,
        )
        return Delivery(200, {"status": "ignored", "message": parsed.reason})
    event = parsed
    outcome = _process_rejection(integration, event)
    if isinstance(outcome, Delivery):
        return outcome
    # Accepted (so Lever does not retry forever) but unusable until the company provides the person.
    log = _log(
        integration,
        status=WebhookEvent.Status.APPLICANT_MISSING,
        http_status=200,
        reason=outcome,
        event_type=event.event_type,
        event_id=event.event_id,
        external_id=event.external_id,
    )
    log.retry_data = {
        "dedupe_key": event.dedupe_key,
        "rejected_at": event.rejected_at.isoformat() if event.rejected_at else None,
        "archive_reason": event.lever_archive_reason,
    }
    log.save(update_fields=["retry_data"])
    return Delivery(200, {"status": "applicant_missing", "message": outcome})


def _process_rejection(integration: Integration, event: RejectionEvent) -> Delivery | str:
    """Take effect once, or say (for Lever) why the applicant could not be found."""
    if WebhookEvent.objects.filter(integration=integration, dedupe_key=event.dedupe_key[:300]).exists():
        return _duplicate(integration, event)
    existing: Applicant | None = None
    if integration.kind == Integration.Kind.LEVER:
        if _lever_hire(integration, event):
            reason = _("採用によるアーカイブのため、メールは送りません。")
            _log(
                integration,
                status=WebhookEvent.Status.IGNORED,
                http_status=200,
                reason=reason,
                event_type=event.event_type,
                event_id=event.event_id,
                external_id=event.external_id,
            )
            return Delivery(200, {"status": "ignored", "message": reason})
        resolved = _resolve_lever_applicant(integration, event)
        if isinstance(resolved, str):
            return resolved
        existing = resolved
    return _take_effect(integration, event, existing)


def webhook_event_retry(*, event: WebhookEvent) -> str | None:
    """Process again an event whose applicant was not found (after the company registered the person or set
    a Lever API key). Returns None when it took effect (or had already), else why it still cannot."""
    if not event.can_retry:
        return None
    assert event.retry_data is not None
    integration = event.integration
    rejected_at = event.retry_data.get("rejected_at")
    rejection = RejectionEvent(
        event_type=event.event_type,
        event_id=event.event_id,
        dedupe_key=str(event.retry_data["dedupe_key"]),
        external_system="lever",
        source=Applicant.Source.LEVER,
        external_id=event.external_id,
        rejected_at=datetime.fromisoformat(rejected_at) if rejected_at else None,
        lever_archive_reason=str(event.retry_data.get("archive_reason") or ""),
    )
    outcome = _process_rejection(integration, rejection)
    if isinstance(outcome, str):
        event.reason = outcome[:500]
        event.save(update_fields=["reason"])
        return outcome
    event.retried_at = timezone.now()
    event.save(update_fields=["retried_at"])
    return None
