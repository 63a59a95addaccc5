"""Demo data: a generic webhook and an API key with values the README can quote. Never used outside the demo."""

from dataclasses import dataclass

from accounts.models import User
from companies.models import Company
from integrations.models import ApiKey, Integration
from integrations.services import api_key_create, api_key_hash, integration_create

DEMO_WEBHOOK_NAME = "デモ用 汎用 Webhook"
DEMO_WEBHOOK_TOKEN = "demo-generic-webhook"  # noqa: S105 (demo only: a readable URL for the README)
DEMO_WEBHOOK_SECRET = "whsec_demo_career_relay"  # noqa: S105 (demo only)
DEMO_API_KEY_NAME = "デモ用 API キー"
DEMO_API_KEY = "cr_live_demo_career_relay_api_key"  # (demo only)


@dataclass(frozen=True)
class DemoIntegrations:
    webhook: Integration
    webhook_secret: str
    api_key: ApiKey
    raw_api_key: str


def seed_integrations(*, company: Company, actor: User | None = None) -> DemoIntegrations:
    """Idempotent: the generic webhook at /hooks/generic/demo-generic-webhook/ signed with DEMO_WEBHOOK_SECRET,
    and the API key DEMO_API_KEY, both for `company`."""
    actor = actor or company.users.order_by("date_joined").first()
    assert actor is not None, "the demo company needs a user"
    webhook = Integration.objects.filter(company=company, name=DEMO_WEBHOOK_NAME).first()
    if webhook is None:
        webhook = integration_create(
            company=company, kind=Integration.Kind.GENERIC, name=DEMO_WEBHOOK_NAME, actor=actor
        ).integration
    Integration.objects.filter(pk=webhook.pk).update(
        token=DEMO_WEBHOOK_TOKEN, secret=DEMO_WEBHOOK_SECRET, is_enabled=True
    )
    webhook.refresh_from_db()
    api_key = ApiKey.objects.filter(key_hash=api_key_hash(DEMO_API_KEY)).first()
    if api_key is None:
        api_key = api_key_create(company=company, name=DEMO_API_KEY_NAME, actor=actor).api_key
        ApiKey.objects.filter(pk=api_key.pk).update(
            key_hash=api_key_hash(DEMO_API_KEY), prefix=DEMO_API_KEY[: len(api_key.prefix)]
        )
        api_key.refresh_from_db()
    return DemoIntegrations(
        webhook=webhook, webhook_secret=DEMO_WEBHOOK_SECRET, api_key=api_key, raw_api_key=DEMO_API_KEY
    )
