"""Mail delivery primitives that know no app: the SMTP retry policy and readable error details.

One home for "which SMTP errors are worth another try, how often, and how long to wait": the outbox worker and the
legacy direct-delivery task both read it from here.
"""

import smtplib
from datetime import timedelta
from typing import Any

MAX_ATTEMPTS = 6  # about two hours of back-off: 2, 4, 8, 16, 32 minutes


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based) before the next one."""
    return timedelta(minutes=2**attempt)


def is_permanent_error(error: Exception) -> bool:
    """5xx replies (unknown mailbox, rejected sender) will not change by waiting; 4xx and network errors might."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [reply[0] for reply in error.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return isinstance(code, int) and 500 <= code < 600


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message


def smtp_error_detail(error: Exception) -> str:
    """The server's own words (code and text) for a failure, short enough to store on the row."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(message)}" for code, message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"[:500]


def smtp_server_unavailable(error: Exception) -> bool:
    """The server, not this message, is the problem: trying the next emails now would only use up their attempts."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    # Any other SMTPException is about this message; a bare OSError (refused, timed out) is about the server.
    return not isinstance(error, smtplib.SMTPException)


class WatchedSMTP(smtplib.SMTP):
    """An SMTP session that knows whether a failure came after the whole message had been handed to the server.

    Once the final "." of DATA has gone out, the server may have accepted the message even if its reply never
    arrives (a timeout, a dropped connection): resending then risks a duplicate, so the caller must ask a person.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.awaiting_data_reply = False
        self._data_stage = ""
        super().__init__(*args, **kwargs)

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.awaiting_data_reply = False
        self._data_stage = "command"
        try:
            return super().data(msg)
        finally:
            self._data_stage = ""

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        if self._data_stage == "command" and code == 354:
            self._data_stage = "payload"
        elif self._data_stage == "awaiting_reply":
            self.awaiting_data_reply = False  # the server did answer
        return code, message

    def send(self, s: Any) -> None:
        super().send(s)
        if self._data_stage == "payload":
            # smtplib sends the whole message, ending in CRLF "." CRLF, in this one call.
            self._data_stage = "awaiting_reply"
            self.awaiting_data_reply = True


class WatchedSMTP_SSL(smtplib.SMTP_SSL, WatchedSMTP):
    pass


def delivery_uncertain(session: object) -> bool:
    """The last failure of this SMTP session came after the message data was sent: it may have been delivered."""
    return bool(getattr(session, "awaiting_data_reply", False))
