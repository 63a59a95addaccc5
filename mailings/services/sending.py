"""Sending rejection emails from a screen: who will be mailed with which template, who is skipped and why, and
when each email goes. A person confirms the plan; the send queues exactly that, checking everyone again."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from applicants.services import applicant_link_exported
from audit.services import audit_record
from companies.models import Company, RelayLink
from lib.csvsafe import csv_safe
from lib.errors import RuleRefused
from lib.jatext import email_address_valid
from lib.tasks import enqueue_on_commit
from mailings.models import OutboundEmail, RejectionTemplate, SendBatch, TemplateVersion
from mailings.selectors import TemplateChooser
from mailings.services.outbox import (
    applicant_personal_url,
    business_days_send_time,
    mail_settings_refusal,
    rejection_date_implausible,
    rejection_email_queue,
    rejection_idempotency_key,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # accounts sits above this app: an actor is only named, never looked up here
    from accounts.models import User


class When:
    NOW = "now"
    AT = "at"
    BUSINESS_DAYS = "business_days"
    CHOICES = [
        (NOW, _("今すぐ送信する")),
        (AT, _("日時を指定して送信する")),
        (BUSINESS_DAYS, _("不採用日から指定の営業日後に送信する")),
    ]


@dataclass(frozen=True)
class Schedule:
    when: str
    at: datetime | None = None
    business_days: int = 0
    send_time: time = time(10, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "at": self.at.isoformat() if self.at else None,
            "business_days": self.business_days,
            "send_time": self.send_time.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schedule:
        return cls(
            when=data["when"],
            at=datetime.fromisoformat(data["at"]) if data.get("at") else None,
            business_days=int(data.get("business_days") or 0),
            send_time=time.fromisoformat(data.get("send_time") or "10:00"),
        )

    def send_after_for(self, applicant: Applicant, *, now: datetime) -> datetime:
        if self.when == When.AT and self.at is not None:
            return max(self.at, now)
        if self.when == When.BUSINESS_DAYS:
            # Applicants imported without a rejection date are counted from the day they were imported.
            return business_days_send_time(
                rejected_at=applicant.rejected_at or applicant.created_at,
                business_days=self.business_days,
                send_time=self.send_time,
            )
        return now


# SQLite refuses statements with more than 32,766 parameters; an import can hold more applicants than that.
LOOKUP_CHUNK = 5000


def applicants_by_ids(*, company: Company, ids: list[int]) -> list[Applicant]:
    found: list[Applicant] = []
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        found.extend(Applicant.objects.filter(company=company, pk__in=chunk).select_related("reason"))
    return sorted(found, key=lambda applicant: applicant.pk)


@dataclass(frozen=True)
class Skipped:
    applicant: Applicant
    reason: str


@dataclass(frozen=True)
class Assignment:
    """One rejection mail a person confirmed: who gets which saved text (versions never change)."""

    applicant: Applicant
    version: TemplateVersion


@dataclass
class TemplateGroup:
    """The recipients who get one template, as the confirmation screen shows them."""

    template: RejectionTemplate
    version: TemplateVersion
    applicants: list[Applicant] = field(default_factory=list)


@dataclass
class SendingPlan:
    """Who will be mailed with which text, who is dated implausibly (mailed only if ticked), who not and why."""

    assignments: list[Assignment] = field(default_factory=list)
    dated: list[Assignment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    not_found: int = 0

    @property
    def eligible(self) -> list[Applicant]:
        return [assignment.applicant for assignment in self.assignments]

    def confirmed(self, dated_ids: Iterable[int] = ()) -> list[Assignment]:
        """What a confirmation sends: everyone planned, and of the implausibly dated only those ticked."""
        ticked = set(dated_ids)
        return [*self.assignments, *(a for a in self.dated if a.applicant.pk in ticked)]

    def groups(self) -> list[TemplateGroup]:
        return assignment_groups(self.assignments)

    def fingerprint(self) -> str:
        """Changes whenever who gets which text changes: a send confirms exactly what the screen showed."""
        pairs = {
            "send": [[a.applicant.pk, a.version.pk] for a in self.assignments],
            "dated": [[a.applicant.pk, a.version.pk] for a in self.dated],
        }
        return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()[:32]


def assignment_groups(assignments: Iterable[Assignment]) -> list[TemplateGroup]:
    """Assignments by template, in the stage order of the template list (then by name)."""
    groups: dict[int, TemplateGroup] = {}
    for assignment in assignments:
        version = assignment.version
        group = groups.setdefault(version.pk, TemplateGroup(template=version.template, version=version))
        group.applicants.append(assignment.applicant)
    stages = list(Applicant.Stage.values)
    return sorted(
        groups.values(),
        key=lambda g: (stages.index(g.template.stage) if g.template.stage in stages else len(stages), g.template.name),
    )


def _already_created(applicants: list[Applicant]) -> dict[int, str]:
    """Applicant id -> status of the rejection mail already made for them."""
    keys = {rejection_idempotency_key(a): a.pk for a in applicants}
    key_list = list(keys)
    existing: dict[int, str] = {}
    for start in range(0, len(key_list), LOOKUP_CHUNK):
        rows = OutboundEmail.objects.filter(idempotency_key__in=key_list[start : start + LOOKUP_CHUNK])
        for key, status in rows.values_list("idempotency_key", "status"):
            existing[keys[key]] = status
    return existing


def _address_problem(applicant: Applicant) -> str | None:
    if not applicant.email:
        return gettext("メールアドレスが登録されていません。")
    if not email_address_valid(applicant.email):
        return gettext("メールアドレスの形式が正しくありません。")
    return None


def _not_mailable(applicant: Applicant, existing: dict[int, str]) -> str | None:
    """Why this applicant gets no rejection mail now (whoever confirmed what): None when one may go."""
    if applicant.pk in existing:
        status = dict(OutboundEmail.Status.choices).get(existing[applicant.pk], existing[applicant.pk])
        return gettext("お祈りメールは作成済みです(状態: %(status)s)。") % {"status": status}
    return applicant.mail_refusal or _address_problem(applicant)


def sending_plan(
    *, company: Company, applicants: Iterable[Applicant], requested: int | None = None, now: datetime | None = None
) -> SendingPlan:
    """Split the chosen applicants into those who will be mailed (each with their own template), those dated in
    the future or more than 90 days ago (mailed only if a person ticks them), and those skipped, with reasons."""
    now = now or timezone.now()
    applicants = [a for a in applicants if a.company_id == company.pk]
    for applicant in applicants:
        applicant.company = company  # one instance for the batch: its mail settings are read once
    existing = _already_created(applicants)
    chooser = TemplateChooser(company)
    plan = SendingPlan(not_found=max((requested or 0) - len(applicants), 0))
    for applicant in applicants:
        reason = _not_mailable(applicant, existing)
        if reason is not None:
            plan.skipped.append(Skipped(applicant, reason))
            continue
        choice = chooser.choose(applicant)
        if choice is None:
            reason = gettext(
                "選考段階「%(stage)s」・採用区分「%(track)s」に使えるテンプレートがありません。"
                "テンプレートを作成するか、自動送信ルールで送るテンプレートを指定してください。"
            ) % {"stage": applicant.get_stage_display(), "track": applicant.get_track_display()}
            plan.skipped.append(Skipped(applicant, reason))
            continue
        assignment = Assignment(applicant, choice.version)
        if applicant.rejected_at is not None and rejection_date_implausible(rejected_at=applicant.rejected_at, now=now):
            plan.dated.append(assignment)
        else:
            plan.assignments.append(assignment)
    return plan


class MailNotReady(RuleRefused):
    """The company has not signed its mail yet (sender name, signature, reply-to): nothing is sent."""


@dataclass(frozen=True)
class SendResult:
    queued: int
    first_send_after: datetime | None
    left_out: int = 0  # confirmed, but no longer mailable when it was sent (hired, withdrew, already mailed…)


def _queue_assignments(
    *,
    company: Company,
    assignments: Sequence[Assignment],
    link: RelayLink,
    schedule: Schedule,
    actor: User | None,
    now: datetime,
) -> tuple[list[OutboundEmail], int, set[int]]:
    """Queue each confirmed mail that may still go (everyone re-checked now); (queued, left out, versions used)."""
    fresh = {a.pk: a for a in applicants_by_ids(company=company, ids=[a.applicant.pk for a in assignments])}
    for reloaded in fresh.values():
        reloaded.company = company
    existing = _already_created(list(fresh.values()))
    queued: list[OutboundEmail] = []
    left_out = 0
    versions: set[int] = set()
    for assignment in assignments:
        applicant = fresh.get(assignment.applicant.pk)
        version = assignment.version
        if applicant is None or version.template.company_id != company.pk:
            left_out += 1
            continue
        if _not_mailable(applicant, existing) is not None:
            left_out += 1
            continue
        email = rejection_email_queue(
            applicant=applicant,
            version=version,
            send_after=schedule.send_after_for(applicant, now=now),
            link=link,
            actor=actor,
        )
        if email is not None:
            queued.append(email)
            versions.add(version.pk)
    return queued, left_out, versions


def rejection_emails_send_confirmed(
    *,
    company: Company,
    assignments: Sequence[Assignment],
    link: RelayLink,
    schedule: Schedule,
    actor: User,
) -> SendResult:
    """Queue exactly the confirmed mails, all or nothing, then send on commit.

    Everyone is checked again now: an applicant hired, withdrawn, closed, held or already mailed since the
    confirmation is left out, and no text of another company is ever used. Refused outright (MailNotReady)
    while the company's sender name, signature or reply-to is missing."""
    refusal = mail_settings_refusal(company)
    if refusal is not None:
        raise MailNotReady(refusal)
    if link.company_id != company.pk:
        raise ValueError("the relay link must belong to the company")
    now = timezone.now()
    with transaction.atomic():
        queued, left_out, versions = _queue_assignments(
            company=company, assignments=assignments, link=link, schedule=schedule, actor=actor, now=now
        )
        audit_record(
            actor=actor,
            action="rejection_email.queue",
            company=company,
            detail={
                "count": len(queued),
                "left_out": left_out,
                "versions": sorted(versions),
                "when": schedule.when,
                "link": link.code,
            },
        )
    first = min((email.send_after for email in queued), default=None)
    return SendResult(queued=len(queued), first_send_after=first, left_out=left_out)


