import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from lib.periodic import enqueue_due_jobs, scheduled_runs_prune
from lib.resilience import run_resiliently

PRUNE_EVERY = timedelta(hours=1)


class Command(BaseCommand):
    help = "定期ジョブ(無料紹介枠の期限切れ処理など)をタスクキューに登録し続けます。"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="一度だけ確認して終了します。")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args: object, once: bool = False, interval: int = 60, **options: object) -> None:
        last_prune: list[datetime] = []

        def tick() -> None:
            for name in enqueue_due_jobs():
                self.stdout.write(f"enqueued {name}")
            now = timezone.now()
            if not last_prune or now - last_prune[0] >= PRUNE_EVERY:
                scheduled_runs_prune(now=now)
                last_prune[:] = [now]

        # A database or Redis outage is waited out (each slot is still enqueued once when they return).
        run_resiliently(name="scheduler", tick=tick, sleep=time.sleep, interval=interval, once=once)
