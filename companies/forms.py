from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Company, Contract, RelayLink
from lib.forms import NormalizedEmailField
from lib.jatext import nfkc


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ["name", "name_kana", "landing_message"]
        widgets = {"landing_message": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("企業名を入力してください。"))
        return name

    def clean_name_kana(self) -> str:
        return nfkc(self.cleaned_data.get("name_kana", ""))


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "referrals_per_credit",
            "credit_validity_months",
            "counting_rule",
            "rechallenge_first_months",
            "rechallenge_second_months",
            "starts_on",
            "note",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
            "counting_rule": forms.RadioSelect,
        }
        error_messages = {
            "referrals_per_credit": {
                "min_value": _("1 以上の人数を指定してください。"),
                "invalid": _("人数は半角数字で入力してください。"),
            },
            "credit_validity_months": {"invalid": _("月数は数字で入力してください(0 は無期限)。")},
            "rechallenge_first_months": {
                "min_value": _("1 か月以上を指定してください。"),
                "invalid": _("月数は半角数字で入力してください。"),
            },
            "rechallenge_second_months": {
                "min_value": _("1 か月以上を指定してください。"),
                "invalid": _("月数は半角数字で入力してください。"),
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, a re-challenge term keeps its current value (6 and 12 months on a new contract).
        for name in ("rechallenge_first_months", "rechallenge_second_months"):
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("rechallenge_first_months", "rechallenge_second_months"):
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        first, second = cleaned.get("rechallenge_first_months"), cleaned.get("rechallenge_second_months")
        if first is not None and second is not None and second <= first:
            self.add_error("rechallenge_second_months", _("2回目のご案内は、1回目より後の月数を指定してください。"))
        return cleaned


class InviteForm(forms.Form):
    name = forms.CharField(label=_("氏名"), max_length=100, required=False)
    email = NormalizedEmailField(label=_("メールアドレス"))
    role = forms.ChoiceField(label=_("ロール"), choices=User.CompanyRole.choices, initial=User.CompanyRole.OWNER)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("このメールアドレスのユーザーはすでに登録されています。"))
        return email

    def clean_name(self) -> str:
        return nfkc(self.cleaned_data.get("name", ""))


class RelayLinkForm(forms.Form):
    label = forms.CharField(
        label=_("キャンペーン名"),
        max_length=60,
        help_text=_("どの選考のお祈りメールに使うリンクかが分かる名前にしてください。例: 2027新卒、エンジニア中途"),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_label(self) -> str:
        label = nfkc(self.cleaned_data["label"])
        if not label:
            raise forms.ValidationError(_("キャンペーン名を入力してください。"))
        if RelayLink.objects.filter(company=self.company, label=label).exists():
            raise forms.ValidationError(_("同じ名前のリンクがすでにあります。別の名前を付けてください。"))
        return label
