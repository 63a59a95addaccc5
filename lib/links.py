"""Absolute links (e-mails, PDFs, webhook endpoints) start with SITE_URL: this is the one place that adds it."""

from typing import Any

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    """SITE_URL + a path that starts with "/" (a query string may follow)."""
    return str(settings.SITE_URL) + path


def absolute_reverse(
    viewname: str, *, args: list[Any] | tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None
) -> str:
    return absolute_url(reverse(viewname, args=args, kwargs=kwargs))
