from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User
    from companies.models import Company


class ApplicantsConfig(AppConfig):
    name = "applicants"
    verbose_name = _("不採用応募者")

    def ready(self) -> None:
        from companies.signals import company_created

        company_created.connect(_install_standard_reasons, dispatch_uid="applicants.standard_rejection_reasons")


def _install_standard_reasons(sender: type[Company], *, company: Company, actor: User | None, **kwargs: Any) -> None:
    """A new member company starts with HERP Hire's four selection-end reasons; only 不採用 sends mail."""
    from applicants.services import rejection_reasons_install_defaults

    rejection_reasons_install_defaults(company=company)
