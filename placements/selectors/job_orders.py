"""Reads for job-order pages that both the company and the operator see: the credit panel and status texts."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from placements.models import CreditReservation, Introduction, IntroductionEvent, JobOrder
from placements.services.credit_use import (
    INTERVIEW_REACHED,
    NOT_YET_INTRODUCED,
    reservation_releasable_by_company,
)
from relay.services import company_credit_summary

STATUS_MESSAGES = {
    JobOrder.Status.OPEN: gettext_lazy("求人「%(title)s」の募集を開始しました。"),
    JobOrder.Status.PAUSED: gettext_lazy("求人「%(title)s」の募集を一時停止しました。"),
    JobOrder.Status.CLOSED: gettext_lazy("求人「%(title)s」の募集を終了しました。"),
}


def job_order_status_message(job_order: JobOrder) -> str:
    return str(STATUS_MESSAGES[JobOrder.Status(job_order.status)]) % {"title": job_order.title}


@dataclass
class CreditPanel:
    """What the job order page shows about its credit: the live (or last) reservation and what can be done."""

    reservation: CreditReservation | None
    available: int
    blocked: bool
    releasable: bool
    introduced: int
    interview_reached: bool


def credit_panel(job_order: JobOrder) -> CreditPanel:
    reservation = (
        job_order.credit_reservations.exclude(status=CreditReservation.Status.RELEASED).first()
        or job_order.credit_reservations.order_by("-reserved_at", "-id").first()
    )
    summary = company_credit_summary(job_order.company)
    introductions = job_order.introductions.exclude(status__in=NOT_YET_INTRODUCED)
    return CreditPanel(
        reservation=reservation,
        available=summary.available,
        blocked=summary.blocked,
        releasable=reservation is not None and reservation_releasable_by_company(reservation),
        introduced=introductions.count(),
        interview_reached=_interview_reached(job_order),
    )


def _interview_reached(job_order: JobOrder) -> bool:
    """面談確約: at least one candidate on this order has reached an interview with the company (now or before)."""
    return (
        job_order.introductions.filter(status__in=INTERVIEW_REACHED).exists()
        or IntroductionEvent.objects.filter(
            introduction__job_order=job_order, status=Introduction.Status.INTERVIEW
        ).exists()
    )
