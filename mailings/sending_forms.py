from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company, RelayLink
from mailings.models import OutboundEmail, RejectionTemplate, TemplateVersion
from mailings.outbox import JAPAN
from mailings.sending import Schedule, When


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}({obj.get_stage_display()}・{obj.get_track_display()})"


class LinkChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.label}(/r/{obj.code})"


class SendForm(forms.Form):
    template = TemplateChoiceField(
        queryset=RejectionTemplate.objects.none(),
        label=_("テンプレート"),
        empty_label=None,
        error_messages={
            "required": _("テンプレートを選んでください。"),
            "invalid_choice": _("テンプレートを選び直してください。"),
        },
    )
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
        templates = RejectionTemplate.objects.filter(company=company, is_active=True, versions__isnull=False)
        self.fields["template"].queryset = templates.distinct()  # type: ignore[attr-defined]
        self.fields["link"].queryset = company.links.active()  # type: ignore[attr-defined]
        if not self.is_bound:
            first = company.links.active().first()
            if first is not None:
                self.initial.setdefault("link", first.pk)

    def clean_send_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("send_at")
        if value is not None and timezone.is_naive(value):
            value = value.replace(tzinfo=JAPAN)
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
    def version(self) -> TemplateVersion | None:
        template: RejectionTemplate = self.cleaned_data["template"]
        return template.current_version

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
