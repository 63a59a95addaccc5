"""Data held for a company (委託, APPI 27条5項1号; DESIGN.md §3 rule 14): what we hold, until when, and its end.

The rejected applicants a company sends (CSV import, ATS webhooks, the HERP pull, the API) are the company's: the
agency holds them only to send that company's mail. They go a contract term
(`Contract.entrusted_data_retention_days`, default 180) after their last mail, or after they arrived if they were
never mailed:
- an applicant who never registered is deleted; their outbox rows keep no address, subject or body
  (`mailings.services.lifecycle.rejection_mails_erase`);
- an applicant who registered through their link keeps the row (its `ref` ties the referral, which counts), but
  its personal fields are wiped the way an ATS erasure wipes them (`applicants.services.applicants_erase`): from
  then on the agency holds the person's own registration, under the person's own consent;
- an applicant with a mail still queued or being sent waits until it has gone;
- the upload behind an import (the file, its preview, its row report) goes after the same term.

This module sits in `relay` because it is the lowest app that sees all three: the applicant (`applicants`), their
mail (`mailings`) and the registration through their link (`relay`). The daily job is
`relay.tasks.expire_entrusted_applicants`; each run is audited as counts per company, never names.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from applicants.models import (
    RETENTION_EARLY,
    RETENTION_EXPIRED,
    Applicant,
    ApplicantImport,
    ApplicantImportFile,
    ImportRowIssue,
)
from applicants.services import applicants_erase
from audit.services import audit_record
from companies.models import Company, Contract
from lib.dates import JST
from mailings.models import OutboundEmail
from mailings.services.lifecycle import EXPIRED_MAIL_SUBJECT, rejection_mails_erase
from relay.models import Referral

BATCH_SIZE = 500
EXPIRY_REASON = RETENTION_EXPIRED
EARLY_REASON = RETENTION_EARLY

Status = OutboundEmail.Status


def retention_days(company: Company) -> int:
    contract = Contract.objects.filter(company=company).first() or Contract(company=company)
    return contract.entrusted_data_retention_days


def entrusted_applicants(company: Company) -> QuerySet[Applicant]:
    """The company's applicants whose personal data we still hold, each with:
    `held_since` (their last delivered mail, else their arrival), `registered` (the person registered through
    their link) and `mail_pending` (a mail of theirs is queued or being sent)."""
    last_sent = (
        OutboundEmail.objects.filter(applicant=OuterRef("pk"), status=Status.SENT, sent_at__isnull=False)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    return (
        Applicant.objects.filter(company=company, erased_at__isnull=True)
        .annotate(
            held_since=Coalesce(Subquery(last_sent), F("created_at")),
            registered=Exists(
                Referral.objects.filter(company_id=OuterRef("company_id"), applicant_ref=OuterRef("ref"))
            ),
            mail_pending=Exists(
                OutboundEmail.objects.filter(applicant=OuterRef("pk"), status__in=[Status.QUEUED, Status.SENDING])
            ),
        )
        .order_by("held_since", "pk")
    )


def _due(company: Company, cutoff: datetime) -> QuerySet[Applicant]:
    return entrusted_applicants(company).filter(Q(held_since__lt=cutoff), Q(mail_pending=False))


@dataclass(frozen=True)
class DueDay:
    day: date
    count: int


@dataclass(frozen=True)
class RetentionSummary:
    """What the company's screen shows: what we hold for it, and until when. Never how many registered: that is
    the people's to tell (insights/selectors/registrations.py), so no figure here depends on it."""

    days: int
    held: int
    never_mailed: int
    mailed: int
    mail_pending: int
    next_days: list[DueDay]


NEXT_DAYS_SHOWN = 5
NEXT_DAYS_LOOKAHEAD = 2000  # the earliest rows read to find the next deletion days


def retention_summary(company: Company) -> RetentionSummary:
    days = retention_days(company)
    held = entrusted_applicants(company)
    mailed = Applicant.objects.filter(
        company=company, erased_at__isnull=True, emails__status=Status.SENT, emails__sent_at__isnull=False
    )
    next_days: dict[date, int] = {}
    annotation = "held_since"  # an annotation of entrusted_applicants, which the type checker cannot see
    for since in held.filter(Q(mail_pending=False)).values_list(annotation, flat=True)[:NEXT_DAYS_LOOKAHEAD]:
        day = max(timezone.localtime(since + timedelta(days=days), JST).date(), timezone.localdate(timezone.now(), JST))
        if day not in next_days and len(next_days) == NEXT_DAYS_SHOWN:
            break
        next_days[day] = next_days.get(day, 0) + 1
    total = held.count()
    mailed_count = mailed.values("pk").distinct().count()
    return RetentionSummary(
        days=days,
        held=total,
        never_mailed=total - mailed_count,
        mailed=mailed_count,
        mail_pending=held.filter(Q(mail_pending=True)).count(),
        next_days=[DueDay(day, count) for day, count in sorted(next_days.items())],
    )


