"""Fixed-window rate limits shared by every process: Redis when `REDIS_URL` is set, the database otherwise.

A limit is a scope (`"password_reset:email"`) with a rate (`"3/h"` in settings.RATE_LIMITS) and an identity
(an IP address, an e-mail address, a link code, an API key id). Identities are stored only as a keyed hash,
so neither Redis nor the counter table holds an address or an IP in readable form.

Why our own ~100 lines instead of a library (ARCHITECTURE.md, "Rate limits"): `limits` has no Django-database
store, and django-ratelimit / ninja's throttle count in Django's cache, whose `incr` is a read-then-write in
DatabaseCache and per process in LocMemCache (that is why the API's 429 never fired with 4 gunicorn workers).
Here one counter row per key and window is incremented by a single atomic `INSERT … ON CONFLICT DO UPDATE …
RETURNING` (SQLite ≥ 3.35 and PostgreSQL), or by Redis `INCR`; expired rows are pruned hourly.
"""

import hashlib
import hmac
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.jatext import nfkc

logger = logging.getLogger(__name__)

RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """`"3/h"`, `"600/m"`, `"20/15m"` (20 per 15 minutes)."""
        match = RATE_PATTERN.match(text)
        if match is None:
            raise ValueError(f"not a rate: {text!r} (expected e.g. '3/h' or '20/15m')")
        count, multiple, unit = match.groups()
        return cls(limit=int(count), window_seconds=int(multiple or 1) * UNIT_SECONDS[unit])


@dataclass(frozen=True)
class RateDecision:
    scope: str
    allowed: bool
    limit: int
    count: int
    reset_at: datetime
    retry_after: int  # whole seconds until the window resets, at least 1 (`Retry-After` wants delta-seconds)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


def now_seconds() -> float:
    """The limiter's clock (tests freeze it in the middle of a window, so no test straddles a reset)."""
    return time.time()


class CounterStore(Protocol):
    def increment(self, key: str, window_start: int, window_seconds: int) -> int: ...

    def read(self, key: str, window_start: int) -> int: ...


class DatabaseStore:
    """Counter rows in `lib_ratelimitcounter`: one atomic upsert per hit, so two workers never lose a count."""

    def increment(self, key: str, window_start: int, window_seconds: int) -> int:
        from lib.models import RateLimitCounter

        table, key_column, start_column, hits_column, expires_column = (
            connection.ops.quote_name(name)
            for name in (RateLimitCounter._meta.db_table, "key", "window_start", "hits", "expires_at")
        )
        expires = datetime.fromtimestamp(window_start + window_seconds, UTC)
        expires_value = connection.ops.adapt_datetimefield_value(expires)
        # The ORM has no upsert that returns the new count; only the model's own (quoted) names are interpolated.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({key_column}, {start_column}, {hits_column}, {expires_column}) "  # noqa: S608
                f"VALUES (%s, %s, 1, %s) ON CONFLICT ({key_column}, {start_column}) "
                f"DO UPDATE SET {hits_column} = {table}.{hits_column} + 1 RETURNING {hits_column}",
                [key, window_start, expires_value],
            )
            row = cursor.fetchone()
        return int(row[0])

    def read(self, key: str, window_start: int) -> int:
        from lib.models import RateLimitCounter

        hits = RateLimitCounter.objects.filter(key=key, window_start=window_start).values_list("hits", flat=True)
        return int(next(iter(hits), 0))


class StoreUnavailable(Exception):
    pass


