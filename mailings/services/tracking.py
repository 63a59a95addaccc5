"""What happened after a rejection email left: the applicant clicked their personal link, then registered."""

from django.db.models import QuerySet
from django.utils import timezone

from mailings.models import OutboundEmail


def _rejection_emails(*, company_id: int, applicant_ref: str) -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(
        company_id=company_id, kind=OutboundEmail.Kind.REJECTION, applicant__ref=applicant_ref
    )


def email_clicked(*, company_id: int, applicant_ref: str) -> bool:
    """The first landing visit through the applicant's signed link; later visits keep the first moment."""
    if not applicant_ref:
        return False
    return bool(
        _rejection_emails(company_id=company_id, applicant_ref=applicant_ref)
        .filter(clicked_at__isnull=True)
        .update(clicked_at=timezone.now())
    )


def email_registered(*, company_id: int, applicant_ref: str) -> bool:
    """A registration through the applicant's link (a click is implied when the visit was not seen)."""
    if not applicant_ref:
        return False
    now = timezone.now()
    emails = _rejection_emails(company_id=company_id, applicant_ref=applicant_ref)
    emails.filter(clicked_at__isnull=True).update(clicked_at=now)
    return bool(emails.filter(registered_at__isnull=True).update(registered_at=now))
