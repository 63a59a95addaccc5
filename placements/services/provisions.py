"""第三者提供の記録 and the company's 確認記録 (APPI 29条・30条, DESIGN.md §3 rule 15): writing, keeping, purging.

A disclosure stores who was disclosed (a minimal snapshot), what, to whom (and its name then), on which consent
(its version and exact wording) and by whom. The record outlives the account: deletion only empties
`candidate` and stamps `candidate_deleted_at`; `provision_records_purge` removes a record once
`ProvisionRecord.RETENTION_YEARS` have passed since both the disclosure and the deletion.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from candidates.models import Candidate, Consent
from lib.dates import add_months
from placements.models import Introduction, ProvisionRecord

if TYPE_CHECKING:
    from accounts.models import User


def _consent_relied_on(candidate: Candidate) -> Consent | None:
    """The person's latest decision on the service consent (it must be a yes for a disclosure to happen)."""
    return (
        candidate.consents.filter(kind=Consent.Kind.SERVICE, granted=True)
        .select_related("consent_text")
        .order_by("-created_at", "-id")
        .first()
    )


def provision_record_write(
    *,
    candidate: Candidate,
    introduction: Introduction,
    items: list[str],
    purpose: str,
    actor: User | None,
    actor_label: str,
) -> ProvisionRecord:
    """Record one disclosure to `introduction.company`, with the snapshot the law asks the record to keep."""
    consent = _consent_relied_on(candidate)
    company = introduction.company
    return ProvisionRecord.objects.create(
        candidate=candidate,
        company=company,
        introduction=introduction,
        items=list(items),
        purpose=purpose,
        candidate_name=candidate.name,
        candidate_furigana=candidate.furigana,
        candidate_email=candidate.email,
        company_name=company.name,
        consent=consent,
        consent_version=consent.version if consent else "",
        consent_wording=consent.agreed_text if consent else "",
        consent_at=consent.created_at if consent else None,
        actor=actor,
        actor_label=actor_label,
    )


def provision_records_mark_deleted(*, candidate: Candidate) -> int:
    """The person's account goes: their records stay, named by the snapshot, and their retention clock starts."""
    records = ProvisionRecord.objects.filter(candidate=candidate)
    for record in records.filter(candidate_name=""):  # a record from before snapshots: take one now
        record.candidate_name = candidate.name
        record.candidate_furigana = candidate.furigana
        record.candidate_email = candidate.email
        record.save(update_fields=["candidate_name", "candidate_furigana", "candidate_email"])
    return records.update(candidate_deleted_at=timezone.now())


def provision_retention_cutoff(now: datetime) -> datetime:
    return add_months(now, -12 * ProvisionRecord.RETENTION_YEARS)


def provision_records_purge(*, now: datetime | None = None) -> int:
    """Remove the records whose 3 years have passed since both the disclosure and the person's deletion.

    A record of a person who still has an account is kept; so is any record younger than 3 years.
    """
    cutoff = provision_retention_cutoff(now or timezone.now())
    due = ProvisionRecord.objects.filter(
        candidate__isnull=True, candidate_deleted_at__lte=cutoff, created_at__lte=cutoff
    )
    with transaction.atomic():
        count = due.count()
        if count:
            due.delete()
            audit_record(
                actor=None,
                actor_label="定期処理",
                action="provision_records.purge",
                detail={"count": count, "cutoff": cutoff.isoformat()},
            )
    return count
