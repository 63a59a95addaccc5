"""The task worker that outlives its dependencies, and the sweep that finds the tasks a killed worker abandoned.

`manage.py worker` runs the library's worker (django-tasks' database worker, or RQ's when `REDIS_URL` is set)
inside `lib.resilience.run_resiliently`: when the database or Redis goes away the worker is not left dead; the
loop logs 「Redis に接続できません … 再試行します」, waits with back-off and starts the library's worker again, and
logs 「接続が回復しました」 once it runs.

A worker killed mid-task (SIGKILL, OOM, a lost machine) leaves its task RUNNING for ever. The database worker beats
a `WorkerHeartbeat` row every `HEARTBEAT_EVERY` seconds; RQ keeps its own execution heartbeat. The every-minute job
`recover_abandoned_tasks` (lib/periodic.py) calls `abandoned_tasks_recover`: a RUNNING row whose worker has not
beaten for `HEARTBEAT_STALE_AFTER` is put back in the queue when its task is in `lib.tasks.RERUNNABLE_TASKS`, or
marked FAILED with the reason (`TaskAbandoned`) otherwise. RQ's abandoned executions are handed to RQ's own
`StartedJobRegistry.cleanup` (which moves them to the failed registry) and the rerunnable ones are requeued.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from lib.resilience import OUTAGES, Backoff, run_resiliently

logger = logging.getLogger("career_relay.worker")

# A beat every 10 s; a worker silent for 45 s is gone. With the sweep every minute a killed worker's task is
# found within 45 + 60 s.
HEARTBEAT_EVERY = 10.0
HEARTBEAT_STALE_AFTER = timedelta(seconds=45)
# A RUNNING row claimed by a worker that never beat (a plain `db_worker`, not `manage.py worker`) is abandoned
# only after this long: such a worker cannot be told apart from one that is alive and busy.
UNKNOWN_WORKER_RUNNING_LIMIT = timedelta(hours=1)
# Heartbeat rows of workers gone this long are history.
HEARTBEAT_HISTORY = timedelta(days=1)
# RQ's work horse is watched this often; its execution expires `RQ_JOB_MONITORING_INTERVAL + 60` s after the
# last beat, so a killed RQ worker's job is found within about two minutes too.
RQ_JOB_MONITORING_INTERVAL = 10


class TaskAbandoned(Exception):
    """Recorded on a task row whose worker died while running it and that is not safe to run again."""


class WorkerStopped(Exception):
    """The library's worker returned because it was asked to stop (SIGTERM, SIGINT): the process ends."""


class WorkerLoopEnded(Exception):
    """RQ's loop ended without a stop request (RQ quits on an error it does not handle): start a fresh worker."""


def worker_identity() -> str:
    """`host:pid:random`, at most 64 characters (django-tasks' limit), unique across the pool."""
    host = socket.gethostname()[:40]
    return f"{host}:{os.getpid()}:{get_random_string(8)}"


