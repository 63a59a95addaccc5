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
