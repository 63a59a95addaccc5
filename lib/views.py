import logging
import sys

from django.db import DatabaseError, InterfaceError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from redis.exceptions import RedisError

logger = logging.getLogger("career_relay.errors")

# The last resort when even the error template cannot be rendered: still Japanese, never Django's bare English.
PLAIN_ERROR_PAGE = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>キャリアリレー</title></head><body>'
    "<h1>申し訳ございません。ただいまページを表示できません</h1>"
    '<p>お手数ですが、数分おいてからもう一度お試しください。</p><p><a href="/">トップページへ</a></p></body></html>'
)
# A lost database or Redis is temporary: 503 with Retry-After, so browsers, proxies and monitors know to come back.
DEPENDENCY_OUTAGES: tuple[type[BaseException], ...] = (DatabaseError, InterfaceError, RedisError)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except Exception:
        return False


def _task_queue_ok() -> bool:
    try:
        backend_name = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__
        if backend_name == "RQBackend":
            import django_rq

            return bool(django_rq.get_connection("default").ping())
        if backend_name == "DatabaseBackend":
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
        return True
    except Exception:
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 only when the database and the task queue both answer."""
    database, tasks = _database_ok(), _task_queue_ok()
    healthy = database and tasks
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "database": "ok" if database else "error",
            "tasks": "ok" if tasks else "error",
        },
        status=200 if healthy else 503,
    )


def terms(request: HttpRequest):  # type: ignore[no-untyped-def]
    return render(request, "pages/terms.html")


def privacy(request: HttpRequest):  # type: ignore[no-untyped-def]
    return render(request, "pages/privacy.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the Japanese 500 page, or the 503 page when the database or Redis is what failed. Renders no
    context (no request, no database), and falls back to a plain Japanese page if even that fails."""
    error = sys.exc_info()[1]
    outage = isinstance(error, DEPENDENCY_OUTAGES)
    template, status = ("503.html", 503) if outage else ("500.html", 500)
    if outage:
        logger.error("データベースまたは Redis に接続できません: %s (%s)", type(error).__name__, request.path)
    try:
        body = loader.get_template(template).render()
    except Exception:
        logger.exception("error page %s could not be rendered", template)
        body = PLAIN_ERROR_PAGE
    response = HttpResponse(body, status=status)
    if outage:
        response["Retry-After"] = "60"
    return response
