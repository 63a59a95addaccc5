"""How ATSs name stages, jobs and selection outcomes, mapped onto ours: the one reading every way in shares.

Greenhouse, Lever, HERP Hire (CSV and API), HRMOS採用, the generic webhook and the REST API all ask a
`Vocabulary`: first the company's own mapping (`AtsMapping`, edited on the mapping screen), then the built-in
word lists below. Nothing here touches the database (`applicants.selectors.company_vocabulary` loads one), so the
CSV preview, the worker and the webhooks read a file or a payload exactly the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lib.jatext import nfkc

DOCUMENT = "document"
CASUAL_INTERVIEW = "casual_interview"
APTITUDE_TEST = "aptitude_test"
FIRST_INTERVIEW = "first_interview"
SECOND_INTERVIEW = "second_interview"
LATER_INTERVIEW = "later_interview"
FINAL_INTERVIEW = "final_interview"
GROUP_DISCUSSION = "group_discussion"
OTHER = "other"
NEW_GRADUATE = "new_graduate"
MID_CAREER = "mid_career"

# Reason codes (RejectionReason.Code).
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
HIRED = "hired"
NOT_SCREENED = "not_screened"


@lru_cache(maxsize=8192)  # a file repeats a handful of stage, job and reason words on every row
def match_key(text: str) -> str:
    """What two spellings of one ATS word share: NFKC, lower case, no spaces (「二次 面接」 = 「二次面接」)."""
    # NFKC again at the end: lower-casing or a removed space can leave a character decomposed (o + macron).
    return nfkc("".join(nfkc(text or "").lower().split()))


# Checked in order; the first word found decides. More specific words come first: 「最終面接」 contains 面接,
# 「役員面接」 is a later round, not the final one, unless the ATS says 最終.
_STAGE_WORDS: tuple[tuple[str, str], ...] = (
    ("最終", FINAL_INTERVIEW),
    ("final", FINAL_INTERVIEW),
    ("offer", FINAL_INTERVIEW),
    ("内定", FINAL_INTERVIEW),
    ("役員", LATER_INTERVIEW),
    ("社長", LATER_INTERVIEW),
    ("三次", LATER_INTERVIEW),
    ("3次", LATER_INTERVIEW),
    ("四次", LATER_INTERVIEW),
    ("4次", LATER_INTERVIEW),
    ("五次", LATER_INTERVIEW),
    ("5次", LATER_INTERVIEW),
    ("executive", LATER_INTERVIEW),
    ("third", LATER_INTERVIEW),
    ("二次", SECOND_INTERVIEW),
    ("2次", SECOND_INTERVIEW),
    ("second", SECOND_INTERVIEW),
    ("一次", FIRST_INTERVIEW),
    ("1次", FIRST_INTERVIEW),
    ("first", FIRST_INTERVIEW),
    ("カジュアル", CASUAL_INTERVIEW),
    ("casual", CASUAL_INTERVIEW),
    ("面談", CASUAL_INTERVIEW),
    ("グループディスカッション", GROUP_DISCUSSION),
    ("グループワーク", GROUP_DISCUSSION),
    ("groupdiscussion", GROUP_DISCUSSION),
    ("gd", GROUP_DISCUSSION),
    ("適性", APTITUDE_TEST),
    ("spi", APTITUDE_TEST),
    ("筆記", APTITUDE_TEST),
    ("webテスト", APTITUDE_TEST),
    ("aptitude", APTITUDE_TEST),
    ("assessment", APTITUDE_TEST),
    ("test", APTITUDE_TEST),
    ("面接", FIRST_INTERVIEW),
    ("interview", FIRST_INTERVIEW),
    ("phone", FIRST_INTERVIEW),
    ("screen", FIRST_INTERVIEW),
    ("書類", DOCUMENT),
    ("エントリー", DOCUMENT),
    ("応募", DOCUMENT),
    ("履歴書", DOCUMENT),
    ("application", DOCUMENT),
    ("review", DOCUMENT),
    ("resume", DOCUMENT),
)

_TRACK_WORDS: tuple[tuple[str, str], ...] = (
    ("第二新卒", MID_CAREER),
    ("新卒", NEW_GRADUATE),
    ("新卒採用", NEW_GRADUATE),
    ("newgrad", NEW_GRADUATE),
    ("graduate", NEW_GRADUATE),
    ("インターン", NEW_GRADUATE),
    ("中途", MID_CAREER),
    ("キャリア採用", MID_CAREER),
    ("経験者", MID_CAREER),
    ("experienced", MID_CAREER),
)

_GRADUATION_YEAR = re.compile(r"\d{2}(?:年)?卒")

# Selection-end words. 不採用 contains 採用, so rejections are checked before hires.
_REASON_WORDS: tuple[tuple[str, str], ...] = (
    ("非選考", NOT_SCREENED),
    ("対象外", NOT_SCREENED),
    ("不採用", REJECTED),
    ("不合格", REJECTED),
    ("見送", REJECTED),
    ("落選", REJECTED),
    ("お祈り", REJECTED),
    ("wereject", REJECTED),
    ("ng", REJECTED),
    ("辞退", WITHDRAWN),
    ("withdr", WITHDRAWN),
    ("theyreject", WITHDRAWN),
    ("declin", WITHDRAWN),
    ("入社", HIRED),
    ("採用決定", HIRED),
    ("内定承諾", HIRED),
    ("hired", HIRED),
)

# Words that say selection is still going on (HRMOS's status column, a HERP step without an end reason).
_IN_SELECTION_WORDS = ("選考中", "未対応", "面接調整", "日程調整", "結果待ち", "保留", "進行中", "active", "inprogress")


@lru_cache(maxsize=2048)
def stage_guess(text: str) -> str | None:
    """Our stage for an ATS stage name by the built-in words, or None when no word matches."""
    key = match_key(text)
    if not key:
        return None
    for word, stage in _STAGE_WORDS:
        if word == "gd":
            if key == "gd" or key.startswith("gd") or key.endswith("gd"):
                return stage
            continue
        if word in key:
            return stage
    return None


@lru_cache(maxsize=2048)
def track_guess(text: str) -> str | None:
    key = match_key(text)
    if _GRADUATION_YEAR.search(key):  # 「27卒 総合職」, 「2028年卒」: graduation-year jobs are new-graduate hiring
        return NEW_GRADUATE
    for word, track in _TRACK_WORDS:
        if word in key:
            return track
    return None


@lru_cache(maxsize=2048)
def reason_code_guess(text: str) -> str | None:
    """The standard reason an ATS's words name, or None when they name none of them."""
    key = match_key(text)
    if not key:
        return None
    if key == "ng":
        return REJECTED
    for word, code in _REASON_WORDS:
        if word != "ng" and word in key:
            return code
    return None


