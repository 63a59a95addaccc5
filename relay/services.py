"""Counting referrals (DESIGN.md §3 rules 2–5); the credits they earn are written by relay.ledger alone.

Counting and invalidation take the company's contract lock (relay.ledger.contract_lock) before they read the
count, so concurrent registrations are serialised per company and the N-th referral grants exactly one credit.

Referrals and touches are written here and nowhere else (DESIGN.md §6): registration (candidates.services) creates
the person, then asks relay to attribute them to the link's company and to count.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from companies.models import Company, Contract, RelayLink
from relay.ledger import contract_lock, credit_summary, credits_expire, credits_grant_due, credits_reverse_excess
from relay.models import Click, CreditSummary, Referral, Touch

if TYPE_CHECKING:  # relay sits below candidates: it reads the person through the referral, never imports them
    from candidates.models import Candidate


def click_record(*, link: RelayLink, has_applicant_ref: bool) -> Click:
    return Click.objects.create(link=link, company_id=link.company_id, has_applicant_ref=has_applicant_ref)


def referral_record(*, candidate: Candidate, link: RelayLink, applicant_ref: str = "") -> Referral:
    """Attribute a newly registered person to the company whose link brought them: one referral per person."""
    return Referral.objects.create(
        candidate=candidate,
        company_id=link.company_id,
        link=link,
        applicant_ref=applicant_ref,
        job_category=candidate.job_category,
        prefecture=candidate.prefecture,
        registered_at=timezone.now(),
    )


def touch_record(*, candidate: Candidate, link: RelayLink) -> Touch:
    """A person already registered came through a link again: kept for the timeline, never counted."""
    return Touch.objects.create(candidate=candidate, link=link)


def referral_evaluate(*, referral_id: int, now: datetime | None = None) -> Referral:
    """Count the referral if the contract's rule is now met, and grant the credits that become due.

    The count's moment is read under the contract lock, so it falls in the ratio epoch it is counted in: a ratio
    change that got the lock first is in force for it."""
    with transaction.atomic():
        company_id = Referral.objects.values_list("company_id", flat=True).get(pk=referral_id)
        contract = contract_lock(company_id=company_id)
        referral = Referral.objects.select_related("candidate").get(pk=referral_id)
        if referral.status in (Referral.Status.COUNTED, Referral.Status.INVALIDATED):
            return referral
        candidate = referral.candidate
        if candidate is None or candidate.email_verified_at is None:
            return referral
        if not candidate.consents_to_service():
            return referral
        if contract.counting_rule == Contract.CountingRule.FIRST_INTERVIEW and candidate.first_interview_at is None:
            if referral.status != Referral.Status.PENDING_INTERVIEW:
                referral.status = Referral.Status.PENDING_INTERVIEW
                referral.save(update_fields=["status"])
            return referral
        referral.status = Referral.Status.COUNTED
        referral.counted_at = now or timezone.now()
        referral.save(update_fields=["status", "counted_at"])
        audit_record(actor=None, action="referral.count", target=referral, company=contract.company)
        credits_grant_due(company_id=company_id, referral=referral)
        return referral


def referral_invalidate(*, referral: Referral, reason: str, actor: User) -> Referral:
    """Mark a referral fake or duplicate; a credit it helped earn is reversed by an adjustment entry."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("無効化の理由を入力してください。")
    with transaction.atomic():
        contract = contract_lock(company_id=referral.company_id)
        referral = Referral.objects.get(pk=referral.pk)
        if referral.status == Referral.Status.INVALIDATED:
            raise ValidationError("この紹介はすでに無効になっています。")
        was_counted = referral.status == Referral.Status.COUNTED
        previous_status = referral.status
        referral.status = Referral.Status.INVALIDATED
        referral.invalidated_at = timezone.now()
        referral.invalidation_reason = reason
        referral.save(update_fields=["status", "invalidated_at", "invalidation_reason"])
        audit_record(
            actor=actor,
            action="referral.invalidate",
            target=referral,
            company=contract.company,
            detail={"reason": reason, "previous_status": previous_status},
        )
        if was_counted:
            credits_reverse_excess(company_id=referral.company_id, referral=referral, actor=actor, reason=reason)
        return referral


# --- Attribution at verification (issue 11: an unverified registration holds no claim) ------------------------


def referral_reattribute(*, referral: Referral, link: RelayLink, applicant_ref: str = "") -> Referral:
    """Give a not yet verified person's referral to the company whose link they used last (or whose verification
    link they opened). Only a pending referral moves: one that counted or waits for an interview stays put."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status != Referral.Status.PENDING_VERIFICATION or (
            referral.link_id == link.pk and referral.applicant_ref == applicant_ref
        ):
            return referral
        previous_company_id = referral.company_id
        referral.company_id = link.company_id
        referral.link = link
        referral.applicant_ref = applicant_ref
        referral.registered_at = timezone.now()
        referral.save(update_fields=["company", "link", "applicant_ref", "registered_at"])
        if previous_company_id != link.company_id:
            audit_record(
                actor=None,
                action="referral.reattribute",
                target=referral,
                company=link.company,
                detail={"from_company": previous_company_id, "to_company": link.company_id},
            )
        return referral


def referral_to_touch(*, referral: Referral, reason: str) -> Touch | None:
    """A verified person who is not a new person (a deleted account come back, a phone another verified person
    gave): their pending referral becomes a touch of the same link, which is kept and never counted."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("link__company").get(pk=referral.pk)
        if referral.status != Referral.Status.PENDING_VERIFICATION or referral.candidate is None:
            return None
        touch = Touch.objects.create(candidate=referral.candidate, link=referral.link)
        audit_record(
            actor=None,
            action="referral.not_a_new_person",
            company=referral.link.company,
            detail={"reason": reason, "link": referral.link_id, "candidate": referral.candidate_id},
        )
        referral.delete()
        return touch


def referrals_discard_unverified(*, candidate_ids: list[int]) -> int:
    """The pending referrals of unverified people whose link expired: they never held a claim."""
    deleted, _ = Referral.objects.filter(
        candidate_id__in=candidate_ids, status=Referral.Status.PENDING_VERIFICATION
    ).delete()
    return deleted


def company_credit_summary(company: Company) -> CreditSummary:
    return credit_summary(company=company)


__all__ = [
    "click_record",
    "company_credit_summary",
    "credits_expire",
    "referral_evaluate",
    "referral_invalidate",
    "referral_reattribute",
    "referral_record",
    "referral_to_touch",
    "referrals_discard_unverified",
    "touch_record",
]
