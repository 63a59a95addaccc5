"""The operator's identity block (特定電子メール法 4条, DESIGN §3 rules 12 and 13): who runs Career Relay, its
有料職業紹介 licence number and how to reach it.

Every rejection mail introduces the relay, which is the operator's advertisement inside the company's mail, so the
party responsible for it must be named. The block is not part of any template: `rejection_email_queue` (the one
place a rejection mail is rendered) and `mail_render` (the operator's own mail) append it to whatever text the
company or the template wrote, so deleting it in the editor changes nothing. The editor's preview shows it as a
block that cannot be edited.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

OPERATOR_IDENTITY_TEMPLATE = "mailings/email/_operator_identity.txt"


def operator_details() -> dict[str, str]:
    """The operator's details as settings hold them now (deploy/career-relay.env.example)."""
    return {
        "name": settings.OPERATOR_NAME,
        "license_number": settings.OPERATOR_LICENSE_NUMBER,
        "address": settings.OPERATOR_ADDRESS,
        "email": settings.OPERATOR_CONTACT_EMAIL,
        "url": settings.OPERATOR_URL,
    }


def operator_identity_block(*, language: str | None = None) -> str:
    """The block as it is appended, without surrounding blank lines. Rejection mail passes the site language:
    the company's text is Japanese, and so is the block inside it."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return render_to_string(OPERATOR_IDENTITY_TEMPLATE, {"operator": operator_details()}).strip()


def with_operator_identity(body: str, *, language: str | None = None) -> str:
    """`body` with the identity block at its end: always added, whatever the body already says."""
    return body.rstrip("\n") + "\n\n" + operator_identity_block(language=language) + "\n"