class RedisStore:
    """`INCR` on `<prefix><key>:<window>` with the key expiring when its window does."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix

    def increment(self, key: str, window_start: int, window_seconds: int) -> int:
        name = f"{self.prefix}{key}:{window_start}"
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1)
        try:
            hits, _ = pipe.execute()
        except redis.RedisError as error:
            raise StoreUnavailable(str(error)) from error
        return int(hits)

    def read(self, key: str, window_start: int) -> int:
        try:
            value = self.client.get(f"{self.prefix}{key}:{window_start}")
        except redis.RedisError as error:
            raise StoreUnavailable(str(error)) from error
        return int(value) if value is not None else 0  # type: ignore[arg-type]


class FallbackStore:
    """Redis first; while Redis does not answer, the database's counter rows, so the limits still hold through a
    Redis outage instead of letting every attempt through. After a failure Redis is skipped for `pause` seconds
    (a dead Redis is not asked again on every request); each switch is logged as a warning."""

    def __init__(self, primary: CounterStore, fallback: CounterStore, *, pause: float = 5.0) -> None:
        self.primary, self.fallback, self.pause = primary, fallback, pause
        self._skip_until = 0.0

    def _use_fallback(self) -> bool:
        return time.monotonic() < self._skip_until

    def _primary_failed(self, error: StoreUnavailable) -> None:
        if not self._use_fallback():
            logger.warning("rate limit: Redis に接続できません (%s)。しばらくデータベースで数えます", error)
        self._skip_until = time.monotonic() + self.pause

    def _fallback_call(self, call: Callable[[], int]) -> int:
        try:
            return call()
        except DatabaseError as error:
            raise StoreUnavailable(f"database: {error}") from error

    def increment(self, key: str, window_start: int, window_seconds: int) -> int:
        if not self._use_fallback():
            try:
                return self.primary.increment(key, window_start, window_seconds)
            except StoreUnavailable as error:
                self._primary_failed(error)
        return self._fallback_call(lambda: self.fallback.increment(key, window_start, window_seconds))

    def read(self, key: str, window_start: int) -> int:
        if not self._use_fallback():
            try:
                return self.primary.read(key, window_start)
            except StoreUnavailable as error:
                self._primary_failed(error)
        return self._fallback_call(lambda: self.fallback.read(key, window_start))


GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def mailbox_key(email: str) -> str:
    """The mailbox an address delivers to, as far as a limit must care: `victim+1@…`, `vic.tim@gmail.com` and
    `@googlemail.com` all land in one inbox, so they share one counter (otherwise each variant is a fresh 3)."""
    local, _, domain = nfkc(email).replace(" ", "").lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), GMAIL_DOMAINS[0]
    return f"{local}@{domain}"


def identity_hash(identity: str) -> str:
    """A keyed hash of an address, IP or code, so the store never holds the readable value."""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"ratelimit:{identity.strip().lower()}".encode(), hashlib.sha256).hexdigest()[:40]


class RateLimiter:
    def __init__(self, store: CounterStore, clock: Callable[[], float] | None = None) -> None:
        self.store, self.clock = store, clock

    def _decision(self, scope: str, rate: Rate, count: int, *, allowed: bool) -> RateDecision:
        now = (self.clock or now_seconds)()
        reset = int(now) - int(now) % rate.window_seconds + rate.window_seconds
        return RateDecision(
            scope=scope,
            allowed=allowed,
            limit=rate.limit,
            count=count,
            reset_at=datetime.fromtimestamp(reset, UTC),
            retry_after=max(1, math.ceil(reset - now)),
        )

    def _window_start(self, rate: Rate) -> int:
        now = int((self.clock or now_seconds)())
        return now - now % rate.window_seconds

    def hit(self, scope: str, identity: str, rate: Rate) -> RateDecision:
        """Count one attempt; it is allowed while the window's count stays within the limit. If Redis does not
        answer, the attempt is allowed and logged: sign-in and registration keep working through an outage."""
        key = f"{scope}:{identity_hash(identity)}"
        try:
            count = self.store.increment(key, self._window_start(rate), rate.window_seconds)
        except StoreUnavailable:
            logger.exception("rate limit store unavailable; %s allowed uncounted", scope)
            return self._decision(scope, rate, 0, allowed=True)
        return self._decision(scope, rate, count, allowed=count <= rate.limit)

    def peek(self, scope: str, identity: str, rate: Rate) -> RateDecision:
        """The window's count so far, without counting (e.g. to decide whether to show a challenge)."""
        try:
            count = self.store.read(f"{scope}:{identity_hash(identity)}", self._window_start(rate))
        except StoreUnavailable:
            logger.exception("rate limit store unavailable; %s read as 0", scope)
            count = 0
        return self._decision(scope, rate, count, allowed=count < rate.limit)


@cache
def _store_for(redis_url: str, prefix: str) -> CounterStore:
    return FallbackStore(RedisStore(redis_url, prefix), DatabaseStore()) if redis_url else DatabaseStore()


def default_limiter() -> RateLimiter:
    redis_url = getattr(settings, "RATE_LIMIT_REDIS_URL", "") or settings.REDIS_URL
    return RateLimiter(_store_for(redis_url, settings.RATE_LIMIT_REDIS_PREFIX))


def rate_for(scope: str) -> Rate:
    return Rate.parse(settings.RATE_LIMITS[scope])


def rate_limits_hit(checks: Sequence[tuple[str, str]], *, limiter: RateLimiter | None = None) -> RateDecision | None:
    """Count one attempt against every (scope, identity) and return the refusal that lasts longest, or None.

    Every check is counted even when an earlier one refuses, so an attacker cannot spare one counter by
    tripping another. An empty identity (no address typed) is not counted; a `:email` scope counts the
    mailbox (`mailbox_key`), not the spelling."""
    limiter = limiter or default_limiter()
    decisions = [
        limiter.hit(scope, mailbox_key(identity) if scope.endswith(":email") else identity, rate_for(scope))
        for scope, identity in checks
        if identity
    ]
    refusals = [decision for decision in decisions if not decision.allowed]
    return max(refusals, key=lambda decision: decision.reset_at, default=None)


def client_ip(request: HttpRequest) -> str:
    """The connecting address (REMOTE_ADDR). X-Forwarded-For is never read: any client can write it, and a
    forged one would give every request a fresh counter. Behind a proxy, have it pass the real address on."""
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def rate_counters_prune(*, now: datetime | None = None) -> int:
    """Delete counter rows whose window has ended; returns how many went."""
    from lib.models import RateLimitCounter

    moment = now or datetime.now(UTC)
    deleted, _ = RateLimitCounter.objects.filter(expires_at__lt=moment - timedelta(seconds=1)).delete()
    return deleted


def rate_limited_message(decision: RateDecision, *, input_kept: bool = True) -> str:
    """A calm sentence saying when to try again (Tokyo time and minutes), and that nothing was lost or sent."""
    retry_after = decision.retry_after
    message = _(
        "ただいま短い時間に多くのお申し込みをいただいているため、受け付けを一時的にお休みしています。"
        "お手数ですが、%(time)s 以降(約 %(minutes)s 分後)にもう一度お試しください。"
    ) % {"time": f"{timezone.localtime(decision.reset_at):%H:%M}", "minutes": max(1, math.ceil(retry_after / 60))}
    if input_kept:
        message += _("入力内容はこのまま残しています。")
    return message


def rate_limited_render(
    request: HttpRequest, template: str, context: dict[str, Any], decision: RateDecision, *, input_kept: bool = True
) -> HttpResponse:
    """The form's own page again with its data, the message in `rate_limited`, 429 and Retry-After."""
    context = {**context, "rate_limited": rate_limited_message(decision, input_kept=input_kept)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response
