"""Types of pytest-django's fixtures, so test signatures can be fully typed (mypy strict covers tests/)."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

# `django_capture_on_commit_callbacks(execute=True)`: a context manager that yields the captured callbacks.
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]
