import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from lib.periodic import enqueue_due_jobs, scheduled_runs_prune

PRUNE_EVERY = timedelta(hours=1)


class Command(BaseCommand):
    help = "定期ジョブ(無料紹介枠の期限切れ処理など)をタスクキューに登録し続けます。"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="一度だけ確認して終了します。")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args: object, once: bool = False, interval: int = 60, **options: object) -> None:
        last_prune: datetime | None = None
        while True:
            for name in enqueue_due_jobs():
                self.stdout.write(f"enqueued {name}")
            now = timezone.now()
            if last_prune is None or now - last_prune >= PRUNE_EVERY:
                scheduled_runs_prune(now=now)
                last_prune = now
            if once:
                return
            time.sleep(interval)
