"""Sending rejection emails from a screen: who will be mailed, who is skipped and why, and when each email goes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from audit.services import audit_record
from companies.models import Company, RelayLink
from lib.tasks import enqueue_on_commit
from mailings.models import OutboundEmail, TemplateVersion
from mailings.services.outbox import (
    applicant_personal_url,
    business_days_send_time,
    rejection_email_queue,
    rejection_idempotency_key,
)

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
        found.extend(Applicant.objects.filter(company=company, pk__in=ids[start : start + LOOKUP_CHUNK]))
    return sorted(found, key=lambda applicant: applicant.pk)


@dataclass(frozen=True)
class Skipped:
    applicant: Applicant
    reason: str


@dataclass
class SendingPlan:
    eligible: list[Applicant] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    not_found: int = 0


def sending_plan(*, company: Company, applicants: Iterable[Applicant], requested: int | None = None) -> SendingPlan:
    """Split the chosen applicants into those who will be mailed and those skipped, each with a reason."""
    applicants = [a for a in applicants if a.company_id == company.pk]
    for applicant in applicants:
        applicant.company = company  # one instance for the batch: its mail settings are read once
    keys = {rejection_idempotency_key(a): a for a in applicants}
    existing: dict[str, str] = {}
    key_list = list(keys)
    for start in range(0, len(key_list), LOOKUP_CHUNK):
        existing.update(
            OutboundEmail.objects.filter(idempotency_key__in=key_list[start : start + LOOKUP_CHUNK]).values_list(
                "idempotency_key", "status"
            )
        )
    labels = dict(OutboundEmail.Status.choices)
    plan = SendingPlan(not_found=max((requested or 0) - len(applicants), 0))
    for key, applicant in keys.items():
        if key in existing:
            status = labels.get(existing[key], existing[key])
            reason = gettext("お祈りメールは作成済みです(状態: %(status)s)。") % {"status": status}
            plan.skipped.append(Skipped(applicant, reason))
            continue
        if not applicant.email:
            plan.skipped.append(Skipped(applicant, gettext("メールアドレスが登録されていません。")))
            continue
        try:
            validate_email(applicant.email)
        except ValidationError:
            plan.skipped.append(Skipped(applicant, gettext("メールアドレスの形式が正しくありません。")))
            continue
        plan.eligible.append(applicant)
    return plan


@dataclass(frozen=True)
class SendResult:
    queued: int
    first_send_after: datetime | None


def rejection_emails_send(
    *,
    company: Company,
    applicants: list[Applicant],
    version: TemplateVersion,
    link: RelayLink,
    schedule: Schedule,
    actor: User,
) -> SendResult:
    """Queue one rejection email per eligible applicant (never a second one), all or nothing, then send on commit."""
    plan = sending_plan(company=company, applicants=applicants)
    now = timezone.now()
    queued: list[OutboundEmail] = []
    with transaction.atomic():
        for applicant in plan.eligible:
            email = rejection_email_queue(
                applicant=applicant,
                version=version,
                send_after=schedule.send_after_for(applicant, now=now),
                link=link,
                actor=actor,
            )
            if email is not None:
                queued.append(email)
        audit_record(
            actor=actor,
            action="rejection_email.queue",
            target=version.template,
            company=company,
            detail={"count": len(queued), "version": version.number, "when": schedule.when, "link": link.code},
        )
    first = min((email.send_after for email in queued), default=None)
    return SendResult(queued=len(queued), first_send_after=first)


# Above this many emails the sending screen queues them in the task worker instead of inside the request.
BACKGROUND_THRESHOLD = 300


def rejection_emails_send_later(
    *,
    company: Company,
    applicants: list[Applicant],
    version: TemplateVersion,
    link: RelayLink,
    schedule: Schedule,
    actor: User,
) -> None:
    """Hand a large send to the worker once the request's transaction commits."""
    enqueue_on_commit(
        "mailings.tasks.queue_rejection_emails",
        company_id=company.pk,
        applicant_ids=[applicant.pk for applicant in applicants],
        version_id=version.pk,
        link_id=link.pk,
        schedule=schedule.to_json(),
        actor_id=actor.pk,
    )


CSV_HEADER = [_("応募者ID(ATS)"), _("氏名"), _("メールアドレス"), _("応募職種"), _("個人用リンク")]


def personal_links_csv(*, applicants: Iterable[Applicant], link: RelayLink, encoding: str) -> bytes:
    """Personal links for the company's own ATS mail merge: UTF-8 with BOM (Excel) or CP932 (older tools)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(label) for label in CSV_HEADER])
    for applicant in applicants:
        writer.writerow(
            [
                applicant.external_id,
                applicant.name,
                applicant.email,
                applicant.position,
                applicant_personal_url(applicant=applicant, link=link),
            ]
        )
    text = buffer.getvalue()
    if encoding == "cp932":
        # Characters CP932 cannot hold (rare kanji variants, emoji) become "?"; the page recommends UTF-8.
        return text.encode("cp932", errors="replace")
    return text.encode("utf-8-sig")
