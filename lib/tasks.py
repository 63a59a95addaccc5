"""Enqueueing background tasks by dotted path, after the surrounding transaction commits.

Services name the task (`"mailings.tasks.dispatch_outbox"`) instead of importing it, so a service never
imports its own app's `tasks.py` (which imports the services) and no import cycle is needed to queue work.
"""

import logging
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.module_loading import import_string
from django_tasks import task
from redis.exceptions import RedisError

from lib.ratelimit import rate_counters_prune

# Tasks that may run again after the worker running them was killed (lib/workers.py re-queues them): each is
# idempotent by its ids — it re-reads rows and does only what is still undone. Checked one by one:
# - periodic sweeps that re-read what is due: a second run finds nothing left to do;
# - `dispatch_outbox`: each outbox row is claimed before delivery, a row handed to SMTP is never resent blindly;
# - `applicant_import_run`, `expand_send_batch`, `queue_confirmed_rejection_emails`, `queue_rejection_emails`:
#   resume by chunk / one mail per applicant (an applicant already mailed is left out), so a redone chunk adds
#   nothing;
# - `herp_pull_integration`: events are logged by their HERP id, a second pull applies nothing twice;
# - the daily and monthly mail jobs record each invitation / report once (per person and sequence, per company
#   and month), so a rerun mails nobody twice.
# Not here, so an abandoned run is marked FAILED instead (see NOT_RERUNNABLE_TASKS for why).
RERUNNABLE_TASKS: frozenset[str] = frozenset(
    {
        "applicants.tasks.applicant_import_run",
        "applicants.tasks.resume_stuck_imports",
        "candidates.tasks.expire_unverified_candidates",
        "insights.tasks.send_monthly_reports",
        "insights.tasks.send_survey_invitations",
        "integrations.tasks.herp_pull_all",
        "integrations.tasks.herp_pull_integration",
        "integrations.tasks.prune_webhook_events",
        "integrations.tasks.retry_held_webhook_events",
        "lib.tasks.clear_expired_sessions",
        "lib.tasks.prune_rate_limit_counters",
        "lib.tasks.prune_task_results",
        "lib.tasks.recover_abandoned_tasks",
        "mailings.tasks.dispatch_outbox",
        "mailings.tasks.expand_send_batch",
        "mailings.tasks.queue_confirmed_rejection_emails",
        "mailings.tasks.queue_rejection_emails",
        "mailings.tasks.resume_stalled_send_batches",
        "placements.tasks.pool_listings_redact_again",
        "placements.tasks.purge_book_snapshots",
        "placements.tasks.purge_provision_records",
        "rechallenge.tasks.send_rechallenge_invitations",
        "relay.tasks.count_cooled_referrals",
        "relay.tasks.expire_credits",
        "relay.tasks.expire_entrusted_applicants",
    }
)
NOT_RERUNNABLE_TASKS: dict[str, str] = {
    # Deprecated, kept one release for jobs queued before the outbox: it hands a message to SMTP with no row, so
    # a killed run may already have delivered it and a rerun would send it twice.
    "mailings.tasks.deliver_email": "direct SMTP send without an outbox row",
}


logger = logging.getLogger("career_relay.tasks")

# What an unreachable queue looks like when enqueueing: Redis refused or timed out, or the task table's database.
QUEUE_OUTAGES: tuple[type[BaseException], ...] = (RedisError, DatabaseError, OSError)


def queue_outage_log(dotted_path: str, error: BaseException) -> None:
    """One warning line: the work is in its row already, the periodic sweep picks it up when the queue is back."""
    logger.warning(
        "タスクキューに接続できません (%s: %s)。%s は後で定期処理が実行します (queue unavailable; the sweep runs it)",
        type(error).__name__,
        error,
        dotted_path,
    )


def task_by_path(dotted_path: str) -> Any:
    return import_string(dotted_path)


def enqueue_on_commit(dotted_path: str, *, run_after: Any = None, **kwargs: Any) -> None:
    """Enqueue the task once the current transaction commits (at once outside one). Arguments are ids and
    plain values, never model instances: the worker reads fresh rows. A queue outage is logged, not raised."""

    def enqueue() -> None:
        task = task_by_path(dotted_path)
        if run_after is not None:
            task = task.using(run_after=run_after)
        try:
            task.enqueue(**kwargs)
        except QUEUE_OUTAGES as error:
            queue_outage_log(dotted_path, error)

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


@task()
def clear_expired_sessions() -> None:
    """The daily job (lib/periodic.py): signed-in sessions past their expiry go, as `manage.py clearsessions` does;
    without it the session table only grows (staff and candidates sign in every day)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@task()
def recover_abandoned_tasks() -> int:
    """Every minute (lib/periodic.py): tasks left RUNNING by a killed worker are queued again or marked failed."""
    from lib.workers import abandoned_tasks_recover

    recovered = abandoned_tasks_recover()
    return len(recovered.rerun) + len(recovered.failed)
