"""Validation errors from pydantic (webhook payloads and API bodies) told in the user's language, per field."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


def field_path(location: Sequence[Any]) -> str:
    """`("applicants", 0, "email")` → `applicants.0.email`."""
    return ".".join(str(part) for part in location)


# Messages that need no value from the error; marked for makemessages, translated when shown.
_FIXED_MESSAGES = {
    "missing": gettext_noop("必須の項目です。"),
    "string_type": gettext_noop("文字列で指定してください。"),
    "str_type": gettext_noop("文字列で指定してください。"),
    "int_type": gettext_noop("整数で指定してください。"),
    "int_parsing": gettext_noop("整数で指定してください。"),
    "int_from_float": gettext_noop("整数で指定してください。"),
    "model_type": gettext_noop("オブジェクト ({…}) で指定してください。"),
    "dict_type": gettext_noop("オブジェクト ({…}) で指定してください。"),
    "model_attributes_type": gettext_noop("オブジェクト ({…}) で指定してください。"),
    "list_type": gettext_noop("配列 ([…]) で指定してください。"),
    "bool_type": gettext_noop("true または false で指定してください。"),
    "bool_parsing": gettext_noop("true または false で指定してください。"),
    "extra_forbidden": gettext_noop("この項目は受け付けていません。"),
}
_TOO_SHORT = ("string_too_short", "too_short", "list_too_short")
_TOO_LONG = ("string_too_long", "too_long", "list_too_long")


def error_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind in _FIXED_MESSAGES:
        return _(_FIXED_MESSAGES[kind])
    if kind in _TOO_SHORT and context.get("min_length") in (1, None):
        return _("空にはできません。")
    if kind in _TOO_SHORT:
        return _("%(n)s 件(文字)以上にしてください。") % {"n": context.get("min_length")}
    if kind in _TOO_LONG:
        return _("%(n)s 件(文字)以内にしてください。") % {"n": context.get("max_length")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("%(n)s 以上の値にしてください。") % {"n": context.get("ge", context.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("%(n)s 以下の値にしてください。") % {"n": context.get("le", context.get("lt"))}
    if kind.startswith(("datetime", "timezone")):
        return _("日時は ISO 8601 形式 (例: 2026-11-20T10:00:00+09:00) で指定してください。")
    if kind.startswith("date"):
        return _("日付は YYYY-MM-DD 形式で指定してください。")
    if kind in ("literal_error", "enum"):
        return _("次のいずれかを指定してください: %(choices)s") % {"choices": context.get("expected", "")}
    if kind == "value_error":
        # Raised by our own validators, whose messages are already translated.
        return str(context.get("error") or error.get("msg", ""))
    return _("値が正しくありません。")


def field_errors(errors: Iterable[Mapping[str, Any]], skip: int = 0) -> list[dict[str, str]]:
    """`skip` leading parts of each location are dropped (ninja's `("body", "<param>", …)` wrappers)."""
    return [
        {"field": field_path(tuple(error.get("loc", ()))[skip:]), "message": error_message(error)} for error in errors
    ]


def summary(errors: list[dict[str, str]], limit: int = 5) -> str:
    shown = [f"{e['field'] or _('本文')}: {e['message']}" for e in errors[:limit]]
    more = len(errors) - limit
    if more > 0:
        shown.append(_("ほか %(n)s 件") % {"n": more})
    return " / ".join(shown)
