"""The shape of a rejected applicant as the generic webhook and the REST API accept it (one definition for both),
and of a correction the API accepts for one applicant."""

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, Field, JsonValue, field_validator, model_validator

from applicants.models import Applicant
from lib.jatext import email_address_valid, nfkc, normalize_email

# The enums the OpenAPI schema shows (the Japanese labels are accepted too).
STAGE_VALUES: list[JsonValue] = [str(value) for value in Applicant.Stage.values]
TRACK_VALUES: list[JsonValue] = [str(value) for value in Applicant.Track.values]
STAGE_DESCRIPTION = "選考段階 (日本語の表記も可): " + " / ".join(
    f"{value} ({label})" for value, label in Applicant.Stage.choices
)
TRACK_DESCRIPTION = "採用区分 (日本語の表記も可): " + " / ".join(
    f"{value} ({label})" for value, label in Applicant.Track.choices
)
REASON_DESCRIPTION = (
    "選考終了理由 (ATS での表記そのまま、または rejected / withdrawn / hired / not_screened)。"
    "貴社の「選考終了理由」の対応づけで読み、お祈りメールを送る理由のときだけ送ります。"
    "読めない表記は「確認待ち」として登録し、メールは送りません。省略時は不採用です。"
)


def _choice(value: Any, choices: list[tuple[str, Any]], default: str) -> str:
    """Accept a choice by its value (`first_interview`) or by its Japanese label (`一次面接`)."""
    text = nfkc(str(value or ""))
    if not text:
        return default
    for choice_value, label in choices:
        if text.lower() == choice_value or text == str(label):
            return choice_value
    names = "、".join(f"{v} ({label})" for v, label in choices)
    raise ValueError(_("次のいずれかを指定してください: %(choices)s") % {"choices": names})


def _email_address(value: str) -> str:
    email = normalize_email(value)
    if not email_address_valid(email):
        raise ValueError(_("メールアドレスの形式が正しくありません。"))
    return email


def _printable(value: Any) -> Any:
    """NUL and other control characters (tab and line breaks aside) are refused: a database cannot store NUL."""
    if isinstance(value, str) and any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError(_("制御文字 (NUL など) は使えません。"))
    return value


def aware(moment: datetime | None) -> datetime | None:
    """A time sent without an offset is Japan time (the product's time zone)."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


class RejectedApplicantIn(Schema):
    """A rejected applicant. `id` is the applicant's id in the sender's own system (ATS).

    The outcome fields (`reason`, `can_email`, `person_id`, `job_id`, `job_name`) are read as attributes and left
    out of `model_dump()`, which stays exactly the keyword arguments of `applicant_record`'s identity part.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=100, description="送信元システム (ATS) での応募者ID")
    name: str = Field(min_length=1, max_length=100, description="氏名")
    name_kana: str = Field(default="", max_length=100, description="フリガナ")
    email: str = Field(max_length=254, description="メールアドレス")
    position: str = Field(default="", max_length=200, description="応募職種 (省略時は job_name)")
    stage: str = Field(
        default=Applicant.Stage.DOCUMENT, description=STAGE_DESCRIPTION, json_schema_extra={"enum": STAGE_VALUES}
    )
    track: str = Field(
        default=Applicant.Track.MID_CAREER,
        description=TRACK_DESCRIPTION + "。省略時は job_id / job_name (貴社の対応づけ、「27卒」などの表記) から判断し、"
        "わからなければ mid_career",
        json_schema_extra={"enum": TRACK_VALUES},
    )
    interview_date: date | None = Field(default=None, description="面接日 (YYYY-MM-DD)")
    rejected_at: datetime | None = Field(default=None, description="不採用日時 (ISO 8601、オフセットなしは日本時間)")
    reason: str = Field(default="", max_length=200, exclude=True, description=REASON_DESCRIPTION)
    can_email: bool = Field(
        default=True, exclude=True, description="false: 登録だけ行い、メールは送りません (ATS の配信停止など)"
    )
    person_id: str = Field(default="", max_length=100, exclude=True, description="ATS での候補者ID (任意)")
    job_id: str = Field(
        default="", max_length=100, exclude=True, description="ATS での求人ID (採用区分の判断に使います)"
    )
    job_name: str = Field(default="", max_length=200, exclude=True, description="ATS での求人名")

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _printable(value)

    @field_validator("id", "person_id", "job_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("name_kana", "position", "reason", "person_id", "job_id", "job_name", mode="before")
    @classmethod
    def _null_is_blank(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _email_address(value)

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any) -> str:
        return _choice(value, Applicant.Stage.choices, Applicant.Stage.DOCUMENT)

    @field_validator("track", mode="before")
    @classmethod
    def _track(cls, value: Any) -> str:
        return _choice(value, Applicant.Track.choices, Applicant.Track.MID_CAREER)

    @field_validator("rejected_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware(value)

    @property
    def track_given(self) -> bool:
        """The sender named the track itself; otherwise it is read from the job."""
        return "track" in self.model_fields_set


# Fields a correction may leave out but may not set to null (a person always has a name and an address).
_NOT_NULL = ("email", "name", "name_kana", "position", "stage", "track", "reason", "can_email")


class ApplicantPatchIn(Schema):
    """A correction of one applicant: only the fields sent change."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    email: str | None = Field(
        default=None, max_length=254, description="正しいメールアドレス。まだ送っていないメールの宛先も変わります"
    )
    name: str | None = Field(default=None, min_length=1, max_length=100, description="氏名")
    name_kana: str | None = Field(default=None, max_length=100, description="フリガナ")
    position: str | None = Field(default=None, max_length=200, description="応募職種")
    stage: str | None = Field(default=None, description=STAGE_DESCRIPTION, json_schema_extra={"enum": STAGE_VALUES})
    track: str | None = Field(default=None, description=TRACK_DESCRIPTION, json_schema_extra={"enum": TRACK_VALUES})
    interview_date: date | None = Field(default=None, description="面接日 (YYYY-MM-DD、null で消去)")
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=REASON_DESCRIPTION + " 送らない理由に変わると、送信予定のメールは取り消します。",
    )
    can_email: bool | None = Field(default=None, description="false にすると送信予定のメールを取り消します")

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _printable(value)

    @field_validator(*_NOT_NULL, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(_("null は指定できません。変えない項目は省略してください。"))
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _email_address(value)

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any) -> str:
        if not nfkc(str(value or "")):
            raise ValueError(_("空にはできません。"))
        return _choice(value, Applicant.Stage.choices, Applicant.Stage.DOCUMENT)

    @field_validator("track", mode="before")
    @classmethod
    def _track(cls, value: Any) -> str:
        if not nfkc(str(value or "")):
            raise ValueError(_("空にはできません。"))
        return _choice(value, Applicant.Track.choices, Applicant.Track.MID_CAREER)

    @model_validator(mode="after")
    def _something(self) -> "ApplicantPatchIn":
        if not self.model_fields_set:
            raise ValueError(_("変更する項目を 1 つ以上指定してください。"))
        return self
