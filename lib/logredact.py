"""A logging filter that takes bearer tokens out of log lines before any handler writes them.

A URL that signs its reader in (a verification or sign-in link, an invitation, a password reset, a re-challenge
or unsubscribe link, a webhook endpoint's secret path) must not live on in log files: `django.request` writes
"Not Found: /me/auth/<token>/" and every error's traceback names the path. So do API keys and webhook secrets
in headers. `settings.LOGGING` puts this filter on every handler; what it writes keeps the path's shape
("/me/auth/[redacted]/") so a line still says which page failed.
"""

import logging
import re
import traceback

REDACTED = "[redacted]"

# The routes whose last segments are bearer tokens (tests/url_map.txt lists them all).
_TOKEN_PATHS = re.compile(
    r"(?P<head>/(?:me/verify|me/auth|invite|unsubscribe|company/pool|hooks/[\w-]+|accounts/password-reset/[\w-]+)/)"
    r"(?P<token>[^/\s?#'\"<>]+)"
)
# /rechallenge/<token>/ but not the company's own /rechallenge/company/ pages.
_RECHALLENGE = re.compile(r"(?P<head>/rechallenge/)(?!company(?:/|\b))(?P<token>[^/\s?#'\"<>]+)")
# Authorization header values and the platform's own key and secret formats wherever they appear.
_AUTHORIZATION = re.compile(r"(?P<head>\b(?:Bearer|Basic|Token)\s+)(?P<token>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
_KNOWN_SECRETS = re.compile(r"\b(?:cr_live_|whsec_)[A-Za-z0-9_-]+")
# key=value pairs (query strings, header dumps, reprs) whose name says they are secret.
_NAMED = re.compile(
    r"(?P<head>\b(?:token|api[_-]?key|secret|signature|password|authorization|x-api-key)\b[\"']?\s*[:=]\s*[\"']?)"
    r"(?!(?:Bearer|Basic|Token)\s)(?P<token>[^\s\"'&,;)}\]]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with every bearer token replaced by [redacted]."""
    text = _TOKEN_PATHS.sub(rf"\g<head>{REDACTED}", text)
    text = _RECHALLENGE.sub(rf"\g<head>{REDACTED}", text)
    text = _AUTHORIZATION.sub(rf"\g<head>{REDACTED}", text)
    text = _KNOWN_SECRETS.sub(REDACTED, text)
    return _NAMED.sub(rf"\g<head>{REDACTED}", text)


class RedactTokensFilter(logging.Filter):
    """Rewrites the record's message (and its traceback) with tokens redacted; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format string: leave it to the handler to report
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
