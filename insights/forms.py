import re
import unicodedata
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from insights.models import (
    COMMENT_MAX_LENGTH,
    NPS_MAX,
    NPS_MIN,
    YEN_MAX,
    Agreement,
    ContactSpeed,
    Interest,
)
from lib.jatext import nfkc

MAX_PERIOD_DAYS = 366 * 5
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def normalize_comment(value: str) -> str:
    """NFKC like every other input, but keep the writer's line breaks (at most one blank line in a row)."""
    text = unicodedata.normalize("NFKC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class ScoreField(forms.TypedChoiceField):
    """A radio choice of numbers that also accepts full-width digits (１０ → 10) from any client."""

    def to_python(self, value: Any) -> str:
        return nfkc(str(value)) if value not in self.empty_values else ""


def _radio(choices: list[tuple[int, Any]], label: Any, missing: Any) -> ScoreField:
    return ScoreField(
        label=label,
        choices=choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": missing,
            "invalid_choice": _("選択肢の中からお選びください。"),
        },
    )


class SurveyForm(forms.Form):
    nps = _radio(
        [(score, str(score)) for score in range(NPS_MIN, NPS_MAX + 1)],
        _("今回の選考でのご経験をふまえて、この企業を友人や知人に勧めたいと思いますか。"),
        _("0〜10 のいずれかをお選びください。"),
    )
    contact_speed = _radio(
        ContactSpeed.choices,
        _("選考結果のご連絡の速さはいかがでしたか。"),
        _("ご連絡の速さについて、いずれかをお選びください。"),
    )
    contact_courtesy = _radio(
        Agreement.choices,
        _("選考結果のご連絡は、丁寧で誠実なものだと感じましたか。"),
        _("ご連絡の丁寧さ・誠実さについて、いずれかをお選びください。"),
    )
    future_interest = _radio(
        Interest.choices,
        _("今後も、この企業に関心をお持ちですか。"),
        _("今後の関心について、いずれかをお選びください。"),
    )
    comment = forms.CharField(
        label=_("ご意見・ご感想(任意)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": COMMENT_MAX_LENGTH}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].help_text = gettext(
            "%(max)s文字以内でご記入ください。お名前など、ご本人が特定される内容はお書きにならないでください。"
        ) % {"max": COMMENT_MAX_LENGTH}

    def clean_comment(self) -> str:
        comment = normalize_comment(self.cleaned_data.get("comment", ""))
        if len(comment) > COMMENT_MAX_LENGTH:
            raise forms.ValidationError(
                _("ご意見・ご感想は%(max)s文字以内でご記入ください(現在%(length)s文字)。"),
                params={"max": COMMENT_MAX_LENGTH, "length": len(comment)},
            )
        return comment


class JapaneseDateField(forms.DateField):
    """Accepts 2026-10-01, 2026/10/01 and full-width digits; answers with a Japanese message."""

    input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {"invalid": _("日付は 2026-10-01 の形式でご入力ください。")}

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, str):
            value = nfkc(value).replace(" ", "")
        return super().to_python(value)


class PeriodForm(forms.Form):
    THIS_MONTH, LAST_3, LAST_6, LAST_12, CUSTOM = "month", "3m", "6m", "12m", "custom"
    MONTHS = {THIS_MONTH: 1, LAST_3: 3, LAST_6: 6, LAST_12: 12}

    period = forms.ChoiceField(
        label=_("期間"),
        required=False,
        choices=[
            (THIS_MONTH, _("今月")),
            (LAST_3, _("直近3か月")),
            (LAST_6, _("直近6か月")),
            (LAST_12, _("直近12か月")),
            (CUSTOM, _("期間を指定")),
        ],
        error_messages={"invalid_choice": _("期間は選択肢の中からお選びください。")},
    )
    start = JapaneseDateField(label=_("開始日"), required=False)
    end = JapaneseDateField(label=_("終了日"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") != self.CUSTOM:
            # Dates left in the form from an earlier custom choice do not matter for a preset period.
            for name in ("start", "end"):
                self.errors.pop(name, None)
            return data
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            if "start" not in self.errors and "end" not in self.errors:
                raise forms.ValidationError(_("期間を指定する場合は、開始日と終了日をご入力ください。"))
            return data
        if not (start >= EARLIEST and end <= LATEST):
            raise forms.ValidationError(_("日付は2000年1月1日から2099年12月31日の間でご入力ください。"))
        if start > end:
            raise forms.ValidationError(_("開始日は終了日より前の日付をご入力ください。"))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("指定できる期間は5年までです。"))
        return data


class YenField(forms.IntegerField):
    """Whole yen; accepts full-width digits, commas, ¥ and 円 (「１，２００，０００円」 → 1200000)."""

    default_error_messages = {"invalid": _("金額は半角数字(円)でご入力ください。例: 12000000")}

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = re.sub(r"[,\s¥￥円]", "", nfkc(value).replace("\\", ""))
        return super().to_python(value)


class RecruitingCostForm(forms.Form):
    yearly_spend_yen = YenField(
        label=_("年間の採用費(円)"),
        min_value=1,
        max_value=YEN_MAX,
        help_text=_("求人広告・人材紹介手数料など、採用にかかる1年間の費用の合計です。"),
        error_messages={
            "required": _("年間の採用費をご入力ください。"),
            "min_value": _("年間の採用費は1円以上でご入力ください。"),
            "max_value": _("年間の採用費が大きすぎます。金額をご確認ください。"),
        },
    )
    average_fee_yen = YenField(
        label=_("人材紹介手数料の平均(円・1名あたり)"),
        min_value=1,
        max_value=YEN_MAX,
        error_messages={
            "required": _("人材紹介手数料の平均をご入力ください。"),
            "min_value": _("人材紹介手数料の平均は1円以上でご入力ください。"),
            "max_value": _("人材紹介手数料の平均が大きすぎます。金額をご確認ください。"),
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        spend, fee = data.get("yearly_spend_yen"), data.get("average_fee_yen")
        if spend and fee and fee > spend:
            raise forms.ValidationError(_("紹介手数料の平均が年間の採用費を上回っています。金額をご確認ください。"))
        return data


class ReportMonthForm(forms.Form):
    """The month of a monthly report: 2026-10, 2026/10, 2026年10月 or full-width digits."""

    month = forms.CharField(
        label=_("対象月"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_month(self) -> date | None:
        raw = nfkc(self.cleaned_data.get("month") or "").replace(" ", "")
        if not raw:
            return None
        match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", raw)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("対象月は 2026-10 の形式でご入力ください。"))
        month = date(int(match.group(1)), int(match.group(2)), 1)
        if month < EARLIEST:
            raise forms.ValidationError(_("対象月は2000年1月以降でご入力ください。"))
        if month > self.today.replace(day=1):
            raise forms.ValidationError(_("まだ始まっていない月のレポートは作成できません。"))
        return month
