"""Receiving ATS events: verify the signature, read the vendor's payload, record the applicant once with the ATS's
outcome, schedule the rejection email by the company's rule only when it may go (DESIGN.md §3 rule 13: fail
closed), undo it when the ATS changes its mind, and log every delivery for the company to read.

Payload shapes follow the vendors' documentation:
- Greenhouse (https://developers.greenhouse.io/webhooks.html, HMAC-SHA256 of the raw body in `Signature: sha256
  <hex>`): `reject_candidate` (with `application.rejection_reason` {name, type{name}}), `unreject_candidate`,
  `hire_candidate`, `delete_candidate` (`payload.person`) and `candidate_anonymized` (`payload.candidate_id`).
- Lever (https://hire.lever.co/developer/documentation#webhooks, HMAC-SHA256 of token + triggeredAt with the
  webhook's signature token, carried in the body): `candidateArchiveChange` (archive and un-archive),
  `candidateHired` and `candidateDeleted`. Lever's payload names people by id only; the archive reason and the
  person are read from Lever's API (`integrations/lever.py`), and without that answer nothing is mailed.
- Our own generic `applicant.rejected` event (`integrations/schemas.py`, plus an optional `reason`).
"""

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pydantic
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from applicants.models import Applicant
from applicants.selectors import company_vocabulary
from applicants.services import (
    applicant_close,
    applicant_hold,
    applicant_outcome_update,
    applicant_record,
    applicant_reopen,
    declared_rejection_id,
    unknown_reason_detail,
)
from applicants.vocabulary import HIRED, REJECTED, WITHDRAWN, Vocabulary, match_key, stage_guess, track_guess
from companies.models import RelayLink
from integrations.errors import field_errors, summary
from integrations.lever import (
    LeverApiError,
    LeverNotFound,
    LeverRateLimited,
    lever_archive_reason_fetch,
    lever_opportunity_fetch,
)
from integrations.models import Integration, WebhookEvent
from integrations.schemas import RejectedApplicantIn
from integrations.services import api_outcome
from lib.jatext import email_address_valid, normalize_email
from lib.jsonsafe import MAX_JSON_DEPTH, json_too_deep, unstorable_text
from mailings.models import OutboundEmail
from mailings.services.lifecycle import CancelledMail, rejection_mail_cancel, rejection_mail_erase
from mailings.services.outbox import rejection_email_schedule_by_rule

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024
GENERIC_EVENT = "applicant.rejected"

# Lever signs token + triggeredAt only, so a captured delivery stays "genuine" for ever: it is accepted once
# (its token), and only while it is fresh. A little future skew is allowed for clocks that run ahead.
LEVER_MAX_AGE = timedelta(minutes=10)
LEVER_MAX_SKEW = timedelta(minutes=5)

# Held Lever events are retried by the scheduler for this long after they arrived; later, a person decides.
HELD_RETRY_WINDOW = timedelta(days=3)
HELD_RETRY_BATCH = 50

# Greenhouse's rejection reason types (Harvest API, Rejection Reasons: "We rejected them", "They rejected us",
# "None specified"): the first two say who ended the selection, whatever the company named the reason.
_GREENHOUSE_REASON_TYPES = {match_key("We rejected them"): REJECTED, match_key("They rejected us"): WITHDRAWN}

# Greenhouse email address types ("personal", "work", "other"): a work address may be the current employer's.
_GREENHOUSE_ADDRESS_RANK = {"personal": 0, "other": 1, "": 1, "work": 2}


@dataclass(frozen=True)
class Delivery:
    """What the endpoint answers."""

    http_status: int
    body: dict[str, Any]


@dataclass
class Outcome:
    """What the ATS says ended the selection, in the company's vocabulary (None + hold: nobody knows yet)."""

    reason_id: int | None = None
    reason_text: str = ""
    hold: str = ""
    hold_detail: str = ""
    can_email: bool = True


@dataclass
class RejectionEvent:
    """A verified, well-formed rejection (or archive), whatever ATS it came from."""

    event_type: str
    event_id: str
    dedupe_key: str
    external_system: str
    source: str
    external_id: str
    rejected_at: datetime | None
    # None: the payload names the applicant by id only (Lever); it is resolved afterwards.
    applicant: dict[str, Any] | None = None
    # None: not known until Lever's API is asked (Lever archives).
    outcome: Outcome | None = None
    lever_archive_reason: str = ""
    person_id: str = ""
    delivery_token: str = ""


@dataclass
class LifecycleEvent:
    """The ATS reversed or ended a rejection (un-rejected, hired, deleted, anonymised)."""

    event_type: str
    event_id: str
    external_system: str
    external_ids: list[str]  # application / opportunity ids
    person_ids: list[str]  # candidate / contact ids (every application of the person)
    erase: bool
    why: str  # names the event: the applicant's closed reason and the cancelled mail's last_error
    delivery_token: str = ""


@dataclass
class Ignored:
    event_type: str
    event_id: str
    reason: str
    delivery_token: str = ""


@dataclass(frozen=True)
class Held:
    """Not mailed until someone (or the scheduler's retry) can learn the truth: the message says what to do."""

    message: str
    applicant: Applicant | None = None


@dataclass(frozen=True)
class Missing:
    """The person behind a Lever id is not known here, and Lever could not say."""

    message: str


@dataclass
class PayloadError(Exception):
    errors: list[dict[str, str]] = field(default_factory=list)
    code: str = "bad_request"


def sign_body(secret: str, body: bytes) -> str:
    """The `Signature` header value Greenhouse (and our generic event) put on a body."""
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def lever_signature(secret: str, token: str, triggered_at: object) -> str:
    return hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()


_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def hex_digest(value: str) -> str | None:
    """A SHA-256 signature as 64 lower-case hex digits, or None: anything else (non-ASCII included) is no
    signature at all, and is refused before `hmac.compare_digest` (which raises on non-ASCII text)."""
    digest = value.strip().lower()
    return digest if digest.isascii() and _HEX_DIGEST.fullmatch(digest) else None