@dataclass(frozen=True)
class Removed:
    deleted: int  # rows deleted (never registered)
    erased: int  # rows kept for the count, personal fields wiped (registered)

    @property
    def total(self) -> int:
        return self.deleted + self.erased


def _remove(company: Company, ids: Collection[int], *, why: str) -> Removed:
    """Delete or wipe these applicants of `company` (one batch, one transaction)."""
    with transaction.atomic():
        chosen = entrusted_applicants(company).filter(Q(mail_pending=False), pk__in=list(ids))
        rows = list(chosen.select_for_update(of=("self",)))
        if not rows:
            return Removed(0, 0)
        rejection_mails_erase(applicant_ids=[row.pk for row in rows], subject=EXPIRED_MAIL_SUBJECT)
        registered = [row for row in rows if getattr(row, "registered", False)]
        erased = applicants_erase(applicants=registered, why=why)
        gone = [row.pk for row in rows if not getattr(row, "registered", False)]
        Applicant.objects.filter(pk__in=gone).delete()
    return Removed(deleted=len(gone), erased=erased)


def _imports_expire(company: Company, cutoff: datetime) -> int:
    """The uploads behind old imports (the file, its preview rows, its row report): the counts stay."""
    old = ApplicantImport.objects.filter(company=company, created_at__lt=cutoff).exclude(
        status=ApplicantImport.Status.RUNNING
    )
    kept = Q(file__isnull=False) | ~Q(preview_rows=[]) | Q(issues__isnull=False)
    ids = list(old.filter(kept).values_list("pk", flat=True).distinct())
    if ids:
        ApplicantImportFile.objects.filter(batch_id__in=ids).delete()
        ImportRowIssue.objects.filter(batch_id__in=ids).delete()
        ApplicantImport.objects.filter(pk__in=ids).update(preview_rows=[])
    return len(ids)


def entrusted_applicants_expire_for(
    *, company: Company, now: datetime | None = None, batch: int = BATCH_SIZE
) -> Removed:
    """Delete (or wipe, for people who registered) one company's applicants held past its retention term, in
    batches of `batch`, and audit the counts."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days(company))
    deleted = erased = 0
    while True:
        ids = list(_due(company, cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        removed = _remove(company, ids, why=EXPIRY_REASON)
        deleted, erased = deleted + removed.deleted, erased + removed.erased
        if removed.total == 0:
            break  # rows changed under us (a mail was queued): the next run looks again
    imports = _imports_expire(company, cutoff)
    if deleted or erased or imports:
        audit_record(
            actor=None,
            actor_label="保管期間の管理(自動)",
            action="applicant.retention_expire",
            company=company,
            detail={"deleted": deleted, "erased": erased, "imports": imports, "days": retention_days(company)},
        )
    return Removed(deleted=deleted, erased=erased)


def entrusted_applicants_expire(*, now: datetime | None = None) -> int:
    """The daily job: every company's applicants past its term. Returns how many rows were deleted or wiped."""
    total = 0
    for company in Company.objects.order_by("pk"):
        total += entrusted_applicants_expire_for(company=company, now=now).total
    return total


def entrusted_applicants_chosen(
    *,
    company: Company,
    older_than_days: int | None = None,
    applicant_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> QuerySet[Applicant]:
    """The applicants the company chose to delete sooner (held longer than `older_than_days`, and/or these ids),
    among its own only; people with a mail still queued or being sent wait until it has gone."""
    now = now or timezone.now()
    chosen = entrusted_applicants(company).filter(Q(mail_pending=False))
    if older_than_days is not None:
        chosen = chosen.filter(Q(held_since__lt=now - timedelta(days=older_than_days)))
    if applicant_ids is not None:
        chosen = chosen.filter(pk__in=list(applicant_ids))
    return chosen


def entrusted_applicants_delete(
    *,
    company: Company,
    actor: User,
    older_than_days: int | None = None,
    applicant_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> Removed:
    """The company asks us to delete sooner (see `entrusted_applicants_chosen`). Audited as counts."""
    chosen = entrusted_applicants_chosen(
        company=company, older_than_days=older_than_days, applicant_ids=applicant_ids, now=now
    )
    ids = list(chosen.values_list("pk", flat=True))
    deleted = erased = 0
    for start in range(0, len(ids), BATCH_SIZE):
        removed = _remove(company, ids[start : start + BATCH_SIZE], why=EARLY_REASON)
        deleted, erased = deleted + removed.deleted, erased + removed.erased
    audit_record(
        actor=actor,
        action="applicant.retention_delete",
        company=company,
        detail={
            "deleted": deleted,
            "erased": erased,
            "older_than_days": older_than_days,
            "chosen": len(applicant_ids) if applicant_ids is not None else None,
        },
    )
    return Removed(deleted=deleted, erased=erased)
