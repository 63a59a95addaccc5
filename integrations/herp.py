"""HERP Hire: the pull of finished candidacies (応募), since HERP Hire sends no webhooks.

What HERP Hire documents (HERP Hire API ドキュメント 1.5.0, https://public-api.herp.cloud/hire/public/doc, and
the help centre's https://help.herp.cloud/ja/articles/HERP-Hire-API-86ba917e):
- base URL https://public-api.herp.cloud/hire, the API key (issued by an administrator under 「APIキー」) sent as
  `Authorization: Bearer <key>`;
- at most 100 requests a minute per tenant, counted in the `x-remaining-request` and `x-reset-at` response
  headers; 401 = authentication failed, 403 = no permission, 429 = over the limit, 500 = HERP's own error;
- `GET /v1/candidacies?page=<n>` lists 応募 with 応募ID, 名前, ステータス, 職種ID, 選考ステップ, メールアドレス,
  選考終了理由 and 選考終了日時, 100 a page. In JSON (as HERP Hire answers it): `{"candidacies": [{"id", "name",
  "email", "status": "active" | "terminated", "requisitionId", "step": "resumeScreening" …, "terminationReason":
  "rejected" | "refusedByCandidate" | "notEligible" …, "terminatedAt", "updatedAt"}], "hasNextPage": bool}`;
  `terminationReason` is absent while selection goes on.
- `GET /v1/requisitions` lists the 職種 (jobs) whose ids candidacies carry.

Assumptions, because the public pages do not say them: the list accepts `updatedSince=<ISO 8601>` (a third-party
client sends it); we also filter on `updatedAt` ourselves, so a server that ignores the parameter costs requests,
never correctness. A hire is `terminationReason: "hired"` (入社決定) or `status: "hired"`. A requisition's name
is its `title` (or `name`). HERP's words are read as HERP's own Japanese labels (不採用 / 応募者辞退 / 入社決定 /
非選考対象) through the company's vocabulary, so the company's mapping screen decides, as for HERP's CSV.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pydantic
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applicants.models import Applicant
from applicants.selectors import company_vocabulary
from applicants.services import (
    applicant_build,
    applicant_close,
    applicant_outcome_update,
    applicant_record,
    applicant_reopen,
    same_person,
    unknown_reason_detail,
)
from applicants.vocabulary import HIRED, Vocabulary, match_key
from audit.services import audit_record
from companies.models import Company, RelayLink
from integrations.errors import field_errors, summary
from integrations.models import Integration, WebhookEvent, new_webhook_secret
from integrations.schemas import RejectedApplicantIn
from lib.dates import JST
from mailings.models import OutboundEmail
from mailings.services.lifecycle import rejection_mail_cancel
from mailings.services.outbox import rejection_email_schedule_by_rule

logger = logging.getLogger(__name__)

EXTERNAL_SYSTEM = "herp"  # the same as HERP's CSV rows, so a person imported by CSV and then pulled is one applicant
EVENT_TYPE = "herp.candidacy"
TIMEOUT_SECONDS = 10
RATE_LIMIT = 100  # requests …
RATE_WINDOW_SECONDS = 60.0  # … per minute and tenant (HERP Hire API ドキュメント「アクセス制限」)
# The first pull reads what changed in this window; older history is for the CSV import (and would only be held:
# a rejection more than 90 days old is never mailed automatically).
FIRST_PULL_WINDOW = timedelta(days=90)
# Each pull starts a little before the previous one did, for clocks that differ and updates committed while we read;
# what is read twice is recognised by its dedupe key.
CURSOR_OVERLAP = timedelta(minutes=2)
MAX_REQUISITION_PAGES = 20
DEFAULT_RETRY_AFTER = timedelta(seconds=60)

# HERP Hire's codes for 選考終了理由, as its screens and CSV name them.
TERMINATION_LABELS = {
    "rejected": "不採用",
    "refusedByCandidate": "応募者辞退",
    "hired": "入社決定",
    "notEligible": "非選考対象",
}
# HERP Hire's codes for 選考ステップ.
STEP_LABELS = {
    "entry": "エントリー",
    "casualInterview": "カジュアル面談",
    "resumeScreening": "書類選考",
    "firstInterview": "一次面接",
    "secondInterview": "二次面接",
    "thirdInterview": "三次面接",
    "finalInterview": "最終面接",
    "offered": "内定",
    "offerAccepted": "内定承諾",
}


# --- The HTTP client ----------------------------------------------------------------------------------------------


class HerpApiError(Exception):
    """HERP Hire could not be asked, or refused; the message (Japanese) is shown on the integration's page."""


