import json
import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from companies.models import Company
from integrations.forms import ApiKeyForm, HerpKeyForm, IntegrationForm, LeverUpdateForm
from integrations.herp import herp_key_hint, integration_herp_create, integration_herp_key_update
from integrations.models import ApiKey, Integration, WebhookEvent
from integrations.services import (
    api_key_create,
    api_key_revoke,
    integration_create,
    integration_lever_update,
    integration_secret_regenerate,
    integration_set_enabled,
)
from integrations.webhooks import GENERIC_EVENT, MAX_BODY_BYTES, webhook_event_retry
from lib.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

# A secret or key is put here for exactly one page view after it is made, then removed: shown once.
ONCE_SESSION_KEY = "integrations.shown_once"


def _show_once(request: HttpRequest, what: str, value: str) -> None:
    request.session[ONCE_SESSION_KEY] = {"what": what, "value": value}


def _take_once(request: HttpRequest, what: str) -> str:
    """The value if it was made for this page; any integrations page removes it, so it is never shown twice."""
    item = request.session.pop(ONCE_SESSION_KEY, None)
    if isinstance(item, dict) and item.get("what") == what:
        return str(item.get("value", ""))
    return ""


def _list_page(request: HttpRequest, company: Company, form: IntegrationForm, status: int = 200) -> HttpResponse:
    integrations = company.integrations.all()
    return render(
        request,
        "integrations/company/integration_list.html",
        {"company": company, "integrations": integrations, "form": form, "kinds": Integration.Kind},
        status=status,
    )


@company_required
def integration_list(request: HttpRequest, company: Company) -> HttpResponse:
    _take_once(request, "")
    return _list_page(request, company, IntegrationForm(company=company))


@company_manager_required
@require_POST
def integration_new(request: HttpRequest, company: Company) -> HttpResponse:
    form = IntegrationForm(request.POST, company=company)
    if not form.is_valid():
        return _list_page(request, company, form, status=400)
    fields = dict(form.cleaned_data)
    herp_api_key = fields.pop("herp_api_key", "")
    if fields["kind"] == Integration.Kind.HERP:
        # HERP Hire posts nothing to us: no endpoint or secret to show, only the key we pull with.
        herp = integration_herp_create(
            company=company, name=fields["name"], herp_api_key=herp_api_key, actor=request_user(request)
        )
        messages.success(
            request,
            _("連携「%(name)s」を作成しました。数分ごとに HERP Hire から選考が終了した応募を取得します。")
            % {"name": herp.name},
        )
        return redirect("integrations:detail", pk=herp.pk)
    created = integration_create(company=company, actor=request_user(request), **fields)
    if created.integration.kind != Integration.Kind.LEVER:
        _show_once(request, f"secret:{created.integration.pk}", created.secret)
    messages.success(request, _("連携「%(name)s」を作成しました。") % {"name": created.integration.name})
    return redirect("integrations:detail", pk=created.integration.pk)


