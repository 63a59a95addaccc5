"""Periodic jobs for the task worker. `manage.py scheduler` enqueues each job once per slot."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from lib.business_days import is_business_day
from lib.models import ScheduledRun


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task_path: str
    slot: Callable[[datetime], str]


def hourly(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H")


def daily_at_ten(moment: datetime) -> str:
    """One slot a day that opens at 10:00 Tokyo time, so mail to people never goes out in the night."""
    return (timezone.localtime(moment) - timedelta(hours=10)).strftime("%Y-%m-%d")


def every_minute(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def every_ten_minutes(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%dT%H}:{local.minute // 10}0"


def every_five_minutes(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%dT%H}:{local.minute // 5 * 5:02d}"


def first_business_day(year: int, month: int) -> date:
    day = date(year, month, 1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def monthly_on_first_business_day(moment: datetime) -> str:
    """One slot a month that opens at 10:00 Tokyo time on the month's first business day (not a weekend or a
    Japanese holiday, e.g. 2027-01-04 for January 2027). Before that moment the slot is still the previous
    month's, which has already run, so nothing is enqueued on the 1st of a month that starts on a holiday."""
    local = timezone.localtime(moment)
    opens = datetime.combine(first_business_day(local.year, local.month), time(10), tzinfo=local.tzinfo)
    if local >= opens:
        return f"{local:%Y-%m}"
    previous = local.replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}"


JOBS = [
    PeriodicJob(name="expire_credits", task_path="relay.tasks.expire_credits", slot=hourly),
    PeriodicJob(name="count_cooled_referrals", task_path="relay.tasks.count_cooled_referrals", slot=every_ten_minutes),
    PeriodicJob(name="prune_rate_limit_counters", task_path="lib.tasks.prune_rate_limit_counters", slot=hourly),
    PeriodicJob(
        name="expire_unverified_candidates", task_path="candidates.tasks.expire_unverified_candidates", slot=hourly
    ),
    PeriodicJob(name="survey_invitations", task_path="insights.tasks.send_survey_invitations", slot=daily_at_ten),
    PeriodicJob(name="prune_webhook_events", task_path="integrations.tasks.prune_webhook_events", slot=daily_at_ten),
    PeriodicJob(
        name="send_rechallenge_invitations",
        task_path="rechallenge.tasks.send_rechallenge_invitations",
        slot=daily_at_ten,
    ),
    PeriodicJob(name="dispatch_outbox", task_path="mailings.tasks.dispatch_outbox", slot=every_minute),
    PeriodicJob(
        name="send_monthly_reports", task_path="insights.tasks.send_monthly_reports", slot=monthly_on_first_business_day
    ),
    PeriodicJob(
        name="resume_stalled_send_batches",
        task_path="mailings.tasks.resume_stalled_send_batches",
        slot=every_minute,
    ),
    PeriodicJob(name="resume_stuck_imports", task_path="applicants.tasks.resume_stuck_imports", slot=every_minute),
    PeriodicJob(
        name="retry_held_webhook_events",
        task_path="integrations.tasks.retry_held_webhook_events",
        slot=every_ten_minutes,
    ),
    PeriodicJob(name="pull_herp", task_path="integrations.tasks.herp_pull_all", slot=every_five_minutes),
    PeriodicJob(name="recover_abandoned_tasks", task_path="lib.tasks.recover_abandoned_tasks", slot=every_minute),
    PeriodicJob(name="prune_task_results", task_path="lib.tasks.prune_task_results", slot=daily_at_ten),
    PeriodicJob(name="clear_expired_sessions", task_path="lib.tasks.clear_expired_sessions", slot=daily_at_ten),
    PeriodicJob(name="purge_book_snapshots", task_path="placements.tasks.purge_book_snapshots", slot=daily_at_ten),
    PeriodicJob(
        name="expire_entrusted_applicants", task_path="relay.tasks.expire_entrusted_applicants", slot=daily_at_ten
    ),
    PeriodicJob(
        name="purge_provision_records", task_path="placements.tasks.purge_provision_records", slot=daily_at_ten
    ),
]


# A slot's row must outlive the slot, or the scheduler would enqueue it again; older rows are only history.
SCHEDULED_RUN_HISTORY = timedelta(days=7)


def scheduled_runs_prune(
    *, now: datetime | None = None, jobs: list[PeriodicJob] | None = None, keep: timedelta = SCHEDULED_RUN_HISTORY
) -> int:
    """Delete the slot rows older than `keep`, except each job's current slot (a monthly slot stays open for
    weeks: deleting its row would run the job twice). Returns how many rows went."""
    now = now or timezone.now()
    current = Q()
    for job in jobs or JOBS:
        current |= Q(job=job.name, slot=job.slot(now))
    deleted, _ = ScheduledRun.objects.filter(enqueued_at__lt=now - keep).exclude(current).delete()
    return deleted


def enqueue_due_jobs(*, now: datetime | None = None, jobs: list[PeriodicJob] | None = None) -> list[str]:
    now = now or timezone.now()
    enqueued = []
    for job in jobs or JOBS:
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, slot=job.slot(now))
                import_string(job.task_path).enqueue()
        except IntegrityError:
            continue  # another scheduler took this slot
        enqueued.append(job.name)
    return enqueued


# Finished task results are history nobody reads: a success is kept a day, a failure a month (to be looked at).
TASK_SUCCESS_HISTORY = timedelta(days=1)
TASK_FAILURE_HISTORY = timedelta(days=30)


@dataclass(frozen=True)
class PrunedResults:
    database: int
    redis: int


def task_results_prune(
    *,
    now: datetime | None = None,
    successes: timedelta = TASK_SUCCESS_HISTORY,
    failures: timedelta = TASK_FAILURE_HISTORY,
) -> PrunedResults:
    """Delete finished task results: the database backend's rows, and (when RQ is configured) the failed jobs
    RQ would otherwise keep a year (its successes expire on their own after RQ's result TTL of minutes)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    deleted, _ = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - successes)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - failures)
    ).delete()
    return PrunedResults(database=deleted, redis=_rq_results_prune(now=now, successes=successes, failures=failures))


def _rq_results_prune(*, now: datetime, successes: timedelta, failures: timedelta) -> int:
    from django.conf import settings

    if not getattr(settings, "RQ_QUEUES", None):
        return 0
    import django_rq
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    pruned = 0
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        registries = (
            (FinishedJobRegistry(queue=queue), now - successes),
            (FailedJobRegistry(queue=queue), now - failures),
        )
        for registry, cutoff in registries:
            for job in Job.fetch_many(registry.get_job_ids(), connection=queue.connection):
                if job is None:
                    continue
                ended = job.ended_at
                if ended is not None and timezone.is_naive(ended):
                    ended = timezone.make_aware(ended, timezone.get_fixed_timezone(0))
                if ended is not None and ended < cutoff:
                    registry.remove(job, delete_job=True)
                    pruned += 1
    return pruned
