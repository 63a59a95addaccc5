"""Merge fields of rejection templates: `{{応募者名}}` and friends, replaced per applicant when an email is queued."""

import re
from collections.abc import Mapping

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
