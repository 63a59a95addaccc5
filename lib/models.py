from django.db import models


class ScheduledRun(models.Model):
    """One row per periodic job and time slot: the unique key makes several schedulers enqueue it once."""

    job = models.CharField(max_length=100)
    slot = models.CharField(max_length=32)
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.job}@{self.slot}"


class RateLimitCounter(models.Model):
    """Attempts in one fixed window for one key (scope + hashed identity), when Redis is not configured.
    Written only by `lib.ratelimit.DatabaseStore` with an atomic upsert; pruned hourly after `expires_at`."""

    key = models.CharField(max_length=120)
    window_start = models.BigIntegerField()  # seconds since the epoch
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_limit_counter_one_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.hits}"


class WorkerHeartbeat(models.Model):
    """A database task worker (`manage.py worker`) says every few seconds that it is alive. A RUNNING task whose
    worker stopped beating was abandoned (the worker was killed): `lib.workers.abandoned_tasks_recover` finds it."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid}) seen {self.seen_at:%H:%M:%S}"
