"""Enqueueing background tasks by dotted path, after the surrounding transaction commits.

Services name the task (`"mailings.tasks.dispatch_outbox"`) instead of importing it, so a service never
imports its own app's `tasks.py` (which imports the services) and no import cycle is needed to queue work.
"""

from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import task

from lib.ratelimit import rate_counters_prune


def task_by_path(dotted_path: str) -> Any:
    return import_string(dotted_path)


def enqueue_on_commit(dotted_path: str, *, run_after: Any = None, **kwargs: Any) -> None:
    """Enqueue the task once the current transaction commits (at once outside one). Arguments are ids and
    plain values, never model instances: the worker reads fresh rows. A queue outage is logged, not raised."""

    def enqueue() -> None:
        task = task_by_path(dotted_path)
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue(**kwargs)

    # Robust: an unreachable queue never fails the request whose work is already committed. Every task enqueued
    # here has a row that a periodic sweep finds if the wake-up is lost (imports, send batches, HERP pulls).
    transaction.on_commit(enqueue, robust=True)


def task_alias(dotted_path: str) -> Any:
    """A task kept under its old dotted path for one release, so jobs queued before a move still run."""
    return task_by_path(dotted_path)


@task()
def prune_task_results() -> int:
    """The daily job (lib/periodic.py): finished task results older than their history are deleted."""
    from lib.periodic import task_results_prune

    pruned = task_results_prune()
    return pruned.database + pruned.redis


@task()
def prune_rate_limit_counters() -> int:
    """Counter rows of windows that have ended (the database store; Redis keys expire by themselves)."""
    return rate_counters_prune()
