from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from candidates.models import Candidate
    from companies.models import Company
    from placements.models import JobOrder


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = _("求人・紹介")

    def ready(self) -> None:
        from candidates.models import Candidate
        from companies.models import Company

        post_save.connect(_candidate_saved, sender=Candidate, dispatch_uid="placements.pool_listing_refresh")
        pre_delete.connect(
            _candidate_deleting_keep_provisions, sender=Candidate, dispatch_uid="placements.provision_records_keep"
        )
        post_save.connect(_company_changed, sender=Company, dispatch_uid="placements.pool_roster_saved")
        post_delete.connect(_company_changed, sender=Company, dispatch_uid="placements.pool_roster_deleted")
        # The statutory books keep a deleted order's or person's row for 2 years (rule 15).
        pre_delete.connect(
            _candidate_deleting_keep_book_row, sender=Candidate, dispatch_uid="placements.book_job_seeker"
        )
        from placements.models import JobOrder

        pre_delete.connect(_job_order_deleting, sender=JobOrder, dispatch_uid="placements.book_job_order")


_POOL_SOURCE_FIELDS = frozenset({"name", "furigana", "email", "skills", "career_summary"})


def _candidate_saved(sender: type[Candidate], *, instance: Candidate, raw: bool = False, **kwargs: Any) -> None:
    """The talent pool's redacted copy follows the person's own text (a new text waits for review)."""
    update_fields = kwargs.get("update_fields")
    if raw or (update_fields is not None and not _POOL_SOURCE_FIELDS & set(update_fields)):
        return
    from placements.services.pool import pool_listing_refresh

    pool_listing_refresh(candidate=instance)


def _candidate_deleting_keep_provisions(sender: type[Candidate], *, instance: Candidate, **kwargs: Any) -> None:
    """The account goes, the 第三者提供の記録 stay (named by their snapshot) for 3 more years (DESIGN.md rule 15)."""
    from placements.services.provisions import provision_records_mark_deleted

    provision_records_mark_deleted(candidate=instance)


def _company_changed(sender: type[Company], *, instance: Company, raw: bool = False, **kwargs: Any) -> None:
    """A new, renamed or removed member company: every profile is redacted against the new names (in the
    background; the task does nothing when the names that matter did not change)."""
    if raw:
        return
    from lib.tasks import enqueue_on_commit

    enqueue_on_commit("placements.tasks.pool_listings_redact_again")


def _candidate_deleting_keep_book_row(sender: type[Candidate], *, instance: Candidate, **kwargs: Any) -> None:
    """The statutory 求職管理簿 keeps the person's row for 2 years after the account goes (rule 15)."""
    from placements.services.books import book_snapshot_job_seeker

    book_snapshot_job_seeker(candidate=instance)


def _job_order_deleting(sender: type[JobOrder], *, instance: JobOrder, **kwargs: Any) -> None:
    from placements.services.books import book_snapshot_job_order

    book_snapshot_job_order(job_order=instance)
