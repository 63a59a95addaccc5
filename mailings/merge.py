"""Merge fields of rejection templates: `{{応募者名}}` and friends, replaced per applicant when an email is queued."""

import re
import unicodedata
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

RELAY_LINK_FIELD = "リレーリンク"

# Field name → what it becomes; shown in the editor's help and checked when a template is saved.
MERGE_FIELDS = {
    "応募者名": _("応募者の氏名"),
    "応募職種": _("応募いただいた職種"),
    "企業名": _("貴社名"),
    "面接日": _("面接日(例: 2026年11月20日)"),
    RELAY_LINK_FIELD: _("応募者ごとのキャリアリレー専用リンク"),
    "署名": _("メール送信設定の署名"),
}

_FIELD = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def fields_in(text: str) -> list[str]:
    return [match.group(1) for match in _FIELD.finditer(text)]


def unknown_fields(text: str) -> list[str]:
    return sorted({name for name in fields_in(text) if name not in MERGE_FIELDS})


def has_relay_link(text: str) -> bool:
    return RELAY_LINK_FIELD in fields_in(text)


def render_merge(text: str, values: Mapping[str, str]) -> str:
    """Replace every known field; an unknown one is left as typed so a preview shows the mistake."""
    return _FIELD.sub(lambda match: values.get(match.group(1), match.group(0)), text)


# Full-width braces and spaces inside braces are how people really type a field on a Japanese keyboard.
_LOOSE_FIELD = re.compile(r"[{｛]\s*[{｛]\s*([^{}｛｝\n]*?)\s*[}｝]\s*[}｝]")
# Fields that would break a one-line subject: a URL or a multi-line signature belongs in the body.
BODY_ONLY_FIELDS = (RELAY_LINK_FIELD, "署名")


def merge_tokens() -> list[tuple[str, str]]:
    """Every field as it is typed into a template, with what it becomes: for the editor's insert buttons."""
    return [("{{" + name + "}}", str(label)) for name, label in MERGE_FIELDS.items()]


def normalize_fields(text: str) -> str:
    """Write every field the canonical way (`{{応募者名}}`) and use plain newlines; the rest is left as typed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LOOSE_FIELD.sub(
        lambda match: "{{" + re.sub(r"\s+", "", unicodedata.normalize("NFKC", match.group(1))) + "}}", text
    )


def _stray_braces(text: str) -> bool:
    rest = _FIELD.sub("", text)
    return "{{" in rest or "}}" in rest


def template_text_errors(*, subject: str, body: str) -> dict[str, list[str]]:
    """Why a template's subject and body cannot be saved, in words a recruiter understands; empty when they can."""
    errors: dict[str, list[str]] = {"subject": [], "body": []}
    known = "、".join("{{" + name + "}}" for name in MERGE_FIELDS)
    for field, text in (("subject", subject), ("body", body)):
        for name in unknown_fields(text):
            errors[field].append(
                gettext("「{{%(field)s}}」という差し込み項目はありません。使える項目: %(known)s")
                % {"field": name, "known": known}
            )
        if _stray_braces(text):
            errors[field].append(
                gettext(
                    "「{{」と「}}」の対応が取れていない箇所があります。"
                    "差し込み項目は {{応募者名}} のように書いてください。"
                )
            )
    if not subject.strip():
        errors["subject"].append(gettext("件名を入力してください。"))
    for name in BODY_ONLY_FIELDS:
        if name in fields_in(subject):
            errors["subject"].append(
                gettext("「{{%(field)s}}」は件名には使えません。本文に入れてください。") % {"field": name}
            )
    if not body.strip():
        errors["body"].append(gettext("本文を入力してください。"))
    elif not has_relay_link(body):
        errors["body"].append(
            gettext(
                "本文に {{リレーリンク}} を入れてください。送信時に応募者ごとの専用リンクに置き換わります。"
                "この差し込み項目がないテンプレートは保存できません。"
            )
        )
    return {field: messages for field, messages in errors.items() if messages}


def template_text_validate(*, subject: str, body: str) -> None:
    errors = template_text_errors(subject=subject, body=body)
    if errors:
        raise ValidationError(errors)
