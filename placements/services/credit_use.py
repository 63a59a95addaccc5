"""Using a free-introduction credit on a job order (DESIGN.md §3 rule 6).

Reserve → (consume on a recorded hire | release on cancellation). The ledger side of each step is one
append-only CreditEntry (see its docstring for the chain); the CreditReservation row ties it to the job
order. Every step locks the company's Contract row first — the same lock referral counting, reversals and
expiry take — so two reservations racing for the last credit cannot both win.

Decisions:
- A reserved credit is committed: it does not expire and is not taken by a reversal while reserved. When
  released it comes back with its original expiry date; if that date has passed it expires at once.
- Before any introduction the company may cancel and get the credit back. "Introduction" means one the
  candidate accepted (anything beyond 承諾待ち / 辞退 / 取り下げ): from then on the agency has delivered
  and only the operator can release the credit, with a reason (e.g. 面談確約 could not be kept).
- The first hire recorded on the order consumes the credit and its fee is waived; further hires on the
  same order are charged normally.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from placements.models import CreditReservation, Introduction, JobOrder
from relay.ledger import CreditError, contract_lock, credit_expire_returned
from relay.ledger import credit_consume as ledger_consume
from relay.ledger import credit_release as ledger_release
from relay.ledger import credit_reserve as ledger_reserve

# Introductions in these states have not reached the company yet (the candidate has not consented).
NOT_YET_INTRODUCED = (Introduction.Status.PROPOSED, Introduction.Status.DECLINED, Introduction.Status.CANCELLED)
INTERVIEW_REACHED = (Introduction.Status.INTERVIEW, Introduction.Status.OFFER, Introduction.Status.HIRED)


__all__ = ["CreditError", "credit_consume", "credit_release", "credit_reserve"]


def active_reservation(job_order: JobOrder) -> CreditReservation | None:
    return job_order.credit_reservations.filter(status=CreditReservation.Status.RESERVED).first()


def reservation_releasable_by_company(reservation: CreditReservation) -> bool:
    return (
        reservation.status == CreditReservation.Status.RESERVED
        and not reservation.job_order.introductions.exclude(status__in=NOT_YET_INTRODUCED).exists()
    )


def credit_reserve(*, job_order: JobOrder, actor: User, now: datetime | None = None) -> CreditReservation:
    """Commit one open credit (the one expiring first) to the job order."""
    now = now or timezone.now()
    with transaction.atomic():
        contract = contract_lock(company_id=job_order.company_id)
        job_order = JobOrder.objects.select_for_update().get(pk=job_order.pk)
        if job_order.status != JobOrder.Status.OPEN:
            raise CreditError(_("無料紹介枠は、募集中の求人にのみご利用いただけます。"))
        if job_order.credit_reservations.filter(
            status__in=[CreditReservation.Status.RESERVED, CreditReservation.Status.CONSUMED]
        ).exists():
            raise CreditError(_("この求人ではすでに無料紹介枠をご利用中です(1つの求人につき1枠まで)。"))
        entry = ledger_reserve(
            company_id=job_order.company_id, actor=actor, reason=f"求人「{job_order.title}」で無料紹介枠を確保", now=now
        )
        reservation = CreditReservation.objects.create(
            company_id=job_order.company_id, job_order=job_order, reserve_entry=entry, reserved_by=actor
        )
        audit_record(
            actor=actor,
            action="credit.reserve",
            target=reservation,
            company=contract.company,
            detail={"job_order": job_order.pk, "lot": entry.lot_id, "entry": entry.pk},
        )
    return reservation


def credit_release(
    *, reservation: CreditReservation, actor: User, reason: str = "", by_operator: bool = False
) -> CreditReservation:
    """Hand a reserved credit back. The company may do so only before any introduction; the operator
    always may, with a reason."""
    reason = reason.strip()
    if by_operator and not reason:
        raise CreditError(_("解除の理由を入力してください。"))
    with transaction.atomic():
        contract = contract_lock(company_id=reservation.company_id)
        reservation = CreditReservation.objects.select_related("job_order", "reserve_entry").get(pk=reservation.pk)
        if reservation.status != CreditReservation.Status.RESERVED:
            raise CreditError(_("この無料紹介枠はすでに確定または解除されています。"))
        if not by_operator and not reservation_releasable_by_company(reservation):
            raise CreditError(
                _(
                    "この求人ではすでにご紹介が始まっているため、無料紹介枠の利用を取り消すことはできません。"
                    "ご事情がある場合は担当者までご相談ください。"
                )
            )
        entry = ledger_release(
            reserve_entry=reservation.reserve_entry,
            actor=actor,
            reason=f"求人「{reservation.job_order.title}」の無料紹介枠の確保を解除" + (f": {reason}" if reason else ""),
        )
        now = timezone.now()
        reservation.status = CreditReservation.Status.RELEASED
        reservation.close_entry = entry
        reservation.closed_by = actor
        reservation.closed_at = now
        reservation.close_reason = reason
        reservation.save(update_fields=["status", "close_entry", "closed_by", "closed_at", "close_reason"])
        audit_record(
            actor=actor,
            action="credit.release",
            target=reservation,
            company=contract.company,
            detail={
                "job_order": reservation.job_order_id,
                "entry": entry.pk,
                "by_operator": by_operator,
                "reason": reason,
                "applied_to_debt": entry.applied_to_debt,
            },
        )
        credit_expire_returned(release_entry=entry, now=now)
    return reservation


def credit_consume(*, reservation: CreditReservation, actor: User) -> CreditReservation:
    """The hire happened: the reserved credit is spent (USE). Called inside placement_record's transaction."""
    with transaction.atomic():
        contract = contract_lock(company_id=reservation.company_id)
        reservation = CreditReservation.objects.select_related("job_order", "reserve_entry").get(pk=reservation.pk)
        if reservation.status != CreditReservation.Status.RESERVED:
            raise CreditError(_("この無料紹介枠はすでに確定または解除されています。"))
        entry = ledger_consume(
            reserve_entry=reservation.reserve_entry,
            actor=actor,
            reason=f"求人「{reservation.job_order.title}」での入社により無料紹介枠を利用",
        )
        reservation.status = CreditReservation.Status.CONSUMED
        reservation.close_entry = entry
        reservation.closed_by = actor
        reservation.closed_at = timezone.now()
        reservation.save(update_fields=["status", "close_entry", "closed_by", "closed_at"])
        audit_record(
            actor=actor,
            action="credit.use",
            target=reservation,
            company=contract.company,
            detail={"job_order": reservation.job_order_id, "entry": entry.pk},
        )
    return reservation
