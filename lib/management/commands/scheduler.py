import time

from django.core.management.base import BaseCommand

from lib.periodic import enqueue_due_jobs


class Command(BaseCommand):
    help = "定期ジョブ(無料紹介枠の期限切れ処理など)をタスクキューに登録し続けます。"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="一度だけ確認して終了します。")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args: object, once: bool = False, interval: int = 60, **options: object) -> None:
        while True:
            for name in enqueue_due_jobs():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
