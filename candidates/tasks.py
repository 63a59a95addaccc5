from django_tasks import task

from candidates.services import candidates_expire_unverified


@task()
def expire_unverified_candidates() -> int:
    """Hourly: unverified registrations whose 24-hour verification link has expired hold no claim and go."""
    return candidates_expire_unverified()
