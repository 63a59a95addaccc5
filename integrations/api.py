"""The REST API (v1) for a company's own systems, with OpenAPI docs at /api/docs.

Every answer that is not a success is JSON `{"code": <stable code>, "message": <sentence>, "errors": [...]}`;
`code` never changes between releases, `message` follows Accept-Language (Japanese by default).
"""

import functools
import logging
import math
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from ninja.types import DictStrAny
from pydantic import StringConstraints, model_validator

from applicants.models import Applicant, RejectionReason
from companies.models import Company, RelayLink
from insights.selectors.funnel import company_figures
from insights.selectors.registrations import (
    RegistrationFigure,
    RegistrationGroup,
    registrations_by_link,
    registrations_by_month,
    registrations_by_template,
)
from integrations.errors import field_errors, summary
from integrations.models import ApiKey
from integrations.schemas import ApplicantPatchIn, RejectedApplicantIn, aware
from integrations.services import (
    ApplicantUpdateRefused,
    InvalidCursor,
    api_key_authenticate,
    applicant_by_ref,
    applicant_mail_cancel_by_api,
    applicant_update_by_api,
    applicants_changed,
    applicants_post,
    changes_cursor,
    rejection_mail_of,
)
from lib.jatext import nfkc
from lib.jsonsafe import MAX_JSON_DEPTH, json_too_deep, unstorable_text
from lib.ratelimit import Rate, RateDecision, default_limiter
from mailings.models import OutboundEmail, RejectionTemplate
from mailings.services.outbox import applicant_personal_url, default_link

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return api_key_authenticate(raw_key=token.strip())


RATE_DECISION_ATTRIBUTE = "api_rate_decision"


class ApiKeyThrottle(BaseThrottle):
    """Requests per API key (`API_RATE_LIMIT`, default 600 a minute), counted in the shared rate-limit store
    (Redis or the database, lib/ratelimit.py) so every worker sees the same count. Past it: 429 `rate_limited`
    with Retry-After; every authenticated answer carries X-RateLimit-Limit/Remaining/Reset.

    It replaces ninja's SimpleRateThrottle, which counted in Django's default cache: a LocMemCache per process,
    so with `gunicorn -w 4` each worker had its own 600 a minute and a restart forgot them all."""

    def __init__(self) -> None:
        self._last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        api_key = getattr(request, "auth", None)
        if not isinstance(api_key, ApiKey):
            return True
        decision = default_limiter().hit("api:key", str(api_key.pk), Rate.parse(settings.API_RATE_LIMIT))
        setattr(request, RATE_DECISION_ATTRIBUTE, decision)
        self._last.decision = decision  # ninja asks wait() right after, on the same thread
        return decision.allowed

    def wait(self) -> float | None:
        decision: RateDecision | None = getattr(self._last, "decision", None)
        return float(decision.retry_after) if decision is not None else None


def with_rate_limit_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """X-RateLimit-* on every answer to a request that was counted (success, error and 429 alike)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        decision = getattr(request, RATE_DECISION_ATTRIBUTE, None)
        if isinstance(decision, RateDecision):
            response["X-RateLimit-Limit"] = str(decision.limit)
            response["X-RateLimit-Remaining"] = str(decision.remaining)
            response["X-RateLimit-Reset"] = str(int(decision.reset_at.timestamp()))
            if not decision.allowed:
                response["Retry-After"] = str(decision.retry_after)
        return response

    return wrapper


API_DESCRIPTION = gettext_lazy(
    "キャリアリレーの REST API です。企業ごとの API キーを `Authorization: Bearer <キー>` で送ってください"
    " (キーは「外部連携」画面で発行します)。エラーはすべて JSON の `code` (変わらない識別子) と `message` で返します:"
    " 400 `bad_request`、401 `invalid_api_key`、404 `not_found`、405 `method_not_allowed`、"
    "409 (`mail_sending` / `mail_sent` / `applicant_erased` / `conflict` / `not_cancellable`)、"
    "422 `validation_error` (`errors` に項目ごとの内容)、"
    "429 `rate_limited` (Retry-After ヘッダーの秒数だけお待ちください)。"
    " 他社の応募者やメールは、存在しても 404 です。"
    "応募者が人材紹介に登録したかどうかは、応募者の情報としては返しません。"
)


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a path does not take with a plain-text 405; the API's clients get its JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response.get("Allow", "")
        message = _("この URL では %(method)s は使えません。使えるメソッド: %(allowed)s") % {
            "method": request.method,
            "allowed": allowed,
        }
        answer = error_response(405, "method_not_allowed", message)
        answer["Allow"] = allowed
        return answer

    return wrapper


class JsonTooDeep(ValueError):
    pass


class BoundedJsonParser(Parser):
    """Refuses a body nested deeper than MAX_JSON_DEPTH before `json.loads` recurses (400 `too_deep`)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        if json_too_deep(request.body):
            raise JsonTooDeep
        return super().parse_body(request)


