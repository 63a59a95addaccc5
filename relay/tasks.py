from django_tasks import task

from relay.entrusted import entrusted_applicants_expire
from relay.ledger import credits_expire
from relay.services import referrals_count_cooled


@task()
def expire_credits() -> int:
    return credits_expire()


@task()
def count_cooled_referrals() -> int:
    """Count the referrals whose cooling-off delay has passed and that no admin holds."""
    return referrals_count_cooled()


@task()
def expire_entrusted_applicants() -> int:
    """Delete (or wipe, for people who registered) the applicants held for companies past their retention term."""
    return entrusted_applicants_expire()
