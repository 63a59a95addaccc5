"""A switch for blocks that must not send mail now: demo data and back-filled history."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_muted: ContextVar[bool] = ContextVar("mail_muted", default=False)


@contextmanager
def mail_muted() -> Iterator[None]:
    """No transactional email is sent and the outbox is not woken in this block; queued rows wait for the
    per-minute job, exactly as if the worker had been down."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def mail_is_muted() -> bool:
    return _muted.get()