class CareerRelayApi(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if not isinstance(pattern, URLPattern):
                continue
            if pattern.name == "api-root":
                # Ninja's root only names the prefix (and answers Django's HTML 404): /api/ answers in JSON.
                pattern.callback = api_not_found
            else:
                pattern.callback = with_rate_limit_headers(json_method_not_allowed(pattern.callback))
        return patterns

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        # Read on every request, so the schema names the site it is served from (SITE_URL).
        self.servers = [{"url": settings.SITE_URL, "description": "Career Relay"}]
        return super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)


api = CareerRelayApi(
    title="Career Relay API",
    version="1.0.0",
    description=str(API_DESCRIPTION),
    urls_namespace="api",
    auth=ApiKeyAuth(),
    throttle=ApiKeyThrottle(),
    parser=BoundedJsonParser(),
)


def _company(request: HttpRequest) -> Company:
    api_key = request.auth  # type: ignore[attr-defined]
    assert isinstance(api_key, ApiKey)
    return api_key.company


def error_response(status: int, code: str, message: str, errors: list[dict[str, str]] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    if not request.headers.get("Authorization"):
        message = _("API キーがありません。Authorization: Bearer <API キー> を付けてください。")
    else:
        message = _("API キーが正しくないか、無効化されています。")
    return error_response(401, "invalid_api_key", message)


# Names of the view parameters that hold whole schemas: ninja puts them in each error's location.
SCHEMA_PARAMETERS = ("body", "filters")


def _without_wrappers(error: dict[str, Any]) -> dict[str, Any]:
    """Ninja reports `("body", "body", "applicants", 0, "email")`; the client needs `applicants.0.email`."""
    location = list(error.get("loc", ()))
    if location and location[0] in ("body", "query", "path", "header", "cookie", "form"):
        location = location[1:]
        if location and location[0] in SCHEMA_PARAMETERS:
            location = location[1:]
    return {**error, "loc": tuple(location)}


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = field_errors(_without_wrappers(error) for error in exc.errors)
    return error_response(
        422, "validation_error", _("入力内容に誤りがあります: %(summary)s") % {"summary": summary(errors)}, errors
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", _("指定されたデータが見つかりません。"))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(
        413, "payload_too_large", _("リクエストの本文が大きすぎます。件数を分けてお送りください (1 回 500 件まで)。")
    )


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, JsonTooDeep):
        message = _("リクエストの本文の JSON の入れ子が深すぎます (上限 %(depth)s 段)。") % {"depth": MAX_JSON_DEPTH}
        return error_response(400, "too_deep", message)
    if exc.status_code == 400:
        return error_response(400, "bad_request", _("リクエストの本文を JSON として読み取れません。"))
    if exc.status_code == 429:
        wait = getattr(exc, "wait", None)
        message = _("リクエストが多すぎます。%(seconds)s 秒ほどおいてからお試しください。") % {
            "seconds": math.ceil(wait) if wait else 60
        }
        return error_response(429, "rate_limited", message)
    return error_response(exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return error_response(500, "internal_error", _("サーバーでエラーが発生しました。時間をおいてお試しください。"))


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown paths under /api/ answer in the API's own error shape, not an HTML page."""
    return error_response(404, "not_found", _("この URL の API はありません。/api/docs をご覧ください。"))


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str = Field(description="変わらないエラー識別子 (invalid_api_key / not_found / validation_error など)")
    message: str
    errors: list[FieldErrorOut] | None = None


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}

