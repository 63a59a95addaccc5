from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lib.jatext import email_address_valid, normalize_email


class NormalizedEmailField(forms.CharField):
    """An address typed in full width, with spaces or in capitals, checked and returned in its normal form.

    A CharField, not an EmailField: the address must be normalised before it can be validated.
    """

    default_error_messages = {"invalid": _("メールアドレスの形式が正しくありません。")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("widget", forms.EmailInput(attrs={"autocomplete": "email"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return normalize_email(super().to_python(value) or "")

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not email_address_valid(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


def widgets_named_by_labels(form: forms.BaseForm) -> None:
    """Give each widget its field's label as `aria-label`: filter bars draw bare widgets in one row, with no
    visible <label>, and a screen reader must still say what each control is."""
    for field in form.fields.values():
        if field.label:
            field.widget.attrs.setdefault("aria-label", str(field.label))
