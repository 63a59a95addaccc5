from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from integrations.models import ApiKey, Integration


class IntegrationForm(forms.Form):
    kind = forms.ChoiceField(label=_("連携先"), choices=Integration.Kind.choices)
    name = forms.CharField(label=_("名前"), max_length=60, help_text=_("例: Greenhouse 本番、中途採用の Lever"))
    signature_token = forms.CharField(
        label=_("Lever の署名トークン (Lever のみ)"),
        max_length=200,
        required=False,
        help_text=_("Lever の「設定 › 連携と API › Webhooks」で、アーカイブ状態の変更の Webhook に表示される値です。"),
    )
    lever_api_key = forms.CharField(
        label=_("Lever API キー (任意・Lever のみ)"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "設定すると、未登録の応募者の氏名とメールアドレスを Lever から取得します (読み取り権限で十分です)。"
        ),
    )

    herp_api_key = forms.CharField(
        label=_("HERP Hire API キー (HERP Hire のみ)"),
        max_length=300,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("HERP Hire の画面右上のメニュー「APIキー」で、管理者の方が発行したキーです。"),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if Integration.objects.filter(company=self.company, name=name).exists():
            raise forms.ValidationError(_("同じ名前の連携がすでにあります。"))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == Integration.Kind.LEVER and not (cleaned.get("signature_token") or "").strip():
            self.add_error("signature_token", _("Lever の署名トークンを入力してください。"))
        if cleaned.get("kind") == Integration.Kind.HERP:
            cleaned["herp_api_key"] = (cleaned.get("herp_api_key") or "").strip()
            if not cleaned["herp_api_key"]:
                self.add_error("herp_api_key", _("HERP Hire の API キーを入力してください。"))
        return cleaned


class LeverUpdateForm(forms.Form):
    signature_token = forms.CharField(label=_("Lever の署名トークン"), max_length=200)
    lever_api_key = forms.CharField(
        label=_("Lever API キー"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("空欄のままなら現在のキーを使い続けます。"),
    )
    clear_api_key = forms.BooleanField(label=_("Lever API キーを削除する"), required=False)


class HerpKeyForm(forms.Form):
    herp_api_key = forms.CharField(
        label=_("HERP Hire API キー"),
        max_length=300,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("新しいキーを入力すると、次の取得からそのキーを使います。"),
        error_messages={"required": _("HERP Hire の API キーを入力してください。")},
    )

    def clean_herp_api_key(self) -> str:
        key: str = self.cleaned_data["herp_api_key"].strip()
        if not key:
            raise forms.ValidationError(_("HERP Hire の API キーを入力してください。"))
        return key


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("名前"), max_length=60, help_text=_("例: 社内 ATS 連携、採用管理システム"))

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if ApiKey.objects.active().filter(company=self.company, name=name).exists():
            raise forms.ValidationError(_("同じ名前の有効な API キーがすでにあります。"))
        return name
