import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from companies.models import Company, Contract, RelayLink, default_refund_schedule
from lib.jatext import nfkc


class CompanyForm(forms.ModelForm[Company]):
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


_REFUND_ROW = re.compile(r"^(\d+)\s*(日|か月|ヶ月|ケ月|カ月|ヵ月|箇月|月)\s*(?:以内)?\s*[:,、]?\s*(\d+)\s*%?$")


class RefundScheduleField(forms.Field):
    """The refund schedule typed one row per line, as the contract reads: 「1か月以内 80%」「90日以内 30%」."""

    widget = forms.Textarea(attrs={"rows": 3})
    default_error_messages = {
        "invalid": _(
            "「%(line)s」を読み取れませんでした。"
            "「1か月以内 80%%」「90日以内 30%%」のように1行に1つずつ入力してください。"
        )
    }

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                f"{row['within']}{'か月' if row['unit'] == 'months' else '日'}以内 {row['percent']}%" for row in value
            )
        return value

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, list):
            return value
        rows = []
        for raw in (value or "").splitlines():
            line = nfkc(raw)
            if not line:
                continue
            match = _REFUND_ROW.match(line)
            if match is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"line": line})
            within, unit, percent = match.groups()
            rows.append({"within": int(within), "unit": "days" if unit == "日" else "months", "percent": int(percent)})
        return rows


class PercentField(forms.DecimalField):
    """A rate typed as people type it: 35, ３５, 35%, 35.5."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = nfkc(value).replace(" ", "").removesuffix("%")
        return super().to_python(value)


FEE_TERMS = ("fee_rate_percent", "minimum_fee_yen", "refund_schedule", "consumption_tax_percent")


KEPT_WHEN_EMPTY = (
    "rechallenge_first_months",
    "rechallenge_second_months",
    "cooling_off_hours",
    "entrusted_data_retention_days",
)


class ContractForm(forms.ModelForm[Contract]):
    fee_rate_percent = PercentField(
        label=_("紹介手数料率(%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=35,
        help_text=_("理論年収に対する割合です(例: 35)。手数料・消費税とも1円未満は切り捨てます。"),
        error_messages={"invalid": _("手数料率は数字で入力してください(例: 35)。")},
    )
    consumption_tax_percent = PercentField(
        label=_("消費税率(%)"),
        min_value=0,
        max_value=50,
        max_digits=4,
        decimal_places=2,
        initial=10,
        error_messages={"invalid": _("消費税率は数字で入力してください(例: 10)。")},
    )
    refund_schedule = RefundScheduleField(
        label=_("返戻金規定"),
        required=False,
        help_text=_(
            "入社日を1日目として、退職までの期間と返戻率を1行に1つずつ入力します"
            "(例: 「1か月以内 80%」「3か月以内 50%」)。空欄の場合、返戻金はありません。"
        ),
    )

    class Meta:
        model = Contract
        fields = [
            "referrals_per_credit",
            "credit_validity_months",
            "counting_rule",
            "cooling_off_hours",
            "rechallenge_first_months",
            "rechallenge_second_months",
            "entrusted_data_retention_days",
            "fee_rate_percent",
            "minimum_fee_yen",
            "refund_schedule",
            "consumption_tax_percent",
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
            "cooling_off_hours": {
                "invalid": _("時間は半角数字で入力してください(0 はすぐにカウント)。"),
                "max_value": _("確認期間は 720 時間(30日)以内で指定してください。"),
            },
            "rechallenge_first_months": {
                "min_value": _("1 か月以上を指定してください。"),
                "invalid": _("月数は半角数字で入力してください。"),
            },
            "rechallenge_second_months": {
                "min_value": _("1 か月以上を指定してください。"),
                "invalid": _("月数は半角数字で入力してください。"),
            },
            "entrusted_data_retention_days": {
                "min_value": _("1 日以上を指定してください。"),
                "max_value": _("保管期間は 1095 日(3年)以内で指定してください。"),
                "invalid": _("日数は半角数字で入力してください。"),
            },
            "minimum_fee_yen": {"invalid": _("金額は円単位の数字で入力してください(0 は最低手数料なし)。")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, these terms keep their current value (6 and 12 months, 72 hours on a new contract).
        for name in KEPT_WHEN_EMPTY:
            self.fields[name].required = False
        if self.instance.pk is None:
            self.initial.setdefault("refund_schedule", default_refund_schedule())
        for name in FEE_TERMS:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in KEPT_WHEN_EMPTY:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        for name in FEE_TERMS:
            # A form that does not send a fee term (an older screen, an API client) keeps the current one;
            # an empty refund schedule that is sent means "no refunds".
            missing = self.add_prefix(name) not in self.data
            left_empty = name != "refund_schedule" and cleaned.get(name) is None
            if (missing or left_empty) and name not in self.errors:
                cleaned[name] = getattr(self.instance, name)
        first, second = cleaned.get("rechallenge_first_months"), cleaned.get("rechallenge_second_months")
        if first is not None and second is not None and second <= first:
            self.add_error("rechallenge_second_months", _("2回目のご案内は、1回目より後の月数を指定してください。"))
        return cleaned


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
