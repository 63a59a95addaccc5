"""Keeping the statutory books' rows after their source is deleted (DESIGN.md rule 15), and letting them go after.

`placements/apps.py` calls the two snapshot functions from `pre_delete` of a job order and of a person, so the
snapshot is written in the deleting transaction (a rolled-back deletion leaves no snapshot) while the row and its
relations can still be read.
"""

from datetime import date

from django.db import transaction

from candidates.models import Candidate
from lib.dates import jst_today
from placements.models import BookSnapshot, JobOrder, Placement
from placements.selectors.books import (
    annotated_job_orders,
    job_order_rows_for,
    job_seeker_row,
    keep_until,
)


def book_snapshot_job_order(*, job_order: JobOrder, today: date | None = None) -> BookSnapshot | None:
    """The 求人管理簿 row of an order being deleted (e.g. with its company), kept 2 years from today."""
    jobs = list(annotated_job_orders(JobOrder.objects.filter(pk=job_order.pk)))
    if not jobs:
        return None
    today = today or jst_today()
    row = job_order_rows_for(jobs)[0]
    row["completed_on"] = row["completed_on"] or f"{today:%Y/%m/%d}"
    with transaction.atomic():
        snapshot, _created = BookSnapshot.objects.update_or_create(
            book=BookSnapshot.Book.JOB_ORDERS,
            source_id=job_order.pk,
            defaults={
                "data": row,
                "received_on": jobs[0].created_at.date(),
                "completed_on": today,
                "keep_until": keep_until(today),
            },
        )
    return snapshot


def book_snapshot_job_seeker(*, candidate: Candidate, today: date | None = None) -> BookSnapshot | None:
    """The 求職管理簿 row of a person whose account is being deleted: their record ends today, kept 2 years.

    Only a verified person applied for placement; an unverified registration leaves nothing.
    """
    if candidate.pk is None or candidate.email_verified_at is None:
        return None
    today = today or jst_today()
    row = job_seeker_row(candidate, completed_on=today)
    placement_ids = list(Placement.objects.filter(candidate=candidate).values_list("pk", flat=True))
    with transaction.atomic():
        snapshot, _created = BookSnapshot.objects.update_or_create(
            book=BookSnapshot.Book.JOB_SEEKERS,
            source_id=candidate.pk,
            defaults={
                "data": row,
                "placement_ids": placement_ids,
                "received_on": candidate.email_verified_at.date(),
                "completed_on": today,
                "keep_until": keep_until(today),
            },
        )
    return snapshot


def book_snapshots_purge(*, today: date | None = None) -> int:
    """Delete the kept rows whose 2 years are over (the daily `purge_book_snapshots` job)."""
    deleted, _by_model = BookSnapshot.objects.filter(keep_until__lt=today or jst_today()).delete()
    return deleted
