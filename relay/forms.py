from django import forms
from django.utils.translation import gettext_lazy


class InvalidateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("無効化の理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("例: 同一人物による重複登録、虚偽の登録内容"),
        error_messages={"required": gettext_lazy("無効化の理由を入力してください。")},
    )


class ReviewDecisionForm(forms.Form):
    """The review queue's bulk action: the ticked referrals, what to do with them, and why (for invalidation)."""

    decision = forms.ChoiceField(
        label=gettext_lazy("操作"),
        choices=[
            ("confirm", gettext_lazy("確認済みにしてカウントする")),
            ("hold", gettext_lazy("保留にする(カウントしない)")),
            ("invalidate", gettext_lazy("無効にする")),
        ],
        error_messages={
            "required": gettext_lazy("操作を選んでください。"),
            "invalid_choice": gettext_lazy("操作を選んでください。"),
        },
    )
    referrals = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": gettext_lazy("対象の紹介を選んでください。"),
            "invalid_choice": gettext_lazy("選んだ紹介の一部は確認待ちではなくなっています。"),
        },
    )
    reason = forms.CharField(label=gettext_lazy("理由(無効にする場合は必須)"), max_length=500, required=False)

    def __init__(self, *args: object, referral_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["referrals"].choices = [(pk, str(pk)) for pk in referral_ids]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "invalidate" and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", gettext_lazy("無効化の理由を入力してください。"))
        return cleaned
