"""/healthz for the load balancer: 200 only when the database and the task queue both answer."""

import os
from typing import Any

import pytest
from django.test import Client

import lib.views


@pytest.mark.django_db
def test_it_reports_ok_when_database_and_tasks_answer(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}


@pytest.mark.django_db
def test_it_reports_ok_with_the_database_task_backend(client: Client, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}


@pytest.mark.django_db
def test_it_answers_503_when_the_database_check_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lib.views, "_database_ok", lambda: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "tasks": "ok"}


@pytest.mark.django_db
def test_it_answers_503_when_the_task_queue_check_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lib.views, "_task_queue_ok", lambda: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "tasks": "error"}


@pytest.mark.django_db
def test_it_answers_503_when_the_redis_queue_is_unreachable(client: Client, settings: Any) -> None:
    """A real failed ping: an RQ backend pointed at a port where no Redis listens."""
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "tasks": "error"}


@pytest.mark.redis
@pytest.mark.django_db
def test_it_reports_ok_when_the_redis_queue_answers(client: Client, settings: Any) -> None:
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL is not set")
    settings.RQ_QUEUES = {"default": {"URL": url}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}


def test_it_reports_a_failing_database_query_as_not_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database probe itself turns a connection error into False rather than a 500."""

    class BrokenConnection:
        def cursor(self) -> Any:
            raise OSError("connection refused")

    monkeypatch.setattr(lib.views, "connection", BrokenConnection())

    assert lib.views._database_ok() is False


@pytest.mark.django_db
def test_it_does_not_need_a_signed_in_user(client: Client) -> None:
    response = client.get("/healthz", follow=False)

    assert response.status_code == 200
    assert "Location" not in response
