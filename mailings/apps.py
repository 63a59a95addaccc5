from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User
    from companies.models import Company


class MailingsConfig(AppConfig):
    name = "mailings"
    verbose_name = "メール"

    def ready(self) -> None:
        from companies.signals import company_created

        company_created.connect(_install_default_templates, dispatch_uid="mailings.default_rejection_templates")
        import mailings.services.unsubscribe  # noqa: F401  (registers the unsubscribe link maker)


def _install_default_templates(sender: type[Company], *, company: Company, actor: User | None, **kwargs: Any) -> None:
    """A new member company starts with the six standard rejection templates (in company_create's transaction)."""
    from mailings.services.templates import rejection_templates_install_defaults

    rejection_templates_install_defaults(company=company, actor=actor)
