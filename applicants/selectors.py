"""Reads over a company's applicants: its vocabulary (reasons and ATS mappings), and what waits for a person."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from applicants.models import Applicant, AtsMapping, RejectionReason
from applicants.vocabulary import Vocabulary, match_key, stage_guess, track_guess
from companies.models import Company


def rejection_reasons_for(company: Company) -> list[RejectionReason]:
    """The company's reasons in their order (the four standard ones, installed with the company, come first)."""
    return list(RejectionReason.objects.filter(company=company))


def company_vocabulary(company: Company) -> Vocabulary:
    """Everything an ATS event, an API call or a CSV file needs to read stages, tracks and reasons."""
    reasons = rejection_reasons_for(company)
    vocabulary = Vocabulary(
        reason_names={match_key(reason.name): reason.pk for reason in reasons},
        reason_codes={reason.code: reason.pk for reason in reasons if reason.code},
        reason_labels={reason.pk: reason.name for reason in reasons},
        sending_reasons=frozenset(reason.pk for reason in reasons if reason.sends_mail),
    )
    for mapping in AtsMapping.objects.filter(company=company):
        if mapping.kind == AtsMapping.Kind.STAGE and mapping.stage:
            vocabulary.stages[mapping.match] = mapping.stage
        elif mapping.kind == AtsMapping.Kind.TRACK and mapping.track:
            vocabulary.tracks[mapping.match] = mapping.track
        elif mapping.kind == AtsMapping.Kind.REASON and mapping.reason_id:
            vocabulary.reasons[mapping.match] = mapping.reason_id
    return vocabulary


def held_applicants(company: Company) -> QuerySet[Applicant]:
    """Applicants whose rejection mail waits for the company's decision (確認待ち), oldest first."""
    return (
        Applicant.objects.filter(company=company, erased_at__isnull=True, closed_at__isnull=True)
        .exclude(hold="")
        .select_related("reason")
        .order_by("created_at", "id")
    )


def held_count(company: Company) -> int:
    return held_applicants(company).count()


def unmapped_reason_texts(company: Company) -> list[tuple[str, int]]:
    """The ATS's words no reason is mapped to yet, with how many held applicants carry each."""
    rows = (
        held_applicants(company)
        .filter(hold=Applicant.Hold.UNKNOWN_REASON)
        .exclude(reason_text="")
        .values("reason_text")
        .annotate(count=Count("id"))
        .order_by("-count", "reason_text")
    )
    return [(row["reason_text"], row["count"]) for row in rows]


def ats_mappings_for(company: Company) -> QuerySet[AtsMapping]:
    """The company's mappings, by kind and label (the mapping screen's table)."""
    return AtsMapping.objects.filter(company=company).select_related("reason")


@dataclass(frozen=True)
class VocabularyReading:
    """What the company's vocabulary makes of one ATS text (the "try it" box of the mapping screen).

    Each `*_by` says where the answer came from: "mapping" (the company's own), "name" (a reason's own name),
    "words" (the built-in word lists) or "" (nothing matched: その他 / the default track / held for review)."""

    text: str
    stage: str
    stage_by: str
    track: str
    track_by: str
    reason: RejectionReason | None
    reason_by: str

    @property
    def sends(self) -> bool:
        return self.reason is not None and self.reason.sends_mail


def vocabulary_reading(company: Company, text: str) -> VocabularyReading:
    vocabulary = company_vocabulary(company)
    key = match_key(text)
    stage = vocabulary.stage_for(text)
    stage_by = "mapping" if key in vocabulary.stages else "words" if stage_guess(text) else ""
    track = vocabulary.track_for(text)
    track_by = "mapping" if key in vocabulary.tracks else "words" if track_guess(text) else ""
    reason_id = vocabulary.reason_for(text)
    reason_by = ""
    if reason_id is not None:
        reason_by = "mapping" if key in vocabulary.reasons else "name" if key in vocabulary.reason_names else "words"
    reason = RejectionReason.objects.filter(company=company, pk=reason_id).first() if reason_id else None
    return VocabularyReading(
        text=text,
        stage=str(Applicant.Stage(stage).label),
        stage_by=stage_by,
        track=str(Applicant.Track(track).label),
        track_by=track_by,
        reason=reason,
        reason_by=reason_by,
    )


def reason_usage(company: Company) -> dict[int, int]:
    """How many applicants carry each of the company's reasons (reason id → count), in one grouped query."""
    rows = (
        Applicant.objects.filter(company=company, reason__isnull=False)
        .values("reason")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["reason"]: row["count"] for row in rows}
