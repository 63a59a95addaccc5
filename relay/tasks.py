from django_tasks import task

from relay.ledger import credits_expire


@task()
def expire_credits() -> int:
    return credits_expire()
