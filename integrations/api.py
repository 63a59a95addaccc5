"""The REST API (v1) for a company's own systems, with OpenAPI docs at /api/docs.

Every answer that is not a success is JSON `{"code": <stable code>, "message": <sentence>, "errors": [...]}`;
`code` never changes between releases, `message` follows Accept-Language (Japanese by default).
"""

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import StringConstraints, model_validator

from companies.models import Company, RelayLink
from insights.selectors.funnel import company_figures
from integrations.errors import field_errors, summary
from integrations.models import ApiKey
from integrations.schemas import RejectedApplicantIn, aware
from integrations.services import api_key_authenticate, applicants_post
from lib.jatext import nfkc
from mailings.models import OutboundEmail, RejectionTemplate
from mailings.services.outbox import applicant_personal_url, default_link

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return api_key_authenticate(raw_key=token.strip())


API_DESCRIPTION = gettext_lazy(
    "キャリアリレーの REST API です。企業ごとの API キーを `Authorization: Bearer <キー>` で送ってください"
    " (キーは「外部連携」画面で発行します)。エラーはすべて JSON の `code` (変わらない識別子) と `message` で返します:"
    " 401 `invalid_api_key`、404 `not_found`、422 `validation_error` (`errors` に項目ごとの内容)、"
    "400 `bad_request`。"
)

api = NinjaAPI(
    title="Career Relay API",
    version="1.0.0",
    description=str(API_DESCRIPTION),
    urls_namespace="api",
    auth=ApiKeyAuth(),
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


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return error_response(400, "bad_request", _("リクエストの本文を JSON として読み取れません。"))
    if exc.status_code == 429:
        return error_response(429, "rate_limited", _("リクエストが多すぎます。しばらくしてからお試しください。"))
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


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}

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
        link = RelayLink.objects.filter(company=company, code=body.link_code.strip()).first()
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
    tracking: str = Field(description="queued / sent / failed / clicked / registered (いちばん進んだ状態)")
    applicant_ref: str | None
    applicant_id: str | None = Field(description="送信元システムでの応募者ID")
    to_email: str
    subject: str
    send_after: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    clicked_at: datetime | None
    registered_at: datetime | None


def tracking_status(email: OutboundEmail) -> str:
    if email.registered_at:
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
        "registered_at": email.registered_at,
    }


class ApplicantOut(Schema):
    id: str = Field(description="送信元システムでの応募者ID")
    applicant_ref: str
    created: bool = Field(description="false: 登録済みの応募者 (何も変更していません)")
    personal_url: str
    email: EmailOut | None


class ApplicantsOut(Schema):
    results: list[ApplicantOut]


@v1.post("/applicants", response={200: ApplicantsOut, **ERRORS}, summary="不採用の応募者を登録する")
def applicants_create(request: HttpRequest, body: ApplicantsIn) -> dict[str, Any]:
    """不採用の応募者を 1 件またはまとめて (最大 500 件) 登録し、お祈りメールを予約します。

    同じ id を再送しても、二重登録も二重送信もしません。
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
                "personal_url": applicant_personal_url(applicant=item.applicant),
                "email": email_out(item.email) if item.email else None,
            }
            for item in posted
        ]
    }


# Emails -----------------------------------------------------------------------------------------------------


class EmailFilters(Schema):
    applicant_ref: str | None = Field(default=None, description="応募者参照キー、または送信元システムでの応募者ID")
    status: Literal["queued", "sending", "sent", "failed", "cancelled", "clicked", "registered"] | None = None
    page: int = Field(default=1, ge=1)
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
        ref = nfkc(filters.applicant_ref)
        emails = emails.filter(Q(applicant__ref=ref) | Q(applicant__external_id=ref))
    if filters.status == "clicked":
        emails = emails.filter(clicked_at__isnull=False)
    elif filters.status == "registered":
        emails = emails.filter(registered_at__isnull=False)
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


class SummaryOut(Schema):
    sent: int = Field(description="送信済みのお祈りメール")
    clicks: int
    registrations: int
    counted_referrals: int
    invalidated_referrals: int
    registration_rate: float | None = Field(description="登録 / クリック")
    referrals_per_credit: int
    remaining_to_next_credit: int
    credits: CreditsOut


@v1.get("/summary", response={200: SummaryOut, **ERRORS}, summary="紹介と無料紹介枠の集計")
def summary_read(request: HttpRequest) -> dict[str, Any]:
    """ダッシュボードと同じ定義の数値です。"""
    company = _company(request)
    figures = company_figures(company)
    credits = figures.credits
    return {
        "sent": figures.total.sent,
        "clicks": figures.total.clicks,
        "registrations": figures.total.registrations,
        "counted_referrals": figures.total.counted,
        "invalidated_referrals": figures.total.invalidated,
        "registration_rate": figures.total.registration_rate,
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
    }


api.add_router("/v1", v1, tags=["v1"])

__all__ = ["api", "api_not_found"]
