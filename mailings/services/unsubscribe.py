"""Unsubscribing from promotional mail (特定電子メール法) without signing in.

The link carries an opaque random token; the server keeps only its SHA-256 digest with the address and scope
(`UnsubscribeToken`), so the URL reveals nothing about the person. Links issued before this change were signed
`[address, company]` in readable base64; they are no longer issued, and still work only because an old
newsletter's unsubscribe link must keep working (特定電子メール法) — the address they reveal is the recipient's
own, already in their mailbox.
"""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction

from companies.models import Company
from lib.jatext import normalize_email
from lib.links import absolute_reverse
from mailings.links import SecretLink, link_maker_register
from mailings.models import Suppression, UnsubscribeToken

UNSUBSCRIBE_SALT = "mailings.unsubscribe"
UNSUBSCRIBE_MAKER = "mailings.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    email_normalized: str
    company_id: int | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unsubscribe_token(*, email: str, company: Company | None) -> str:
    """A fresh random token for this address and scope. No expiry: an old newsletter's link must still work."""
    token = secrets.token_urlsafe(24)
    UnsubscribeToken.objects.create(digest=_digest(token), email_normalized=normalize_email(email), company=company)
    return token


def unsubscribe_read(token: str) -> UnsubscribeRequest | None:
    row = UnsubscribeToken.objects.filter(digest=_digest(token)).first()
    if row is not None:
        return UnsubscribeRequest(email_normalized=row.email_normalized, company_id=row.company_id)
    return _legacy_signed_read(token)


def _legacy_signed_read(token: str) -> UnsubscribeRequest | None:
    # Links mailed before opaque tokens (signed, never issued any more).
    try:
        email, company_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(email, str) or not (company_id is None or isinstance(company_id, int)):
        return None
    return UnsubscribeRequest(email_normalized=email, company_id=company_id)


def unsubscribe_url(*, email: str, company: Company | None) -> str:
    return absolute_reverse("unsubscribe", args=[unsubscribe_token(email=email, company=company)])


def unsubscribe_link(*, company: Company | None) -> SecretLink:
    """The unsubscribe link of a mail, made when it is delivered (for the address it goes to)."""
    return SecretLink(UNSUBSCRIBE_MAKER, {"company": company.pk if company else None})


def _make_unsubscribe_link(params: dict[str, Any], to_email: str) -> str | None:
    company_id = params.get("company")
    company = Company.objects.filter(pk=company_id).first() if company_id else None
    if company_id and company is None:
        return None
    return unsubscribe_url(email=to_email, company=company)


link_maker_register(UNSUBSCRIBE_MAKER, _make_unsubscribe_link)


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