class HerpRateLimited(HerpApiError):
    """Asking now would exceed 100 requests a minute (HERP said 429, or our own count did): wait until `retry_at`."""

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class SlidingWindowLimiter:
    """At most `limit` requests in any `window` seconds. The clock is injectable, so tests need not wait."""

    def __init__(
        self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._sent: deque[float] = deque()

    def _forget_old(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def try_acquire(self) -> bool:
        """Count one request if the window has room for it."""
        now = self.clock()
        self._forget_old(now)
        if len(self._sent) >= self.limit:
            return False
        self._sent.append(now)
        return True

    def seconds_until_free(self) -> float:
        now = self.clock()
        self._forget_old(now)
        if len(self._sent) < self.limit:
            return 0.0
        return max(0.0, self._sent[0] + self.window - now)

    def in_window(self) -> int:
        self._forget_old(self.clock())
        return len(self._sent)


# One limiter per HERP tenant (an API key names one), shared by the runs of this process.
_LIMITERS: dict[str, SlidingWindowLimiter] = {}


def tenant_limiter(api_key: str) -> SlidingWindowLimiter:
    tenant = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return _LIMITERS.setdefault(tenant, SlidingWindowLimiter())


@dataclass(frozen=True)
class CandidacyPage:
    candidacies: list[dict[str, Any]]
    has_next_page: bool
    remaining: int | None  # x-remaining-request: what this tenant may still ask in the current minute
    reset_at: datetime | None  # x-reset-at


def parse_moment(value: object) -> datetime | None:
    """HERP's ISO 8601 times (`2026-01-26T15:26:00+09:00`); one without an offset is Japan time."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=JST)


def _retry_at(headers: Any, now: datetime) -> datetime:
    """When HERP said to come back: Retry-After (seconds or a date), else x-reset-at, else in a minute."""
    retry_after = (headers.get("Retry-After") or "").strip() if headers else ""
    if retry_after.isdigit():
        return now + timedelta(seconds=int(retry_after))
    if retry_after:
        try:
            return parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            pass
    reset_at = parse_moment(headers.get("x-reset-at") if headers else None)
    return reset_at if reset_at is not None and reset_at > now else now + DEFAULT_RETRY_AFTER


def _when(moment: datetime) -> str:
    return timezone.localtime(moment, JST).strftime("%Y/%m/%d %H:%M")


def _get(*, api_key: str, path: str, params: dict[str, str], limiter: SlidingWindowLimiter) -> tuple[Any, Any]:
    """One GET to HERP Hire, counted by the tenant's limiter: the JSON body and the response headers."""
    base = settings.HERP_API_BASE_URL.rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise HerpApiError(_("HERP Hire API の URL の設定が正しくありません。"))
    if not limiter.try_acquire():
        retry_at = timezone.now() + timedelta(seconds=limiter.seconds_until_free() or 1)
        raise HerpRateLimited(
            _("HERP Hire の利用上限 (1分間100リクエスト) に近づいたため、%(when)s 以降に続きを取得します。")
            % {"when": _when(retry_at)},
            retry_at=retry_at,
        )
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else base + path
    request = urllib.request.Request(  # noqa: S310 (scheme checked above; the base URL comes from settings)
        url, headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            headers = response.headers
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        code = error.code
        if code == 401:
            raise HerpApiError(
                _(
                    "HERP Hire が API キーを認証しませんでした (HTTP 401)。HERP Hire の「APIキー」で発行したキーを"
                    "もう一度入力してください。"
                )
            ) from None
        if code == 403:
            raise HerpApiError(
                _("この API キーには応募を読み取る権限がありません (HTTP 403)。HERP Hire の管理者にご確認ください。")
            ) from None
        if code == 429:
            retry_at = _retry_at(error.headers, timezone.now())
            raise HerpRateLimited(
                _("HERP Hire の利用上限 (1分間100リクエスト) に達したため、%(when)s まで取得を控えます。")
                % {"when": _when(retry_at)},
                retry_at=retry_at,
            ) from None
        raise HerpApiError(
            _("HERP Hire API がエラーを返しました (HTTP %(code)s)。次回の定期取得で再試行します。") % {"code": code}
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise HerpApiError(_("HERP Hire API に接続できませんでした。次回の定期取得で再試行します。")) from None
    except (ValueError, UnicodeDecodeError):
        raise HerpApiError(_("HERP Hire API の応答を読み取れませんでした。次回の定期取得で再試行します。")) from None
    if not isinstance(data, dict):
        raise HerpApiError(_("HERP Hire API の応答を読み取れませんでした。次回の定期取得で再試行します。"))
    return data, headers


def herp_candidacies_page(*, api_key: str, since: datetime, page: int, limiter: SlidingWindowLimiter) -> CandidacyPage:
    """One page of `GET /v1/candidacies` changed since `since` (the filter is repeated on our side, see above)."""
    data, headers = _get(
        api_key=api_key,
        path="/v1/candidacies",
        params={"updatedSince": timezone.localtime(since, JST).isoformat(timespec="seconds"), "page": str(page)},
        limiter=limiter,
    )
    items = data.get("candidacies")
    if not isinstance(items, list):
        raise HerpApiError(_("HERP Hire API の応答を読み取れませんでした。次回の定期取得で再試行します。"))
    candidacies = [
        item
        for item in items
        if isinstance(item, dict)
        and (moment := parse_moment(item.get("updatedAt"))) is not None
        and moment >= since - CURSOR_OVERLAP
    ]
    remaining = str(headers.get("x-remaining-request") or "").strip()
    return CandidacyPage(
        candidacies=candidacies,
        has_next_page=data.get("hasNextPage") is True,
        remaining=int(remaining) if remaining.isdigit() else None,
        reset_at=parse_moment(headers.get("x-reset-at")),
    )


def herp_requisition_names(*, api_key: str, limiter: SlidingWindowLimiter) -> dict[str, str]:
    """職種 id → name (`GET /v1/requisitions`): the position of an applicant, and what tells 新卒 from 中途."""
    names: dict[str, str] = {}
    for page in range(1, MAX_REQUISITION_PAGES + 1):
        data, _headers = _get(api_key=api_key, path="/v1/requisitions", params={"page": str(page)}, limiter=limiter)
        for item in data.get("requisitions") or []:
            if isinstance(item, dict) and item.get("id"):
                names[str(item["id"])] = str(item.get("title") or item.get("name") or "")
        if data.get("hasNextPage") is not True:
            break
    return names


# --- Where a pull has got to ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HerpCursor:
    """`Integration.cursor`: changes since `since` are read; a run under way also keeps when it started and the next
    page, so a run stopped by the rate limit or an error resumes where its last committed page ended."""

    since: datetime
    started: datetime | None = None
    page: int = 1

    def dump(self) -> str:
        parts = [self.since.isoformat(timespec="seconds")]
        if self.started is not None:
            parts += [self.started.isoformat(timespec="seconds"), str(self.page)]
        return "|".join(parts)

    @classmethod
    def load(cls, text: str, *, default_since: datetime) -> HerpCursor:
        parts = (text or "").split("|")
        since = parse_moment(parts[0]) or default_since
        if len(parts) == 3 and parts[2].isdigit() and (started := parse_moment(parts[1])) is not None:
            return cls(since=since, started=started, page=max(1, int(parts[2])))
        return cls(since=since)

    def next_page(self) -> HerpCursor:
        return replace(self, page=self.page + 1)

    def done(self) -> HerpCursor:
        assert self.started is not None
        return HerpCursor(since=self.started - CURSOR_OVERLAP)


# --- Setting the connection up ----------------------------------------------------------------------------------------


@transaction.atomic
def integration_herp_create(*, company: Company, name: str, herp_api_key: str, actor: User) -> Integration:
    """Connect HERP Hire. It posts nothing to us: its webhook secret is random and never shown (nothing can sign)."""
    integration = Integration.objects.create(
        company=company,
        kind=Integration.Kind.HERP,
        name=name.strip(),
        secret=new_webhook_secret(),
        herp_api_key=herp_api_key.strip(),
        created_by=actor,
    )
    audit_record(actor=actor, action="integration.create", target=integration, company=company, detail={"kind": "herp"})
    return integration


@transaction.atomic
def integration_herp_key_update(*, integration: Integration, herp_api_key: str, actor: User) -> Integration:
    """A new API key: the last error and any back-off are forgotten, so the next pull tries it at once."""
    integration.herp_api_key = herp_api_key.strip()
    integration.poll_error = ""
    integration.backoff_until = None
    integration.save(update_fields=["herp_api_key", "poll_error", "backoff_until"])
    audit_record(actor=actor, action="integration.herp_key_update", target=integration, company=integration.company)
    return integration


def herp_key_hint(api_key: str) -> str:
    return f"…{api_key[-4:]}" if len(api_key) > 8 else "…"


# --- The pull -------------------------------------------------------------------------------------------------------


@dataclass
class HerpPullResult:
    pages: int = 0
    logged: int = 0  # candidacies that took effect (one log row each)
    finished: bool = False  # every page since the cursor was read
    skipped: str = ""  # why nothing was asked of HERP
    error: str = ""
    events: list[WebhookEvent] = field(default_factory=list)


def herp_pull(
    *, integration_id: int, now: datetime | None = None, limiter: SlidingWindowLimiter | None = None
) -> HerpPullResult:
    """Read the candidacies changed since the cursor, page by page, and treat each finished one once.

    Each page is committed with the cursor that follows it, so a failure loses nothing and repeats nothing: the next
    run asks again from the last committed page. Network errors, 5xx and a refused key are kept in `poll_error`
    (cursor unchanged); a 429 sets `backoff_until`, and no run asks HERP anything before it.
    """
    integration = Integration.objects.select_related("company").get(pk=integration_id)
    now = now or timezone.now()
    result = HerpPullResult()
    if integration.kind != Integration.Kind.HERP or not integration.is_enabled:
        result.skipped = "disabled"
        return result
    if not integration.herp_api_key:
        result.skipped = "no_key"
        return result
    if integration.backoff_until is not None and integration.backoff_until > now:
        result.skipped = "backoff"
        return result
    cursor = HerpCursor.load(integration.cursor, default_since=now - FIRST_PULL_WINDOW)
    if cursor.started is None:
        cursor = replace(cursor, started=now, page=1)
    limiter = limiter or tenant_limiter(integration.herp_api_key)
    vocabulary = company_vocabulary(integration.company)
    requisitions: dict[str, str] | None = None
    try:
        while True:
            page = herp_candidacies_page(
                api_key=integration.herp_api_key, since=cursor.since, page=cursor.page, limiter=limiter
            )
            if requisitions is None and any(_needs_position(c) for c in page.candidacies):
                requisitions = _requisitions_or_none(integration, limiter)
            cursor = cursor.next_page() if page.has_next_page else cursor.done()
            with transaction.atomic():
                for candidacy in page.candidacies:
                    event = _candidacy_take(integration, candidacy, vocabulary, requisitions or {})
                    if event is not None:
                        result.events.append(event)
                Integration.objects.filter(pk=integration.pk).update(
                    cursor=cursor.dump(), polled_at=timezone.now(), poll_error="", backoff_until=None
                )
            result.pages += 1
            if not page.has_next_page:
                result.finished = True
                break
            if page.remaining == 0 and page.reset_at is not None:
                # HERP counts every client of this tenant: its own count says the minute is used up.
                Integration.objects.filter(pk=integration.pk).update(backoff_until=page.reset_at)
                break
    except HerpRateLimited as error:
        result.error = str(error)
        Integration.objects.filter(pk=integration.pk).update(
            backoff_until=error.retry_at, poll_error=str(error)[:500], polled_at=timezone.now()
        )
    except HerpApiError as error:
        result.error = str(error)
        Integration.objects.filter(pk=integration.pk).update(poll_error=str(error)[:500], polled_at=timezone.now())
        logger.warning("herp pull failed: integration=%s: %s", integration.pk, error)
    result.logged = len(result.events)
    return result


def herp_pull_due() -> list[int]:
    """The HERP integrations a periodic run should pull (enabled, with a key)."""
    return list(
        Integration.objects.filter(kind=Integration.Kind.HERP, is_enabled=True)
        .exclude(herp_api_key="")
        .values_list("pk", flat=True)
    )


def _termination_code(candidacy: dict[str, Any]) -> str:
    code = str(candidacy.get("terminationReason") or "").strip()
    if not code and candidacy.get("status") == "hired":
        code = "hired"
    return code


def _needs_position(candidacy: dict[str, Any]) -> bool:
    return bool(_termination_code(candidacy)) and bool(candidacy.get("requisitionId"))


def _requisitions_or_none(integration: Integration, limiter: SlidingWindowLimiter) -> dict[str, str]:
    try:
        return herp_requisition_names(api_key=integration.herp_api_key, limiter=limiter)
    except HerpRateLimited:
        raise
    except HerpApiError as error:
        # The position is a nicety of the mail (and a hint for 新卒/中途); its absence must not stop the rejections.
        logger.warning("herp requisitions unavailable: integration=%s: %s", integration.pk, error)
        return {}


def _existing(
    integration: Integration, candidacy_id: str, candidacy: dict[str, Any], position: str
) -> Applicant | None:
    """The applicant this candidacy already is: by its id (HERP's CSV carries the same), else the same address
    applying to the same position (a CSV whose ID column held another HERP id)."""
    by_id = Applicant.objects.filter(
        company_id=integration.company_id, external_system=EXTERNAL_SYSTEM, external_id=candidacy_id
    ).first()
    if by_id is not None:
        return by_id
    email = str(candidacy.get("email") or "").strip()
    if not email:
        return None
    return same_person(
        applicant_build(
            company=integration.company,
            source=Applicant.Source.API,
            name=str(candidacy.get("name") or email),
            email=email,
            position=position,
        )
    )


def _stage(vocabulary: Vocabulary, step: str) -> str:
    """The company's mapping of HERP's code (or of its Japanese label) first, then the built-in words."""
    mapped = vocabulary.stages.get(match_key(step))
    return mapped or vocabulary.stage_for(STEP_LABELS.get(step, step))


def _log(
    integration: Integration,
    candidacy_id: str,
    *,
    status: str,
    reason: str,
    dedupe_key: str | None,
    applicant: Applicant | None = None,
    email: OutboundEmail | None = None,
) -> WebhookEvent | None:
    """The candidacy's line in the integration's log; None when a concurrent run already logged this outcome."""
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(
                integration=integration,
                company_id=integration.company_id,
                status=status,
                http_status=200,
                event_type=EVENT_TYPE,
                event_id=candidacy_id[:200],
                dedupe_key=dedupe_key[:300] if dedupe_key else None,
                external_id=candidacy_id[:100],
                reason=reason[:500],
                applicant=applicant,
                email=email,
            )
    except IntegrityError:
        return None


def _candidacy_take(
    integration: Integration, candidacy: dict[str, Any], vocabulary: Vocabulary, requisitions: dict[str, str]
) -> WebhookEvent | None:
    """Treat one candidacy as DESIGN.md §3 rule 13 says; its log row, or None when there was nothing (new) to do."""
    candidacy_id = str(candidacy.get("id") or "").strip()[:100]
    if not candidacy_id:
        return None
    code = _termination_code(candidacy)
    requisition_id = str(candidacy.get("requisitionId") or "")
    position = requisitions.get(requisition_id, "")
    existing = _existing(integration, candidacy_id, candidacy, position)
    if not code:
        return _still_in_selection(integration, candidacy, candidacy_id, existing)
    dedupe_key = f"herp:{candidacy_id}:{candidacy.get('terminatedAt') or ''}:{code}"
    if WebhookEvent.objects.filter(integration=integration, dedupe_key=dedupe_key[:300]).exists():
        return None  # this outcome was taken into account by an earlier pull
    label = TERMINATION_LABELS.get(code, code)
    reason_id = vocabulary.reason_for(label, code)
    with transaction.atomic():
        if reason_id is not None and not vocabulary.sends(reason_id):
            return _not_mailed(integration, candidacy_id, code, label, reason_id, existing, dedupe_key, vocabulary)
        return _rejection(
            integration, candidacy, candidacy_id, position, label, reason_id, existing, dedupe_key, vocabulary
        )


def _still_in_selection(
    integration: Integration, candidacy: dict[str, Any], candidacy_id: str, existing: Applicant | None
) -> WebhookEvent | None:
    """Selection goes on: nothing is recorded, unless we hold a rejection HERP has since taken back."""
    if existing is None or existing.closed_at is not None or existing.erased_at is not None:
        return None
    why = _("HERP Hire で選考が再開されたため (選考終了理由が取り消されました)、メールは送りません。")
    with transaction.atomic():
        cancelled = rejection_mail_cancel(applicant=existing, why=why)
        applicant_close(applicant=existing, why=why)
        return _log(
            integration,
            candidacy_id,
            status=WebhookEvent.Status.CANCELLED,
            reason=f"{why} {cancelled.summary()}".strip(),
            dedupe_key=f"herp:{candidacy_id}:reopened:{candidacy.get('updatedAt') or ''}",
            applicant=existing,
        )


def _not_mailed(
    integration: Integration,
    candidacy_id: str,
    code: str,
    label: str,
    reason_id: int,
    existing: Applicant | None,
    dedupe_key: str,
    vocabulary: Vocabulary,
) -> WebhookEvent | None:
    """応募者辞退 / 入社決定 / 非選考対象 (or a reason the company does not mail): never mailed. A rejection we hold is
    overtaken: its queued mail is cancelled, and a hire closes it."""
    name = vocabulary.reason_labels.get(reason_id, label)
    why = _("HERP Hire で選考終了理由が「%(reason)s」になったため、メールは送りません。") % {"reason": name}
    if existing is None:
        return _log(
            integration,
            candidacy_id,
            status=WebhookEvent.Status.IGNORED,
            reason=_("選考終了理由が「%(reason)s」のため、お祈りメールの対象外です (登録していません)。")
            % {"reason": name},
            dedupe_key=dedupe_key,
        )
    applicant_outcome_update(applicant=existing, reason_id=reason_id, reason_text=label)
    cancelled = rejection_mail_cancel(applicant=existing, why=why)
    if code == "hired" or vocabulary.code_reason(HIRED) == reason_id:
        applicant_close(applicant=existing, why=why)
    return _log(
        integration,
        candidacy_id,
        status=WebhookEvent.Status.CANCELLED if cancelled.cancelled else WebhookEvent.Status.IGNORED,
        reason=f"{why} {cancelled.summary()}".strip(),
        dedupe_key=dedupe_key,
        applicant=existing,
    )


def _rejection(
    integration: Integration,
    candidacy: dict[str, Any],
    candidacy_id: str,
    position: str,
    label: str,
    reason_id: int | None,
    existing: Applicant | None,
    dedupe_key: str,
    vocabulary: Vocabulary,
) -> WebhookEvent | None:
    """不採用 (a reason that mails) is recorded and mailed by the company's rule; words nobody mapped are recorded
    and held for the company (never mailed)."""
    hold = "" if reason_id is not None else Applicant.Hold.UNKNOWN_REASON
    hold_detail = unknown_reason_detail(label) if hold else ""
    requisition_id = str(candidacy.get("requisitionId") or "")
    applicant = existing
    if applicant is None:
        try:
            fields = RejectedApplicantIn.model_validate(
                {
                    "id": candidacy_id,
                    "name": candidacy.get("name") or candidacy.get("email") or "",
                    "email": candidacy.get("email") or "",
                    "position": position,
                    "rejected_at": parse_moment(candidacy.get("terminatedAt")),
                }
            )
        except pydantic.ValidationError as error:
            # No dedupe key: once the address is added in HERP Hire, the candidacy changes and the next pull takes it.
            return _log(
                integration,
                candidacy_id,
                status=WebhookEvent.Status.APPLICANT_MISSING,
                reason=_("HERP Hire の応募情報を登録できませんでした: %(errors)s")
                % {"errors": summary(field_errors(error.errors()))},
                dedupe_key=None,
            )
        applicant = applicant_record(
            company=integration.company,
            source=Applicant.Source.API,
            external_system=EXTERNAL_SYSTEM,
            external_id=candidacy_id,
            name=fields.name,
            email=fields.email,
            position=fields.position,
            stage=_stage(vocabulary, str(candidacy.get("step") or "")),
            track=vocabulary.track_for(fields.position, requisition_id),
            rejected_at=fields.rejected_at,
            reason_id=reason_id,
            reason_text=label,
            hold=hold,
            hold_detail=hold_detail,
        ).applicant
    if applicant.reason_id != reason_id or applicant.hold != hold:
        applicant_outcome_update(
            applicant=applicant,
            reason_id=reason_id,
            reason_text=label,
            hold=hold,
            hold_detail=hold_detail,
            rejected_at=parse_moment(candidacy.get("terminatedAt")),
        )
    if hold:
        return _log(
            integration,
            candidacy_id,
            status=WebhookEvent.Status.HELD,
            reason=hold_detail + " " + _("応募者一覧の「確認待ち」から理由を選ぶまで、メールは送りません。"),
            dedupe_key=dedupe_key,
            applicant=applicant,
        )
    applicant_reopen(applicant=applicant)
    try:
        scheduled = rejection_email_schedule_by_rule(applicant=applicant)
        email, refusal = scheduled.email, scheduled.refusal
    except RelayLink.DoesNotExist:
        email, refusal = None, _("リレーリンクがないため、メールは予約していません。")
    return _log(
        integration,
        candidacy_id,
        status=WebhookEvent.Status.PROCESSED,
        reason="" if email is not None else refusal or _("応募者を登録しました。メールは予約していません。"),
        dedupe_key=dedupe_key,
        applicant=applicant,
        email=email,
    )
