from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.jatext import nfkc

ANNUAL_SALARY_MAX_YEN = 100_000_000  # 1億円: anything above is a typo


class YenField(forms.IntegerField):
    """An amount in yen typed as people type it: 5,000,000 / ５００００００円 / 500万 / 512.5万円."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 14})
    default_error_messages = {"invalid": _("金額は円単位の数字で入力してください(例: 5,000,000 または 500万)。")}

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            text = nfkc(value).replace(",", "").replace(" ", "").removeprefix("¥").removesuffix("円")
            if text.endswith("万"):
                try:
                    amount = Decimal(text.removesuffix("万")) * 10_000
                except InvalidOperation:
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
                if amount != amount.to_integral_value():
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
                text = str(int(amount))
            value = text
        return super().to_python(value)


class PlacementForm(forms.Form):
    start_date = forms.DateField(
        label=_("入社日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("入社日を正しい日付で入力してください。")},
    )
    annual_salary_yen = YenField(
        label=_("理論年収(円)"),
        min_value=1,
        max_value=ANNUAL_SALARY_MAX_YEN,
        help_text=_(
            "内定通知書の年収(月給×12+賞与などの見込み)を円単位で入力します。「500万」のような入力もできます。"
        ),
        error_messages={
            "min_value": _("理論年収を入力してください。"),
            "max_value": _("理論年収が大きすぎます。円単位でご確認ください(例: 5,000,000)。"),
        },
    )

    def clean_start_date(self) -> date:
        start: date = self.cleaned_data["start_date"]
        today = timezone.localdate()
        if not today - timedelta(days=366) <= start <= today + timedelta(days=366):
            raise forms.ValidationError(_("入社日は前後1年以内の日付を入力してください。"))
        return start


class LeavingForm(forms.Form):
    left_on = forms.DateField(
        label=_("退職日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("最終出社日ではなく、雇用契約が終了した日を入力します。返戻金は入社日を1日目として計算します。"),
        error_messages={"invalid": _("退職日を正しい日付で入力してください。")},
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("解除の理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("企業様にも表示されます。例: ご依頼内容の変更により募集を取りやめたため。"),
        error_messages={"required": _("解除の理由を入力してください。")},
    )

    def clean_reason(self) -> str:
        reason = nfkc(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("解除の理由を入力してください。"))
        return reason
