import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant, RejectionReason
from companies.models import Company, RelayLink
from lib.dates import JST
from lib.forms import NormalizedEmailField, widgets_named_by_labels
from lib.jatext import nfkc
from mailings.merge import template_text_errors
from mailings.models import AutoSendRule, OutboundEmail, RejectionTemplate
from mailings.services.outbox import sender_address
from mailings.services.sending import Schedule, When
from mailings.services.templates import mail_settings_rule_refusal, template_text_clean


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


# Local parts that take no replies: a reply-to must reach a person (DESIGN.md §3 rule 13: replies never go to a
# no-reply address).
NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|noreturn|mailer-daemon)([-_.+].*)?$", re.IGNORECASE
)


class MailSettingsForm(forms.Form):
    """Sender name, reply-to and signature: all three are required before a company's first rejection mail.

    `only`: the fields to ask for (the send screen asks for exactly the missing ones)."""

    sender_name = forms.CharField(
        label=_("差出人名"),
        max_length=100,
        help_text=_("受信した方のメールソフトに表示される名前です。例: 株式会社テスト商事 採用担当"),
        error_messages={"required": _("差出人名を入力してください。")},
    )
    reply_to = NormalizedEmailField(
        label=_("返信先メールアドレス"),
        help_text=_(
            "応募者が返信したときの宛先です。返信を受け取れる採用担当の窓口アドレスを入力してください"
            "(no-reply などの送信専用アドレスは使えません)。"
        ),
        error_messages={"required": _("返信先メールアドレスを入力してください。")},
    )
    signature = forms.CharField(
        label=_("署名"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("テンプレートの {{署名}} に差し込まれます。会社名・部署名・連絡先を入れてください。"),
        error_messages={"required": _("署名を入力してください。")},
    )

    def __init__(self, *args: Any, only: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if only is not None:
            for name in list(self.fields):
                if name not in only:
                    del self.fields[name]

    def clean_sender_name(self) -> str:
        name = nfkc(self.cleaned_data.get("sender_name", ""))
        if any(char in name for char in '<>"@'):
            raise forms.ValidationError(_('差出人名に < > " @ は使えません。会社名や部署名を入力してください。'))
        if not name:
            raise forms.ValidationError(_("差出人名を入力してください。"))
        return name

    def clean_reply_to(self) -> str:
        address: str = self.cleaned_data.get("reply_to", "")
        local = address.rpartition("@")[0]
        if NO_REPLY.match(local) or address.lower() == sender_address().lower():
            raise forms.ValidationError(
                _(
                    "返信を受け取れない送信専用アドレスは返信先にできません。"
                    "応募者からの返信を受け取れる採用担当の窓口アドレスを入力してください。"
                )
            )
        return address

    def clean_signature(self) -> str:
        text = self.cleaned_data.get("signature", "").replace("\r\n", "\n").replace("\r", "\n")
        signature = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
        if not signature.strip():
            raise forms.ValidationError(_("署名を入力してください。"))
        return signature


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


class AutoSendRuleForm(forms.ModelForm[AutoSendRule]):
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
        fields = ["stage", "track", "reason", "template", "business_days_after", "send_time", "is_active"]
        labels = {"template": _("送るテンプレート")}
        help_texts = {
            "reason": _(
                "指定すると、その理由で選考を終えた応募者にだけ使われ、段階・区分だけのルールより優先されます。"
            )
        }
        error_messages = {
            "template": {
                "required": _("送信するテンプレートを選んでください。"),
                "invalid_choice": _("選べないテンプレートです。一覧から選び直してください。"),
            },
            "reason": {"invalid_choice": _("選べない選考終了理由です。一覧から選び直してください。")},
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
        reason = self.fields["reason"]
        assert isinstance(reason, forms.ModelChoiceField)
        # Only reasons that send mail: a rule for 入社決定 or 応募者辞退 would never send anything.
        reason.queryset = RejectionReason.objects.filter(company=company, sends_mail=True)
        reason.empty_label = _("お祈りメールを送るすべての理由")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_active"):
            refusal = mail_settings_rule_refusal(self.company)
            if refusal is not None:
                self.add_error("is_active", refusal)
                return data
        if data.get("is_active") and "stage" in data and "track" in data and "reason" in data:
            same = AutoSendRule.objects.filter(
                company=self.company, stage=data["stage"], track=data["track"], reason=data["reason"], is_active=True
            )
            if self.instance.pk is not None:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                raise forms.ValidationError(
                    _(
                        "同じ選考段階・採用区分(・選考終了理由)の有効なルールがすでにあります。そのルールを編集するか、無効にしてから追加してください。"
                    )
                )
        return data


class RuleTimingForm(forms.Form):
    """Just the timing of a rule, for explaining it while the rule form is being filled in."""

    business_days_after = forms.IntegerField(min_value=0, max_value=30)
    send_time = JapaneseTimeField(input_formats=["%H:%M", "%H:%M:%S"])


class LinkChoiceField(forms.ModelChoiceField[RelayLink]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.label}(/r/{obj.code})"


class SendForm(forms.Form):
    """How a batch goes out (relay link and timing). Which text each applicant gets is not chosen here: it comes
    from the company's rules and templates (mailings.selectors.TemplateChooser)."""

    link = LinkChoiceField(
        queryset=RelayLink.objects.none(),
        label=_("リレーリンク"),
        empty_label=None,
        help_text=_("メール本文の個人用リンクは、このリンクのページに案内します。"),
        error_messages={
            "required": _("リレーリンクを選んでください。"),
            "invalid_choice": _("リレーリンクを選び直してください。"),
        },
    )
    when = forms.ChoiceField(
        label=_("送信のタイミング"), choices=When.CHOICES, initial=When.NOW, widget=forms.RadioSelect
    )
    send_at = forms.DateTimeField(
        label=_("送信日時(日本時間)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("日時は 2026/04/01 10:00 の形式で入力してください。")},
    )
    business_days = forms.IntegerField(
        label=_("不採用日から何営業日後か"),
        required=False,
        min_value=0,
        max_value=30,
        initial=3,
        help_text=_("土日・祝日・年末年始(12/29〜1/3)は数えません。0 は不採用日(休日なら翌営業日)です。"),
        error_messages={
            "invalid": _("営業日数は数字で入力してください。"),
            "min_value": _("営業日数は 0 以上で入力してください。"),
            "max_value": _("営業日数は 30 以下で入力してください。"),
        },
    )
    send_time = forms.TimeField(
        label=_("送信時刻(日本時間)"),
        required=False,
        initial=time(10, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("時刻は 10:00 の形式で入力してください。")},
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["link"].queryset = company.links.active()  # type: ignore[attr-defined]
        if not self.is_bound:
            first = company.links.active().first()
            if first is not None:
                self.initial.setdefault("link", first.pk)

    def clean_send_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("send_at")
        if value is not None and timezone.is_naive(value):
            value = value.replace(tzinfo=JST)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        when = data.get("when")
        if when == When.AT:
            send_at = data.get("send_at")
            if send_at is None and "send_at" not in self.errors:
                self.add_error("send_at", _("送信日時を入力してください。"))
            elif send_at is not None and send_at < timezone.now() - timedelta(minutes=1):
                self.add_error("send_at", _("過去の日時は指定できません。"))
        if when == When.BUSINESS_DAYS:
            if data.get("business_days") is None and "business_days" not in self.errors:
                self.add_error("business_days", _("営業日数を入力してください。"))
            if data.get("send_time") is None and "send_time" not in self.errors:
                self.add_error("send_time", _("送信時刻を入力してください。"))
        return data

    @property
    def schedule(self) -> Schedule:
        data = self.cleaned_data
        return Schedule(
            when=data["when"],
            at=data.get("send_at"),
            business_days=data.get("business_days") or 0,
            send_time=data.get("send_time") or time(10, 0),
        )


class OutboxFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("すべての状態")),
        (OutboundEmail.Status.QUEUED, _("送信待ち")),
        (OutboundEmail.Status.SENDING, _("送信中")),
        (OutboundEmail.Status.SENT, _("送信済み")),
        (OutboundEmail.Status.FAILED, _("失敗")),
        (OutboundEmail.Status.CANCELLED, _("取り消し")),
        ("clicked", _("クリック")),
        ("registered", _("登録")),
    ]
    status = forms.ChoiceField(label=_("状態"), choices=STATUS_CHOICES, required=False)
    kind = forms.ChoiceField(
        label=_("種類"), choices=[("", _("すべての種類")), *OutboundEmail.Kind.choices], required=False
    )
    q = forms.CharField(label=_("検索"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widgets_named_by_labels(self)
