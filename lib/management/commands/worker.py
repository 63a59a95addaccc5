from django.core.management.base import BaseCommand

from lib.workers import run_database_worker, run_rq_worker, uses_rq


class Command(BaseCommand):
    help = (
        "バックグラウンドタスクのワーカーを起動します(REDIS_URL があれば RQ、なければデータベース)。"
        "データベースや Redis が停止しても終了せず、再試行して復旧を待ちます。"
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--queue", default="default", help="処理するキュー(カンマ区切り)")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="データベースのキューを確認する間隔(秒)。RQ では使いません。"
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="RQ の予約実行スケジューラを同じプロセスで動かしません。"
        )

    def handle(self, *args: object, queue: str = "default", interval: float = 1.0, **options: object) -> None:
        queue_names = [name for name in queue.split(",") if name]
        if uses_rq():
            run_rq_worker(queue_names=queue_names, with_scheduler=not options.get("no_scheduler"))
        else:
            run_database_worker(queue_names=queue_names, interval=interval)
