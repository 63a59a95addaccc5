"""The shape of a rejected applicant as the generic webhook and the REST API accept it (one definition for both)."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from applicants.models import Applicant
from lib.jatext import nfkc, normalize_email


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


def aware(moment: datetime | None) -> datetime | None:
    """A time sent without an offset is Japan time (the product's time zone)."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


class RejectedApplicantIn(Schema):
    """A rejected applicant. `id` is the applicant's id in the sender's own system (ATS)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=100, description="送信元システム (ATS) での応募者ID")
    name: str = Field(min_length=1, max_length=100, description="氏名")
    name_kana: str = Field(default="", max_length=100, description="フリガナ")
    email: str = Field(max_length=254, description="メールアドレス")
    position: str = Field(default="", max_length=200, description="応募職種")
    stage: str = Field(
        default=Applicant.Stage.DOCUMENT,
        description="選考段階: document (書類選考) / first_interview (一次面接) / final_interview (最終面接) / other",
    )
    track: str = Field(
        default=Applicant.Track.MID_CAREER, description="採用区分: new_graduate (新卒) / mid_career (中途)"
    )
    interview_date: date | None = Field(default=None, description="面接日 (YYYY-MM-DD)")
    rejected_at: datetime | None = Field(default=None, description="不採用日時 (ISO 8601、オフセットなしは日本時間)")

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("name_kana", "position", mode="before")
    @classmethod
    def _null_is_blank(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        email = normalize_email(value)
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValueError(_("メールアドレスの形式が正しくありません。")) from None
        return email

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
