"""Reading applicant CSVs exported from Japanese ATSs: encodings, delimiters, header recognition, row validation.

Nothing here touches the database, so the preview, the worker and the benchmark share exactly one reading of a
file. De-duplication lives in `applicants.services` (it needs the database).
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache

from django.utils.translation import gettext as _

from applicants.models import IMPORT_FIELDS, applicant_normalized
from applicants.problems import Problem, problem, row_text
from applicants.vocabulary import HIRED, REJECTED, WITHDRAWN, Vocabulary, is_in_selection, stage_guess
from lib.dates import JST
from lib.errors import RuleRefused
from lib.jatext import email_address_valid, nfkc

MAX_FILE_BYTES = 50 * 1024 * 1024

STAGE_DOCUMENT = "document"
TRACK_MID = "mid_career"


# Header names for each field. HERP Hire's help centre names 名前 / 募集職種 / 選考ステップ / 応募時刻 / 応募経路 /
# 選考終了理由 for its applications CSV; HRMOS採用's documents an 応募者情報CSV with the final selection status and
# the dates of each step, rejection and withdrawal, without listing exact headers. The other names are common
# variants, accepted for either system, compared after NFKC (so 氏名（カナ） and 氏名(カナ) are one header).
_COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("候補者ID", "応募者ID", "応募ID", "候補者No", "応募者No", "ID"),
    "name": ("氏名", "名前", "候補者名", "応募者名", "氏名(漢字)", "お名前"),
    "last_name": ("姓", "姓(漢字)", "氏名(姓)"),
    "first_name": ("名", "名(漢字)", "氏名(名)"),
    "name_kana": (
        "フリガナ",
        "ふりがな",
        "氏名(カナ)",
        "氏名(フリガナ)",
        "名前(フリガナ)",
        "名前(カナ)",
        "氏名カナ",
        "カナ氏名",
        "氏名かな",
    ),
    "last_name_kana": ("セイ", "姓(カナ)", "姓(フリガナ)", "姓カナ"),
    "first_name_kana": ("メイ", "名(カナ)", "名(フリガナ)", "名カナ"),
    "email": ("メールアドレス", "メール", "Eメール", "E-mail", "Email", "メールアドレス1", "連絡先メールアドレス"),
    "position": ("応募職種", "募集職種", "求人名", "ポジション", "選考ポジション", "職種", "応募求人", "求人"),
    "stage": ("選考ステップ", "選考フェーズ", "選考段階", "最終選考ステップ", "現在の選考ステップ"),
    "track": ("採用区分", "新卒/中途", "新卒・中途", "区分"),
    "interview_date": ("面接日", "最終面接日", "面接日時", "選考日"),
    "rejected_at": ("不採用日", "選考終了日", "不合格日", "不採用日時", "選考終了日時", "見送り日"),
    # Why selection ended (HERP Hire: 不採用 / 応募者辞退 / 入社決定 / 非選考対象, empty while selection goes on).
    # Exports list every candidate, hired and in-selection ones too: only rejections are imported.
    "outcome": ("選考終了理由", "選考結果", "合否", "合否結果", "不採用理由"),
    # HRMOS採用: the final selection status and the date of each ending.
    "status": ("選考ステータス", "ステータス", "選考状況", "応募ステータス"),
    "withdrawn_at": ("辞退日", "辞退日時", "選考辞退日"),
    "hired_at": ("入社日", "入社予定日", "入社決定日"),
}
# Columns that say who was really rejected: a file with none of them is a list of rejections by declaration.
TRUTH_FIELDS = ("outcome", "status", "withdrawn_at", "hired_at")

# Headers that only one system writes: a file is recognised when it has at least two of its markers and
# more of them than the other system's.
_MARKERS: dict[str, frozenset[str]] = {
    "herp": frozenset(
        {"候補者ID", "名前", "募集職種", "選考ステップ", "応募時刻", "応募経路", "選考終了理由", "選考終了日"}
    ),
    "hrmos": frozenset(
        {
            "応募者ID",
            "応募ID",
            "氏名(カナ)",
            "求人名",
            "選考ポジション",
            "選考ステータス",
            "選考フェーズ",
            "不合格日",
            "辞退日",
            "入社日",
            "セイ",
            "メイ",
        }
    ),
}

_DATE = re.compile(
    r"^(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]*(?:\([^)]*\))?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)

# Python's csv module refuses a cell longer than this; such a row is refused on its own, never the whole file.
CELL_LIMIT = csv.field_size_limit()
_OVERSIZED = "\x00oversized"  # a record standing for a row with a cell over the limit (NUL never survives decode)

MAX_LENGTHS = {"external_id": 100, "name": 100, "name_kana": 100, "email": 254, "position": 200}


class CsvFileError(RuleRefused):
    """The file as a whole cannot be read: the message is shown to the person who uploaded it."""


def header_key(value: str) -> str:
    """Headers compare after NFKC, without spaces or a BOM: "メールアドレス " and "メールアドレス" are one column."""
    return unicodedata.normalize("NFKC", value or "").replace("\ufeff", "").replace(" ", "").strip().lower()


@dataclass(frozen=True)
class DecodedFile:
    text: str
    encoding: str


def decode(content: bytes) -> DecodedFile:
    """BOM → UTF-8 with BOM; valid UTF-8 → UTF-8; otherwise CP932 (Shift_JIS as Windows Excel writes it)."""
    if not content.strip():
        raise CsvFileError(_("ファイルが空です。見出し行と応募者の行が入った CSV ファイルを選んでください。"))
    candidates: tuple[str, ...] = ("utf-8-sig",) if content.startswith(b"\xef\xbb\xbf") else ("utf-8", "cp932")
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return DecodedFile(text=text, encoding=encoding)
    raise CsvFileError(
        _(
            "ファイルの文字コードを読み取れませんでした。"
            "CSV (UTF-8 または Shift_JIS) で保存し直してからお送りください。"
            "Excel のブック (.xlsx) の場合は「名前を付けて保存」で CSV 形式を選んでください。"
        )
    )


def sniff_delimiter(text: str) -> str:
    # Whole lines only: a sample cut inside a quoted cell confuses the sniffer.
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return "\t" if first_line.count("\t") > first_line.count(",") else ","


def read_records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    while True:
        try:
            records.append(next(reader))
        except StopIteration:
            return records
        except csv.Error as error:
            if "field limit" not in str(error):
                raise CsvFileError(_("CSV として読み取れませんでした (%(error)s)。") % {"error": error}) from None
            # The reader resumes at the next line: only this row is refused.
            records.append([_OVERSIZED])


@dataclass(frozen=True)
class Layout:
    """Which column index holds which of our fields."""

    format: str
    columns: dict[str, int]
    header_names: dict[str, str]

    def has(self, name: str) -> bool:
        return name in self.columns


def _resolve(headers: Sequence[str], wanted: Mapping[str, Iterable[str]]) -> tuple[dict[str, int], dict[str, str]]:
    index: dict[str, int] = {}
    for i, header in enumerate(headers):
        index.setdefault(header_key(header), i)
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for name, aliases in wanted.items():
        for alias in aliases:
            found = index.get(header_key(alias))
            if found is not None:
                columns[name] = found
                names[name] = headers[found].strip()
                break
    return columns, names


def _check_required(columns: dict[str, int], headers: Sequence[str]) -> None:
    missing = []
    if "name" not in columns and not ("last_name" in columns and "first_name" in columns):
        missing.append(_("氏名(または 姓 と 名)"))
    if "email" not in columns:
        missing.append(_("メールアドレス"))
    if missing:
        found = "、".join(h.strip() for h in headers if h.strip()) or _("(見出しなし)")
        raise CsvFileError(
            _("必要な列が見つかりませんでした: %(missing)s。1行目(見出し行)の列名: %(found)s")
            % {"missing": "、".join(str(m) for m in missing), "found": found}
        )


def detect_format(headers: Sequence[str]) -> str | None:
    keys = {header_key(h) for h in headers}
    scores = {fmt: len(keys & {header_key(m) for m in markers}) for fmt, markers in _MARKERS.items()}
    best = max(scores, key=lambda fmt: scores[fmt])
    others = [score for fmt, score in scores.items() if fmt != best]
    if scores[best] >= 2 and all(scores[best] > score for score in others):
        return best
    return None


def layout_for(headers: Sequence[str], *, mapping: dict[str, str] | None = None, format: str = "generic") -> Layout:
    """The known system's layout, or, with a mapping (our field → their header), the layout it names."""
    if mapping:
        wanted = {name: (header,) for name, header in mapping.items() if header and name in IMPORT_FIELDS}
        columns, names = _resolve(headers, wanted)
        unmatched = [aliases[0] for name, aliases in wanted.items() if name not in columns]
        if unmatched:
            raise CsvFileError(
                _("プリセットで指定した列がファイルにありません: %(columns)s。1行目(見出し行)の列名: %(found)s")
                % {"columns": "、".join(unmatched), "found": "、".join(h.strip() for h in headers if h.strip())}
            )
        _check_required(columns, headers)
        return Layout(format=format, columns=columns, header_names=names)
    fmt = detect_format(headers)
    if fmt is None:
        found = "、".join(h.strip() for h in headers if h.strip()) or _("(見出しなし)")
        raise CsvFileError(
            _(
                "見出し行から HERP Hire・HRMOS採用 の CSV と判別できませんでした。"
                "列の対応づけ(プリセット)を選んでもう一度お送りください。1行目(見出し行)の列名: %(found)s"
            )
            % {"found": found}
        )
    columns, names = _resolve(headers, _COMMON_ALIASES)
    _check_required(columns, headers)
    return Layout(format=fmt, columns=columns, header_names=names)


