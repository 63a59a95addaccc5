from django.core.management.base import BaseCommand

from relay.ledger import credits_expire


class Command(BaseCommand):
    help = "有効期限を過ぎた無料紹介枠を失効させます(cron からも実行できます)。"

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"expired {credits_expire()} credit(s)")
