"""Why a CSV row was not stored, kept as codes with values so the report reads in the language of whoever opens it.

A problem is `[code, {values}]`; a row's report line is its row number and its problems. The worker that stores
an import has no visitor's language, so the text is put together when a page shows it.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from applicants.models import IMPORT_FIELDS, Applicant, ImportRowIssue

Problem = list[Any]  # [code, {name: value}], JSON-friendly

_TEXTS = {
    "name_missing": _("氏名が入力されていません"),
    "email_missing": _("メールアドレスが入力されていません"),
    "email_invalid": _("メールアドレスの形式が正しくありません (%(value)s)"),
    "too_long": _("%(field)sが長すぎます(%(limit)s文字まで)"),
    "bad_date": _("%(field)sの日付の形式が正しくありません (%(value)s)"),
    "not_rejected": _("選考結果が「%(outcome)s」のため、不採用の応募者として取り込みませんでした (%(who)s)"),
    "in_selection": _("選考中のため、取り込みませんでした (%(who)s)"),
    "not_sending": _("%(reason)sのため、お祈りメールの対象外として取り込みませんでした (%(who)s)"),
    "unknown_reason": _("選考終了理由「%(text)s」をどう扱うか未設定のため、確認待ちとして取り込みます (%(who)s)"),
    "cell_too_long": _("1つのセルが長すぎます(%(limit)s文字まで)。この行だけ取り込みませんでした"),
    "duplicate_in_file": _("%(earlier)s行目と同じ応募者のため、取り込みませんでした (%(who)s)"),
    "duplicate_import": _("すでに登録済みの応募者です(取り込み「%(filename)s」で登録) (%(who)s)"),
    "duplicate_source": _("すでに登録済みの応募者です(%(source)sで登録) (%(who)s)"),
    "duplicate": _("すでに登録済みの応募者です (%(who)s)"),
}
_ROW = _("%(row)s行目: %(problems)s")


def problem(code: str, **values: Any) -> Problem:
    assert code in _TEXTS, code
    return [code, values]


def _labels(values: dict[str, Any]) -> dict[str, Any]:
    shown = dict(values)
    if "field" in shown:
        shown["field"] = IMPORT_FIELDS.get(shown["field"], shown["field"])
    if "source" in shown:
        shown["source"] = dict(Applicant.Source.choices).get(shown["source"], shown["source"])
    return shown


def problem_text(item: Problem) -> str:
    code, values = item
    text = str(_TEXTS[code])
    return text % _labels(values) if values else text


def row_text(row: int, problems: list[Problem]) -> str:
    """「3行目: メールアドレスの形式が正しくありません (taro@@example)」, in the active language."""
    return str(_ROW) % {"row": row, "problems": " / ".join(problem_text(item) for item in problems)}


def issue_message(issue: ImportRowIssue) -> str:
    """A stored row issue's reason in the language of the page showing it (older rows keep their stored text)."""
    return row_text(issue.row_number, issue.details) if issue.details else issue.message