@lru_cache(maxsize=4096)
def parse_date(value: str) -> datetime | None:
    """`2026/11/20`, `2026-11-20 10:30`, `2026年11月20日` (NFKC first); None for an empty cell; ValueError if wrong."""
    text = nfkc(value)
    if not text:
        return None
    match = _DATE.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    return datetime.combine(date(year, month, day), time(hour, minute, second), tzinfo=JST)


@dataclass(slots=True)
class Row:
    """One data record as it will be stored (normalised by `applicant_normalized`), or why it cannot be."""

    number: int  # spreadsheet row, header = 1
    external_id: str = ""
    name: str = ""
    name_kana: str = ""
    email: str = ""
    position: str = ""
    stage: str = STAGE_DOCUMENT
    track: str = TRACK_MID
    interview_date: date | None = None
    rejected_at: datetime | None = None
    dedupe_key: str = ""
    reason_id: int | None = None
    reason_text: str = ""
    hold: str = ""  # "unknown_reason": stored, but its mail waits for the company to say what the words mean
    # Set when the row is not a rejection to mail (still in selection, withdrew, hired…): the row is left out.
    excluded: Problem | None = None
    errors: list[Problem] = field(default_factory=list)

    @property
    def who(self) -> str:
        """The person as a row report names them: 「山田 太郎 <taro@example.jp>」."""
        return f"{self.name} <{self.email}>"

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def error_message(self) -> str:
        return row_text(self.number, self.errors)