@lru_cache(maxsize=2048)
def is_in_selection(text: str) -> bool:
    key = match_key(text)
    return any(word in key for word in _IN_SELECTION_WORDS)


@dataclass(frozen=True)
class ReasonVerdict:
    """What an ATS's selection-end words mean: a reason of the company (id), or unknown (None, held)."""

    reason_id: int | None
    text: str


@dataclass
class Vocabulary:
    """A company's mappings and reasons, loaded once per request, import or event."""

    stages: dict[str, str] = field(default_factory=dict)  # match_key → stage
    tracks: dict[str, str] = field(default_factory=dict)  # match_key (job name or id) → track
    reasons: dict[str, int] = field(default_factory=dict)  # match_key → reason id
    reason_names: dict[str, int] = field(default_factory=dict)  # match_key(reason name) → reason id
    reason_codes: dict[str, int] = field(default_factory=dict)  # standard code → reason id
    reason_labels: dict[int, str] = field(default_factory=dict)  # reason id → the company's name for it
    sending_reasons: frozenset[int] = frozenset()
    # Answers already given: a file of 100,000 rows asks about the same few words on every row.
    _answers: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False, compare=False)

    def stage_for(self, text: str, default: str = DOCUMENT) -> str:
        """The company's mapping first, then the built-in words; an unnamed step is `default`, unknown is その他."""
        question = ("stage", text, default)
        if question not in self._answers:
            self._answers[question] = self._stage_for(text, default)
        return self._answers[question]  # type: ignore[return-value]

    def _stage_for(self, text: str, default: str) -> str:
        key = match_key(text)
        if not key:
            return default
        if key in self.stages:
            return self.stages[key]
        return stage_guess(text) or OTHER

    def track_for(self, *texts: str, default: str = MID_CAREER) -> str:
        """A job's track from its name or id (mapping first, then words such as 新卒 / 27卒 / 中途)."""
        question = ("track", default, *texts)
        if question not in self._answers:
            self._answers[question] = self._track_for(texts, default)
        return self._answers[question]  # type: ignore[return-value]

    def _track_for(self, texts: tuple[str, ...], default: str) -> str:
        for text in texts:
            key = match_key(text)
            if key and key in self.tracks:
                return self.tracks[key]
        for text in texts:
            guessed = track_guess(text)
            if guessed is not None:
                return guessed
        return default

    def reason_for(self, *texts: str) -> int | None:
        """The company's reason for the ATS's words (several: a reason's name, then its type), or None."""
        question = ("reason", *texts)
        if question not in self._answers:
            self._answers[question] = self._reason_for(texts)
        return self._answers[question]  # type: ignore[return-value]

    def _reason_for(self, texts: tuple[str, ...]) -> int | None:
        for text in texts:
            key = match_key(text)
            if not key:
                continue
            if key in self.reasons:
                return self.reasons[key]
            if key in self.reason_names:
                return self.reason_names[key]
        for text in texts:
            code = reason_code_guess(text)
            if code is not None and code in self.reason_codes:
                return self.reason_codes[code]
        return None

    def code_reason(self, code: str) -> int | None:
        return self.reason_codes.get(code)

    def sends(self, reason_id: int | None) -> bool:
        return reason_id is not None and reason_id in self.sending_reasons