class Heartbeat:
    """A thread that writes `WorkerHeartbeat` every `every` seconds until stopped; an outage is logged once."""

    def __init__(self, worker_id: str, *, every: float = HEARTBEAT_EVERY) -> None:
        self.worker_id, self.every = worker_id, every
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {worker_id}", daemon=True)
        self._failing = False

    def beat(self) -> None:
        from lib.models import WorkerHeartbeat

        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": self.started_at,
                "seen_at": timezone.now(),
            },
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
                if self._failing:
                    logger.warning("worker heartbeat: データベースへの接続が回復しました")
                    self._failing = False
            except OUTAGES as error:
                if not self._failing:
                    logger.warning(
                        "worker heartbeat: データベースに接続できません (%s)。再試行します", type(error).__name__
                    )
                self._failing = True
            finally:
                connection.close()  # this thread's own connection; a broken one is never reused
            self._stop.wait(self.every)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and remove the row: a worker that stopped cleanly left nothing running."""
        from lib.models import WorkerHeartbeat

        self._stop.set()
        self._thread.join(timeout=self.every + 5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except OUTAGES:
            logger.warning("worker heartbeat: row of %s left behind (database unavailable)", self.worker_id)


def _run_worker_loop(
    *, name: str, tick: Callable[[], None], backoff: Backoff, outages: tuple[type[BaseException], ...]
) -> None:
    try:
        run_resiliently(name=name, tick=tick, sleep=time.sleep, interval=0, backoff=backoff, outages=outages)
    except WorkerStopped:
        logger.info("%s: stopped on request", name)


def sweeps_enqueue() -> list[str]:
    """Enqueue the every-minute sweeps (lib/periodic.py: outbox, stalled send batches, stuck imports, abandoned
    tasks) now. A worker does this each time it (re)starts: after a kill, a crash or an outage, the mail, batches
    and imports left behind carry on within seconds instead of at the next minute's slot. The sweeps may run any
    time (RERUNNABLE_TASKS); a queue outage is logged, as every enqueue's."""
    from lib.periodic import JOBS, every_minute
    from lib.tasks import QUEUE_OUTAGES, queue_outage_log, task_by_path

    enqueued = []
    for job in JOBS:
        if job.slot is not every_minute:
            continue
        try:
            task_by_path(job.task_path).enqueue()
        except QUEUE_OUTAGES as error:
            queue_outage_log(job.task_path, error)
        else:
            enqueued.append(job.task_path)
    return enqueued


def run_database_worker(
    *, queue_names: list[str], interval: float, backend_name: str = "default", worker_id: str | None = None
) -> None:
    """django-tasks' database worker, restarted with back-off after a lost database, with a heartbeat."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker_id = worker_id or worker_identity()
    heartbeat = Heartbeat(worker_id)
    heartbeat.start()
    logger.info("worker %s: database queue %s", worker_id, ",".join(queue_names))
    backoff = Backoff(first=1, ceiling=30)

    def tick() -> None:
        # A task this worker was running when the database went away is still RUNNING under its id: this process
        # runs nothing now, so it is recovered like any abandoned task before new work is taken.
        abandoned_tasks_recover(worker_ids={worker_id})
        backoff.recovered("worker")  # the database answered: say so now, the library's loop runs for long
        sweeps_enqueue()
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=False,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()  # SIGTERM: finish the current task, then exit (sys.exit when idle)
        worker.run()
        raise WorkerStopped

    try:
        _run_worker_loop(name="worker", tick=tick, backoff=backoff, outages=OUTAGES)
    finally:
        heartbeat.stop()


def rq_worker_make(queue_names: list[str], *, worker_class: str | None = None) -> Any:
    """The RQ worker `manage.py worker` runs: django_tasks_rq's job class, a job monitored often enough that a
    killed worker's job is noticed soon (`RQ_JOB_MONITORING_INTERVAL`)."""
    import django_rq

    return django_rq.get_worker(
        *queue_names,
        job_class="django_tasks_rq.Job",
        worker_class=worker_class,
        job_monitoring_interval=RQ_JOB_MONITORING_INTERVAL,
    )


def run_rq_worker(*, queue_names: list[str], with_scheduler: bool = True) -> None:
    """RQ's worker (django_tasks_rq's job class), started again with back-off whenever its loop ends on a lost
    Redis (RQ itself retries a lost Redis while it waits for a job, but quits when Redis goes away mid-job)."""
    from rq.exceptions import StopRequested

    backoff = Backoff(first=1, ceiling=30)

    def tick() -> None:
        worker = rq_worker_make(queue_names)
        worker.connection.ping()
        backoff.recovered("worker")  # Redis answered: say so now, RQ's loop runs for long
        sweeps_enqueue()
        worker.work(with_scheduler=with_scheduler)
        if worker._stop_requested:
            raise WorkerStopped
        worker.connection.ping()  # raises when Redis is what ended the loop
        raise WorkerLoopEnded("RQ's worker loop ended without a stop request")

    try:
        _run_worker_loop(name="worker", tick=tick, backoff=backoff, outages=(*OUTAGES, WorkerLoopEnded))
    except StopRequested:  # SIGTERM while waiting out an outage: RQ's handler of the last worker raised it
        logger.info("worker: stopped on request")


