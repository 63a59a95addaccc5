from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register("email", deploy=True)
def email_is_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Without EMAIL_URL nothing leaves the machine: verification and sign-in emails would never arrive."""
    if settings.EMAIL_URL:
        return []
    return [
        Error(
            "EMAIL_URL が設定されていません。本番環境では SMTP サーバーを EMAIL_URL で指定してください。",
            id="career_relay.E001",
        )
    ]
