"""Counting referrals (DESIGN.md §3 rules 2–5); the credits they earn are written by relay.ledger alone.

Counting and invalidation take the company's contract lock (relay.ledger.contract_lock) before they read the
count, so concurrent registrations are serialised per company and the N-th referral grants exactly one credit.

Referrals and touches are written here and nowhere else (DESIGN.md §6): registration (candidates.services) creates
the person, then asks relay to attribute them to the link's company and to count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from companies.models import Company, Contract, RelayLink
from lib.errors import RuleRefused
from relay.ledger import contract_lock, credit_summary, credits_expire, credits_grant_due, credits_reverse_excess
from relay.models import REVIEW_STATUSES, Click, CreditSummary, Referral, Touch
from relay.risk import request_hash, risk_assess

if TYPE_CHECKING:  # relay sits below candidates: it reads the person through the referral, never imports them
    from candidates.models import Candidate


def click_record(*, link: RelayLink, has_applicant_ref: bool) -> Click:
    return Click.objects.create(link=link, company_id=link.company_id, has_applicant_ref=has_applicant_ref)


def referral_record(
    *,
    candidate: Candidate,
    link: RelayLink,
    applicant_ref: str = "",
    client_ip: str = "",
    user_agent: str = "",
    reregistration: bool = False,
) -> Referral:
    """Attribute a newly registered person to the company whose link brought them: one referral per person.

    `client_ip` and `user_agent` are the registering request's; only their salted hashes are stored, for the
    shared-IP and shared-device risk signals. `reregistration`: the person matches an erased identity."""
    referral = Referral.objects.create(
        candidate=candidate,
        company_id=link.company_id,
        link=link,
        applicant_ref=applicant_ref,
        job_category=candidate.job_category,
        prefecture=candidate.prefecture,
        registered_at=timezone.now(),
        ip_hash=request_hash(client_ip, purpose="ip"),
        user_agent_hash=request_hash(user_agent, purpose="user_agent"),
    )
    _assess(referral, reregistration=reregistration)
    return referral


def _assess(referral: Referral, *, reregistration: bool | None = None) -> bool:
    """Store the referral's risk score and signals now; True when it needs an operator admin's review."""
    assessment = risk_assess(referral=referral, reregistration=reregistration)
    if (referral.risk_score, referral.risk_codes) != (assessment.score, assessment.codes):
        referral.risk_score, referral.risk_codes = assessment.score, assessment.codes
        referral.save(update_fields=["risk_score", "risk_codes"])
    return assessment.needs_review


def touch_record(*, candidate: Candidate, link: RelayLink) -> Touch:
    """A person already registered came through a link again: kept for the timeline, never counted."""
    return Touch.objects.create(candidate=candidate, link=link)


def referral_evaluate(*, referral_id: int, now: datetime | None = None) -> Referral:
    """Count the referral if the contract's rule is now met, and grant the credits that become due.

    The count's moment is read under the contract lock, so it falls in the ratio epoch it is counted in: a ratio
    change that got the lock first is in force for it.

    Before it counts, a referral no admin has reviewed is assessed again (relay/risk.py): a high score sends it to
    the review queue (IN_REVIEW), otherwise it waits for the contract's cooling-off delay (COOLING_OFF, counted by
    `referrals_count_cooled`). A held or in-review referral waits for an admin's decision."""
    with transaction.atomic():
        company_id = Referral.objects.values_list("company_id", flat=True).get(pk=referral_id)
        contract = contract_lock(company_id=company_id)
        # Read after the lock: a ratio change that took the lock first must be earlier than this count.
        moment = now or timezone.now()
        referral = Referral.objects.select_related("candidate").get(pk=referral_id)
        if referral.status in (Referral.Status.COUNTED, Referral.Status.INVALIDATED, *REVIEW_STATUSES):
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
        if referral.reviewed_at is None and _waits(referral, contract=contract, moment=moment):
            return referral
        referral.status = Referral.Status.COUNTED
        referral.counted_at = moment
        referral.save(update_fields=["status", "counted_at"])
        audit_record(actor=None, action="referral.count", target=referral, company=contract.company)
        credits_grant_due(company_id=company_id, referral=referral)
        return referral


def _waits(referral: Referral, *, contract: Contract, moment: datetime) -> bool:
    """Send an unreviewed referral to review or let it wait out the cooling-off delay; False when it may count."""
    if _assess(referral):
        referral.status = Referral.Status.IN_REVIEW
        referral.save(update_fields=["status"])
        audit_record(
            actor=None,
            action="referral.review_needed",
            target=referral,
            company=contract.company,
            detail={"score": referral.risk_score, "signals": [str(s) for s in referral.risk_signals]},
        )
        return True
    if referral.count_after is None:
        referral.count_after = moment + timedelta(hours=contract.cooling_off_hours)
        referral.save(update_fields=["count_after"])
    if referral.count_after > moment:
        if referral.status != Referral.Status.COOLING_OFF:
            referral.status = Referral.Status.COOLING_OFF
            referral.save(update_fields=["status"])
        return True
    return False


