"""Counting referrals and keeping the credit ledger (DESIGN.md §3 rules 2–5).

Every operation that can change a company's count or credits first locks that company's Contract row, so
concurrent registrations are serialised per company and the N-th referral grants exactly one credit.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from candidates.models import Consent
from companies.models import Company, Contract, RelayLink
from lib.dates import add_months
from relay.models import Click, CreditEntry, CreditSummary, Referral


def click_record(*, link: RelayLink, has_applicant_ref: bool) -> Click:
    return Click.objects.create(link=link, company_id=link.company_id, has_applicant_ref=has_applicant_ref)


def _lock_contract(company_id: int) -> Contract:
    return Contract.objects.select_for_update().get(company_id=company_id)


def _balance(company_id: int) -> int:
    return CreditEntry.objects.filter(company_id=company_id).aggregate(total=Sum("amount", default=0))["total"]


def _net_counting_credits(company_id: int) -> int:
    """Credits granted by counting minus those reversed by invalidation."""
    return CreditEntry.objects.filter(
        company_id=company_id, kind__in=[CreditEntry.Kind.GRANT, CreditEntry.Kind.REVERSAL]
    ).aggregate(total=Sum("amount", default=0))["total"]


def _credit_grant(*, contract: Contract, referral: Referral, milestone: int) -> CreditEntry:
    now = timezone.now()
    months = contract.credit_validity_months
    entry = CreditEntry.objects.create(
        company_id=contract.company_id,
        kind=CreditEntry.Kind.GRANT,
        amount=1,
        applied_to_debt=_balance(contract.company_id) < 0,
        milestone=milestone,
        expires_at=add_months(now, months) if months else None,
        referral=referral,
        reason=f"{milestone}人目の紹介カウントにより獲得",
    )
    audit_record(
        actor=None,
        action="credit.grant",
        target=entry,
        company=contract.company,
        detail={"milestone": milestone, "applied_to_debt": entry.applied_to_debt},
    )
    return entry


def referral_evaluate(*, referral_id: int, now: datetime | None = None) -> Referral:
    """Count the referral if the contract's rule is now met, and grant the credits that become due."""
    now = now or timezone.now()
    with transaction.atomic():
        company_id = Referral.objects.values_list("company_id", flat=True).get(pk=referral_id)
        contract = _lock_contract(company_id)
        referral = Referral.objects.select_related("candidate").get(pk=referral_id)
        if referral.status in (Referral.Status.COUNTED, Referral.Status.INVALIDATED):
            return referral
        candidate = referral.candidate
        if candidate is None or candidate.email_verified_at is None:
            return referral
        if not candidate.current_consents()[Consent.Kind.SERVICE]:
            return referral
        if contract.counting_rule == Contract.CountingRule.FIRST_INTERVIEW and candidate.first_interview_at is None:
            if referral.status != Referral.Status.PENDING_INTERVIEW:
                referral.status = Referral.Status.PENDING_INTERVIEW
                referral.save(update_fields=["status"])
            return referral
        referral.status = Referral.Status.COUNTED
        referral.counted_at = now
        referral.save(update_fields=["status", "counted_at"])
        audit_record(actor=None, action="referral.count", target=referral, company=contract.company)

        counted = Referral.objects.filter(company_id=company_id).counted().count()
        owed = counted // contract.referrals_per_credit
        net = _net_counting_credits(company_id)
        for step in range(owed - net):
            _credit_grant(
                contract=contract, referral=referral, milestone=(net + step + 1) * contract.referrals_per_credit
            )
        return referral


def referral_invalidate(*, referral: Referral, reason: str, actor: User) -> Referral:
    """Mark a referral fake or duplicate; a credit it helped earn is reversed by an adjustment entry."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("無効化の理由を入力してください。")
    with transaction.atomic():
        contract = _lock_contract(referral.company_id)
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
            counted = Referral.objects.filter(company_id=referral.company_id).counted().count()
            owed = counted // contract.referrals_per_credit
            for _ in range(_net_counting_credits(referral.company_id) - owed):
                _credit_reverse(contract=contract, referral=referral, actor=actor, reason=reason)
        return referral


def _credit_reverse(*, contract: Contract, referral: Referral, actor: User, reason: str) -> CreditEntry:
    newest_open_lot = (
        CreditEntry.objects.open_lots().filter(company_id=contract.company_id).order_by("-created_at", "-id").first()
    )
    entry = CreditEntry.objects.create(
        company_id=contract.company_id,
        kind=CreditEntry.Kind.REVERSAL,
        amount=-1,
        lot=newest_open_lot,
        referral=referral,
        actor=actor,
        reason=f"紹介の無効化による取消: {reason}",
    )
    audit_record(
        actor=actor,
        action="credit.reverse",
        target=entry,
        company=contract.company,
        detail={"referral": referral.pk, "had_open_lot": newest_open_lot is not None},
    )
    return entry


def credits_expire(*, now: datetime | None = None, company: Company | None = None) -> int:
    """Close every credit lot past its expiry date with an expiry entry. Safe to run concurrently."""
    now = now or timezone.now()
    expired = 0
    due = CreditEntry.objects.open_lots().filter(expires_at__lte=now)
    if company is not None:
        due = due.filter(company=company)
    for lot_id, company_id in list(due.values_list("id", "company_id")):
        with transaction.atomic():
            contract = _lock_contract(company_id)
            lot = CreditEntry.objects.open_lots().filter(pk=lot_id).first()
            if lot is None:
                continue
            entry = CreditEntry.objects.create(
                company_id=company_id,
                kind=CreditEntry.Kind.EXPIRY,
                amount=-1,
                lot=lot,
                reason=f"{timezone.localtime(lot.expires_at):%Y年%m月%d日} に有効期限を迎えました",
            )
            audit_record(actor=None, action="credit.expire", target=entry, company=contract.company)
            expired += 1
    return expired


def company_credit_summary(company: Company) -> CreditSummary:
    return CreditEntry.objects.filter(company=company).summary()
