from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction

from accounts.models import User
from applicants.models import Applicant
from companies.models import Company
from lib.jatext import nfkc, normalize_email


@dataclass(frozen=True)
class RecordedApplicant:
    applicant: Applicant
    created: bool


def applicant_record(
    *,
    company: Company,
    source: str,
    name: str,
    email: str,
    external_system: str = "",
    external_id: str = "",
    name_kana: str = "",
    position: str = "",
    stage: str = Applicant.Stage.DOCUMENT,
    track: str = Applicant.Track.MID_CAREER,
    interview_date: date | None = None,
    rejected_at: datetime | None = None,
    actor: User | None = None,
) -> RecordedApplicant:
    """Store a rejected applicant once: a second record of the same person returns the first, unchanged.

    Callers validate first; this only normalises (NFKC) and de-duplicates (`Applicant.dedupe_key_for`).
    """
    external_id = nfkc(external_id).strip()
    email_normalized = normalize_email(email)
    position = nfkc(position).strip()
    key = Applicant.dedupe_key_for(
        external_system=external_system, external_id=external_id, email_normalized=email_normalized, position=position
    )
    existing = Applicant.objects.filter(company=company, dedupe_key=key).first()
    if existing is not None:
        return RecordedApplicant(applicant=existing, created=False)
    applicant = Applicant(
        company=company,
        source=source,
        external_system=external_system,
        external_id=external_id,
        dedupe_key=key,
        name=nfkc(name).strip(),
        name_kana=nfkc(name_kana).strip(),
        email=email_normalized,
        email_normalized=email_normalized,
        position=position,
        stage=stage,
        track=track,
        interview_date=interview_date,
        rejected_at=rejected_at,
        created_by=actor,
    )
    if external_id and not Applicant.objects.filter(company=company, ref=external_id[:100]).exists():
        applicant.ref = external_id[:100]
    try:
        with transaction.atomic():
            applicant.save()
    except IntegrityError:
        # A concurrent import or webhook stored the same person first.
        return RecordedApplicant(applicant=Applicant.objects.get(company=company, dedupe_key=key), created=False)
    return RecordedApplicant(applicant=applicant, created=True)
