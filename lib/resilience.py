"""Long-running processes outlive their dependencies: an outage of the database or Redis is waited out, not fatal.

A loop that exits on the first lost connection stops sending, import resume and credit expiry until a person
notices. `run_resiliently` retries with a growing pause, logs each outage once in plain words and logs the
recovery, so an operator reading the log sees how long the dependency was away.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, close_old_connections, connection, connections
from redis.exceptions import RedisError

logger = logging.getLogger("career_relay.resilience")

# What a lost database, a lost Redis or a refused socket looks like from inside a tick.
OUTAGES: tuple[type[BaseException], ...] = (DatabaseError, InterfaceError, RedisError, OSError)


@dataclass
class Backoff:
    first: float = 2.0
    ceiling: float = 60.0
    failures: int = 0

    def next_pause(self) -> float:
        self.failures += 1
        pause: float = min(self.ceiling, self.first * 2.0 ** (self.failures - 1))
        return pause

    def reset(self) -> None:
        self.failures = 0


def _drop_broken_connections() -> None:
    # A connection that died mid-outage must not be reused; Django opens a fresh one on the next query.
    for each in connections.all(initialized_only=True):
        try:
            each.close()
        except DatabaseError:
            each.connection = None


def run_resiliently(
    *,
    name: str,
    tick: Callable[[], None],
    sleep: Callable[[float], None],
    interval: float,
    once: bool = False,
    backoff: Backoff | None = None,
) -> None:
    """Call `tick` every `interval` seconds forever (once with `once`), waiting out outages with back-off."""
    backoff = backoff or Backoff(ceiling=max(interval, 2.0))
    while True:
        if not connection.in_atomic_block:  # inside a transaction (a test's) the connection is not ours to drop
            close_old_connections()
        try:
            tick()
        except OUTAGES as error:
            pause = backoff.next_pause()
            if backoff.failures == 1:
                logger.error(
                    "%s: a dependency is unavailable (%s: %s); retrying with back-off",
                    name,
                    type(error).__name__,
                    error,
                )
            else:
                logger.warning(
                    "%s: still unavailable after %s tries; next try in %.0f s", name, backoff.failures, pause
                )
            _drop_broken_connections()
            if once:
                raise
            sleep(pause)
            continue
        if backoff.failures:
            logger.warning("%s: dependencies are back after %s failed tries", name, backoff.failures)
            backoff.reset()
        if once:
            return
        sleep(interval)