def _body_signature_valid(secret: str, body: bytes, header: str) -> bool:
    algorithm, _sep, digest = header.strip().partition(" ")
    signature = hex_digest(digest)
    if algorithm.lower() != "sha256" or signature is None:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


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
    delivery_token: str = "",
    retry_data: dict[str, Any] | None = None,
) -> WebhookEvent:
    values: dict[str, Any] = {
        "integration": integration,
        "company_id": integration.company_id,
        "status": status,
        "http_status": http_status,
        "reason": reason[:500],
        "event_type": event_type[:60],
        "event_id": event_id[:200],
        "external_id": external_id[:100],
        "applicant": applicant,
        "email": email,
        "retry_data": retry_data,
    }
    if not delivery_token:
        return WebhookEvent.objects.create(**values)
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(delivery_token=delivery_token[:200], **values)
    except IntegrityError:
        # The same Lever delivery arrived twice at once: the other copy took effect.
        values.update(status=WebhookEvent.Status.DUPLICATE, reason=_("処理済みのイベントのため、何もしていません。"))
        values["retry_data"] = None
        return WebhookEvent.objects.create(**values)


def _log_refusal(integration: Integration, *, status: str, http_status: int, reason: str, event_type: str = "") -> int:
    """Count a refusal on this integration's row for the result and hour (created by the first one), keeping the
    last reason: anyone can post to an endpoint, and one row per forged request would let them fill the table."""
    now = timezone.now()
    key = f"{status}:{timezone.localtime(now):%Y-%m-%dT%H}"
    latest = {
        "http_status": http_status,
        "reason": reason[:500],
        "event_type": event_type[:60],
        "last_received_at": now,
    }
    counted = WebhookEvent.objects.filter(integration=integration, refusal_key=key)
    if not counted.update(repeat_count=F("repeat_count") + 1, **latest):
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    integration=integration, company_id=integration.company_id, status=status, refusal_key=key, **latest
                )
        except IntegrityError:  # another worker created the hour's row first
            counted.update(repeat_count=F("repeat_count") + 1, **latest)
    return int(counted.values_list("repeat_count", flat=True).first() or 1)


def _refuse(integration: Integration, *, http_status: int, status: str, code: str, message: str) -> Delivery:
    count = _log_refusal(integration, status=status, http_status=http_status, reason=message)
    # The first refusal of the hour, then the 10th, 100th…: a flood is visible without a log line per request.
    suspicious = status in (WebhookEvent.Status.BAD_SIGNATURE, WebhookEvent.Status.STALE)
    if suspicious and (count == 1 or str(count).rstrip("0") == "1"):
        logger.warning(
            "webhook refused: integration=%s kind=%s: %s (%s this hour)", integration.pk, integration.kind, code, count
        )
    return Delivery(http_status, {"code": code, "message": message})


def _bad_request(
    integration: Integration, errors: list[dict[str, str]], event_type: str = "", code: str = "bad_request"
) -> Delivery:
    message = summary(errors)
    _log_refusal(
        integration, status=WebhookEvent.Status.BAD_REQUEST, http_status=400, reason=message, event_type=event_type
    )
    return Delivery(400, {"code": code, "message": message, "errors": errors})