def _joined(first: str, second: str) -> str:
    return " ".join(part for part in (nfkc(first), nfkc(second)) if part)


# Addresses this simple are valid by Django's rules too; anything else is left to Django's validator, so the
# fast path only saves time and never changes a verdict.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_+\-]+(?:\.[a-z0-9_+\-]+)*@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


def is_valid_email(value: str) -> bool:
    if len(value) <= 254 and _PLAIN_EMAIL.match(value):
        return True
    return email_address_valid(value)


def _outcome(row: Row, cell: Mapping[str, str], layout: Layout, vocabulary: Vocabulary) -> None:
    """Who was really rejected, from HERP's 選考終了理由 or HRMOS's status and dates (DESIGN.md §3 rule 13).

    The dates of an ending come first (入社日, 辞退日), then the words of one (選考終了理由, a status such as
    「不合格」), then HRMOS's 不合格日 under a status that names the step; a status that names a step without an
    ending is a selection still going on. A file with none of these columns is a list of rejections, as the
    upload page asks for.
    """
    # Most cells are empty or absent: only text that is there is normalised (this runs for every row of a file).
    outcome = nfkc(cell["outcome"]) if cell["outcome"] else ""
    status = nfkc(cell["status"]) if cell["status"] else ""
    if cell["hired_at"].strip():
        row.reason_id, row.reason_text = vocabulary.code_reason(HIRED), ""
    elif cell["withdrawn_at"].strip():
        row.reason_id, row.reason_text = vocabulary.code_reason(WITHDRAWN), ""
    elif outcome:
        row.reason_text = outcome
        row.reason_id = vocabulary.reason_for(outcome)
    elif status and vocabulary.reason_for(status) is not None:
        row.reason_text = status
        row.reason_id = vocabulary.reason_for(status)
    elif cell["rejected_at"].strip() and not layout.has("outcome") and (status or layout.has("status")):
        row.reason_id = vocabulary.code_reason(REJECTED)  # HRMOS: a 不合格日 under the step it happened at
    elif status and not (is_in_selection(status) or stage_guess(status)):
        row.reason_text = status  # words nobody has mapped yet: stored and held
        row.reason_id = None
    elif any(layout.has(name) for name in TRUTH_FIELDS):
        row.excluded = problem("in_selection", who=row.who)
        return
    else:
        row.reason_id = vocabulary.code_reason(REJECTED)  # a plain list: every row is a rejection, as the page says
    if row.reason_id is None:
        row.hold = "unknown_reason"
    elif not vocabulary.sends(row.reason_id):
        name = vocabulary.reason_labels.get(row.reason_id, row.reason_text)
        row.excluded = problem("not_sending", reason=name, who=row.who)


