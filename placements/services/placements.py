"""Recording hires (成約) with their fee, and refunds when a placed person leaves early (DESIGN.md rule 7)."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from placements.documents.parties import issuer_snapshot, recipient_snapshot
from placements.fees import RefundQuote, Terms, placement_fee, refund_for
from placements.models import CreditNote, Introduction, JobOrder, Placement
from placements.services.credit_use import CreditError, active_reservation, credit_consume
from relay.ledger import contract_lock


class PlacementError(CreditError):
    """A placement step the rules refuse; the message is for the operator."""


def invoice_due_on(invoiced_on: date) -> date:
    """月末締め翌月末払い: the last day of the month after the invoice date."""
    year, month = (invoiced_on.year + 1, 1) if invoiced_on.month == 12 else (invoiced_on.year, invoiced_on.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def placement_record(*, introduction: Introduction, start_date: date, annual_salary_yen: int, actor: User) -> Placement:
    """The operator records a hire: the fee under today's contract terms, or ¥0 on a credit order (the
    reserved credit is consumed and the fee that would have been charged is kept as the company's saving)."""
    with transaction.atomic():
        contract = contract_lock(company_id=introduction.company_id)
        introduction = Introduction.objects.select_for_update().select_related("job_order").get(pk=introduction.pk)
        if introduction.status != Introduction.Status.HIRED:
            raise PlacementError(_("入社が確定した推薦についてのみ、成約を登録できます。"))
        if Placement.objects.filter(introduction=introduction).exists():
            raise PlacementError(_("この推薦の成約はすでに登録されています。"))
        if annual_salary_yen <= 0:
            raise PlacementError(_("理論年収を入力してください。"))
        terms = Terms.of_contract(contract)
        quote = placement_fee(annual_salary_yen, terms)
        reservation = active_reservation(introduction.job_order)
        today = timezone.localdate()
        placement = Placement.objects.create(
            introduction=introduction,
            company_id=introduction.company_id,
            job_order=introduction.job_order,
            candidate_id=introduction.candidate_id,
            start_date=start_date,
            indefinite=introduction.job_order.employment_type == JobOrder.EmploymentType.FULL_TIME,
            annual_salary_yen=annual_salary_yen,
            fee_rate_bp=terms.fee_rate_bp,
            minimum_fee_yen=terms.minimum_fee_yen,
            tax_rate_bp=terms.tax_rate_bp,
            refund_schedule=list(terms.refund_schedule),
            minimum_applied=quote.minimum_applied,
            fee_yen=0 if reservation else quote.fee_yen,
            tax_yen=0 if reservation else quote.tax_yen,
            total_yen=0 if reservation else quote.total_yen,
            waived=reservation is not None,
            saving_yen=quote.fee_yen if reservation else 0,
            credit_reservation=reservation,
            invoiced_on=today,
            due_on=invoice_due_on(today),
            issuer=issuer_snapshot(),
            recipient=recipient_snapshot(contract.company),
            recorded_by=actor,
        )
        if reservation is not None:
            credit_consume(reservation=reservation, actor=actor)
        audit_record(
            actor=actor,
            action="placement.record",
            target=placement,
            company=contract.company,
            detail={
                "introduction": introduction.pk,
                "job_order": introduction.job_order_id,
                "start_date": start_date.isoformat(),
                "annual_salary_yen": annual_salary_yen,
                "fee_yen": placement.fee_yen,
                "tax_yen": placement.tax_yen,
                "total_yen": placement.total_yen,
                "waived": placement.waived,
                "saving_yen": placement.saving_yen,
                "minimum_applied": placement.minimum_applied,
                "indefinite": placement.indefinite,
            },
        )
    return placement


