"""Forms for job orders, introductions, the talent pool, placements and fees."""

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from lib.choices import JobCategory, Prefecture
from lib.jatext import nfkc, split_skills
from placements.models import SALARY_MAX_MAN_YEN, Introduction, JobOrder, PoolListing
from placements.selectors.exclusions import (
    EXCLUSION_QUERY_MIN,
    exclusion_exact_match,
    exclusion_matches,
    exclusion_query_key,
)
from placements.services.jobs import JOB_ORDER_FIELDS, WORKING_CONDITION_FIELDS


def nfkc_multiline(value: str) -> str:
    """NFKC each line but keep the paragraphs the writer made (nfkc() alone folds new lines into spaces)."""
    lines = [nfkc(line) for line in unicodedata.normalize("NFKC", value or "").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class ManYenField(forms.IntegerField):
    """An amount in 万円 typed as people type it: ５００, 500万, 500万円, 1,200."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8})
    default_error_messages = {"invalid": _("金額は万円単位の数字で入力してください(例: 500)。")}

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = nfkc(value).replace(",", "").replace(" ", "").removesuffix("円").removesuffix("万")
        return super().to_python(value)


class JobOrderForm(forms.ModelForm[JobOrder]):
    salary_min = ManYenField(
        label=_("想定年収の下限(万円)"),
        min_value=1,
        max_value=SALARY_MAX_MAN_YEN,
        error_messages={
            "min_value": _("1 万円以上で入力してください。"),
            "max_value": _("年収は万円単位で入力してください(例: 600)。"),
        },
    )
    salary_max = ManYenField(
        label=_("想定年収の上限(万円)"),
        min_value=1,
        max_value=SALARY_MAX_MAN_YEN,
        error_messages={
            "min_value": _("1 万円以上で入力してください。"),
            "max_value": _("年収は万円単位で入力してください(例: 800)。"),
        },
    )

    insurances = forms.MultipleChoiceField(
        label=_("加入保険"),
        required=False,
        choices=JobOrder.Insurance.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("加入する保険をすべて選んでください。"),
    )

    class Meta:
        model = JobOrder
        fields = [*JOB_ORDER_FIELDS, *WORKING_CONDITION_FIELDS]
        widgets = {
            "required_skills": forms.Textarea(attrs={"rows": 3}),
            "preferred_skills": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "remote": forms.RadioSelect,
            "duties_change_scope": forms.Textarea(attrs={"rows": 2}),
            "workplace_change_scope": forms.Textarea(attrs={"rows": 2}),
            "probation_terms": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "required_skills": _("読点(、)・カンマ・改行で区切って入力してください。"),
            "preferred_skills": _("読点(、)・カンマ・改行で区切って入力してください。"),
            "description": _(
                "雇入れ直後に従事していただく業務内容をご記入ください(労働条件明示の「業務内容」になります)。"
            ),
        }
        error_messages = {
            "title": {"required": _("求人名を入力してください。")},
            "job_category": {"required": _("職種を選んでください。")},
            "required_skills": {"required": _("必須スキル・経験を入力してください。")},
            "description": {"required": _("仕事内容を入力してください。")},
        }

    def clean_title(self) -> str:
        title = nfkc(self.cleaned_data.get("title", ""))
        if not title:
            raise forms.ValidationError(_("求人名を入力してください。"))
        return title

    def _skills(self, field: str) -> str:
        return "、".join(split_skills(self.cleaned_data.get(field, "")))

    def clean_required_skills(self) -> str:
        skills = self._skills("required_skills")
        if not skills:
            raise forms.ValidationError(_("必須スキル・経験を入力してください。"))
        return skills

    def clean_preferred_skills(self) -> str:
        return self._skills("preferred_skills")

    def clean_description(self) -> str:
        description = nfkc_multiline(self.cleaned_data.get("description", ""))
        if not description:
            raise forms.ValidationError(_("仕事内容を入力してください。"))
        return description

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["insurances"] = self.instance.insurance_list

    def basic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in WORKING_CONDITION_FIELDS]

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WORKING_CONDITION_FIELDS]

    def clean_insurances(self) -> str:
        chosen = self.cleaned_data.get("insurances") or []
        return ",".join(code for code in JobOrder.Insurance.values if code in chosen)

    # Items needed once their parent is chosen (有期 → 更新 → 上限, 試用期間あり, 固定残業代あり, その他).
    DEPENDENT_FIELDS = frozenset(
        {
            "contract_period",
            "renewal",
            "renewal_limit",
            "renewal_limit_value",
            "probation_period",
            "probation_terms",
            "fixed_overtime_hours",
            "fixed_overtime_yen",
            "fixed_overtime_excess_paid",
            "smoking_note",
        }
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in WORKING_CONDITION_FIELDS:
            value = cleaned.get(name)
            if isinstance(value, str) and name != "insurances":
                multiline = isinstance(self.fields[name].widget, forms.Textarea)
                cleaned[name] = nfkc_multiline(value) if multiline else nfkc(value)
        # What an answer makes irrelevant is cleared, so the order never states two contradicting things.
        if cleaned.get("contract_term") != JobOrder.ContractTerm.FIXED:
            cleaned.update(contract_period="", renewal="", renewal_limit="", renewal_limit_value=None)
        elif cleaned.get("renewal") == JobOrder.Renewal.NONE:
            cleaned.update(renewal_limit="", renewal_limit_value=None)
        if cleaned.get("renewal_limit") not in (JobOrder.RenewalLimit.TIMES, JobOrder.RenewalLimit.YEARS):
            cleaned["renewal_limit_value"] = None
        if cleaned.get("probation") != JobOrder.Presence.YES:
            cleaned.update(probation_period="", probation_terms="")
        if cleaned.get("fixed_overtime") != JobOrder.Presence.YES:
            cleaned.update(fixed_overtime_hours=None, fixed_overtime_yen=None, fixed_overtime_excess_paid=False)
        probe = JobOrder(**{name: cleaned.get(name) for name in WORKING_CONDITION_FIELDS if name in cleaned})
        probe.description = "-"  # checked by its own field
        for name, message in probe.working_conditions_missing():
            if name in self.DEPENDENT_FIELDS and name not in self.errors:
                self.add_error(name, message)
        return cleaned


class OpsJobOrderForm(JobOrderForm):
    """The operator writes a job order on a company's behalf, so it also says which company."""

    company = forms.ModelChoiceField(
        label=_("導入企業"),
        queryset=Company.objects.order_by("name"),
        error_messages={
            "required": _("企業を選んでください。"),
            "invalid_choice": _("選んだ企業が見つかりません。"),
        },
    )

    field_order = ["company"]


class JobOrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("募集状況"), required=False, choices=[("", _("すべての状況")), *JobOrder.Status.choices]
    )


