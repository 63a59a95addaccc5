"""Reads over a company's applicants: its vocabulary (reasons and ATS mappings), and what waits for a person."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from applicants.models import Applicant, AtsMapping, RejectionReason
from applicants.vocabulary import Vocabulary, match_key
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