def rejection_emails_send(
    *,
    company: Company,
    applicants: list[Applicant],
    version: TemplateVersion,
    link: RelayLink,
    schedule: Schedule,
    actor: User,
) -> SendResult:
    """One text to every applicant: for the demo and the benchmark, and for jobs queued before each applicant got
    their own template. The same checks as a confirmed send: nobody who may not be mailed is mailed."""
    return rejection_emails_send_confirmed(
        company=company,
        assignments=[Assignment(applicant, version) for applicant in applicants],
        link=link,
        schedule=schedule,
        actor=actor,
    )


# Up to this many emails the request expands its batch itself; above it the worker does, chunk by chunk.
BACKGROUND_THRESHOLD = 300
SEND_BATCH_CHUNK = 500


def _assignments_from_ids(*, company: Company, pairs: Sequence[Sequence[int]]) -> list[Assignment]:
    """[applicant id, version id] pairs of this company only: another company's ids are dropped."""
    versions = {
        version.pk: version
        for version in TemplateVersion.objects.filter(
            template__company=company, pk__in={pair[1] for pair in pairs}
        ).select_related("template")
    }
    applicants = {a.pk: a for a in applicants_by_ids(company=company, ids=[pair[0] for pair in pairs])}
    return [
        Assignment(applicants[applicant_id], versions[version_id])
        for applicant_id, version_id in pairs
        if applicant_id in applicants and version_id in versions
    ]


