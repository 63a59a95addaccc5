"""Requests carrying NUL (\\x00) in a query parameter, form field or cookie are answered 400 before any view runs:
no database stores NUL (PostgreSQL refuses it with an error), so such a value can only be hostile or broken."""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.html import escape
from django.utils.translation import gettext as _

# Their bodies are JSON, read (and checked) by the webhook and the API themselves; they answer in JSON.
JSON_PREFIXES = ("/api/", "/hooks/")


def _holds_nul(values: Iterable[tuple[str, list[str]]]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values)


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._holds_nul(request):
            message = _("使用できない文字 (NUL) が含まれています。入力内容をご確認のうえ、もう一度お試しください。")
            if request.path.startswith(JSON_PREFIXES):
                return JsonResponse(
                    {"code": "invalid_characters", "message": message},
                    status=400,
                    json_dumps_params={"ensure_ascii": False},
                )
            title = _("入力内容を受け付けられません")
            return HttpResponseBadRequest(
                f'<!doctype html><html lang="ja"><meta charset="utf-8"><title>{escape(title)}</title>'
                f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>",
                content_type="text/html; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request: HttpRequest) -> bool:
        if _holds_nul(request.GET.lists()) or any("\x00" in value for value in request.COOKIES.values()):
            return True
        if request.method != "POST" or request.path.startswith(JSON_PREFIXES):
            return False
        try:
            return _holds_nul(request.POST.lists())
        except MultiPartParserError:
            return False  # an unreadable form: the view sees an empty POST, as it would without this check
