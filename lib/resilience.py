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

    def recovered(self, name: str) -> None:
        """Log the recovery once after an outage. A tick that runs for long (a worker) calls it itself as soon as
        its dependencies answer again; `run_resiliently` calls it after every tick that returns."""
        if self.failures:
            logger.warning("%s: 接続が回復しました (dependencies are back after %s failed tries)", name, self.failures)
            self.reset()


def _drop_broken_connections() -> None:
    # A connection that died mid-outage must not be reused; Django opens a fresh one on the next query.
    for each in connections.all(initialized_only=True):
        try:
            each.close()
        except DatabaseError:
            each.connection = None


def dependency_name(error: BaseException) -> str:
    """Which dependency an outage is, in the words of the log line an operator reads."""
    if isinstance(error, RedisError):
        return "Redis"
    if isinstance(error, (DatabaseError, InterfaceError)):
        return "データベース"
    return "接続先 (Redis またはデータベース)"


def run_resiliently(
    *,
    name: str,
    tick: Callable[[], None],
    sleep: Callable[[float], None],
    interval: float,
    once: bool = False,
    backoff: Backoff | None = None,
    outages: tuple[type[BaseException], ...] = OUTAGES,
) -> None:
    """Call `tick` every `interval` seconds forever (once with `once`), waiting out outages with back-off.

    The log says, in Japanese first: 「Redis に接続できません … 再試行します」 on the first failure, a warning for each
    further try, and 「接続が回復しました」 when a tick succeeds again."""
    backoff = backoff or Backoff(ceiling=max(interval, 2.0))
    while True:
        if not connection.in_atomic_block:  # inside a transaction (a test's) the connection is not ours to drop
            close_old_connections()
        try:
            tick()
        except outages as error:
            pause = backoff.next_pause()
            if backoff.failures == 1:
                logger.error(
                    "%s: %s に接続できません (%s: %s)。%.0f 秒後に再試行します"
                    " (a dependency is unavailable; retrying with back-off)",
                    name,
                    dependency_name(error),
                    type(error).__name__,
                    error,
                    pause,
                )
            else:
                logger.warning(
                    "%s: %s にまだ接続できません (still unavailable after %s tries)。%.0f 秒後に再試行します",
                    name,
                    dependency_name(error),
                    backoff.failures,
                    pause,
                )
            _drop_broken_connections()
            if once:
                raise
            sleep(pause)
            continue
        backoff.recovered(name)
        if once:
            return
        sleep(interval)