def referrals_count_cooled(*, now: datetime | None = None) -> int:
    """Count the referrals whose cooling-off delay has passed (the periodic job): each is assessed once more and
    goes to review instead if what happened meanwhile (a burst, a shared device) makes it high-risk."""
    moment = now or timezone.now()
    due = Referral.objects.filter(status=Referral.Status.COOLING_OFF, count_after__lte=moment).values_list(
        "pk", flat=True
    )
    counted = 0
    for referral_id in list(due):
        # Without an explicit `now` the count's moment is read under the contract lock, as for any count.
        referral = referral_evaluate(referral_id=referral_id, now=now)
        counted += referral.status == Referral.Status.COUNTED
    return counted


class ReviewRefused(RuleRefused, ValidationError):
    """A review decision the rules refuse (not an admin, or the referral is not waiting)."""


def _require_admin(actor: User) -> None:
    if actor.operator_role != User.OperatorRole.ADMIN:
        raise ReviewRefused(_("紹介の確認は、運営の管理者のみ行えます。"))


def referral_review_confirm(*, referral: Referral, actor: User, now: datetime | None = None) -> Referral:
    """An admin confirms a waiting referral: it counts now (when its counting rule is met), without further
    cooling-off or review, and the credits it completes are granted under the contract lock."""
    _require_admin(actor)
    with transaction.atomic():
        contract = contract_lock(company_id=referral.company_id)
        referral = Referral.objects.get(pk=referral.pk)
        if referral.status not in (*REVIEW_STATUSES, Referral.Status.COOLING_OFF):
            raise ReviewRefused(_("この紹介は確認を待っていません。"))
        previous_status = referral.status
        referral.reviewed_at = now or timezone.now()
        referral.reviewed_by = actor
        referral.status = Referral.Status.PENDING_VERIFICATION  # referral_evaluate decides what it is now
        referral.save(update_fields=["reviewed_at", "reviewed_by", "status"])
        audit_record(
            actor=actor,
            action="referral.review_confirm",
            target=referral,
            company=contract.company,
            detail={
                "previous_status": previous_status,
                "score": referral.risk_score,
                "signals": [str(s) for s in referral.risk_signals],
            },
        )
        return referral_evaluate(referral_id=referral.pk, now=now)


def referral_review_hold(*, referral: Referral, actor: User) -> Referral:
    """An admin holds a waiting referral: it never counts, not even after cooling-off, until an admin confirms."""
    _require_admin(actor)
    with transaction.atomic():
        contract = contract_lock(company_id=referral.company_id)
        referral = Referral.objects.get(pk=referral.pk)
        if referral.status not in (Referral.Status.IN_REVIEW, Referral.Status.COOLING_OFF):
            raise ReviewRefused(_("確認期間中または確認待ちの紹介だけを保留にできます。"))
        previous_status = referral.status
        referral.status = Referral.Status.HELD
        referral.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="referral.review_hold",
            target=referral,
            company=contract.company,
            detail={"previous_status": previous_status, "score": referral.risk_score},
        )
        return referral


REVIEW_DECISIONS = ("confirm", "hold", "invalidate")


def referrals_review_decide(
    *, referrals: Iterable[Referral], decision: str, actor: User, reason: str = ""
) -> tuple[int, list[str]]:
    """The review queue's bulk action: each referral is decided on its own (one refusal leaves the others
    decided). Returns how many were decided and the refusal messages."""
    _require_admin(actor)
    if decision not in REVIEW_DECISIONS:
        raise ReviewRefused(_("操作を選んでください。"))
    if decision == "invalidate" and not reason.strip():
        raise ReviewRefused(_("無効化の理由を入力してください。"))
    done, refusals = 0, []
    for referral in referrals:
        try:
            if decision == "confirm":
                referral_review_confirm(referral=referral, actor=actor)
            elif decision == "hold":
                referral_review_hold(referral=referral, actor=actor)
            else:
                referral_invalidate(referral=referral, reason=reason, actor=actor)
        except ValidationError as refused:
            refusals.append(f"#{referral.pk}: {' '.join(refused.messages)}")
        else:
            done += 1
    return done, refusals


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
    "referral_review_confirm",
    "referral_review_hold",
    "referral_to_touch",
    "referrals_count_cooled",
    "referrals_discard_unverified",
    "referrals_review_decide",
    "touch_record",
]
