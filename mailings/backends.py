import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend

from lib.mail import WatchedSMTP, WatchedSMTP_SSL
from mailings.models import DevMail


class DevMailboxBackend(BaseEmailBackend):
    """Stores outgoing mail in the database so every process's mail shows on /dev/mailbox/."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []):
                if mimetype == "text/html":
                    html = str(content)
            DevMail.objects.create(
                from_email=message.from_email,
                to=", ".join(message.recipients()),
                subject=str(message.subject),
                body=str(message.body),
                html_body=html,
                headers={k: str(v) for k, v in message.extra_headers.items()},
            )
        return len(email_messages)


class SmtpBackend(smtp.EmailBackend):
    """Django's SMTP backend on a session that can tell "refused" from "maybe delivered" (lib.mail.WatchedSMTP)."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return WatchedSMTP_SSL if self.use_ssl else WatchedSMTP