class ExclusionForm(forms.Form):
    """The competitor to exclude, by the name typed (or the match chosen from what was typed): never a list of
    every member company."""

    company_name = forms.CharField(
        label=_("除外する企業名"),
        max_length=200,
        required=False,
        help_text=_("企業名を2文字以上入力すると、一致する導入企業が表示されます(最大10件)。"),
    )
    chosen = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        self.suggestions: list[Company] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = nfkc(cleaned.get("chosen") or cleaned.get("company_name") or "")
        if len(exclusion_query_key(typed)) < EXCLUSION_QUERY_MIN:
            raise forms.ValidationError(_("除外する企業名を2文字以上入力してください。"))
        excluded = exclusion_exact_match(self.company, typed)
        if excluded is None:
            self.suggestions = exclusion_matches(self.company, typed)
            if self.suggestions:
                raise forms.ValidationError(_("候補から除外する企業を選んでください。"))
            raise forms.ValidationError(
                _("「%(name)s」に一致する導入企業が見つかりません(すでに除外している企業は表示されません)。")
                % {"name": typed}
            )
        cleaned["excluded"] = excluded
        return cleaned


class ProposeForm(forms.Form):
    recommendation = forms.CharField(
        label=_("推薦コメント"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("ご本人の承諾後に企業へお伝えする推薦理由です。ご本人にはお見せしません。"),
        error_messages={
            "required": _("推薦コメントを入力してください。"),
            "max_length": _("推薦コメントは3,000文字以内で入力してください。"),
        },
    )

    def clean_recommendation(self) -> str:
        text = nfkc_multiline(self.cleaned_data.get("recommendation", ""))
        if not text:
            raise forms.ValidationError(_("推薦コメントを入力してください。"))
        return text


class IntroductionMoveForm(forms.Form):
    status = forms.ChoiceField(
        label=_("選考状況"),
        choices=[],
        error_messages={
            "required": _("選考状況を選んでください。"),
            "invalid_choice": _("この推薦は、選んだ選考状況には進められません。"),
        },
    )
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("コメントは3,000文字以内で入力してください。")},
    )

    def __init__(self, *args: Any, moves: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(status, Introduction.Status(status).label) for status in moves]

    def clean_comment(self) -> str:
        return nfkc_multiline(self.cleaned_data.get("comment", ""))


class IntroductionCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("コメント"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("コメントを入力してください。"),
            "max_length": _("コメントは3,000文字以内で入力してください。"),
        },
    )

    def clean_comment(self) -> str:
        text = nfkc_multiline(self.cleaned_data.get("comment", ""))
        if not text:
            raise forms.ValidationError(_("コメントを入力してください。"))
        return text


class AcceptForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("上記の項目を、この企業へ提供することに同意して、ご紹介を受けます。"),
        error_messages={"required": _("企業への情報提供に同意いただける場合は、チェックを入れてください。")},
    )


class RequestDeclineForm(forms.Form):
    note = forms.CharField(
        label=_("企業へのご回答"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("企業へのご回答を入力してください。"),
            "max_length": _("2,000文字以内で入力してください。"),
        },
    )

    def clean_note(self) -> str:
        text = nfkc_multiline(self.cleaned_data.get("note", ""))
        if not text:
            raise forms.ValidationError(_("企業へのご回答を入力してください。"))
        return text


class PoolFilterForm(forms.Form):
    job_category = forms.ChoiceField(
        label=_("希望職種"), required=False, choices=[("", _("すべての職種")), *JobCategory.choices]
    )
    prefecture = forms.TypedChoiceField(
        label=_("都道府県"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("すべての都道府県")), *Prefecture.choices],
    )
    skills = forms.CharField(label=_("スキル"), required=False, max_length=200)
    min_years = forms.IntegerField(
        label=_("経験年数(以上)"),
        required=False,
        min_value=0,
        max_value=60,
        error_messages={
            "invalid": _("経験年数は数字で入力してください。"),
            "min_value": _("0 以上で入力してください。"),
            "max_value": _("60 以下で入力してください。"),
        },
    )
    max_salary = ManYenField(
        label=_("希望年収(以下・万円)"),
        required=False,
        min_value=1,
        max_value=SALARY_MAX_MAN_YEN,
        error_messages={
            "min_value": _("1 万円以上で入力してください。"),
            "max_value": _("年収は万円単位で入力してください。"),
        },
    )

    def clean_skills(self) -> str:
        return nfkc(self.cleaned_data.get("skills", ""))


class PoolReviewForm(forms.Form):
    redacted_summary = forms.CharField(
        label=_("企業に公開する職務経歴の概要"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("勤務先・連絡先・お名前などが残っていないかご確認ください。保存時にもう一度自動で伏せ字にします。"),
        error_messages={"max_length": _("職務経歴の概要は3,000文字以内で入力してください。")},
    )
    state = forms.ChoiceField(
        choices=[(PoolListing.State.LISTED, _("掲載する")), (PoolListing.State.WITHHELD, _("掲載しない"))],
        error_messages={
            "required": _("掲載する・掲載しないのどちらかを選んでください。"),
            "invalid_choice": _("掲載する・掲載しないのどちらかを選んでください。"),
        },
    )

    def clean_redacted_summary(self) -> str:
        return nfkc_multiline(self.cleaned_data.get("redacted_summary", ""))


class PoolReviewFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("掲載状況"), required=False, choices=PoolListing.State.choices)


class PoolRequestForm(forms.Form):
    job_order = forms.ModelChoiceField(
        label=_("ご紹介を希望する求人"),
        queryset=JobOrder.objects.none(),
        error_messages={
            "required": _("求人を選んでください。"),
            "invalid_choice": _("募集中の求人を選んでください。"),
        },
    )
    message = forms.CharField(
        label=_("キャリアアドバイザーへのメッセージ"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("この方に期待すること、面接の進め方などをお書きください(ご本人への打診の参考にします)。"),
        error_messages={"max_length": _("メッセージは2,000文字以内で入力してください。")},
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["job_order"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = JobOrder.objects.filter(company=company).open()

    def clean_message(self) -> str:
        return nfkc_multiline(self.cleaned_data.get("message", ""))


# --- placements and fees -------------------------------------------------------------------------------------------

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
