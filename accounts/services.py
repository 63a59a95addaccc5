from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, User
from audit.services import audit_record
from companies.models import Company
from lib.errors import RuleRefused
from lib.jatext import normalize_email
from lib.links import absolute_reverse
from mailings.links import SecretLink, param_id
from mailings.services import mail_send

INVITATION_LINK = "accounts.invitation"


def invitation_link_make(params: dict[str, Any], to_email: str) -> str | None:
    """The invitation's link, made when its mail is delivered: a fresh token whose digest replaces the stored
    one, so only the link in the last delivered mail works and no stored text holds a usable one. None when the
    invitation was accepted or expired meanwhile (the mail is then not sent)."""
    invitation_id = param_id(params, "invitation")
    if invitation_id is None:
        return None
    token, digest = Invitation.new_token()
    usable = Invitation.objects.filter(
        pk=invitation_id, email=normalize_email(to_email), accepted_at__isnull=True, expires_at__gt=timezone.now()
    )
    if not usable.update(token_digest=digest):
        return None
    return absolute_reverse("accounts:invitation", args=[token])


def invitation_create(*, company: Company, email: str, name: str, role: str, invited_by: User) -> Invitation:
    # A token nobody is ever sent: the mail's link gets its own token when it is delivered.
    _unsent, digest = Invitation.new_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            company=company,
            email=normalize_email(email),
            name=name,
            role=role,
            token_digest=digest,
            invited_by=invited_by,
            expires_at=Invitation.default_expiry(),
        )
        audit_record(actor=invited_by, action="user.invite", target=invitation, company=company, detail={"role": role})
        mail_send(
            to=invitation.email,
            template="company_invitation",
            context={
                "invitation": invitation,
                "company": company,
                "inviter": invited_by,
                "url": SecretLink(INVITATION_LINK, {"invitation": invitation.pk}),
                "days": settings.INVITATION_MAX_AGE_DAYS,
            },
        )
    return invitation


def invitation_accept(*, invitation: Invitation, name: str, password: str) -> User:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_usable:
            raise ValueError("invitation is no longer usable")
        user = User.objects.create_user(
            invitation.email, password, name=name, company=invitation.company, company_role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit_record(actor=user, action="user.join", target=user, company=invitation.company)
    return user


class StaffChangeRefused(RuleRefused):
    """An operator-user change that would lock the agency out of its own console."""


def operator_update(*, user: User, role: str, is_active: bool, actor: User) -> User:
    """An admin changes an operator's role or turns the account off (inactive: no sign-in). Nobody changes their
    own account, so the admin making a change stays one: the console always keeps someone who can run it."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.operator_role:
            raise StaffChangeRefused(_("運営スタッフ以外のアカウントは変更できません。"))
        if role not in User.OperatorRole.values:
            raise StaffChangeRefused(_("ロールを選んでください。"))
        if user.pk == actor.pk:
            raise StaffChangeRefused(_("ご自身のロールと利用状態は、他の管理者に変更を依頼してください。"))
        before = {"operator_role": user.operator_role, "is_active": user.is_active}
        after = {"operator_role": role, "is_active": is_active}
        if before == after:
            return user
        user.operator_role, user.is_active = role, is_active
        user.save(update_fields=["operator_role", "is_active"])
        audit_record(
            actor=actor,
            action="operator.update",
            target=user,
            detail={key: {"before": before[key], "after": after[key]} for key in before if before[key] != after[key]},
        )
    return user
