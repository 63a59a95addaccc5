from django_tasks import task

from integrations.herp import herp_pull, herp_pull_due
from integrations.services import webhook_events_prune
from integrations.webhooks import webhook_events_retry_held
from lib.tasks import enqueue_on_commit


@task()
def prune_webhook_events() -> int:
    return webhook_events_prune()


@task()
def retry_held_webhook_events() -> int:
    """Lever archives held because Lever's API was down or rate-limited: ask again; returns how many took effect."""
    return webhook_events_retry_held()


@task()
def herp_pull_integration(*, integration_id: int) -> int:
    """Pull one HERP Hire integration's finished candidacies; returns how many took effect."""
    return herp_pull(integration_id=integration_id).logged


@task()
def herp_pull_all() -> int:
    """The periodic job: one pull task per enabled HERP Hire integration (so one tenant's failure stops no other)."""
    due = herp_pull_due()
    for integration_id in due:
        enqueue_on_commit("integrations.tasks.herp_pull_integration", integration_id=integration_id)
    return len(due)
