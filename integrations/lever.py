"""The few reads of Lever's API a rejection needs: Lever's webhooks carry ids only, no name, email or reason.

https://hire.lever.co/developer/documentation: `GET /opportunities/:id` (Opportunities), `GET /archive_reasons/:id`
(Archive Reasons: `type` is "hired" or "non-hired", `text` the company's wording) and Rate Limits (a token bucket
per API key; an exhausted bucket answers 429, which we honour with `Retry-After` when Lever sends one).
"""

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10
# Lever does not always say how long to wait after a 429; a minute keeps well inside its per-key bucket.
DEFAULT_RETRY_AFTER_SECONDS = 60
MAX_RETRY_AFTER_SECONDS = 3600


class LeverApiError(Exception):
    """Lever could not be asked, or refused; the message is for the company's delivery log."""


class LeverNotFound(LeverApiError):
    """Lever has no such row (HTTP 404)."""


class LeverRateLimited(LeverApiError):
    """Lever answered 429: nothing more is asked of it for `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class LeverOpportunity:
    name: str
    email: str
    position: str
    posting_id: str = ""
    stage: str = ""  # the stage's name where Lever knows it (an archived opportunity keeps its last stage)
    contact: str = ""  # Lever's person id, shared by every opportunity of one person


@dataclass(frozen=True)
class LeverArchiveReason:
    text: str
    type: str  # "hired" or "non-hired"

    @property
    def is_hire(self) -> bool:
        return self.type == "hired"


def retry_after_seconds(header: str | None, *, now: datetime | None = None) -> int:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), bounded; Lever's default if absent."""
    value = (header or "").strip()
    if not value:
        return DEFAULT_RETRY_AFTER_SECONDS
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER_SECONDS
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = int((moment - (now or datetime.now(UTC))).total_seconds())
    return min(max(seconds, 1), MAX_RETRY_AFTER_SECONDS)


def _get(*, api_key: str, path: str) -> dict[str, Any]:
    url = settings.LEVER_API_BASE_URL.rstrip("/") + path
    if not url.startswith(("https://", "http://")):
        raise LeverApiError(_("Lever API の URL の設定が正しくありません。"))
    token = base64.b64encode(f"{api_key}:".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above; base URL comes from settings)
        url, headers={"Authorization": f"Basic {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        if error.code == 429:
            raise LeverRateLimited(
                _("Lever API の利用制限に達しました (HTTP 429)。"),
                retry_after=retry_after_seconds(error.headers.get("Retry-After") if error.headers else None),
            ) from None
        if error.code in (401, 403):
            raise LeverApiError(
                _("Lever API キーが認証されませんでした (HTTP %(code)s)。") % {"code": error.code}
            ) from None
        if error.code == 404:
            raise LeverNotFound(_("Lever に該当するデータがありません (HTTP 404)。")) from None
        raise LeverApiError(_("Lever API がエラーを返しました (HTTP %(code)s)。") % {"code": error.code}) from None
    except TimeoutError:
        raise LeverApiError(_("Lever API が時間内に応答しませんでした。")) from None
    except (urllib.error.URLError, OSError):
        raise LeverApiError(_("Lever API に接続できませんでした。")) from None
    except (ValueError, UnicodeDecodeError):
        raise LeverApiError(_("Lever API の応答を読み取れませんでした。")) from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        raise LeverApiError(_("Lever API の応答を読み取れませんでした。"))
    payload: dict[str, Any] = data["data"]
    return payload


def _text_of(value: object) -> str:
    """An expanded object's `text` (`{"id": …, "text": "一次面接"}`), or "" for an unexpanded id."""
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return ""


def lever_opportunity_fetch(*, api_key: str, opportunity_id: str) -> LeverOpportunity:
    """Name, first email, applied posting and stage of an opportunity
    (GET /opportunities/:id?expand=applications&expand=stage)."""
    data = _get(
        api_key=api_key,
        path=f"/opportunities/{quote(opportunity_id, safe='')}?expand=applications&expand=stage",
    )
    emails = [e for e in data.get("emails") or [] if isinstance(e, str) and e.strip()]
    if not emails:
        raise LeverApiError(_("Lever の応募者情報にメールアドレスがありません。"))
    position, posting_id = "", ""
    for application in data.get("applications") or []:
        posting = application.get("posting") if isinstance(application, dict) else None
        if isinstance(posting, dict):
            position, posting_id = str(posting.get("text") or ""), str(posting.get("id") or "")
        elif isinstance(posting, str) and posting:
            posting_id = posting
            try:
                position = str(_get(api_key=api_key, path=f"/postings/{quote(posting, safe='')}").get("text") or "")
            except LeverRateLimited:
                raise
            except LeverApiError:
                position = ""  # the position is a nicety of the email; its absence must not lose the rejection
        if position:
            break
    contact = data.get("contact")
    return LeverOpportunity(
        name=str(data.get("name") or ""),
        email=emails[0],
        position=position,
        posting_id=posting_id,
        stage=_text_of(data.get("stage")),
        contact=contact if isinstance(contact, str) else "",
    )


def lever_archive_reason_fetch(*, api_key: str, reason_id: str) -> LeverArchiveReason:
    """Lever archives hired, withdrawn and rejected people alike; the archive reason says which it was."""
    data = _get(api_key=api_key, path=f"/archive_reasons/{quote(reason_id, safe='')}")
    return LeverArchiveReason(text=str(data.get("text") or ""), type=str(data.get("type") or ""))
