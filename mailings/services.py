from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from mailings.mute import mail_is_muted, mail_muted
from mailings.tasks import deliver_email

__all__ = ["mail_muted", "mail_send"]


def mail_send(*, to: str, template: str, context: dict[str, Any], language: str | None = None) -> None:
    """Render `mailings/email/<template>.txt` (first line is the subject) and deliver it after commit."""
    if mail_is_muted():
        return
    # The language of the page the person is using; outside a request (workers, commands) the site default.
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        rendered = render_to_string(
            f"mailings/email/{template}.txt", {"OPERATOR_NAME": settings.OPERATOR_NAME, **context}
        ).strip()
    subject, _, body = rendered.partition("\n")
    recipients, subject, body = [to], subject.strip(), body.strip() + "\n"
    transaction.on_commit(lambda: deliver_email.enqueue(to=recipients, subject=subject, body=body, headers={}))
