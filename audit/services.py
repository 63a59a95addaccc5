from typing import TYPE_CHECKING, Any

from django.db import models

from audit.models import AuditEntry

if TYPE_CHECKING:  # audit sits below every app that records into it; it only names their types
    from accounts.models import User
    from companies.models import Company


def audit_record(
    *,
    actor: "User | None",
    action: str,
    target: models.Model | None = None,
    company: "Company | None" = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEntry:
    label = actor_label or (actor.display_name if actor else "システム")
    target_text = f"{target._meta.label}#{target.pk}" if target is not None else ""
    return AuditEntry.objects.create(
        actor=actor, actor_label=label, company=company, action=action, target=target_text, detail=detail or {}
    )
