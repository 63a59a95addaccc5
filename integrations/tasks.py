from django_tasks import task

from integrations.services import webhook_events_prune


@task()
def prune_webhook_events() -> int:
    return webhook_events_prune()
