from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"DEV_MAILBOX": settings.DEV_MAILBOX, "OPERATOR_NAME": settings.OPERATOR_NAME}
