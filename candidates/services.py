from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from candidates.models import Candidate, Consent
from candidates.tokens import candidate_token_make
from companies.models import RelayLink
from mailings.services import mail_send
from mailings.tracking import email_registered
from relay.models import Referral, Touch
from relay.services import referral_evaluate

PROFILE_FIELDS = Candidate.PROFILE_FIELDS


@dataclass(frozen=True)
class Registration:
    candidate: Candidate
    created: bool


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def candidate_send_login_link(*, candidate: Candidate, template: str = "candidate_login") -> None:
    token = candidate_token_make(candidate, "login")
    mail_send(
        to=candidate.email,
        template=template,
        context={"candidate": candidate, "url": _absolute(reverse("candidates:magic", args=[token]))},
    )


def _send_verification(candidate: Candidate, link: RelayLink) -> None:
    token = candidate_token_make(candidate, "verify")
    mail_send(
        to=candidate.email,
        template="candidate_verify",
        context={
            "candidate": candidate,
            "company": link.company,
            "url": _absolute(reverse("candidates:verify", args=[token])),
        },
    )


def candidate_register(
    *, link: RelayLink, profile: dict[str, Any], rechallenge: bool, newsletter: bool, applicant_ref: str = ""
) -> Registration:
    """Register a person who came through a relay link, or record a touch if they are already registered.

    Either way an email goes out (verification, or a sign-in link to the address on file), and the page says
    the same thing, so the form never reveals whether an address is registered.
    """
    email_normalized = profile["email_normalized"]
    existing = Candidate.objects.filter(Q(email_normalized=email_normalized) | Q(phone=profile["phone"])).first()
    if existing is None:
        try:
            with transaction.atomic():
                candidate = Candidate.objects.create(
                    email_normalized=email_normalized, **{field: profile[field] for field in PROFILE_FIELDS}
                )
                for kind, granted in (
                    (Consent.Kind.SERVICE, True),
                    (Consent.Kind.RECHALLENGE, rechallenge),
                    (Consent.Kind.NEWSLETTER, newsletter),
                ):
                    Consent.objects.create(
                        candidate=candidate,
                        kind=kind,
                        granted=granted,
                        version=Consent.current_version(),
                        channel=Consent.Channel.WEB,
                    )
                Referral.objects.create(
                    candidate=candidate,
                    company_id=link.company_id,
                    link=link,
                    applicant_ref=applicant_ref,
                    job_category=candidate.job_category,
                    prefecture=candidate.prefecture,
                    registered_at=timezone.now(),
                )
                email_registered(company_id=link.company_id, applicant_ref=applicant_ref)
                _send_verification(candidate, link)
            return Registration(candidate=candidate, created=True)
        except IntegrityError:
            # Someone with the same address or phone registered a moment ago: treat them as that person.
            existing = Candidate.objects.filter(
                Q(email_normalized=email_normalized) | Q(phone=profile["phone"])
            ).first()
            if existing is None:
                raise
    with transaction.atomic():
        Touch.objects.create(candidate=existing, link=link)
        if existing.email_verified_at is None:
            referral = Referral.objects.filter(candidate=existing).select_related("link").first()
            _send_verification(existing, referral.link if referral else link)
        else:
            candidate_send_login_link(candidate=existing, template="candidate_already_registered")
    return Registration(candidate=existing, created=False)


def candidate_verify_email(*, candidate: Candidate) -> Candidate:
    if candidate.email_verified_at is None:
        candidate.email_verified_at = timezone.now()
        candidate.save(update_fields=["email_verified_at", "updated_at"])
    referral = Referral.objects.filter(candidate=candidate).first()
    if referral is not None:
        referral_evaluate(referral_id=referral.pk)
    return candidate


def candidate_record_interview(*, candidate: Candidate, actor: User, held_at: Any = None) -> Candidate:
    """The advisor's first interview (面談) took place; under the stricter contract rule this counts the referral."""
    if candidate.first_interview_at is None:
        candidate.first_interview_at = held_at or timezone.now()
        candidate.save(update_fields=["first_interview_at", "updated_at"])
        referral = Referral.objects.filter(candidate=candidate).first()
        audit_record(
            actor=actor,
            action="candidate.first_interview",
            target=candidate,
            company=referral.company if referral else None,
        )
        if referral is not None:
            referral_evaluate(referral_id=referral.pk)
    return candidate


def candidate_update_profile(*, candidate: Candidate, profile: dict[str, Any]) -> Candidate:
    for field in PROFILE_FIELDS:
        setattr(candidate, field, profile[field])
    candidate.email_normalized = profile["email_normalized"]
    candidate.save()
    return candidate


def candidate_set_consents(*, candidate: Candidate, wanted: dict[str, bool]) -> list[Consent]:
    """Append a consent record for each consent whose state changes; history is never rewritten."""
    current = candidate.current_consents()
    changes = []
    with transaction.atomic():
        for kind, granted in wanted.items():
            if current.get(kind) != granted:
                changes.append(
                    Consent.objects.create(
                        candidate=candidate,
                        kind=kind,
                        granted=granted,
                        version=Consent.current_version(),
                        channel=Consent.Channel.MYPAGE,
                    )
                )
    return changes


def candidate_export(*, candidate: Candidate) -> dict[str, Any]:
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    return {
        "profile": {field: getattr(candidate, field) for field in PROFILE_FIELDS},
        "registered_at": candidate.created_at.isoformat(),
        "email_verified_at": candidate.email_verified_at.isoformat() if candidate.email_verified_at else None,
        "introduced_by_company": referral.company.name if referral else None,
        "consents": [
            {
                "kind": c.kind,
                "granted": c.granted,
                "version": c.version,
                "channel": c.channel,
                "at": c.created_at.isoformat(),
            }
            for c in candidate.consents.order_by("created_at", "id")
        ],
    }


def candidate_delete(*, candidate: Candidate) -> None:
    """Erase the person; referral rows stay (without the link to the person) so counts and ledgers stay true."""
    referral = Referral.objects.filter(candidate=candidate).first()
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_label="求職者本人",
            action="candidate.delete",
            company=referral.company if referral else None,
            detail={"referral": referral.pk if referral else None},
        )
        candidate.delete()