v1 = Router()

# Relay links ------------------------------------------------------------------------------------------------

Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RelayLinksIn(Schema):
    applicant_ref: Ref | None = Field(default=None, description="応募者参照キー (貴社 ATS の応募者ID など) 1件")
    applicant_refs: list[Ref] | None = Field(
        default=None, min_length=1, max_length=1000, description="複数件をまとめて作るとき (最大 1000)"
    )
    link_code: str | None = Field(default=None, description="使うリレーリンクのコード (省略時は受付中の最初のリンク)")

    @model_validator(mode="after")
    def _one_of(self) -> "RelayLinksIn":
        if (self.applicant_ref is None) == (self.applicant_refs is None):
            raise ValueError(_("applicant_ref か applicant_refs のどちらか一方を指定してください。"))
        return self


class PersonalLinkOut(Schema):
    applicant_ref: str
    url: str


class RelayLinksOut(Schema):
    link_code: str
    link_label: str
    links: list[PersonalLinkOut]


@v1.post("/relay-links", response={200: RelayLinksOut, **ERRORS}, summary="個人別リレーリンクを作る")
def relay_links_create(request: HttpRequest, body: RelayLinksIn) -> dict[str, Any]:
    """応募者参照キーごとに、登録がその応募に結びつく署名付きのリレーリンクを返します。"""
    company = _company(request)
    if body.link_code:
        code = body.link_code.strip()
        # No code holds NUL or a lone surrogate (nor could a database compare one): such a code names no link.
        link = None if unstorable_text(code) else RelayLink.objects.filter(company=company, code=code).first()
        if link is None:
            raise Http404
    else:
        try:
            link = default_link(company)
        except RelayLink.DoesNotExist:
            raise Http404 from None
    if not link.is_active:
        raise ApiError(400, "link_inactive", _("このリレーリンクは受付を停止しています。"))
    refs = [body.applicant_ref] if body.applicant_ref is not None else list(body.applicant_refs or [])
    links = [{"applicant_ref": nfkc(ref), "url": link.personal_url(nfkc(ref))} for ref in refs]
    return {"link_code": link.code, "link_label": link.label, "links": links}


# Applicants -------------------------------------------------------------------------------------------------


class ScheduleIn(Schema):
    mode: Literal["rule", "template", "none"] = Field(
        default="rule",
        description=(
            "rule: 自動送信ルールに従う / template: template_id のテンプレートを send_at に送る / none: 送らない"
        ),
    )
    template_id: int | None = Field(default=None, description="mode=template のときのテンプレートID")
    send_at: datetime | None = Field(default=None, description="mode=template の送信日時 (省略時はすぐ)")

    @model_validator(mode="after")
    def _template_needs_id(self) -> "ScheduleIn":
        if self.mode == "template" and self.template_id is None:
            raise ValueError(_("mode が template のときは template_id を指定してください。"))
        return self


class ApplicantsIn(Schema):
    applicants: list[RejectedApplicantIn] = Field(min_length=1, max_length=500)
    schedule: ScheduleIn = Field(default_factory=ScheduleIn)


class EmailOut(Schema):
    id: int
    kind: str
    status: str = Field(description="queued / sending / sent / failed / cancelled")
    tracking: str = Field(
        description="queued / sent / failed / clicked / registered (いちばん進んだ状態)。registered は、"
        "ご登録を貴社に知らせることにご本人が同意した場合だけです"
    )
    applicant_ref: str | None
    applicant_id: str | None = Field(description="送信元システムでの応募者ID")
    to_email: str
    subject: str
    send_after: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    clicked_at: datetime | None
    registered_at: datetime | None = Field(
        description="ご登録を貴社に知らせることにご本人が同意した場合だけ日時が入り、それ以外は常に null です"
        "(登録の件数は /summary の集計でご覧ください)"
    )


