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
    PeriodicJob(name="resume_stuck_imports", task_path="applicants.tasks.resume_stuck_imports", slot=every_ten_minutes),
    PeriodicJob(
        name="retry_held_webhook_events",
        task_path="integrations.tasks.retry_held_webhook_events",
        slot=every_ten_minutes,
    ),
    PeriodicJob(name="pull_herp", task_path="integrations.tasks.herp_pull_all", slot=every_five_minutes),
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
