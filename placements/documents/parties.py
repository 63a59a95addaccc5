"""Who issues a billing document and to whom, frozen on the day it is issued (DESIGN §3 rule 15: an issued invoice
never changes). The PDFs read only these snapshots, so changing the operator's settings (a move, a new bank
account, a new registration number) never alters a document already issued."""

from typing import Any

from django.conf import settings

from companies.models import Company

ISSUER_KEYS = ("name", "address", "phone", "email", "registration_number", "license_number", "bank_account")


def issuer_snapshot() -> dict[str, str]:
    """The operator as settings describe it now: copied onto each document at issue."""
    return {
        "name": settings.OPERATOR_NAME,
        "address": settings.OPERATOR_ADDRESS,
        "phone": settings.OPERATOR_PHONE,
        "email": settings.OPERATOR_CONTACT_EMAIL,
        "registration_number": settings.OPERATOR_INVOICE_REGISTRATION_NUMBER,
        "license_number": settings.OPERATOR_LICENSE_NUMBER,
        "bank_account": settings.OPERATOR_BANK_ACCOUNT,
    }


def recipient_snapshot(company: Company) -> dict[str, str]:
    """The company as it is named now (a company records no postal address: the name is what the document shows)."""
    return {"name": company.name, "address": ""}


def issuer_of(snapshot: dict[str, Any]) -> dict[str, str]:
    """A stored snapshot with every key present (a key added later reads as blank, never as today's value)."""
    return {key: str(snapshot.get(key, "")) for key in ISSUER_KEYS}