def tracking_status(email: OutboundEmail) -> str:
    # Registration is named per person only with the person's consent (issue 11 point 6).
    if email.company_registered_at:
        return "registered"
    if email.clicked_at:
        return "clicked"
    if email.status in (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED):
        return email.status
    return str(email.status) if email.status == OutboundEmail.Status.CANCELLED else "queued"


def email_out(email: OutboundEmail) -> dict[str, Any]:
    applicant = email.applicant
    return {
        "id": email.pk,
        "kind": email.kind,
        "status": email.status,
        "tracking": tracking_status(email),
        "applicant_ref": applicant.ref if applicant else None,
        "applicant_id": applicant.external_id if applicant else None,
        "to_email": email.to_email,
        "subject": email.subject,
        "send_after": email.send_after,
        "sent_at": email.sent_at,
        "failed_at": email.failed_at,
        "clicked_at": email.clicked_at,
        "registered_at": email.company_registered_at,
    }


class ReasonOut(Schema):
    id: int
    name: str = Field(description="貴社での名前 (不採用 / 応募者辞退 / 入社決定 / 非選考対象 / 貴社の理由)")
    code: RejectionReason.Code | None = Field(description="標準の理由のとき、その識別子 (貴社独自の理由は null)")
    sends_mail: bool = Field(description="この理由のとき、お祈りメールを送るか")


HoldCode = Literal["unknown_reason", "unverified", "date_out_of_range"]


def reason_out(reason: RejectionReason | None) -> dict[str, Any] | None:
    if reason is None:
        return None
    return {"id": reason.pk, "name": reason.name, "code": reason.code or None, "sends_mail": reason.sends_mail}


class ApplicantOut(Schema):
    id: str = Field(description="送信元システムでの応募者ID")
    applicant_ref: str
    created: bool = Field(description="false: 登録済みの応募者 (氏名などは変更していません。訂正は PATCH で)")
    personal_url: str | None = Field(description="応募者の個人用リレーリンク (リレーリンクがない企業は null)")
    email: EmailOut | None
    mail_scheduled: bool = Field(description="お祈りメールが予約済み (または送信済み) か")
    mail_refusal: str | None = Field(description="予約していないとき、その理由")
    reason: ReasonOut | None = Field(description="選考終了理由 (読めなかったときは null で、hold が unknown_reason)")
    hold: HoldCode | None = Field(description="確認待ちの種類 (確認待ちでなければ null)")


class ApplicantsOut(Schema):
    results: list[ApplicantOut]


def personal_url_or_none(applicant: Applicant) -> str | None:
    try:
        return applicant_personal_url(applicant=applicant)
    except RelayLink.DoesNotExist:
        return None


@v1.post("/applicants", response={200: ApplicantsOut, **ERRORS}, summary="不採用の応募者を登録する")
def applicants_create(request: HttpRequest, body: ApplicantsIn) -> dict[str, Any]:
    """不採用の応募者を 1 件またはまとめて (最大 500 件) 登録し、お祈りメールを予約します。

    `reason` (選考終了理由) は貴社の対応づけで読み、お祈りメールを送る理由のときだけ予約します。読めない表記は
    「確認待ち」、`can_email: false` は登録のみです。結果の `mail_scheduled` と `mail_refusal` で、予約したか・
    しなかった理由がわかります。同じ id を再送しても、二重登録も二重送信もしません。
    """
    company = _company(request)
    version = None
    if body.schedule.mode == "template" and body.schedule.template_id is not None:
        template = RejectionTemplate.objects.filter(
            company=company, pk=body.schedule.template_id, is_active=True
        ).first()
        version = template.current_version if template else None
        if version is None:
            raise ApiError(404, "not_found", _("指定されたテンプレートが見つかりません。"))
    send_at = aware(body.schedule.send_at)
    if send_at is not None and send_at < timezone.now():
        send_at = timezone.now()
    posted = applicants_post(
        company=company, applicants=body.applicants, mode=body.schedule.mode, version=version, send_at=send_at
    )
    return {
        "results": [
            {
                "id": item.applicant.external_id,
                "applicant_ref": item.applicant.ref,
                "created": item.created,
                "personal_url": personal_url_or_none(item.applicant),
                "email": email_out(item.email) if item.email else None,
                "mail_scheduled": item.mail_scheduled,
                "mail_refusal": None if item.mail_scheduled else (item.refusal or item.applicant.mail_refusal or ""),
                "reason": reason_out(item.applicant.reason),
                "hold": item.applicant.hold or None,
            }
            for item in posted
        ]
    }


