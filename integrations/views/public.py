"""The ATS webhook endpoint (/hooks/<kind>/<token>/): authenticated by its secret token and signature, not a session."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from integrations.models import Integration
from integrations.webhooks import MAX_BODY_BYTES, webhook_event_receive


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # ATSs sign their requests (HMAC) instead; nothing here relies on a browser session.
def webhook_receive(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    if request.method != "POST":
        response = _json(405, "method_not_allowed", _("POST で送信してください。"))
        response["Allow"] = "POST"
        return response
    integration = (
        None
        if "\x00" in kind + token  # no database stores NUL; no endpoint's token holds one
        else Integration.objects.filter(kind=kind, token=token).select_related("company").first()
    )
    if integration is None or integration.kind == Integration.Kind.HERP:  # HERP is pulled; it posts nothing here
        return _json(404, "not_found", _("この URL の連携はありません。"))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return _json(
            413, "payload_too_large", _("本文が大きすぎます (上限 %(kb)s KB)。") % {"kb": MAX_BODY_BYTES // 1024}
        )
    try:
        body = request.body
    except RequestDataTooBig:
        return _json(
            413, "payload_too_large", _("本文が大きすぎます (上限 %(kb)s KB)。") % {"kb": MAX_BODY_BYTES // 1024}
        )
    delivery = webhook_event_receive(integration=integration, body=body, headers=request.headers)
    return JsonResponse(delivery.body, status=delivery.http_status, json_dumps_params={"ensure_ascii": False})