@transaction.atomic
def send_batch_create(
    *,
    company: Company,
    assignments: Sequence[Assignment],
    link: RelayLink,
    schedule: Schedule,
    actor: User,
    in_request: bool = False,
) -> SendBatch:
    """Record a confirmed send of any size in the request that confirmed it; the worker expands it into outbox rows.

    The row is the promise: whatever happens to the worker or the queue afterwards, the per-minute sweep finds an
    unfinished batch and carries it on (send_batches_resume_stalled)."""
    refusal = mail_settings_refusal(company)
    if refusal is not None:
        raise MailNotReady(refusal)
    if link.company_id != company.pk:
        raise ValueError("the relay link must belong to the company")
    batch = SendBatch.objects.create(
        company=company,
        link=link,
        created_by=actor,
        assignments=[[a.applicant.pk, a.version.pk] for a in assignments],
        schedule=schedule.to_json(),
        total=len(assignments),
        heartbeat_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="send_batch.create",
        target=batch,
        company=company,
        detail={"count": batch.total, "when": schedule.when, "link": link.code},
    )
    if not in_request:  # a small send is expanded by the request itself, right after this commits
        enqueue_on_commit("mailings.tasks.expand_send_batch", batch_id=batch.pk)
    return batch


def _send_batch_finish(batch: SendBatch, *, status: str, error: str = "") -> SendBatch:
    batch.status, batch.error, batch.finished_at = status, error, timezone.now()
    batch.save(update_fields=["status", "error", "finished_at"])
    if status == SendBatch.Status.DONE:
        # The same record a send has always left, now once the whole batch is in the outbox.
        audit_record(
            actor=batch.created_by,
            action="rejection_email.queue",
            target=batch,
            company=batch.company,
            detail={
                "count": batch.queued_count,
                "left_out": batch.left_out_count,
                "versions": sorted(batch.versions_used),
                "when": batch.schedule.get("when", ""),
                "link": batch.link.code,
            },
        )
    else:
        audit_record(
            actor=None, action="send_batch.failed", target=batch, company=batch.company, detail={"error": error}
        )
    return batch