def _credit_note_issue(*, placement: Placement, quote: RefundQuote, left_on: date, actor: User) -> CreditNote | None:
    """The credit note (返還請求書) of the refund just recorded; a corrected refund gets a new note that replaces the
    last one (a note, once issued, never changes). None when nothing changed, or nothing is returned and no note
    was issued before."""
    latest = placement.credit_notes.filter(replaced_by__isnull=True).order_by("-pk").first()
    if latest is None and quote.total_yen == 0:
        return None
    issued = (left_on, quote.percent, placement.tax_rate_bp, quote.refund_yen, quote.tax_yen)
    if (
        latest is not None
        and (
            latest.left_on,
            latest.refund_percent,
            latest.tax_rate_bp,
            latest.refund_yen,
            latest.tax_yen,
        )
        == issued
    ):
        return None
    note = CreditNote.objects.create(
        placement=placement,
        issued_on=timezone.localdate(),
        left_on=left_on,
        refund_percent=quote.percent,
        tax_rate_bp=placement.tax_rate_bp,
        refund_yen=quote.refund_yen,
        tax_yen=quote.tax_yen,
        total_yen=quote.total_yen,
        issuer=issuer_snapshot(),
        recipient=recipient_snapshot(placement.company),
        replaces=latest,
        issued_by=actor,
    )
    audit_record(
        actor=actor,
        action="placement.credit_note",
        target=placement,
        company=placement.company,
        detail={
            "credit_note": note.pk,
            "replaces": latest.pk if latest is not None else None,
            "refund_yen": note.refund_yen,
            "tax_yen": note.tax_yen,
            "total_yen": note.total_yen,
        },
    )
    return note


def placement_record_leaving(*, placement: Placement, left_on: date, actor: User) -> Placement:
    """The placed person left on `left_on`: the refund follows the schedule copied into the placement, and a
    credit note (返還請求書) is issued for it. A second call corrects the date (and the refund), is audited with
    both values and issues a correcting note."""
    with transaction.atomic():
        contract = contract_lock(company_id=placement.company_id)
        placement = Placement.objects.select_for_update().get(pk=placement.pk)
        if left_on < placement.start_date:
            raise PlacementError(_("退職日は入社日以降の日付を入力してください。"))
        if left_on > timezone.localdate() + timedelta(days=366):
            raise PlacementError(_("退職日が先の日付すぎます。日付をご確認ください。"))
        before = {
            "left_on": placement.left_on.isoformat() if placement.left_on else None,
            "refund_total_yen": placement.refund_total_yen,
        }
        quote = refund_for(placement, left_on)
        placement.left_on = left_on
        placement.refund_percent = quote.percent
        placement.refund_yen = quote.refund_yen
        placement.refund_tax_yen = quote.tax_yen
        placement.refund_total_yen = quote.total_yen
        placement.refund_recorded_at = timezone.now()
        placement.save(
            update_fields=[
                "left_on",
                "refund_percent",
                "refund_yen",
                "refund_tax_yen",
                "refund_total_yen",
                "refund_recorded_at",
            ]
        )
        audit_record(
            actor=actor,
            action="placement.refund",
            target=placement,
            company=contract.company,
            detail={
                "before": before,
                "left_on": left_on.isoformat(),
                "days_employed": quote.days_employed,
                "refund_percent": quote.percent,
                "refund_yen": quote.refund_yen,
                "refund_tax_yen": quote.tax_yen,
                "refund_total_yen": quote.total_yen,
            },
        )
        _credit_note_issue(placement=placement, quote=quote, left_on=left_on, actor=actor)
    return placement


@dataclass(frozen=True)
class PlacementTotals:
    count: int
    free_hires: int
    fee_yen: int
    tax_yen: int
    total_yen: int
    saving_yen: int
    refund_total_yen: int
    refund_yen_excl: int

    @property
    def net_total_yen(self) -> int:
        return self.total_yen - self.refund_total_yen

    @property
    def cost_reduction_rate(self) -> float | None:
        """DESIGN.md §5: saving / (saving + fees paid), fees net of refunds, excl. tax on both sides."""
        paid = self.fee_yen - self.refund_yen_excl
        denominator = self.saving_yen + paid
        return self.saving_yen / denominator if denominator else None


def placement_totals(placements: "QuerySet[Placement]") -> PlacementTotals:
    row = placements.aggregate(
        fee=Sum("fee_yen", default=0),
        tax=Sum("tax_yen", default=0),
        total=Sum("total_yen", default=0),
        saving=Sum("saving_yen", default=0),
        refund=Sum("refund_total_yen", default=0),
        refund_excl=Sum("refund_yen", default=0),
    )
    return PlacementTotals(
        count=placements.count(),
        free_hires=placements.filter(waived=True).count(),
        fee_yen=row["fee"],
        tax_yen=row["tax"],
        total_yen=row["total"],
        saving_yen=row["saving"],
        refund_total_yen=row["refund"],
        refund_yen_excl=row["refund_excl"],
    )
