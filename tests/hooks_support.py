"""Shared by the webhook and API tests: an auto-send rule, request signing, and a fake Lever API on loopback."""

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import sleep
from typing import Any

import pytest

from companies.models import Company
from mailings.models import AutoSendRule, RejectionTemplate, TemplateVersion


def rejection_rule(company: Company, *, days: int = 3, stage: str = "", track: str = "") -> AutoSendRule:
    template = RejectionTemplate.objects.create(
        company=company, name=f"書類選考 中途 {stage}{track}", stage="document", track="mid_career"
    )
    TemplateVersion.objects.create(
        template=template,
        number=1,
        subject="【{{企業名}}】選考結果のご連絡",
        body="{{応募者名}} 様\n\nこの度はご応募いただきありがとうございました。\n{{リレーリンク}}\n\n{{署名}}",
    )
    return AutoSendRule.objects.create(
        company=company, template=template, business_days_after=days, send_time=time(10, 0), stage=stage, track=track
    )


@dataclass
class FakeLever:
    """Lever's REST API as far as the integration reads it; records every request's path and credentials."""

    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    postings: dict[str, dict[str, Any]] = field(default_factory=dict)
    archive_reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    base_url: str = ""
    # Lever's rate limit (https://hire.lever.co/developer/documentation#rate-limits): this many requests are
    # answered 429 Too Many Requests, with `Retry-After: retry_after` when it is set.
    throttled: int = 0
    retry_after: str | None = None
    # Lever down: every request answered with this status, or answered only after `delay` seconds.
    failing_with: int | None = None
    delay: float = 0.0

    def api_key_of(self, index: int = -1) -> str:
        auth = self.requests[index][1]
        user_pass = base64.b64decode(auth.removeprefix("Basic ")).decode()
        return user_pass.split(":", 1)[0]


def _handler(fake: FakeLever) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append((self.path, self.headers.get("Authorization", "")))
            if fake.delay:
                sleep(fake.delay)
            if fake.failing_with is not None:
                self._send(fake.failing_with, {"code": "ServiceUnavailable"})
                return
            if fake.throttled > 0:
                fake.throttled -= 1
                extra = {"Retry-After": fake.retry_after} if fake.retry_after is not None else {}
                self._send(429, {"code": "TooManyRequests", "message": "Rate limit exceeded"}, extra)
                return
            if self.headers.get("Authorization", "") != "Basic " + base64.b64encode(b"lever-key:").decode():
                self._send(401, {"code": "UnauthorizedError"})
                return
            path = self.path.split("?", 1)[0].removeprefix("/v1")
            for prefix, table in (
                ("/opportunities/", fake.opportunities),
                ("/postings/", fake.postings),
                ("/archive_reasons/", fake.archive_reasons),
            ):
                if path.startswith(prefix) and path[len(prefix) :] in table:
                    self._send(200, {"data": table[path[len(prefix) :]]})
                    return
            self._send(404, {"code": "ResourceNotFound"})

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_lever(settings: Any) -> Iterator[FakeLever]:
    fake = FakeLever()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings.LEVER_API_BASE_URL = fake.base_url
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