def _generic_example() -> str:
    payload = {
        "event_id": "evt-20261120-0001",
        "event": GENERIC_EVENT,
        "applicant": {
            "id": "A-1024",
            "name": "山田 花子",
            "name_kana": "ヤマダ ハナコ",
            "email": "hanako@example.jp",
            "position": "Web エンジニア",
            "stage": "second_interview",
            "track": "mid_career",
            "interview_date": "2026-11-12",
            "rejected_at": "2026-11-20T18:00:00+09:00",
            "reason": "不採用",
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


@company_required
def integration_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    integration = company_object_or_404(company, Integration, pk=pk)
    events = integration.events.select_related("applicant", "email")
    status = request.GET.get("status", "")
    if status in WebhookEvent.Status.values:
        events = events.filter(status=status)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/company/integration_detail.html",
        {
            "company": company,
            "integration": integration,
            "kinds": Integration.Kind,
            "secret_once": _take_once(request, f"secret:{integration.pk}"),
            "page": page,
            "status": status,
            "statuses": WebhookEvent.Status.choices,
            "example": _generic_example() if integration.kind == Integration.Kind.GENERIC else "",
            "lever_form": LeverUpdateForm(initial={"signature_token": ""}),
            "herp_form": HerpKeyForm(),
            "herp_key_hint": herp_key_hint(integration.herp_api_key),
            "max_body_kb": MAX_BODY_BYTES // 1024,
        },
    )


@company_manager_required
@require_POST
def integration_secret(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    integration = company_object_or_404(company, Integration, pk=pk)
    if integration.kind in (Integration.Kind.LEVER, Integration.Kind.HERP):
        raise Http404
    secret = integration_secret_regenerate(integration=integration, actor=request_user(request))
    _show_once(request, f"secret:{integration.pk}", secret)
    messages.warning(
        request, _("シークレットを再発行しました。以前のシークレットで署名された通知は受け付けなくなります。")
    )
    return redirect("integrations:detail", pk=integration.pk)


@company_manager_required
@require_POST
def integration_lever(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    integration = company_object_or_404(company, Integration, pk=pk, kind=Integration.Kind.LEVER)
    form = LeverUpdateForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(str(message) for message in error))
        return redirect("integrations:detail", pk=integration.pk)
    api_key = "" if form.cleaned_data["clear_api_key"] else (form.cleaned_data["lever_api_key"] or None)
    integration_lever_update(
        integration=integration,
        signature_token=form.cleaned_data["signature_token"],
        lever_api_key=api_key,
        actor=request_user(request),
    )
    messages.success(request, _("Lever の設定を更新しました。"))
    return redirect("integrations:detail", pk=integration.pk)


@company_manager_required
@require_POST
def integration_herp(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    integration = company_object_or_404(company, Integration, pk=pk, kind=Integration.Kind.HERP)
    form = HerpKeyForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(str(message) for message in error))
        return redirect("integrations:detail", pk=integration.pk)
    integration_herp_key_update(
        integration=integration, herp_api_key=form.cleaned_data["herp_api_key"], actor=request_user(request)
    )
    messages.success(request, _("HERP Hire の API キーを更新しました。"))
    return redirect("integrations:detail", pk=integration.pk)


@company_manager_required
@require_POST
def integration_herp_pull(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """「今すぐ取得」: the periodic pull, now (it still honours HERP's back-off and rate limit)."""
    integration = company_object_or_404(company, Integration, pk=pk, kind=Integration.Kind.HERP)
    if not integration.is_enabled or not integration.herp_api_key:
        messages.error(request, _("連携が停止中か API キーが未設定のため、取得できません。"))
        return redirect("integrations:detail", pk=integration.pk)
    enqueue_on_commit("integrations.tasks.herp_pull_integration", integration_id=integration.pk)
    messages.success(request, _("HERP Hire からの取得を開始しました。結果は最終取得日時と受信ログに表示されます。"))
    return redirect("integrations:detail", pk=integration.pk)


@company_manager_required
@require_POST
def integration_toggle(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    integration = company_object_or_404(company, Integration, pk=pk)
    integration_set_enabled(integration=integration, enabled=not integration.is_enabled, actor=request_user(request))
    if integration.is_enabled:
        messages.success(request, _("連携を再開しました。"))
    else:
        messages.info(request, _("連携を停止しました。停止中に届いた通知は受け付けずに記録します。"))
    return redirect("integrations:detail", pk=integration.pk)


@company_manager_required
@require_POST
def webhook_event_retry_view(request: HttpRequest, company: Company, pk: int, event_pk: int) -> HttpResponse:
    retryable = [WebhookEvent.Status.APPLICANT_MISSING, WebhookEvent.Status.HELD]
    event = company_object_or_404(company, WebhookEvent, pk=event_pk, integration_id=pk, status__in=retryable)
    problem = webhook_event_retry(event=event)
    if problem:
        messages.error(request, _("まだ処理できません: %(reason)s") % {"reason": problem})
    else:
        messages.success(request, _("通知を再処理しました。結果は受信ログの先頭に表示されます。"))
    return redirect("integrations:detail", pk=pk)


@company_manager_required
@require_http_methods(["GET", "POST"])
def api_key_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST" and form.is_valid():
        created = api_key_create(company=company, name=form.cleaned_data["name"], actor=request_user(request))
        _show_once(request, "api_key", created.raw_key)
        messages.success(request, _("API キー「%(name)s」を発行しました。") % {"name": created.api_key.name})
        return redirect("integrations:api_keys")
    return render(
        request,
        "integrations/company/api_keys.html",
        {
            "company": company,
            "form": form,
            "api_keys": company.api_keys.all(),
            "raw_key": _take_once(request, "api_key"),
        },
        status=400 if request.method == "POST" else 200,
    )


@company_manager_required
@require_POST
def api_key_revoke_view(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    api_key = company_object_or_404(company, ApiKey, pk=pk)
    api_key_revoke(api_key=api_key, actor=request_user(request))
    messages.info(request, _("API キー「%(name)s」を無効にしました。") % {"name": api_key.name})
    return redirect("integrations:api_keys")
