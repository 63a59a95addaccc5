"""A fake HERP Hire API on loopback, shaped as HERP Hire documents and answers it.

Sources: HERP Hire API ドキュメント 1.5.0 (https://public-api.herp.cloud/hire/public/doc: 「APIキーの発行」 Bearer
authentication, 「アクセス制限」 100 requests a minute per tenant with `x-remaining-request` / `x-reset-at`,
「ステータスコード」 401 / 403 / 429 / 500), the help centre's list of what `GET /v1/candidacies` holds
(https://help.herp.cloud/ja/articles/HERP-Hire-API-86ba917e: 応募ID, 名前, ステータス, 職種ID, 選考ステップ,
メールアドレス, 選考終了理由, 選考終了日時), and HERP Hire's JSON as a published client recorded it
(`{"candidacies": [...], "hasNextPage": true}`, camelCase fields, `terminationReason` "rejected" /
"refusedByCandidate" / "notEligible", 100 candidacies a page).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lib.dates import JST

API_KEY = "herp-test-key"
TENANT_LIMIT = 100


def candidacy(
    n: int,
    *,
    termination: str | None = "rejected",
    updated_at: datetime,
    step: str = "firstInterview",
    requisition_id: str = "req-sales",
    email: str | None = None,
    terminated_at: datetime | None = None,
) -> dict[str, Any]:
    """One element of `candidacies`, as HERP Hire lists it (fields it leaves out are absent, not null)."""
    item: dict[str, Any] = {
        "id": f"0b9f4c1e-0000-4000-8000-{n:012d}",
        "name": f"応募 {n}郎",
        "status": "terminated" if termination else "active",
        "requisitionId": requisition_id,
        "appliedAt": (updated_at - timedelta(days=10)).isoformat(),
        "step": step,
        "stepUpdatedAt": (updated_at - timedelta(days=2)).isoformat(),
        "email": email if email is not None else f"oubo{n}@example.jp",
        "channel": {"type": "media", "mediaName": "ビズリーチ", "isScout": False},
        "operators": ["U-OD036"],
        "tags": [],
        "updatedAt": updated_at.isoformat(),
    }
    if not item["email"]:
        del item["email"]
    if termination:
        item["terminationReason"] = termination
        item["terminatedAt"] = (terminated_at or updated_at - timedelta(minutes=3)).isoformat()
    return item


@dataclass
class Answer:
    """A scripted answer for the next request (an outage, a 429 with Retry-After…)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeHerp:
    candidacies: list[dict[str, Any]] = field(default_factory=list)
    requisitions: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 100
    api_key: str = API_KEY
    scripted: list[Answer] = field(default_factory=list)
    page_answers: dict[int, Answer] = field(default_factory=dict)  # once, for that page of candidacies
    send_limits: bool = True  # False: no x-remaining-request / x-reset-at, so only the client's own count protects
    clock: Callable[[], float] = time.monotonic
    # (path, query, Authorization header, clock time, status answered)
    requests: list[tuple[str, dict[str, str], str, float, int]] = field(default_factory=list)
    base_url: str = ""
    _window: list[float] = field(default_factory=list)

    def upsert(self, item: dict[str, Any]) -> None:
        self.candidacies = [c for c in self.candidacies if c["id"] != item["id"]] + [item]

    def candidacy_requests(self) -> list[dict[str, str]]:
        return [query for path, query, *_rest in self.requests if path == "/hire/v1/candidacies"]

    def statuses(self) -> list[int]:
        return [status for *_rest, status in self.requests]


def _handler(fake: FakeHerp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            now = fake.clock()
            status, body, headers = self._answer(url.path, query, now)
            fake.requests.append((url.path, query, self.headers.get("Authorization", ""), now, status))
            self._send(status, body, headers)

        def _answer(self, path: str, query: dict[str, str], now: float) -> tuple[int, Any, dict[str, str]]:
            if self.headers.get("Authorization", "") != f"Bearer {fake.api_key}":
                return 401, {"message": "Unauthorized"}, {}
            fake._window = [moment for moment in fake._window if moment > now - 60]
            if len(fake._window) >= TENANT_LIMIT:
                return 429, {"message": "Too Many Requests"}, {}
            fake._window.append(now)
            reset_at = (datetime.now(JST) + timedelta(seconds=60)).isoformat(timespec="seconds")
            limits = {"x-remaining-request": str(TENANT_LIMIT - len(fake._window)), "x-reset-at": reset_at}
            if not fake.send_limits:
                limits = {}
            if fake.scripted:
                answer = fake.scripted.pop(0)
                return answer.status, {"message": "scripted"}, answer.headers
            page = int(query.get("page") or 1)
            if path == "/hire/v1/candidacies" and page in fake.page_answers:
                answer = fake.page_answers.pop(page)
                return answer.status, {"message": "scripted"}, answer.headers
            if path == "/hire/v1/candidacies":
                since = query.get("updatedSince")
                items = fake.candidacies
                if since:
                    moment = datetime.fromisoformat(since)
                    items = [c for c in items if datetime.fromisoformat(c["updatedAt"]) >= moment]
                items = sorted(items, key=lambda c: (c["updatedAt"], c["id"]))
                chunk = items[(page - 1) * fake.page_size : page * fake.page_size]
                return 200, {"candidacies": chunk, "hasNextPage": len(items) > page * fake.page_size}, limits
            if path == "/hire/v1/requisitions":
                return 200, {"requisitions": fake.requisitions, "hasNextPage": False}, limits
            return 404, {"message": "Not Found"}, limits

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_herp(settings: Any) -> Iterator[FakeHerp]:
    fake = FakeHerp(requisitions=[{"id": "req-sales", "title": "法人営業 (中途)"}])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/hire"
    settings.HERP_API_BASE_URL = fake.base_url
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