# One applicant ------------------------------------------------------------------------------------------------

MailStatus = Literal["none", "queued", "sending", "sent", "failed", "cancelled"]


class ApplicantMailOut(Schema):
    """The rejection mail's delivery, as the company's outbox shows it (never what the person did next)."""

    id: int
    status: OutboundEmail.Status
    to_email: str
    subject: str
    send_after: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    note: str = Field(description="取り消しや失敗の理由")


class MailStateOut(Schema):
    status: MailStatus = Field(description="お祈りメールの状態 (none: まだありません)")
    may_send: bool = Field(description="いまお祈りメールを送ってよい応募者か")
    refusal: str | None = Field(description="送ってはいけない理由 (確認待ち、辞退、can_email: false など)")
    email: ApplicantMailOut | None


class ApplicantDetailOut(Schema):
    id: str = Field(description="送信元システム (ATS) での応募者ID")
    applicant_ref: str = Field(description="応募者参照キー (個人用リレーリンクが署名するキー)")
    source: Applicant.Source
    name: str
    name_kana: str
    email: str
    position: str
    stage: Applicant.Stage
    stage_label: str
    track: Applicant.Track
    track_label: str
    interview_date: date | None
    rejected_at: datetime | None
    reason: ReasonOut | None
    reason_text: str = Field(description="ATS での選考終了理由の表記")
    hold: HoldCode | None
    hold_detail: str
    can_email: bool
    closed_at: datetime | None = Field(description="ATS で選考結果が取り消された日時 (採用・削除など)")
    closed_reason: str
    erased: bool = Field(description="ATS で削除され、個人情報を消した応募者")
    link_exported_at: datetime | None = Field(description="個人用リンクを貴社の差し込み配信用に書き出した日時")
    mail: MailStateOut
    created_at: datetime
    updated_at: datetime


def mail_state(applicant: Applicant, email: OutboundEmail | None) -> dict[str, Any]:
    refusal = applicant.mail_refusal
    return {
        "status": email.status if email else "none",
        "may_send": refusal is None,
        "refusal": refusal,
        "email": None
        if email is None
        else {
            "id": email.pk,
            "status": email.status,
            "to_email": email.to_email,
            "subject": email.subject,
            "send_after": email.send_after,
            "sent_at": email.sent_at,
            "failed_at": email.failed_at,
            "note": email.last_error
            if email.status in (OutboundEmail.Status.CANCELLED, OutboundEmail.Status.FAILED)
            else "",
        },
    }


def applicant_detail(applicant: Applicant, email: OutboundEmail | None = None) -> dict[str, Any]:
    if email is None:
        prefetched = getattr(applicant, "rejection_mails", None)
        email = prefetched[0] if prefetched else None if prefetched is not None else rejection_mail_of(applicant)
    return {
        "id": applicant.external_id,
        "applicant_ref": applicant.ref,
        "source": applicant.source,
        "name": applicant.name,
        "name_kana": applicant.name_kana,
        "email": applicant.email,
        "position": applicant.position,
        "stage": applicant.stage,
        "stage_label": str(Applicant.Stage(applicant.stage).label),
        "track": applicant.track,
        "track_label": str(Applicant.Track(applicant.track).label),
        "interview_date": applicant.interview_date,
        "rejected_at": applicant.rejected_at,
        "reason": reason_out(applicant.reason),
        "reason_text": applicant.reason_text,
        "hold": applicant.hold or None,
        "hold_detail": applicant.hold_detail,
        "can_email": applicant.can_email,
        "closed_at": applicant.closed_at,
        "closed_reason": applicant.closed_reason,
        "erased": applicant.erased_at is not None,
        "link_exported_at": applicant.link_exported_at,
        "mail": mail_state(applicant, email),
        "created_at": applicant.created_at,
        "updated_at": applicant.updated_at,
    }


