from django_tasks import task

from relay.services import credits_expire


@task()
def expire_credits() -> int:
    return credits_expire()
