"""Unsubscribing from promotional mail (特定電子メール法) without signing in: a signed token per address and sender."""

from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction

from companies.models import Company
from lib.jatext import normalize_email
from lib.links import absolute_reverse
from mailings.models import Suppression

UNSUBSCRIBE_SALT = "mailings.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    email_normalized: str
    company_id: int | None


def unsubscribe_token(*, email: str, company: Company | None) -> str:
    # No expiry: an old newsletter's link must still work years later.
    return signing.dumps([normalize_email(email), company.pk if company else None], salt=UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> UnsubscribeRequest | None:
    try:
        email, company_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(email, str) or not (company_id is None or isinstance(company_id, int)):
        return None
    return UnsubscribeRequest(email_normalized=email, company_id=company_id)


def unsubscribe_url(*, email: str, company: Company | None) -> str:
    return absolute_reverse("unsubscribe", args=[unsubscribe_token(email=email, company=company)])


def suppression_add(*, email: str, company: Company | None, reason: str = "unsubscribe") -> Suppression:
    """Never mail this address promotional mail again (from this company, or from anyone when company is None)."""
    email_normalized = normalize_email(email)
    existing = Suppression.objects.filter(email_normalized=email_normalized, company=company).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Suppression.objects.create(email_normalized=email_normalized, company=company, reason=reason)
    except IntegrityError:
        return Suppression.objects.get(email_normalized=email_normalized, company=company)