ApplicantRef = Annotated[str, Path(description="応募者参照キー (applicant_ref)、または送信元システムでの応募者ID")]


def _applicant(request: HttpRequest, ref: str) -> Applicant:
    """The key's company's applicant, or 404 (another company's applicant is not found either)."""
    applicant = applicant_by_ref(company=_company(request), ref=ref)
    if applicant is None:
        raise ApiError(404, "not_found", _("この応募者は見つかりません。"))
    return applicant


@v1.get("/applicants/{ref}", response={200: ApplicantDetailOut, **ERRORS}, summary="応募者を 1 件読む")
def applicant_read(request: HttpRequest, ref: ApplicantRef) -> dict[str, Any]:
    """選考終了理由、確認待ち、お祈りメールの状態を含む応募者 1 件です。"""
    return applicant_detail(_applicant(request, ref))


class ApplicantUpdateOut(Schema):
    applicant: ApplicantDetailOut
    changed: list[str] = Field(description="変わった項目")
    mail_readdressed: int = Field(description="宛先を新しいアドレスに変えた送信予定のメールの件数")
    mail_cancelled: int = Field(description="取り消した送信予定のメールの件数")
    notes: list[str] = Field(description="お知らせ (送信済みのメールは変えられない、など)")


@v1.patch(
    "/applicants/{ref}",
    response={200: ApplicantUpdateOut, **ERRORS, 409: ErrorOut},
    summary="応募者を訂正する",
)
def applicant_update(request: HttpRequest, ref: ApplicantRef, body: ApplicantPatchIn) -> dict[str, Any]:
    """送った項目だけを変えます。正しいメールアドレスは、まだ送っていないメールの宛先にも反映します。

    `can_email: false` や、お祈りメールを送らない `reason` (辞退・入社など) に変えると、送信予定のメールを
    取り消します。この API からメールを新たに予約することはありません。
    """
    applicant = _applicant(request, ref)
    api_key = request.auth  # type: ignore[attr-defined]
    assert isinstance(api_key, ApiKey)
    try:
        updated = applicant_update_by_api(applicant=applicant, patch=body, api_key=api_key)
    except ApplicantUpdateRefused as refused:
        raise ApiError(409, refused.code, str(refused)) from None
    return {
        "applicant": applicant_detail(updated.applicant),
        "changed": updated.changed,
        "mail_readdressed": updated.readdressed,
        "mail_cancelled": updated.cancelled.cancelled if updated.cancelled else 0,
        "notes": updated.notes,
    }


class MailCancelOut(Schema):
    cancelled: int = Field(description="今回取り消したメールの件数 (取り消し済み・未予約なら 0)")
    message: str
    mail: MailStateOut


def _cancel(request: HttpRequest, applicant: Applicant) -> dict[str, Any]:
    api_key = request.auth  # type: ignore[attr-defined]
    assert isinstance(api_key, ApiKey)
    result = applicant_mail_cancel_by_api(applicant=applicant, api_key=api_key)
    if not result.cancelled and result.in_flight:
        raise ApiError(409, "mail_sending", result.summary())
    if not result.cancelled and result.sent:
        raise ApiError(409, "mail_sent", result.summary())
    return {
        "cancelled": result.cancelled,
        "message": result.summary(),
        "mail": mail_state(applicant, rejection_mail_of(applicant)),
    }


@v1.post(
    "/applicants/{ref}/cancel-mail",
    response={200: MailCancelOut, **ERRORS, 409: ErrorOut},
    summary="応募者のお祈りメールを取り消す",
)
def applicant_mail_cancel(request: HttpRequest, ref: ApplicantRef) -> dict[str, Any]:
    """送信予定のお祈りメールを取り消します。送信処理中・送信済みなら 409 (`mail_sending` / `mail_sent`)。

    何度呼んでも同じ結果です。今後も送らないようにするには `can_email: false` を PATCH してください。
    """
    return _cancel(request, _applicant(request, ref))


