"""What happens to an applicant's rejection mail when the ATS changes its mind (DESIGN.md §3 rule 13).

An un-rejection, a hire, a deletion or an anonymisation ends the rejection: the mail still waiting in the outbox
is cancelled with the event named, and the caller learns whether anything had already gone, so the delivery
log says exactly what happened. A corrected address reaches the mail that has not gone yet.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from audit.services import audit_record
from mailings.models import OutboundEmail
from mailings.services.outbox import stored_text

Status = OutboundEmail.Status


@dataclass(frozen=True)
class CancelledMail:
    cancelled: int  # queued rejection mail stopped now
    in_flight: int  # handed to a worker already: it may arrive
    sent: int  # already delivered: it cannot be called back

    def summary(self) -> str:
        """One line for the delivery log, in the site language."""
        if self.cancelled:
            return stored_text(_("送信予定のお祈りメールを取り消しました。"))
        if self.in_flight:
            return stored_text(_("お祈りメールはすでに送信処理中で、取り消せませんでした。"))
        if self.sent:
            return stored_text(_("お祈りメールは送信済みのため、取り消せませんでした。"))
        return stored_text(_("送信予定のお祈りメールはありませんでした。"))


def rejection_mail_cancel(*, applicant: Applicant, why: str) -> CancelledMail:
    """Cancel the applicant's queued rejection mail, naming the event that ended the rejection (`why`)."""
    with transaction.atomic():
        mails = OutboundEmail.objects.filter(applicant=applicant, kind=OutboundEmail.Kind.REJECTION)
        cancelled = mails.filter(status=Status.QUEUED).update(status=Status.CANCELLED, last_error=why[:1000])
        in_flight = mails.filter(status=Status.SENDING).count()
        sent = mails.filter(status=Status.SENT).count()
        if cancelled:
            audit_record(
                actor=None,
                action="outbound_email.cancel_by_ats",
                target=applicant,
                company=applicant.company,
                detail={"why": why[:300], "cancelled": cancelled},
            )
    return CancelledMail(cancelled=cancelled, in_flight=in_flight, sent=sent)


def rejection_mail_readdress(*, applicant: Applicant) -> int:
    """The applicant's address was corrected: mail not yet handed to a worker goes to the new address."""
    return OutboundEmail.objects.filter(
        applicant=applicant, kind=OutboundEmail.Kind.REJECTION, status=Status.QUEUED
    ).update(to_email=applicant.email)


ERASED_MAIL_SUBJECT = _("(ATS で削除された応募者へのメール)")


def rejection_mail_erase(*, applicant: Applicant) -> int:
    """The ATS deleted or anonymised the person: their mail rows keep only what the log needs (when, what became
    of it), never the address, the name in the text or the personal link."""
    return rejection_mails_erase(applicant_ids=[applicant.pk])


EXPIRED_MAIL_SUBJECT = _("(保管期間の満了により削除した応募者へのメール)")


def rejection_mails_erase(*, applicant_ids: Collection[int], subject: object = ERASED_MAIL_SUBJECT) -> int:
    """`rejection_mail_erase` for many applicants at once (the retention job of data held for a company)."""
    return OutboundEmail.objects.filter(applicant_id__in=list(applicant_ids)).update(
        to_email="", subject=stored_text(subject), body=""
    )