def _json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; nesting deeper than MAX_JSON_DEPTH is refused before the parser recurses, and
    NUL or lone surrogates anywhere (which no database stores) are refused before any of it is written."""
    if json_too_deep(body):
        message = _("本文の JSON の入れ子が深すぎます (上限 %(depth)s 段)。") % {"depth": MAX_JSON_DEPTH}
        raise PayloadError([{"field": "", "message": message}], code="too_deep")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PayloadError([{"field": "", "message": _("本文を JSON として読み取れません。")}]) from None
    if unstorable_text(data):
        message = _("本文に保存できない文字 (NUL など) が含まれています。")
        raise PayloadError([{"field": "", "message": message}], code="invalid_characters")
    if not isinstance(data, dict):
        raise PayloadError([{"field": "", "message": _("本文は JSON のオブジェクト ({…}) にしてください。")}])
    return data


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise PayloadError(field_errors(error.errors())) from None


def _valid_address(value: str | None) -> str:
    """The normalised address, or "" when it is not one we could send to."""
    email = normalize_email(value or "")
    if not email or not email_address_valid(email):
        return ""
    return email


def _lifecycle_why(vendor: str, event_type: str, what: str) -> str:
    return _("%(vendor)s の %(event)s (%(what)s) により取り消しました。") % {
        "vendor": vendor,
        "event": event_type,
        "what": what,
    }


def _id_text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value).strip()
    return ""


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
    can_email: bool | None = None
    email_addresses: list[_GreenhouseEmail] = []


class _GreenhouseNamed(_Loose):
    name: str | None = None


class _GreenhouseJob(_Loose):
    id: int | str | None = None
    name: str | None = None
    requisition_id: int | str | None = None


class _GreenhouseReasonType(_Loose):
    name: str | None = None


class _GreenhouseRejectionReason(_Loose):
    name: str | None = None
    type: _GreenhouseReasonType | None = None


class _GreenhouseApplication(_Loose):
    id: int | str
    prospect: bool | None = False
    rejected_at: datetime | None = None
    candidate: _GreenhouseCandidate
    jobs: list[_GreenhouseJob] = []
    current_stage: _GreenhouseNamed | None = None
    rejection_reason: _GreenhouseRejectionReason | None = None


class _GreenhousePayload(_Loose):
    application: _GreenhouseApplication


class _GreenhouseReject(_Loose):
    action: str
    payload: _GreenhousePayload


class _GreenhouseApplicationRef(_Loose):
    id: int | str


class _GreenhouseApplicationPayload(_Loose):
    application: _GreenhouseApplicationRef


class _GreenhouseApplicationEvent(_Loose):
    action: str
    payload: _GreenhouseApplicationPayload


_GREENHOUSE_LIFECYCLE = {
    "unreject_candidate": "不採用の取り消し",
    "hire_candidate": "採用",
    "delete_candidate": "候補者の削除",
    "candidate_anonymized": "個人情報の匿名化",
}


def greenhouse_outcome(vocabulary: Vocabulary, reason: _GreenhouseRejectionReason | None) -> Outcome:
    """Greenhouse's rejection reason in the company's words: its own mapping first, then who rejected whom
    (the reason's type), then the built-in words; unknown is held for the company to map."""
    name = (reason.name or "").strip() if reason else ""
    type_name = (reason.type.name or "").strip() if reason and reason.type else ""
    text = " / ".join(part for part in (name, type_name) if part)
    for table in (vocabulary.reasons, vocabulary.reason_names):  # the company's mapping, then its reasons' names
        for words in (name, type_name):
            key = match_key(words)
            if key and key in table:
                return Outcome(reason_id=table[key], reason_text=text)
    code = _GREENHOUSE_REASON_TYPES.get(match_key(type_name))
    reason_id = vocabulary.code_reason(code) if code else vocabulary.reason_for(name, type_name)
    if reason_id is None:
        shown = text or _("(理由の指定なし)")
        return Outcome(reason_text=text, hold=Applicant.Hold.UNKNOWN_REASON, hold_detail=unknown_reason_detail(shown))
    return Outcome(reason_id=reason_id, reason_text=text)


def greenhouse_address(addresses: Iterable[_GreenhouseEmail]) -> str:
    """The address to write to: personal before other before work (a work address may reach the current
    employer), skipping any that is not a valid address."""
    ranked = sorted(
        enumerate(addresses), key=lambda item: (_GREENHOUSE_ADDRESS_RANK.get((item[1].type or "").lower(), 1), item[0])
    )
    for _index, address in ranked:
        email = _valid_address(address.value)
        if email:
            return email
    return ""


def _greenhouse_person_id(payload: Mapping[str, Any]) -> str:
    """The candidate a delete or anonymise names: `payload.person.id` (delete_candidate), `payload.candidate_id`
    (candidate_anonymized), or the shapes of the other candidate events."""
    candidates: list[object] = []
    for key in ("person", "candidate"):
        inner = payload.get(key)
        if isinstance(inner, dict):
            candidates.append(inner.get("id"))
    candidates.append(payload.get("candidate_id"))
    application = payload.get("application")
    if isinstance(application, dict):
        candidate = application.get("candidate")
        if isinstance(candidate, dict):
            candidates.append(candidate.get("id"))
        candidates.append(application.get("candidate_id"))
    return next((text for text in map(_id_text, candidates) if text), "")


def _greenhouse_lifecycle(data: dict[str, Any], action: str, delivery_id: str) -> LifecycleEvent:
    why = _lifecycle_why("Greenhouse", action, _GREENHOUSE_LIFECYCLE[action])
    if action in ("unreject_candidate", "hire_candidate"):
        event = _validated(_GreenhouseApplicationEvent, data)
        application_id = str(event.payload.application.id)
        return LifecycleEvent(
            event_type=action,
            event_id=delivery_id or f"{action}:{application_id}",
            external_system="greenhouse",
            external_ids=[application_id],
            person_ids=[],
            erase=False,
            why=why,
        )
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    person_id = _greenhouse_person_id(payload)
    if not person_id:
        where = "payload.person.id" if action == "delete_candidate" else "payload.candidate_id"
        raise PayloadError([{"field": where, "message": _("必須の項目です。")}])
    application_ids: list[str] = []
    person = payload.get("person")
    if isinstance(person, dict):
        for key in ("deleted_application_ids", "application_ids"):
            ids = person.get(key)
            if isinstance(ids, list):
                application_ids += [text for text in map(_id_text, ids) if text]
    return LifecycleEvent(
        event_type=action,
        event_id=delivery_id or f"{action}:{person_id}",
        external_system="greenhouse",
        external_ids=application_ids,
        person_ids=[person_id],
        erase=True,
        why=why,
    )


def parse_greenhouse(
    data: dict[str, Any], headers: Mapping[str, str], vocabulary: Vocabulary
) -> RejectionEvent | LifecycleEvent | Ignored:
    action = data.get("action")
    if not isinstance(action, str) or not action:
        raise PayloadError([{"field": "action", "message": _("必須の項目です。")}])
    delivery_id = headers.get("Greenhouse-Event-ID", "")
    if action == "ping":
        return Ignored(action, delivery_id, _("接続確認 (ping) を受け付けました。"))
    if action in _GREENHOUSE_LIFECYCLE:
        return _greenhouse_lifecycle(data, action, delivery_id)
    if action != "reject_candidate":
        return Ignored(action, delivery_id, _("選考結果に関わらないイベントのため、処理していません。"))
    event = _validated(_GreenhouseReject, data)
    application = event.payload.application
    if application.prospect:
        return Ignored(action, delivery_id, _("見込み候補者 (prospect) の不採用は、応募者ではないため対象外です。"))
    candidate = application.candidate
    email = greenhouse_address(candidate.email_addresses)
    if not email:
        message = (
            _("有効なメールアドレスがありません。") if candidate.email_addresses else _("メールアドレスがありません。")
        )
        raise PayloadError([{"field": "payload.application.candidate.email_addresses", "message": message}])
    name = " ".join(part for part in (candidate.last_name, candidate.first_name) if part)
    job = next((job for job in application.jobs if job.name), None)
    job_texts = [job.name or "", _id_text(job.id), _id_text(job.requisition_id)] if job else []
    fields = {
        "id": str(application.id),
        "name": name or email,
        "email": email,
        "position": job.name if job else "",
        "stage": vocabulary.stage_for(application.current_stage.name or "" if application.current_stage else ""),
        "track": vocabulary.track_for(*job_texts),
        "rejected_at": application.rejected_at,
    }
    applicant = _validated(RejectedApplicantIn, fields)
    outcome = greenhouse_outcome(vocabulary, application.rejection_reason)
    outcome.can_email = candidate.can_email is not False
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
        outcome=outcome,
        person_id=_id_text(candidate.id),
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


LEVER_EVENTS = ("candidateArchiveChange", "candidateHired", "candidateDeleted")


def lever_signature_fields(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    token, triggered_at, signature = data.get("token"), data.get("triggeredAt"), data.get("signature")
    if not isinstance(token, str) or not isinstance(signature, str) or not token or not signature:
        return None
    if isinstance(triggered_at, bool) or not isinstance(triggered_at, int | str) or triggered_at == "":
        return None
    return token, str(triggered_at), signature


def lever_freshness_refusal(triggered_at: str, *, now: datetime | None = None) -> str | None:
    """Why a signed Lever delivery is too old (or too far ahead) to be believed, or None."""
    try:
        moment = datetime.fromtimestamp(int(triggered_at) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return _("triggeredAt (ミリ秒の UNIX 時刻) を読み取れません。")
    now = now or timezone.now()
    if moment < now - LEVER_MAX_AGE:
        return _("triggeredAt が 10 分以上前の通知のため、再送 (リプレイ) の疑いがあるとして受け付けていません。")
    if moment > now + LEVER_MAX_SKEW:
        return _("triggeredAt が未来の時刻の通知のため、受け付けていません。")
    return None


def parse_lever(data: dict[str, Any], token: str = "") -> RejectionEvent | LifecycleEvent | Ignored:
    event_type = data.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError([{"field": "event", "message": _("必須の項目です。")}])
    event_id = str(data.get("id") or "")
    if event_type not in LEVER_EVENTS:
        return Ignored(event_type, event_id, _("選考結果に関わらないイベントのため、処理していません。"), token)
    body = data.get("data")
    if event_type == "candidateDeleted" and isinstance(body, dict) and not body.get("opportunityId"):
        # candidateId is the opportunity's id under Lever's older name.
        data = {**data, "data": {**body, "opportunityId": body.get("candidateId")}}
    event = _validated(_LeverEvent, data)
    opportunity = event.data.opportunityId
    archived = event.data.toArchived
    if event_type == "candidateArchiveChange" and archived is not None:
        moment = archived.archivedAt or event.triggeredAt
        return RejectionEvent(
            event_type=event_type,
            event_id=event_id or f"{opportunity}:{event.triggeredAt}",
            dedupe_key=f"candidateArchiveChange:{opportunity}:{moment}",
            external_system="lever",
            source=Applicant.Source.LEVER,
            external_id=opportunity,
            rejected_at=datetime.fromtimestamp(moment / 1000, tz=UTC),
            lever_archive_reason=archived.reason or "",
            person_id=event.data.contactId or "",
            delivery_token=token,
        )
    what = {
        "candidateArchiveChange": "アーカイブの解除",
        "candidateHired": "採用",
        "candidateDeleted": "候補者の削除",
    }[event_type]
    erase = event_type == "candidateDeleted"
    ids = [opportunity] + ([event.data.candidateId] if event.data.candidateId else [])
    return LifecycleEvent(
        event_type=event_type,
        event_id=event_id or f"{opportunity}:{event.triggeredAt}",
        external_system="lever",
        external_ids=list(dict.fromkeys(ids)),
        person_ids=[event.data.contactId] if erase and event.data.contactId else [],
        erase=erase,
        why=_lifecycle_why("Lever", event_type, what),
        delivery_token=token,
    )


# Generic ----------------------------------------------------------------------------------------------------


class _GenericEvent(_Loose):
    event_id: str = Field(min_length=1, max_length=200)
    event: str
    applicant: RejectedApplicantIn


def _is_choice(text: str, choices: list[tuple[str, Any]]) -> bool:
    return any(text.strip().lower() == value or text.strip() == str(label) for value, label in choices)


def _generic_vocabulary(applicant: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """The sender's stage and track words read like every ATS's (the company's mapping, then the built-in words);
    words nobody knows are left for the schema to refuse with the list of values."""
    applicant = dict(applicant)
    stage = applicant.get("stage")
    if isinstance(stage, str) and stage.strip() and not _is_choice(stage, Applicant.Stage.choices):
        mapped = vocabulary.stages.get(match_key(stage)) or stage_guess(stage)
        if mapped:
            applicant["stage"] = mapped
    track = applicant.get("track")
    if isinstance(track, str) and track.strip() and not _is_choice(track, Applicant.Track.choices):
        mapped = vocabulary.tracks.get(match_key(track)) or track_guess(track)
        if mapped:
            applicant["track"] = mapped
    return applicant


def parse_generic(data: dict[str, Any], vocabulary: Vocabulary) -> RejectionEvent | Ignored:
    """The generic event carries the REST API's applicant (`integrations/schemas.py`), read the same way: the
    optional `reason` through the company's vocabulary, `can_email`, `person_id`, and a track from the job when
    none is given."""
    event_type = data.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError([{"field": "event", "message": _("必須の項目です。")}])
    if event_type != GENERIC_EVENT:
        event_id = str(data.get("event_id") or "")
        return Ignored(event_type, event_id, _("applicant.rejected 以外のイベントのため、処理していません。"))
    raw = data.get("applicant")
    if isinstance(raw, dict):
        data = {**data, "applicant": _generic_vocabulary(raw, vocabulary)}
    event = _validated(_GenericEvent, data)
    item = event.applicant
    said = api_outcome(vocabulary, item.reason)
    outcome = Outcome(
        reason_id=said.reason_id,
        reason_text=said.reason_text,
        hold=said.hold,
        hold_detail=said.hold_detail,
        can_email=item.can_email,
    )
    fields = item.model_dump()
    fields["position"] = item.position or item.job_name
    if not item.track_given:
        fields["track"] = vocabulary.track_for(item.job_id, item.job_name, item.position)
    return RejectionEvent(
        event_type=event_type,
        event_id=event.event_id,
        dedupe_key=f"{GENERIC_EVENT}:{event.event_id}",
        external_system=Applicant.COMPANY_ID_SYSTEM,
        source=Applicant.Source.WEBHOOK,
        external_id=item.id,
        rejected_at=item.rejected_at,
        applicant=fields,
        outcome=outcome,
        person_id=item.person_id,
    )


# Receiving --------------------------------------------------------------------------------------------------

Parsed = RejectionEvent | LifecycleEvent | Ignored


def _lever_replay(integration: Integration, token: str, data: Mapping[str, Any]) -> Delivery | None:
    """A signed token seen before: the same delivery again (duplicate), or a replay with another body (refused)."""
    previous = WebhookEvent.objects.filter(integration=integration, delivery_token=token[:200]).first()
    if previous is None:
        return None
    body = data.get("data")
    opportunity = ""
    if isinstance(body, dict):
        opportunity = _id_text(body.get("opportunityId")) or _id_text(body.get("candidateId"))
    event_type = str(data.get("event") or "")
    same_event = previous.event_type == event_type[:60]
    if same_event and (previous.external_id == opportunity[:100] or previous.status == WebhookEvent.Status.IGNORED):
        _log(
            integration,
            status=WebhookEvent.Status.DUPLICATE,
            http_status=200,
            reason=_("処理済みのイベントのため、何もしていません。"),
            event_type=event_type,
            event_id=str(data.get("id") or ""),
            external_id=opportunity,
            applicant=previous.applicant,
            email=previous.email,
        )
        return Delivery(200, {"status": "duplicate", "event_id": str(data.get("id") or "")})
    return _refuse(
        integration,
        http_status=409,
        status=WebhookEvent.Status.STALE,
        code="replayed_token",
        message=_(
            "この署名 (token) は別の通知ですでに使われています。再送 (リプレイ) の疑いがあるため受け付けていません。"
        ),
    )


def _verify_lever(integration: Integration, body: bytes) -> Delivery | Parsed:
    try:
        data = _json_object(body)
    except PayloadError as error:
        return _bad_request(integration, error.errors, code=error.code)
    fields = lever_signature_fields(data)
    if fields is None:
        return _refuse(
            integration,
            http_status=401,
            status=WebhookEvent.Status.BAD_SIGNATURE,
            code="missing_signature",
            message=_("署名 (token・triggeredAt・signature) がありません。"),
        )
    token, triggered_at, given = fields
    signature = hex_digest(given)
    expected = lever_signature(integration.secret, token, triggered_at)
    if signature is None or not hmac.compare_digest(expected, signature):
        return _refuse(
            integration,
            http_status=401,
            status=WebhookEvent.Status.BAD_SIGNATURE,
            code="invalid_signature",
            message=_("署名が一致しません。Lever の署名トークンをご確認ください。"),
        )
    stale = lever_freshness_refusal(triggered_at)
    if stale is not None:
        return _refuse(
            integration, http_status=400, status=WebhookEvent.Status.STALE, code="stale_delivery", message=stale
        )
    replay = _lever_replay(integration, token, data)
    if replay is not None:
        return replay
    try:
        return parse_lever(data, token)
    except PayloadError as error:
        return _bad_request(integration, error.errors, str(data.get("event") or ""))


def _verify_and_parse(integration: Integration, body: bytes, headers: Mapping[str, str]) -> Delivery | Parsed:
    """A refusal (Delivery) or the verified, parsed event."""
    if integration.kind == Integration.Kind.LEVER:
        return _verify_lever(integration, body)
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
        return _bad_request(integration, error.errors, code=error.code)
    vocabulary = company_vocabulary(integration.company)
    try:
        if integration.kind == Integration.Kind.GREENHOUSE:
            return parse_greenhouse(data, headers, vocabulary)
        return parse_generic(data, vocabulary)
    except PayloadError as error:
        return _bad_request(integration, error.errors, str(data.get("action") or data.get("event") or ""))


def _lever_applicant(integration: Integration, opportunity_id: str) -> Applicant | None:
    """Registered from Lever earlier, under the opportunity id by a CSV import or the API (UUIDs never collide),
    or found by address when an earlier event of this integration recorded it."""
    linked = Q(webhook_events__integration=integration, webhook_events__external_id=opportunity_id)
    return (
        Applicant.objects.filter(company_id=integration.company_id)
        .filter(Q(external_id=opportunity_id) | linked)
        .order_by(Case(When(external_system="lever", then=0), default=1), "pk")
        .first()
    )


def _back_off(integration: Integration, seconds: int) -> datetime:
    until = timezone.now() + timedelta(seconds=seconds)
    Integration.objects.filter(pk=integration.pk).update(backoff_until=until)
    integration.backoff_until = until
    logger.warning("lever rate limited: integration=%s, asking again after %ss", integration.pk, seconds)
    return until


def _rate_limited(until: datetime) -> str:
    return _(
        "Lever API の利用制限 (HTTP 429) のため、%(when)s まで Lever への問い合わせを控えています。"
        "メールは送っていません。その後に自動で再処理します (受信ログの「再処理する」からも再処理できます)。"
    ) % {"when": timezone.localtime(until).strftime("%Y/%m/%d %H:%M")}


def lever_outcome(*, api_key: str, vocabulary: Vocabulary, reason_id: str) -> Outcome:
    """What a Lever archive means, from its archive reason (GET /archive_reasons/:id): a hire is never mailed,
    the reason's text is read through the company's vocabulary, and words nobody mapped are held."""
    if not reason_id:
        detail = unknown_reason_detail(_("(アーカイブ理由なし)"))
        return Outcome(hold=Applicant.Hold.UNKNOWN_REASON, hold_detail=detail)
    reason = lever_archive_reason_fetch(api_key=api_key, reason_id=reason_id)
    text = reason.text or reason.type
    mapped = vocabulary.reasons.get(match_key(reason.text)) if reason.text else None
    if reason.is_hire:
        # Lever's type decides: a company mapping may rename a hire, never make it a rejection.
        hired = mapped if mapped is not None and not vocabulary.sends(mapped) else vocabulary.code_reason(HIRED)
        if hired is not None:
            return Outcome(reason_id=hired, reason_text=text)
    elif mapped is not None:
        return Outcome(reason_id=mapped, reason_text=text)
    found = vocabulary.reason_for(reason.text) if reason.text and not reason.is_hire else None
    if found is None:
        return Outcome(reason_text=text, hold=Applicant.Hold.UNKNOWN_REASON, hold_detail=unknown_reason_detail(text))
    return Outcome(reason_id=found, reason_text=text)


def _lever_person(
    integration: Integration, event: RejectionEvent, vocabulary: Vocabulary
) -> Delivery | Held | Missing | None:
    """Fill the event's applicant from Lever (GET /opportunities/:id); None when it worked."""
    try:
        opportunity = lever_opportunity_fetch(api_key=integration.lever_api_key, opportunity_id=event.external_id)
    except LeverRateLimited as error:
        return Held(_rate_limited(_back_off(integration, error.retry_after)))
    except LeverNotFound:
        return Missing(
            _(
                "この応募者 (Lever opportunity %(id)s) は Lever に見つかりませんでした。CSV 取り込みや API で"
                "登録してから、受信ログの「再処理する」を押してください。"
            )
            % {"id": event.external_id}
        )
    except LeverApiError as error:
        return Held(_lever_failed(error))
    try:
        applicant = RejectedApplicantIn.model_validate(
            {
                "id": event.external_id,
                "name": opportunity.name or opportunity.email,
                "email": opportunity.email,
                "position": opportunity.position,
                "stage": vocabulary.stage_for(opportunity.stage),
                "track": vocabulary.track_for(opportunity.position, opportunity.posting_id),
                "rejected_at": event.rejected_at,
            }
        )
    except pydantic.ValidationError as error:
        return Missing(
            _("Lever の応募者情報を読み取れませんでした: %(errors)s")
            % {"errors": summary(field_errors(error.errors()))}
        )
    event.applicant = applicant.model_dump()
    event.person_id = event.person_id or opportunity.contact
    return None


def _lever_failed(error: LeverApiError) -> str:
    return _(
        "%(error)s アーカイブの理由を確認できないため、メールは送っていません。Lever API キーと Lever の状態をご確認の"
        "うえ、受信ログの「再処理する」を押してください (10 分ごとに自動でも再処理します)。"
    ) % {"error": error}


def _process_lever_archive(
    integration: Integration, event: RejectionEvent
) -> Applicant | Delivery | Held | Missing | None:
    """Learn from Lever's API why the opportunity was archived, and who it is; never mail without that answer."""
    existing = _lever_applicant(integration, event.external_id)
    if not integration.lever_api_key:
        return Held(
            _(
                "Lever API キーが設定されていないため、アーカイブの理由 (採用・辞退・不採用) を確認できません。"
                "メールは送っていません。この画面の「Lever の設定」で API キーを入力してから、「再処理する」を"
                "押してください。"
            ),
            existing,
        )
    if integration.backoff_until is not None and integration.backoff_until > timezone.now():
        return Held(_rate_limited(integration.backoff_until), existing)
    vocabulary = company_vocabulary(integration.company)
    try:
        event.outcome = lever_outcome(
            api_key=integration.lever_api_key, vocabulary=vocabulary, reason_id=event.lever_archive_reason
        )
    except LeverRateLimited as error:
        return Held(_rate_limited(_back_off(integration, error.retry_after)), existing)
    except LeverApiError as error:
        return Held(_lever_failed(error), existing)
    if existing is not None:
        return existing
    if not event.outcome.hold and not vocabulary.sends(event.outcome.reason_id):
        label = vocabulary.reason_labels.get(event.outcome.reason_id or 0, "")
        message = _("Lever のアーカイブ理由「%(text)s」は「%(reason)s」のため、メールは送りません。") % {
            "text": event.outcome.reason_text,
            "reason": label,
        }
        return _record_without_applicant(integration, event, message + " " + _("応募者は登録していません。"))
    return _lever_person(integration, event, vocabulary)  # None: the event now carries the person


def _record_without_applicant(integration: Integration, event: RejectionEvent, message: str) -> Delivery:
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                integration=integration,
                company_id=integration.company_id,
                status=WebhookEvent.Status.PROCESSED,
                http_status=200,
                reason=message[:500],
                event_type=event.event_type[:60],
                event_id=event.event_id[:200],
                dedupe_key=event.dedupe_key[:300],
                delivery_token=event.delivery_token[:200] or None,
                external_id=event.external_id[:100],
            )
    except IntegrityError:
        return _duplicate(integration, event)
    return Delivery(200, {"status": "processed", "event_id": event.event_id, "email_scheduled": False})


_APPLICANT_FIELDS = ("name", "name_kana", "email", "position", "stage", "track", "interview_date", "rejected_at")


def _apply_truth(event: RejectionEvent, applicant: Applicant, outcome: Outcome) -> CancelledMail | None:
    """An applicant already known (a CSV row, the API, an earlier event) takes the ATS's latest outcome; a mail
    queued before that the outcome no longer allows is cancelled."""
    if applicant.erased_at is not None:
        return None
    if applicant.closed_at is not None:
        applicant_reopen(applicant=applicant)  # rejected again after an un-rejection or un-archive
    reason_id = outcome.reason_id
    if reason_id is None and not outcome.hold:
        reason_id = declared_rejection_id(applicant.company)
    applicant_outcome_update(
        applicant=applicant,
        reason_id=reason_id,
        reason_text=outcome.reason_text,
        hold=outcome.hold,
        hold_detail=outcome.hold_detail,
        can_email=outcome.can_email,
        person_id=event.person_id,
        rejected_at=event.rejected_at,
    )
    refusal = applicant.mail_refusal
    if refusal is None:
        return None
    vendor = dict(Applicant.Source.choices).get(event.source, event.source)
    why = _("%(vendor)s の %(event)s により取り消しました: %(refusal)s") % {
        "vendor": vendor,
        "event": event.event_type,
        "refusal": refusal,
    }
    return rejection_mail_cancel(applicant=applicant, why=why)


def _take_effect(integration: Integration, event: RejectionEvent, existing: Applicant | None) -> Delivery:
    """Record the applicant with the ATS's outcome and schedule the email if it may go, at most once per event
    (unique dedupe key)."""
    outcome = event.outcome or Outcome()
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
                delivery_token=event.delivery_token[:200] or None,
                external_id=event.external_id[:100],
            )
            applicant, created = existing, False
            if applicant is None:
                assert event.applicant is not None
                fields = {key: event.applicant[key] for key in _APPLICANT_FIELDS if key in event.applicant}
                recorded = applicant_record(
                    company=integration.company,
                    source=event.source,
                    external_system=event.external_system,
                    external_id=str(event.applicant["id"]),
                    reason_id=outcome.reason_id,
                    reason_text=outcome.reason_text,
                    hold=outcome.hold,
                    hold_detail=outcome.hold_detail,
                    can_email=outcome.can_email,
                    person_id=event.person_id,
                    **fields,
                )
                applicant, created = recorded.applicant, recorded.created
            cancelled = None if created else _apply_truth(event, applicant, outcome)
            try:
                scheduled = rejection_email_schedule_by_rule(applicant=applicant)
                email, refusal = scheduled.email, scheduled.refusal
            except RelayLink.DoesNotExist:
                email, refusal = None, ""
            if email is not None and email.status == OutboundEmail.Status.CANCELLED:
                email, refusal = (
                    None,
                    _(
                        "この応募者のお祈りメールは以前に取り消されているため、自動では送りません。送る場合は応募者の"
                        "画面から送信してください。"
                    ),
                )
            reason = ""
            if email is None:
                reason = refusal or _("応募者を登録しました。メールは予約していません。")
                if applicant.hold == Applicant.Hold.UNKNOWN_REASON:
                    reason += " " + _("応募者の「確認待ち」で選考終了理由を選ぶと、送信できるようになります。")
            if cancelled is not None and (cancelled.cancelled or cancelled.in_flight or cancelled.sent):
                reason = f"{reason} {cancelled.summary()}".strip()
            held = email is None and bool(applicant.hold) and applicant.erased_at is None
            if held:
                log.status = WebhookEvent.Status.HELD
            elif cancelled is not None and cancelled.cancelled:
                log.status = WebhookEvent.Status.CANCELLED
            log.applicant, log.email, log.reason = applicant, email, reason[:500]
            log.save(update_fields=["status", "applicant", "email", "reason"])
    except IntegrityError:
        return _duplicate(integration, event)
    body: dict[str, Any] = {
        "status": "held" if held else "processed",
        "event_id": event.event_id,
        "applicant_ref": applicant.ref,
        "email_scheduled": email is not None,
    }
    if email is not None:
        body["send_after"] = email.send_after.isoformat()
    else:
        body["message"] = reason
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


def _applicants_named(integration: Integration, event: LifecycleEvent) -> list[Applicant]:
    """The company's applicants a lifecycle event names: by the ATS's application (opportunity) id, as recorded
    or as an earlier event of this integration found them (a CSV row matched by address), or, for a deletion,
    every application of the person."""
    linked = Q(webhook_events__integration=integration)
    named = Q(pk__in=[])
    if event.external_ids:
        own = Q(external_id__in=event.external_ids)
        if event.external_system != "lever":  # Lever's UUIDs cannot collide with another system's ids
            own &= Q(external_system=event.external_system)
        named |= own | (linked & Q(webhook_events__external_id__in=event.external_ids))
    if event.person_ids:
        named |= Q(person_id__in=event.person_ids) & (Q(external_system=event.external_system) | linked)
    ids = set(Applicant.objects.filter(company_id=integration.company_id).filter(named).values_list("pk", flat=True))
    return list(Applicant.objects.filter(pk__in=ids).select_related("company").order_by("pk"))


def _lifecycle_take_effect(integration: Integration, event: LifecycleEvent) -> Delivery:
    """End the rejection of every applicant the event names: close (or erase) them and cancel their queued
    mail, and say exactly what happened to it."""
    with transaction.atomic():
        applicants = _applicants_named(integration, event)
        cancelled = in_flight = sent = 0
        for applicant in applicants:
            result = rejection_mail_cancel(applicant=applicant, why=event.why)
            cancelled, in_flight, sent = cancelled + result.cancelled, in_flight + result.in_flight, sent + result.sent
            if event.erase:
                rejection_mail_erase(applicant=applicant)
            if applicant.erased_at is not None:
                continue
            applicant_close(applicant=applicant, why=event.why, erase=event.erase)
        totals = CancelledMail(cancelled=cancelled, in_flight=in_flight, sent=sent)
        if not applicants:
            reason = _("該当する応募者は登録されていないため、何もしていません。")
        elif event.erase:
            reason = _("応募者 %(count)s 名の個人情報を削除しました。") % {"count": len(applicants)}
            reason = f"{reason} {totals.summary()}"
        else:
            reason = _("応募者 %(count)s 名の選考結果を取り消しました (メールは送りません)。") % {
                "count": len(applicants)
            }
            reason = f"{reason} {totals.summary()}"
        email = (
            OutboundEmail.objects.filter(applicant__in=applicants, kind=OutboundEmail.Kind.REJECTION)
            .order_by("-pk")
            .first()
            if applicants
            else None
        )
        status = WebhookEvent.Status.CANCELLED if cancelled else WebhookEvent.Status.PROCESSED
        _log(
            integration,
            status=status,
            http_status=200,
            reason=reason,
            event_type=event.event_type,
            event_id=event.event_id,
            external_id=(event.external_ids or event.person_ids or [""])[0],
            applicant=applicants[0] if applicants else None,
            email=email,
            delivery_token=event.delivery_token,
        )
    return Delivery(
        200,
        {
            "status": "cancelled" if cancelled else "processed",
            "event_id": event.event_id,
            "applicants": len(applicants),
            "message": reason,
        },
    )


def _retry_data(event: RejectionEvent) -> dict[str, Any]:
    """Ids and times only (never personal data: Lever's payload has none)."""
    return {
        "dedupe_key": event.dedupe_key,
        "rejected_at": event.rejected_at.isoformat() if event.rejected_at else None,
        "archive_reason": event.lever_archive_reason,
        "person_id": event.person_id,
    }


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
            delivery_token=parsed.delivery_token,
        )
        return Delivery(200, {"status": "ignored", "message": parsed.reason})
    if isinstance(parsed, LifecycleEvent):
        return _lifecycle_take_effect(integration, parsed)
    event = parsed
    outcome = _process_rejection(integration, event)
    if isinstance(outcome, Delivery):
        return outcome
    # Accepted (so the ATS does not retry for ever), but nothing is mailed until the truth is known.
    held = isinstance(outcome, Held)
    if isinstance(outcome, Held) and outcome.applicant is not None:
        _hold_known_applicant(outcome.applicant, outcome.message)
    _log(
        integration,
        status=WebhookEvent.Status.HELD if held else WebhookEvent.Status.APPLICANT_MISSING,
        http_status=200,
        reason=outcome.message,
        event_type=event.event_type,
        event_id=event.event_id,
        external_id=event.external_id,
        applicant=outcome.applicant if isinstance(outcome, Held) else None,
        delivery_token=event.delivery_token,
        retry_data=_retry_data(event),
    )
    if held:
        logger.info("webhook held: integration=%s event=%s", integration.pk, event.event_id)
    return Delivery(200, {"status": "held" if held else "applicant_missing", "message": outcome.message})


def _hold_known_applicant(applicant: Applicant, why: str) -> None:
    """A person we already hold, whose archive could not be checked with Lever: on the company's 確認待ち list too,
    so a person sees it where the other held applicants are (a later answer from Lever releases it)."""
    if applicant.hold or applicant.closed_at is not None or applicant.erased_at is not None:
        return
    if OutboundEmail.objects.filter(applicant=applicant, kind=OutboundEmail.Kind.REJECTION).exists():
        return  # the company already decided about this person's mail
    applicant_hold(applicant=applicant, hold=Applicant.Hold.UNVERIFIED, detail=why)


def _process_rejection(integration: Integration, event: RejectionEvent) -> Delivery | Held | Missing:
    """Take effect once, or say why it cannot yet (Lever: the archive reason or the person is not known)."""
    if WebhookEvent.objects.filter(integration=integration, dedupe_key=event.dedupe_key[:300]).exists():
        return _duplicate(integration, event)
    existing: Applicant | None = None
    if integration.kind == Integration.Kind.LEVER:
        resolved = _process_lever_archive(integration, event)
        if isinstance(resolved, Delivery | Held | Missing):
            return resolved
        existing = resolved
    return _take_effect(integration, event, existing)


def webhook_event_retry(*, event: WebhookEvent) -> str | None:
    """Process again a Lever event that was held or whose applicant was not found (after the company set the
    API key, registered the person, or Lever answers again). None when it took effect (or had already), else
    why it still cannot."""
    if not event.can_retry:
        return None
    assert event.retry_data is not None
    integration = event.integration
    if integration.kind != Integration.Kind.LEVER:  # only Lever's events wait on a vendor's answer here
        return _("この通知は再処理の対象ではありません。")
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
        person_id=str(event.retry_data.get("person_id") or ""),
    )
    outcome = _process_rejection(integration, rejection)
    if isinstance(outcome, Held | Missing):
        event.status = WebhookEvent.Status.HELD if isinstance(outcome, Held) else WebhookEvent.Status.APPLICANT_MISSING
        event.reason = outcome.message[:500]
        event.save(update_fields=["status", "reason"])
        return outcome.message
    event.retried_at = timezone.now()
    event.save(update_fields=["retried_at"])
    return None


def webhook_events_retry_held(*, now: datetime | None = None) -> int:
    """The scheduler's retry of held Lever events (the API was down or rate-limited): how many took effect.

    Only recent events of enabled integrations with an API key, never while Lever asked us to wait, and an
    integration's remaining events wait for the next run as soon as Lever says "too many requests" again."""
    now = now or timezone.now()
    events = (
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.HELD,
            retry_data__isnull=False,
            retried_at__isnull=True,
            received_at__gte=now - HELD_RETRY_WINDOW,
            integration__is_enabled=True,
            integration__kind=Integration.Kind.LEVER,
        )
        .exclude(integration__lever_api_key="")
        .filter(Q(integration__backoff_until__isnull=True) | Q(integration__backoff_until__lte=now))
        .select_related("integration__company")
        .order_by("received_at", "pk")[:HELD_RETRY_BATCH]
    )
    done, paused = 0, set()
    for event in events:
        if event.integration_id in paused:
            continue
        if webhook_event_retry(event=event) is None:
            done += 1
        elif event.integration.backoff_until is not None and event.integration.backoff_until > now:
            paused.add(event.integration_id)
    return done
