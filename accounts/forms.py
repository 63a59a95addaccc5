from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, User
from lib.forms import NormalizedEmailField
from lib.jatext import nfkc, normalize_email


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("メールアドレスまたはパスワードが正しくありません。"),
        "inactive": _("このアカウントは現在ご利用いただけません。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("メールアドレス")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})

    def clean_username(self) -> str:
        return normalize_email(self.cleaned_data.get("username", ""))


class ResetPasswordForm(PasswordResetForm):
    """Finds the account for an address typed in full width or another case, as the login form does."""

    email = NormalizedEmailField(label=_("メールアドレス"))


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label=_("氏名"), max_length=100)
    password1 = forms.CharField(
        label=_("パスワード"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("10 文字以上で、推測されにくいものを設定してください。"),
    )
    password2 = forms.CharField(
        label=_("パスワード(確認)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        if not self.is_bound and invitation.name:
            self.initial["name"] = invitation.name

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("氏名を入力してください。"))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        elif first:
            probe = User(email=self.invitation.email, name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InviteForm(forms.Form):
    name = forms.CharField(label=_("氏名"), max_length=100, required=False)
    email = NormalizedEmailField(label=_("メールアドレス"))
    role = forms.ChoiceField(label=_("ロール"), choices=User.CompanyRole.choices, initial=User.CompanyRole.OWNER)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("このメールアドレスのユーザーはすでに登録されています。"))
        return email

    def clean_name(self) -> str:
        return nfkc(self.cleaned_data.get("name", ""))


class OperatorUpdateForm(forms.Form):
    """An admin's change to one operator: the role, and whether the account may still sign in."""

    operator_role = forms.ChoiceField(label=_("ロール"), choices=User.OperatorRole.choices)
    is_active = forms.BooleanField(label=_("有効"), required=False)
