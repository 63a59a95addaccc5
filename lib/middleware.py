"""The site's own middleware.

- RefuseNulMiddleware: requests carrying NUL (\\x00) in a query parameter, form field or cookie are answered 400
  before any view runs: no database stores NUL (PostgreSQL refuses it with an error), so such a value can only
  be hostile or broken.
- PermissionsPolicyMiddleware, NoStoreMiddleware, SessionTimeoutMiddleware: browser hardening (issue 11).
"""

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
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


# Browser hardening -----------------------------------------------------------------------------------------------

# Every powerful browser feature is off: no page of ours films, listens, locates or pays.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
        "browsing-topics",
    )
)

# Pages that show or take personal data whoever asks: the company's and the operator's screens, My Page, the API,
# candidates' token pages (re-challenge, invitation, unsubscribe, password reset) and the development mailbox.
PRIVATE_PREFIXES = (
    "/company/",
    "/ops/",
    "/me/",
    "/api/",
    "/hooks/",
    "/rechallenge/",
    "/invite/",
    "/unsubscribe/",
    "/accounts/",
    "/dev/",
)
# The thanks page after registering names the address the mail went to.
_PRIVATE_PATH = re.compile(r"^/r/[^/]+/thanks/?$")
# The candidate's sign-in key in the session (candidates.session.SESSION_KEY; lib cannot import candidates).
CANDIDATE_SESSION_KEY = "candidate_public_id"


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy to every answer (Django's SecurityMiddleware sets Referrer-Policy, COOP, nosniff)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def holds_personal_data(request: HttpRequest) -> bool:
    """Whether the answer to this request may show someone's personal data, so no cache may keep it."""
    if request.path.startswith(PRIVATE_PREFIXES) or _PRIVATE_PATH.match(request.path):
        return True
    if request.method not in ("GET", "HEAD"):
        return True  # a form shown again after a POST carries what the person typed
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    session = getattr(request, "session", None)
    return session is not None and CANDIDATE_SESSION_KEY in session


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer that may hold personal data: a shared computer's back button, a
    proxy or the browser's disk cache must not keep a company's applicants or a candidate's My Page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if holds_personal_data(request):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response


# Session keys (seconds since the epoch) of when the staff user signed in and when they were last seen.
SESSION_STARTED_KEY = "_staff_session_started"
SESSION_SEEN_KEY = "_staff_session_seen"
# The last-seen time is written at most this often, so a busy page does not write the session every request.
SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class SessionLimits:
    idle: int
    absolute: int


def session_limits(user: Any) -> SessionLimits:
    """Operators see every company's people: 30 minutes idle and 12 hours at most by default; company users
    2 hours idle and the cookie's age (14 days) at most. Both come from settings.SESSION_TIMEOUTS."""
    timeouts: dict[str, dict[str, int]] = settings.SESSION_TIMEOUTS
    audience = "operator" if getattr(user, "is_operator", False) else "company"
    return SessionLimits(**timeouts[audience])


class SessionTimeoutMiddleware:
    """Signs a staff user out after their idle or absolute limit, with a message on the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest, user: Any) -> None:
        session = request.session
        now = int(time.time())
        started = session.setdefault(SESSION_STARTED_KEY, now)
        seen = session.get(SESSION_SEEN_KEY, now)
        limits = session_limits(user)
        idle_over = now - seen > limits.idle
        if idle_over or now - started > limits.absolute:
            logout(request)
            if idle_over:
                message = _(
                    "%(minutes)s 分間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。"
                ) % {"minutes": limits.idle // 60}
            else:
                message = _(
                    "ログインから %(hours)s 時間が経ったため、安全のためログアウトしました。"
                    "もう一度ログインしてください。"
                ) % {"hours": limits.absolute // 3600}
            messages.info(request, message)
            return
        if now - seen >= SEEN_RESOLUTION_SECONDS or SESSION_SEEN_KEY not in session:
            session[SESSION_SEEN_KEY] = now


def session_clock_start(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Connected to `user_logged_in` (lib/apps.py): a sign-in starts both clocks afresh, even when Django keeps
    the session's other data (the same user signing in again)."""
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now
