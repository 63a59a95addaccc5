import re
import unicodedata
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from lib.jatext import nfkc, split_skills
from placements.models import SALARY_MAX_MAN_YEN, JobOrder


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


class JobOrderForm(forms.ModelForm):
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

    class Meta:
        model = JobOrder
        fields = [
            "title",
            "job_category",
            "employment_type",
            "prefecture",
            "remote",
            "salary_min",
            "salary_max",
            "required_skills",
            "preferred_skills",
            "description",
        ]
        widgets = {
            "required_skills": forms.Textarea(attrs={"rows": 3}),
            "preferred_skills": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "remote": forms.RadioSelect,
        }
        help_texts = {
            "required_skills": _("読点(、)・カンマ・改行で区切って入力してください。"),
            "preferred_skills": _("読点(、)・カンマ・改行で区切って入力してください。"),
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
