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


def email_registered(*, company_id: int, applicant_ref: str, shared: bool = False) -> bool:
    """A registration through the applicant's link (a click is implied when the visit was not seen).

    `shared`: the person consented to the company learning it (Consent.Kind.SHARE_WITH_COMPANY). Without it the
    row keeps the fact for the aggregates and the operators, and the company's screens never show it.
    """
    if not applicant_ref:
        return False
    now = timezone.now()
    emails = _rejection_emails(company_id=company_id, applicant_ref=applicant_ref)
    emails.filter(clicked_at__isnull=True).update(clicked_at=now)
    emails.filter(registered_at__isnull=False).update(registration_shared=shared)
    return bool(emails.filter(registered_at__isnull=True).update(registered_at=now, registration_shared=shared))


def email_registration_sharing_set(*, company_id: int, applicant_ref: str, shared: bool) -> int:
    """The person gave or withdrew consent to the company learning of their registration (My Page)."""
    if not applicant_ref:
        return 0
    return _rejection_emails(company_id=company_id, applicant_ref=applicant_ref).update(registration_shared=shared)