EmailId = Annotated[int, Path(ge=1, le=2**63 - 1, description="メールの ID (`/emails` の id)")]


@v1.post(
    "/emails/{email_id}/cancel",
    response={200: MailCancelOut, **ERRORS, 409: ErrorOut},
    summary="送信予定のメールを取り消す",
)
def email_cancel(request: HttpRequest, email_id: EmailId) -> dict[str, Any]:
    """お祈りメールを ID で取り消します。送信処理中・送信済みなら 409。お祈りメール以外は取り消せません (409)。"""
    email = OutboundEmail.objects.filter(company=_company(request), pk=email_id).select_related("applicant").first()
    if email is None:
        raise ApiError(404, "not_found", _("このメールは見つかりません。"))
    if email.kind != OutboundEmail.Kind.REJECTION or email.applicant is None:
        raise ApiError(409, "not_cancellable", _("お祈りメール以外のメールは、API から取り消せません。"))
    return _cancel(request, email.applicant)


# Changes ------------------------------------------------------------------------------------------------------


class ChangeFilters(Schema):
    cursor: str | None = Field(
        default=None, max_length=200, description="前回の next_cursor (省略時は最初から)。中身に意味はありません"
    )
    limit: int = Field(default=100, ge=1, le=500, description="1 ページの件数 (最大 500)")


class ChangesOut(Schema):
    results: list[ApplicantDetailOut] = Field(description="変更の古い順 (同じ時刻は登録順)")
    next_cursor: str | None = Field(description="次に渡す cursor。結果が空なら渡したものと同じです")
    has_more: bool = Field(description="true: すぐに次のページを読めます")


@v1.get("/changes", response={200: ChangesOut, **ERRORS}, summary="変更のあった応募者を読む")
def changes_list(request: HttpRequest, filters: Query[ChangeFilters]) -> dict[str, Any]:
    """`cursor` のあとに登録・変更された応募者を、変更の古い順に返します (ATS との同期用)。

    変更が一覧に現れるのは 30 秒後からです (処理中の取り込みを飛ばさないため)。お祈りメールの送信状況の変化は
    ここには含まれません (`/emails` をお使いください)。
    """
    cursor = filters.cursor.strip() if filters.cursor else None
    try:
        rows, has_more = applicants_changed(company=_company(request), cursor=cursor, limit=filters.limit)
    except InvalidCursor:
        error = {
            "field": "cursor",
            "message": _("cursor が正しくありません。前回の next_cursor をそのまま渡してください。"),
        }
        raise ApiError(
            422, "validation_error", _("入力内容に誤りがあります: %(summary)s") % {"summary": summary([error])}, [error]
        ) from None
    return {
        "results": [applicant_detail(row) for row in rows],
        "next_cursor": changes_cursor(rows[-1]) if rows else cursor,
        "has_more": has_more,
    }


# Emails -----------------------------------------------------------------------------------------------------


MAX_PAGE = 1_000_000


class EmailFilters(Schema):
    applicant_ref: str | None = Field(default=None, description="応募者参照キー、または送信元システムでの応募者ID")
    status: Literal["queued", "sending", "sent", "failed", "cancelled", "clicked", "registered"] | None = Field(
        default=None, description="registered: ご登録を貴社に知らせることに同意した方へのメールだけ"
    )
    # Bounded so the row offset stays far inside a 64-bit integer: a larger page answers 422, never a 500.
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=50, ge=1, le=200)


class EmailPageOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[EmailOut]


@v1.get("/emails", response={200: EmailPageOut, **ERRORS}, summary="送信メールの状態を読む")
def emails_list(request: HttpRequest, filters: Query[EmailFilters]) -> dict[str, Any]:
    """貴社のメール (新しい順) と、送信・クリック・登録の状況。"""
    company = _company(request)
    emails = OutboundEmail.objects.filter(company=company).select_related("applicant")
    if filters.applicant_ref:
        ref = nfkc(filters.applicant_ref).replace("\x00", "")
        emails = emails.filter(Q(applicant__ref=ref) | Q(applicant__external_id=ref))
    if filters.status == "clicked":
        emails = emails.filter(clicked_at__isnull=False)
    elif filters.status == "registered":
        emails = emails.filter(registered_at__isnull=False, registration_shared=True)
    elif filters.status:
        emails = emails.filter(status=filters.status)
    start = (filters.page - 1) * filters.page_size
    rows = list(emails[start : start + filters.page_size])
    return {
        "count": emails.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [email_out(email) for email in rows],
    }


