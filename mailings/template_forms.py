from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from companies.models import Company
from lib.forms import NormalizedEmailField
from lib.jatext import nfkc
from mailings.merge import template_text_errors
from mailings.models import AutoSendRule, RejectionTemplate
from mailings.template_services import template_text_clean


class RejectionTemplateForm(forms.Form):
    name = forms.CharField(
        label=_("テンプレート名"),
        max_length=100,
        help_text=_("社内で見分けるための名前です。応募者には表示されません。"),
    )
    stage = forms.ChoiceField(label=_("選考段階"), choices=Applicant.Stage.choices)
    track = forms.ChoiceField(label=_("採用区分"), choices=Applicant.Track.choices)
    subject = forms.CharField(label=_("件名"), max_length=200, required=False)
    body = forms.CharField(
        label=_("本文"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, company: Company, template: RejectionTemplate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        self.template = template
        self.fields["subject"].widget.attrs["autocomplete"] = "off"

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("テンプレート名を入力してください。"))
        others = RejectionTemplate.objects.filter(company=self.company, name=name)
        if self.template is not None:
            others = others.exclude(pk=self.template.pk)
        if others.exists():
            raise forms.ValidationError(_("同じ名前のテンプレートがすでにあります。別の名前を付けてください。"))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "subject" in data and "body" in data:
            data["subject"], data["body"] = template_text_clean(subject=data["subject"], body=data["body"])
            for field, messages in template_text_errors(subject=data["subject"], body=data["body"]).items():
                for message in messages:
                    self.add_error(field, message)
        return data


class MailSettingsForm(forms.Form):
    sender_name = forms.CharField(
        label=_("差出人名"),
        max_length=100,
        required=False,
        help_text=_(
            "受信した方のメールソフトに表示される名前です。空欄の場合は企業名を使います。"
            "例: 株式会社テスト商事 採用担当"
        ),
    )
    reply_to = NormalizedEmailField(
        label=_("返信先メールアドレス"),
        required=False,
        help_text=_("応募者が返信したときの宛先です。採用担当の窓口アドレスをおすすめします。"),
    )
    signature = forms.CharField(
        label=_("署名"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("テンプレートの {{署名}} に差し込まれます。"),
    )

    def clean_sender_name(self) -> str:
        name = nfkc(self.cleaned_data.get("sender_name", ""))
        if any(char in name for char in '<>"@'):
            raise forms.ValidationError(_('差出人名に < > " @ は使えません。会社名や部署名を入力してください。'))
        return name

    def clean_signature(self) -> str:
        text = self.cleaned_data.get("signature", "").replace("\r\n", "\n").replace("\r", "\n")
        return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


class JapaneseTimeField(forms.TimeField):
    """Accepts 10:00, １０：００, 10時, 10時30分: people type times every one of these ways."""

    default_error_messages = {"invalid": _("時刻は 10:00 のように入力してください。")}

    def to_python(self, value: Any) -> time | None:
        if isinstance(value, str):
            text = nfkc(value).replace(" ", "")
            if text.endswith("時"):
                text += "00"
            value = text.replace("時", ":").replace("分", "")
        return super().to_python(value)


class AutoSendRuleForm(forms.ModelForm):
    send_time = JapaneseTimeField(
        label=_("送信時刻"),
        initial=time(10, 0),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time", "style": "min-width:8rem;padding:.5rem"}, format="%H:%M"),
    )
    business_days_after = forms.IntegerField(
        label=_("不採用から何営業日後に送るか"),
        min_value=0,
        max_value=30,
        initial=3,
        widget=forms.NumberInput(attrs={"min": 0, "max": 30, "inputmode": "numeric"}),
        help_text=_("0 は不採用を登録した日(休業日なら翌営業日)に送ります。最大 30 営業日です。"),
        error_messages={
            "max_value": _("営業日数は 0 から 30 までで指定してください。"),
            "min_value": _("営業日数は 0 から 30 までで指定してください。"),
            "invalid": _("営業日数は数字で入力してください(例: 3)。"),
            "required": _("営業日数を入力してください。"),
        },
    )

    class Meta:
        model = AutoSendRule
        fields = ["stage", "track", "template", "business_days_after", "send_time", "is_active"]
        labels = {"template": _("送るテンプレート")}
        error_messages = {
            "template": {
                "required": _("送信するテンプレートを選んでください。"),
                "invalid_choice": _("選べないテンプレートです。一覧から選び直してください。"),
            },
        }

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        templates = RejectionTemplate.objects.filter(company=company, is_active=True)
        if self.instance.pk is not None:
            templates = RejectionTemplate.objects.filter(company=company).filter(
                pk__in=[*templates.values_list("pk", flat=True), self.instance.template_id]
            )
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = templates
        template_field.empty_label = _("選んでください")
        stage = self.fields["stage"]
        track = self.fields["track"]
        assert isinstance(stage, forms.ChoiceField) and isinstance(track, forms.ChoiceField)
        stage.choices = [("", _("すべての段階")), *Applicant.Stage.choices]
        track.choices = [("", _("すべての区分")), *Applicant.Track.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_active") and "stage" in data and "track" in data:
            same = AutoSendRule.objects.filter(
                company=self.company, stage=data["stage"], track=data["track"], is_active=True
            )
            if self.instance.pk is not None:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                raise forms.ValidationError(
                    _(
                        "同じ選考段階・採用区分の有効なルールがすでにあります。そのルールを編集するか、無効にしてから追加してください。"
                    )
                )
        return data


class RuleTimingForm(forms.Form):
    """Just the timing of a rule, for explaining it while the rule form is being filled in."""

    business_days_after = forms.IntegerField(min_value=0, max_value=30)
    send_time = JapaneseTimeField(input_formats=["%H:%M", "%H:%M:%S"])