def send_batch_expand(*, batch_id: int, chunk_size: int = SEND_BATCH_CHUNK, max_chunks: int | None = None) -> SendBatch:
    """Turn the next chunks of a batch into outbox rows, committing progress after each chunk.

    Idempotent: a chunk redone after a crash adds nothing (one rejection mail per applicant), and two workers on
    one batch take its row lock in turn. Everyone is checked again as their chunk runs. Refused as a whole
    (FAILED, with the reason on the screen) if the sender settings were cleared after the confirmation."""
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        with transaction.atomic():
            batch = SendBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != SendBatch.Status.PENDING:
                return batch
            if batch.next_index >= batch.total:
                return _send_batch_finish(batch, status=SendBatch.Status.DONE)
            refusal = mail_settings_refusal(batch.company)
            if refusal is not None:
                return _send_batch_finish(batch, status=SendBatch.Status.FAILED, error=refusal)
            pairs = batch.assignments[batch.next_index : batch.next_index + chunk_size]
            confirmed = _assignments_from_ids(company=batch.company, pairs=pairs)
            queued, left_out, versions = _queue_assignments(
                company=batch.company,
                assignments=confirmed,
                link=batch.link,
                schedule=Schedule.from_json(batch.schedule),
                actor=batch.created_by,
                now=batch.created_at,  # "now" means when the person confirmed, however late a resume runs
            )
            batch.versions_used = sorted(set(batch.versions_used) | versions)
            batch.next_index = min(batch.next_index + chunk_size, batch.total)
            batch.queued_count += len(queued)
            batch.left_out_count += left_out + len(pairs) - len(confirmed)
            batch.heartbeat_at = timezone.now()
            batch.save(update_fields=["next_index", "queued_count", "left_out_count", "versions_used", "heartbeat_at"])
        chunks += 1
    return SendBatch.objects.get(pk=batch_id)


def send_batches_resume_stalled(*, now: datetime | None = None) -> int:
    """Wake the expansion of every unfinished batch that made no progress for a while (its worker or its wake-up
    was lost); the heartbeat moves on so that one batch is woken once per silent minute."""
    now = now or timezone.now()
    resumed = 0
    stalled = SendBatch.objects.filter(
        status=SendBatch.Status.PENDING, heartbeat_at__lt=now - SendBatch.STALLED_AFTER
    ).values_list("pk", flat=True)
    for batch_id in stalled:
        if SendBatch.objects.filter(pk=batch_id, status=SendBatch.Status.PENDING).update(heartbeat_at=now):
            logger.warning("resuming stalled send batch %s", batch_id)
            enqueue_on_commit("mailings.tasks.expand_send_batch", batch_id=batch_id)
            resumed += 1
    return resumed


def rejection_emails_send_ids(
    *,
    company: Company,
    assignments: Sequence[Sequence[int]],
    link_id: int,
    schedule: dict[str, Any],
    actor: User,
) -> SendResult:
    """Deprecated with its task (queue_confirmed_rejection_emails), kept one release for jobs queued before
    batches: [applicant id, version id] pairs of this company only."""
    confirmed = _assignments_from_ids(company=company, pairs=assignments)
    result = rejection_emails_send_confirmed(
        company=company,
        assignments=confirmed,
        link=company.links.get(pk=link_id),
        schedule=Schedule.from_json(schedule),
        actor=actor,
    )
    missing = len(assignments) - len(confirmed)
    return SendResult(result.queued, result.first_send_after, result.left_out + missing)


CSV_HEADER = [_("応募者ID(ATS)"), _("氏名"), _("メールアドレス"), _("応募職種"), _("個人用リンク")]


def personal_links_csv(
    *, applicants: Iterable[Applicant], link: RelayLink, encoding: str, actor: User | None = None
) -> bytes:
    """Personal links for the company's own ATS mail merge: UTF-8 with BOM (Excel) or CP932 (older tools).

    Only people a rejection mail may go to are listed (never a hire, a withdrawal or a held applicant); each
    is marked as exported, so their page says so. Every cell is safe to open in a spreadsheet (lib.csvsafe)."""
    listed = [applicant for applicant in applicants if applicant.mail_refusal is None]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(str(label)) for label in CSV_HEADER])
    for applicant in listed:
        row = [
            applicant.external_id,
            applicant.name,
            applicant.email,
            applicant.position,
            applicant_personal_url(applicant=applicant, link=link),
        ]
        writer.writerow([csv_safe(cell) for cell in row])
    if listed:
        with transaction.atomic():
            applicant_link_exported(applicants=listed)
            audit_record(
                actor=actor,
                action="applicant.links_export",
                target=link,
                company=link.company,
                detail={"count": len(listed)},
            )
    text = buffer.getvalue()
    if encoding == "cp932":
        # Characters CP932 cannot hold (rare kanji variants, emoji) become "?"; the page recommends UTF-8.
        return text.encode("cp932", errors="replace")
    return text.encode("utf-8-sig")
