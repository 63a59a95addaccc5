import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.jatext import normalize_email


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("operator_role", User.OperatorRole.ADMIN)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Operator staff or a company user. Candidates are not users: they sign in by magic link."""

    class OperatorRole(models.TextChoices):
        ADMIN = "admin", _("管理者")
        CAREER_ADVISOR = "ca", _("キャリアアドバイザー")
        RECRUITING_ADVISOR = "ra", _("リクルーティングアドバイザー")

    class CompanyRole(models.TextChoices):
        OWNER = "owner", _("オーナー")
        ADMIN = "admin", _("管理者")
        MEMBER = "member", _("メンバー")

    email = models.EmailField(_("メールアドレス"), unique=True)
    name = models.CharField(_("氏名"), max_length=100)
    operator_role = models.CharField(_("運営ロール"), max_length=8, choices=OperatorRole.choices, blank=True)
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("企業"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
    )
    company_role = models.CharField(_("企業内ロール"), max_length=8, choices=CompanyRole.choices, blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("ユーザー")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(company__isnull=False) & ~models.Q(operator_role="")),
                name="user_is_operator_or_company_not_both",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_operator(self) -> bool:
        return bool(self.operator_role) and self.is_active

    @property
    def is_company_user(self) -> bool:
        return self.company_id is not None and self.is_active

    @property
    def can_manage_company(self) -> bool:
        return self.is_company_user and self.company_role in (self.CompanyRole.OWNER, self.CompanyRole.ADMIN)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def find_usable(self, token: str) -> "Invitation | None":
        invitation = self.filter(token_digest=_token_digest(token)).select_related("company").first()
        if invitation is None or not invitation.is_usable:
            return None
        return invitation


class Invitation(models.Model):
    """An emailed invitation for a company user. Only a digest of the token is kept."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("メールアドレス"))
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    role = models.CharField(_("ロール"), max_length=8, choices=User.CompanyRole.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("招待")

    def __str__(self) -> str:
        return f"{self.company} / {self.email}"

    @classmethod
    def new_token(cls) -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _token_digest(token)

    @classmethod
    def default_expiry(cls) -> datetime:
        return timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
