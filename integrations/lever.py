"""The few reads of Lever's API a rejection needs: Lever's archive webhook carries ids only, no name or email."""

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10


class LeverApiError(Exception):
    """Lever could not be asked, or refused; the message is for the company's delivery log."""


@dataclass(frozen=True)
class LeverOpportunity:
    name: str
    email: str
    position: str


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
        if error.code in (401, 403):
            raise LeverApiError(
                _("Lever API キーが認証されませんでした (HTTP %(code)s)。") % {"code": error.code}
            ) from None
        if error.code == 404:
            raise LeverApiError(_("Lever に該当するデータがありません (HTTP 404)。")) from None
        raise LeverApiError(_("Lever API がエラーを返しました (HTTP %(code)s)。") % {"code": error.code}) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise LeverApiError(_("Lever API に接続できませんでした。")) from None
    except (ValueError, UnicodeDecodeError):
        raise LeverApiError(_("Lever API の応答を読み取れませんでした。")) from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        raise LeverApiError(_("Lever API の応答を読み取れませんでした。"))
    payload: dict[str, Any] = data["data"]
    return payload


def lever_opportunity_fetch(*, api_key: str, opportunity_id: str) -> LeverOpportunity:
    """Name, first email and applied posting of an opportunity (GET /opportunities/:id?expand=applications)."""
    data = _get(api_key=api_key, path=f"/opportunities/{quote(opportunity_id, safe='')}?expand=applications")
    emails = [e for e in data.get("emails") or [] if isinstance(e, str) and e.strip()]
    if not emails:
        raise LeverApiError(_("Lever の応募者情報にメールアドレスがありません。"))
    position = ""
    for application in data.get("applications") or []:
        posting = application.get("posting") if isinstance(application, dict) else None
        if isinstance(posting, dict):
            position = str(posting.get("text") or "")
        elif isinstance(posting, str) and posting:
            try:
                position = str(_get(api_key=api_key, path=f"/postings/{quote(posting, safe='')}").get("text") or "")
            except LeverApiError:
                position = ""  # the position is a nicety of the email; its absence must not lose the rejection
        if position:
            break
    return LeverOpportunity(name=str(data.get("name") or ""), email=emails[0], position=position)


def lever_archive_reason_is_hire(*, api_key: str, reason_id: str) -> bool:
    """Lever archives hired candidates too; its archive reasons say which ones were hires."""
    data = _get(api_key=api_key, path=f"/archive_reasons/{quote(reason_id, safe='')}")
    return data.get("type") == "hired"
