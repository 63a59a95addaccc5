"""The scheduler's slot rows (ScheduledRun) are pruned, without ever letting a still-open slot run twice."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lib.models import ScheduledRun
from lib.periodic import JOBS, enqueue_due_jobs, scheduled_runs_prune

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
MONTHLY = [job for job in JOBS if job.name == "send_monthly_reports"]
EVERY_MINUTE = [job for job in JOBS if job.name == "dispatch_outbox"]


def _age(row_filter: dict[str, str], moment: datetime) -> None:
    ScheduledRun.objects.filter(**row_filter).update(enqueued_at=moment)


@pytest.mark.django_db
def test_it_deletes_slot_rows_older_than_a_week(settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS
    start = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    for minute in range(3):
        enqueue_due_jobs(now=start + timedelta(minutes=minute), jobs=EVERY_MINUTE)
    _age({"slot": "2026-11-02T12:00"}, start - timedelta(days=8))

    deleted = scheduled_runs_prune(now=start + timedelta(minutes=2), jobs=EVERY_MINUTE)

    assert deleted == 1
    assert sorted(ScheduledRun.objects.values_list("slot", flat=True)) == ["2026-11-02T12:01", "2026-11-02T12:02"]


@pytest.mark.django_db
def test_it_keeps_the_open_monthly_slot_so_the_report_is_not_sent_twice(settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS
    opened = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 10:00 JST on November's first business day
    assert enqueue_due_jobs(now=opened, jobs=MONTHLY) == ["send_monthly_reports"]
    three_weeks_later = opened + timedelta(days=21)
    _age({"job": "send_monthly_reports"}, opened)

    assert scheduled_runs_prune(now=three_weeks_later, jobs=MONTHLY) == 0
    assert enqueue_due_jobs(now=three_weeks_later, jobs=MONTHLY) == []


@pytest.mark.django_db
def test_it_prunes_rows_of_jobs_that_no_longer_exist(settings: Any) -> None:
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    ScheduledRun.objects.create(job="retired_job", slot="2026-10-01")
    _age({"job": "retired_job"}, now - timedelta(days=30))

    assert scheduled_runs_prune(now=now) == 1
    assert not ScheduledRun.objects.exists()