def parse_row(
    record: Sequence[str],
    *,
    number: int,
    layout: Layout,
    default_stage: str,
    default_track: str,
    vocabulary: Vocabulary | None = None,
) -> Row:
    vocabulary = vocabulary or Vocabulary()
    if len(record) == 1 and record[0] == _OVERSIZED:
        return Row(number=number, errors=[problem("cell_too_long", limit=CELL_LIMIT)])
    width = len(record)
    cell = dict.fromkeys(IMPORT_FIELDS, "")
    for name, i in layout.columns.items():
        if i < width:
            cell[name] = record[i]
    raw_email = cell["email"]
    values = applicant_normalized(
        name=cell["name"] or _joined(cell["last_name"], cell["first_name"]),
        email=raw_email,
        external_system=layout.format,
        external_id=cell["external_id"],
        name_kana=cell["name_kana"] or _joined(cell["last_name_kana"], cell["first_name_kana"]),
        position=cell["position"],
    )
    row = Row(
        number=number,
        external_id=values.external_id,
        name=values.name,
        name_kana=values.name_kana,
        email=values.email,
        position=values.position,
        stage=vocabulary.stage_for(
            cell["stage"] or (cell["status"] if stage_guess(cell["status"]) else ""), default_stage
        ),
        track=vocabulary.track_for(cell["track"], values.position, default=default_track),
        dedupe_key=values.dedupe_key,
    )
    _outcome(row, cell, layout, vocabulary)
    if not row.name:
        row.errors.append(problem("name_missing"))
    if not row.email:
        row.errors.append(problem("email_missing"))
    elif not is_valid_email(row.email):
        row.errors.append(problem("email_invalid", value=nfkc(raw_email)))
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(row, name)) > limit:
            row.errors.append(problem("too_long", field=name, limit=limit))
    raw = cell["interview_date"]
    try:
        moment = parse_date(raw)
        row.interview_date = moment.date() if moment else None
    except ValueError:
        row.errors.append(problem("bad_date", field="interview_date", value=raw))
    raw = cell["rejected_at"]
    try:
        row.rejected_at = parse_date(raw)
    except ValueError:
        row.errors.append(problem("bad_date", field="rejected_at", value=raw))
    return row


def is_blank(record: Sequence[str]) -> bool:
    """A line with no text in any cell (Excel leaves them at the end of a sheet)."""
    return not "".join(record).strip()


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    headers: list[str]
    layout: Layout
    records: list[list[str]]  # data records (header removed), blank lines included so row numbers stay true
    header_row: int = 1  # spreadsheet row of the header (blank lines above it are skipped)

    def rows(
        self,
        *,
        default_stage: str,
        default_track: str,
        start: int = 0,
        stop: int | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> Iterable[Row]:
        """Parsed rows of records[start:stop]; wholly blank lines are skipped (Excel leaves them at the end)."""
        for index in range(start, len(self.records) if stop is None else min(stop, len(self.records))):
            record = self.records[index]
            if is_blank(record):
                continue
            yield parse_row(
                record,
                number=index + self.header_row + 1,
                layout=self.layout,
                default_stage=default_stage,
                default_track=default_track,
                vocabulary=vocabulary,
            )

    @property
    def data_rows(self) -> int:
        return sum(1 for record in self.records if not is_blank(record))


def parse_file(content: bytes, *, mapping: dict[str, str] | None = None, format: str = "generic") -> ParsedFile:
    """Decode and read a whole file. `mapping` reads it as a preset says; without it the format is recognised.

    `format` names the system a mapping's file comes from (a resumed import re-reads its file with the columns
    it recorded, and its ids must keep their system).
    """
    if len(content) > MAX_FILE_BYTES:
        raise CsvFileError(
            _("ファイルが大きすぎます(上限 %(limit)s MB)。ファイルを分けてお送りください。")
            % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
        )
    decoded = decode(content)
    delimiter = sniff_delimiter(decoded.text)
    records = read_records(decoded.text, delimiter)
    header_row = 1
    while records and is_blank(records[0]):
        records.pop(0)
        header_row += 1
    if not records:
        raise CsvFileError(_("ファイルが空です。見出し行と応募者の行が入った CSV ファイルを選んでください。"))
    headers = records[0]
    layout = layout_for(headers, mapping=mapping, format=format)
    data = records[1:]
    if all(is_blank(record) for record in data):
        raise CsvFileError(_("見出し行のほかに応募者の行がありません。"))
    return ParsedFile(
        encoding=decoded.encoding,
        delimiter=delimiter,
        headers=headers,
        layout=layout,
        records=data,
        header_row=header_row,
    )