# Summary ----------------------------------------------------------------------------------------------------


class CreditsOut(Schema):
    earned: int
    reversed: int
    used: int
    expired: int
    reserved: int = Field(description="求人で利用予定として確保中の枠")
    balance: int
    available: int


class RegistrationGroupOut(Schema):
    label: str
    registrations: int | None = Field(
        description="登録の件数。5 件未満のグループ、送信先のほぼ全員が登録したグループ、差し引きで"
        "件数がわかってしまうグループは null"
    )
    shown: str = Field(description="画面と同じ表示 (「5件未満」「非表示」または件数)")


class SummaryOut(Schema):
    sent: int = Field(description="送信済みのお祈りメール")
    clicks: int
    registrations: int | None = Field(description="登録の累計 (前日まで)。5 件未満のときは null")
    registrations_shown: str = Field(description="画面と同じ表示 (「5件未満」または件数)")
    counted_referrals: int = Field(
        description="カウント済みの紹介の累計 (無料紹介枠の進み具合と同じく、その時点の件数)"
    )
    invalidated_referrals: int | None = Field(
        description="無効化された紹介の累計 (前日までの登録)。5 件未満のときは null"
    )
    registration_rate: float | None = Field(
        description="登録 / クリック (どちらも前日まで)。登録が 5 件未満のとき、またはクリックがないときは null"
    )
    referrals_per_credit: int
    remaining_to_next_credit: int
    credits: CreditsOut
    registrations_by_month: list[RegistrationGroupOut] = Field(description="直近 12 か月 (新しい順)、前日まで")
    registrations_by_link: list[RegistrationGroupOut] = Field(description="リレーリンクごと、前日まで")
    registrations_by_template: list[RegistrationGroupOut] = Field(
        description="送信したお祈りメールのテンプレートごと、前日まで"
    )


def registration_groups_out(groups: list[RegistrationGroup]) -> list[dict[str, Any]]:
    return [
        {"label": g.label, "registrations": None if g.is_hidden else g.registrations, "shown": g.shown} for g in groups
    ]


@v1.get("/summary", response={200: SummaryOut, **ERRORS}, summary="紹介と無料紹介枠の集計")
def summary_read(request: HttpRequest) -> dict[str, Any]:
    """ダッシュボードと同じ定義の数値です。"""
    company = _company(request)
    figures = company_figures(company)
    credits = figures.credits
    seen = figures.disclosed  # registrations as the company may see them (to yesterday, none below 5: issue 11)
    return {
        "sent": figures.total.sent,
        "clicks": figures.total.clicks,
        "registrations": None if seen.registrations_hidden else seen.registrations,
        "registrations_shown": seen.registrations_shown,
        "counted_referrals": figures.total.counted,
        "invalidated_referrals": None if RegistrationFigure(seen.invalidated).is_hidden else seen.invalidated,
        "registration_rate": None if seen.registrations_hidden else seen.registration_rate,
        "referrals_per_credit": figures.referrals_per_credit,
        "remaining_to_next_credit": figures.remaining_to_next_credit,
        "credits": {
            "earned": credits.earned,
            "reversed": credits.reversed,
            "used": credits.used,
            "expired": credits.expired,
            "reserved": credits.reserved,
            "balance": credits.balance,
            "available": credits.available,
        },
        "registrations_by_month": registration_groups_out(registrations_by_month(company)),
        "registrations_by_link": registration_groups_out(registrations_by_link(company)),
        "registrations_by_template": registration_groups_out(registrations_by_template(company)),
    }


api.add_router("/v1", v1, tags=["v1"])

__all__ = ["api", "api_not_found"]
