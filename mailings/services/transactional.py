"""Transactional mail (sign-in links, notices, reports): rendered from a template and put in the outbox.

Every e-mail the platform sends is an outbox row (mailings.models.OutboundEmail): this is the entrance for
the ones nobody writes by hand. The row's kind is the template's name; the outbox worker delivers it with the
same claim and retry rules as rejection mail, and people can see and resend it.
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation

from companies.models import Company
from mailings.identity import with_operator_identity
from mailings.links import secret_links_extract
from mailings.models import SECRET_KINDS, OutboundEmail
from mailings.mute import mail_is_muted
from mailings.services.outbox import outbox_enqueue


def mail_render(*, template: str, context: dict[str, Any], language: str | None = None) -> tuple[str, str]:
    """`mailings/email/<template>.txt` rendered: (subject, body). The first line is the subject; the body ends with
    the operator's identity block (mailings/identity.py)."""
    # The language of the page the person is using; outside a request (workers, commands) the site default.
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        rendered = render_to_string(
            f"mailings/email/{template}.txt", {"OPERATOR_NAME": settings.OPERATOR_NAME, **context}
        ).strip()
        subject, _, body = rendered.partition("\n")
        # Every mail of the operator names it, with its licence and contact (特定電子メール法 4条).
        return subject.strip(), with_operator_identity(body.strip())


# Mail addressed to a company's own people, which its outbox shows. Mail to a candidate stays off the company's
# screens (an introduction proposed must not reveal who was proposed, DESIGN §3); operators see it all.
COMPANY_AUDIENCE_KINDS = frozenset(
    {
        OutboundEmail.Kind.COMPANY_INVITATION,
        OutboundEmail.Kind.INTRODUCTION_ACCEPTED,
        OutboundEmail.Kind.MONTHLY_REPORT,
        OutboundEmail.Kind.RECHALLENGE_REAPPLICATION,
    }
)


def _company_of(context: dict[str, Any]) -> Company | None:
    """The company a mail is about, when its context names one (directly or through the job order)."""
    for value in (context.get("company"), getattr(context.get("job_order"), "company", None)):
        if isinstance(value, Company):
            return value
    return None


def _candidate_of(context: dict[str, Any], to: str) -> Any:
    # Compared by label: mailings sits below candidates and never imports it.
    candidate = context.get("candidate")
    is_candidate = isinstance(candidate, models.Model) and candidate._meta.label == "candidates.Candidate"
    return candidate if is_candidate and getattr(candidate, "email", None) == to else None


def mail_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str | None = None,
    company: Company | None = None,
    candidate: Any = None,
) -> OutboundEmail | None:
    """Render `mailings/email/<template>.txt` into an outbox row of that kind, sent as soon as the caller's
    transaction commits. None inside mail_muted() (demo data, back-filled history): nothing is written.

    The company (shown in its outbox) defaults to the one the context names when the mail is for the company's
    own people; the candidate, when the mail is addressed to them. Transactional
    mail is never promotional, so an unsubscribe never stops it."""
    if mail_is_muted():
        return None
    kind = OutboundEmail.Kind(template)  # a template without a kind is a programming error: fail loudly
    # A sign-in link is made when the mail is delivered (mailings.links): the row keeps only how to make it.
    context, links = secret_links_extract(context)
    subject, body = mail_render(template=template, context=context, language=language)
    return outbox_enqueue(
        company=company or (_company_of(context) if kind in COMPANY_AUDIENCE_KINDS else None),
        kind=kind,
        idempotency_key=f"{kind}:{uuid.uuid4().hex}",
        to_email=to,
        subject=subject,
        body=body,
        candidate=candidate or _candidate_of(context, to),
        is_secret=kind in SECRET_KINDS,
        links=links,
    )
