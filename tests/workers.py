"""The Redis-backed worker (RQ) for tests: a flushed queue and an in-process burst worker."""

import os
from collections.abc import Iterator
from typing import Any

import pytest

RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@pytest.fixture
def rq_queue(settings: Any) -> Iterator[Any]:
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL is not set (scripts/test.sh sets it when Redis answers)")
    import django_rq

    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    settings.TASKS = RQ_TASKS
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield connection
    connection.flushdb()


def run_rq_burst(job_class: str | None = "django_tasks_rq.Job") -> bool:
    """An in-process burst worker (no fork), so mail.outbox and the test database are shared with the test."""
    import django_rq

    worker = django_rq.get_worker("default", job_class=job_class, worker_class="rq.SimpleWorker")
    return bool(worker.work(burst=True))
