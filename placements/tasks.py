"""The placements app's background tasks: each takes ids and plain values and calls a service."""

from django_tasks import task

from placements.services.books import book_snapshots_purge
from placements.services.pool import pool_listings_redact_again as redact_again
from placements.services.provisions import provision_records_purge


@task()
def pool_listings_redact_again() -> int:
    """Redact the talent pool's profiles again after the member companies' names changed."""
    return redact_again()


@task()
def purge_book_snapshots() -> int:
    """Delete the statutory books' kept rows of deleted orders and people once their 2 years are over."""
    return book_snapshots_purge()


@task()
def purge_provision_records() -> int:
    """Remove the 第三者提供の記録 whose 3 years after the disclosure and the person's deletion have passed."""
    return provision_records_purge()