def uses_rq() -> bool:
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return backend.startswith("django_tasks_rq") and bool(getattr(settings, "RQ_QUEUES", None))


@dataclass
class Recovered:
    """What one sweep did: dotted task paths put back in the queue, and those marked FAILED."""

    rerun: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _is_rerunnable(task_path: str) -> bool:
    from lib.tasks import RERUNNABLE_TASKS

    return task_path in RERUNNABLE_TASKS


def abandoned_tasks_recover(*, now: datetime | None = None, worker_ids: set[str] | None = None) -> Recovered:
    """Find RUNNING tasks whose worker is gone; re-queue the rerunnable ones, fail the others with a reason.

    With `worker_ids`, only those workers' rows, and without waiting for their heartbeat to go stale (the worker
    itself says it runs nothing)."""
    recovered = Recovered()
    now = now or timezone.now()
    _database_recover(now=now, worker_ids=worker_ids, recovered=recovered)
    if worker_ids is None and uses_rq():
        _rq_recover(now=now, recovered=recovered)
    for path in recovered.rerun:
        logger.warning("abandoned task %s: its worker is gone; queued again", path)
    for path in recovered.failed:
        logger.error("abandoned task %s: its worker is gone; marked failed (not safe to run twice)", path)
    return recovered


def _abandoned_reason(row: Any, *, now: datetime, beats: dict[str, datetime]) -> str | None:
    worker_id = row.worker_ids[-1] if row.worker_ids else ""
    seen = beats.get(worker_id)
    if seen is None:
        if row.started_at < now - UNKNOWN_WORKER_RUNNING_LIMIT:
            started = f"{row.started_at:%Y-%m-%d %H:%M:%S%z}"
            return f"worker {worker_id or '(unknown)'} never reported a heartbeat and the task started {started}"
        return None
    if seen < now - HEARTBEAT_STALE_AFTER:
        return f"worker {worker_id} stopped its heartbeat at {seen:%Y-%m-%d %H:%M:%S%z}"
    return None


def _database_recover(*, now: datetime, worker_ids: set[str] | None, recovered: Recovered) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from lib.models import WorkerHeartbeat

    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    if worker_ids is None:
        running = running.filter(started_at__lt=now - HEARTBEAT_STALE_AFTER)
        beats = dict(WorkerHeartbeat.objects.values_list("worker_id", "seen_at"))
    for row in running.order_by("started_at"):
        if worker_ids is not None:
            if not row.worker_ids or row.worker_ids[-1] not in worker_ids:
                continue
            reason: str | None = f"worker {row.worker_ids[-1]} lost its database connection while running it"
        else:
            reason = _abandoned_reason(row, now=now, beats=beats)
        if reason is None:
            continue
        claimed = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at)
        if _is_rerunnable(row.task_path):
            # Back to READY under the same id: the next free worker runs it again (the task is idempotent by id).
            if claimed.update(status=TaskResultStatus.READY, started_at=None):
                recovered.rerun.append(row.task_path)
        elif claimed.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{TaskAbandoned.__module__}.{TaskAbandoned.__qualname__}",
            traceback=f"TaskAbandoned: {reason}; not run again because {row.task_path} is not in "
            "lib.tasks.RERUNNABLE_TASKS (running it twice could repeat its effect)\n",
        ):
            recovered.failed.append(row.task_path)
    if worker_ids is None:
        WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_HISTORY).delete()


def _rq_recover(*, now: datetime, recovered: Recovered) -> None:
    import django_rq
    from rq.job import Job
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name, job_class="django_tasks_rq.Job")
        started = StartedJobRegistry(queue=queue)
        expired = started.get_expired_job_ids(now.timestamp())
        if not expired:
            continue
        started.cleanup(now.timestamp())  # RQ's own: retried, or moved to the failed registry
        failed = FailedJobRegistry(queue=queue)
        for job in Job.fetch_many(expired, connection=queue.connection):
            if job is None or not job.is_failed:
                continue
            if _is_rerunnable(job.func_name or ""):
                failed.requeue(job.id)
                recovered.rerun.append(job.func_name or "")
            else:
                recovered.failed.append(job.func_name or "")
