from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends


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
