"""The credit ledger (無料紹介枠, DESIGN.md §3 rules 2–6): the ONLY writer of CreditEntry rows.

Every function here takes the company's contract lock itself (a row lock on its Contract, in its own atomic
block), so a caller that forgets the lock still cannot double-grant or spend the same lot twice. Callers that
must read and decide under the same lock (referral counting, job-order checks) take `contract_lock` first;
taking it again inside the same transaction costs one query and changes nothing.

`scripts/check_rule_owners.py` (run by `make lint` and tests/test_rule_owners.py) refuses ledger writes
anywhere else.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from companies.models import Company, Contract, ContractRatioChange
from lib.dates import add_months
from lib.errors import RuleRefused
from relay.models import CreditEntry, CreditSummary, Referral


class CreditError(RuleRefused, ValidationError):
    """A credit step the rules refuse; the message is for the person who asked."""


def contract_lock(*, company_id: int) -> Contract:
    """Lock the company's Contract row for the rest of the current transaction (call inside `atomic`)."""
    return Contract.objects.select_for_update().get(company_id=company_id)


def credit_balance(*, company_id: int) -> int:
    """What is free to reserve; negative when reversals left a debt."""
    total: int = CreditEntry.objects.filter(company_id=company_id).aggregate(total=Sum("amount", default=0))["total"]
    return total


def credit_summary(*, company: Company) -> CreditSummary:
    return CreditEntry.objects.filter(company=company).summary()


def _net_counting_credits(company_id: int) -> int:
    """Credits granted by counting minus those reversed by invalidation."""
    total: int = CreditEntry.objects.filter(
        company_id=company_id, kind__in=[CreditEntry.Kind.GRANT, CreditEntry.Kind.REVERSAL]
    ).aggregate(total=Sum("amount", default=0))["total"]
    return total


def _earned_slots(contract: Contract) -> list[tuple[int, int]]:
    """Every credit the company's counted referrals earn, oldest first, as (milestone, ratio earned under).

    Forward only (DESIGN.md §3 rule 4): the referrals counted in each ratio epoch earn credits at that epoch's
    ratio, `counted_in_epoch // ratio`, and a credit's milestone is the running count at which it was earned.
    Without invalidations this is `owed_at_start + (counted - counted_at_start) // ratio` for the current epoch;
    invalidating a referral counted in an earlier epoch takes back exactly what it earned there. The epoch in
    force uses the contract's ratio, and the first epoch also covers everything counted before it.
    """
    epochs = list(
        ContractRatioChange.objects.filter(contract=contract).values_list("started_at", "referrals_per_credit")
    )
    ratios = [ratio for _start, ratio in epochs[:-1]] + [contract.referrals_per_credit]
    starts = [start for start, _ratio in epochs[1:]]
    bounds = [None, *starts, None]
    counted = Referral.objects.filter(company_id=contract.company_id).counted()
    filters = {}
    for index in range(len(ratios)):
        window = Q()
        if bounds[index] is not None:
            window &= Q(counted_at__gte=bounds[index])
        if bounds[index + 1] is not None:
            window &= Q(counted_at__lt=bounds[index + 1])
        filters[f"epoch{index}"] = Count("id", filter=window)
    per_epoch = counted.aggregate(**filters)
    slots: list[tuple[int, int]] = []
    before = 0
    for index, ratio in enumerate(ratios):
        in_epoch: int = per_epoch[f"epoch{index}"]
        slots.extend((before + step * ratio, ratio) for step in range(1, in_epoch // ratio + 1))
        before += in_epoch
    return slots


def credits_owed(*, company_id: int) -> int:
    """The one definition of how many counting credits a company is owed (net of grants and reversals)."""
    with transaction.atomic():
        return len(_earned_slots(contract_lock(company_id=company_id)))


def contract_epoch_open(*, contract: Contract, referrals_per_credit: int, now: datetime | None = None) -> None:
    """Start a ratio epoch under the contract lock: what was counted and owed until now is kept as it was."""
    with transaction.atomic():
        locked = contract_lock(company_id=contract.company_id)
        locked.referrals_per_credit = contract.referrals_per_credit  # the ratio in force until this moment
        ContractRatioChange.objects.create(
            contract=locked,
            started_at=now or timezone.now(),
            referrals_per_credit=referrals_per_credit,
            counted_at_start=Referral.objects.filter(company_id=contract.company_id).counted().count(),
            owed_at_start=len(_earned_slots(locked)),
        )


def credits_grant_due(*, company_id: int, referral: Referral) -> list[CreditEntry]:
    """Grant counting credits until the net of grants and reversals is what is owed (`_earned_slots`), each
    recording its milestone and the ratio it was earned under. Idempotent under the lock: running it twice for
    the same count grants nothing the second time."""
    with transaction.atomic():
        contract = contract_lock(company_id=company_id)
        net = _net_counting_credits(company_id)
        slots = _earned_slots(contract)
        months = contract.credit_validity_months
        entries = []
        # A milestone names the count a credit was earned at. Invalidating an earlier referral shifts the running
        # count, so a later credit could name a count an earlier one already names: each new one names a later one.
        last = (
            CreditEntry.objects.filter(company_id=company_id, kind=CreditEntry.Kind.GRANT).aggregate(
                last=Max("milestone")
            )["last"]
            or 0
        )
        for earned_at, ratio in slots[max(net, 0) :]:
            milestone = last = max(earned_at, last + 1)
            now = timezone.now()
            entry = CreditEntry.objects.create(
                company_id=company_id,
                kind=CreditEntry.Kind.GRANT,
                amount=1,
                applied_to_debt=credit_balance(company_id=company_id) < 0,
                milestone=milestone,
                referrals_per_credit=ratio,
                expires_at=add_months(now, months) if months else None,
                referral=referral,
                reason=f"{milestone}人目の紹介カウントにより獲得(紹介{ratio}人につき1枠の条件)",
            )
            audit_record(
                actor=None,
                action="credit.grant",
                target=entry,
                company=contract.company,
                detail={
                    "milestone": milestone,
                    "referrals_per_credit": ratio,
                    "applied_to_debt": entry.applied_to_debt,
                },
            )
            entries.append(entry)
        return entries


def credits_reverse_excess(*, company_id: int, referral: Referral, actor: User, reason: str) -> list[CreditEntry]:
    """Reverse counting credits beyond `owed` after an invalidation, each closing the newest open lot if any
    (otherwise the balance goes negative: a debt that later grants pay off)."""
    with transaction.atomic():
        contract = contract_lock(company_id=company_id)
        owed = len(_earned_slots(contract))
        entries = []
        for _step in range(_net_counting_credits(company_id) - owed):
            newest_open_lot = (
                CreditEntry.objects.open_lots().filter(company_id=company_id).order_by("-created_at", "-id").first()
            )
            entry = CreditEntry.objects.create(
                company_id=company_id,
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
            entries.append(entry)
        return entries


def credits_expire(*, now: datetime | None = None, company: Company | None = None) -> int:
    """Close every credit lot past its expiry date with an expiry entry. Safe to run concurrently."""
    now = now or timezone.now()
    expired = 0
    due = CreditEntry.objects.open_lots().filter(expires_at__lte=now)
    if company is not None:
        due = due.filter(company=company)
    for lot_id, company_id in list(due.values_list("id", "company_id")):
        with transaction.atomic():
            contract = contract_lock(company_id=company_id)
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


def credit_reserve(*, company_id: int, actor: User, reason: str, now: datetime | None = None) -> CreditEntry:
    """Take one open credit (the one expiring first) off the balance: a RESERVE entry closing that lot."""
    now = now or timezone.now()
    with transaction.atomic():
        contract_lock(company_id=company_id)
        if credit_balance(company_id=company_id) < 0:
            raise CreditError(
                _(
                    "無効化された紹介の調整により無料紹介枠の残高がマイナスのため、現在はご利用いただけません。"
                    "新たな紹介で獲得し直すとご利用いただけます。"
                )
            )
        # Expiring lots are used first so the company loses as little as possible; the expiry job may not
        # have run yet, so a lot past its date is not offered.
        lot = (
            CreditEntry.objects.open_lots()
            .filter(company_id=company_id)
            .exclude(expires_at__lte=now)
            .order_by("expires_at", "created_at", "id")
            .first()
        )
        if lot is None:
            raise CreditError(_("ご利用いただける無料紹介枠がありません。"))
        return CreditEntry.objects.create(
            company_id=company_id,
            kind=CreditEntry.Kind.RESERVE,
            amount=-1,
            lot=lot,
            expires_at=lot.expires_at,
            actor=actor,
            reason=reason,
        )


def _open_reservation(reserve_entry: CreditEntry) -> CreditEntry:
    """The reservation again, under the lock; refused if a release or use already closed it."""
    reserve_entry = CreditEntry.objects.get(pk=reserve_entry.pk)
    if reserve_entry.kind != CreditEntry.Kind.RESERVE or CreditEntry.objects.filter(lot=reserve_entry).exists():
        raise CreditError(_("この無料紹介枠はすでに確定または解除されています。"))
    return reserve_entry


def credit_release(*, reserve_entry: CreditEntry, actor: User, reason: str) -> CreditEntry:
    """Hand a reserved credit back as a new lot with the original expiry date (paying off a debt instead when
    the balance is negative). A lot that comes back past its date is closed by `credit_expire_returned`."""
    with transaction.atomic():
        contract_lock(company_id=reserve_entry.company_id)
        reserve_entry = _open_reservation(reserve_entry)
        return CreditEntry.objects.create(
            company_id=reserve_entry.company_id,
            kind=CreditEntry.Kind.RELEASE,
            amount=1,
            lot=reserve_entry,
            applied_to_debt=credit_balance(company_id=reserve_entry.company_id) < 0,
            expires_at=reserve_entry.expires_at,
            actor=actor,
            reason=reason,
        )


def credit_expire_returned(*, release_entry: CreditEntry, now: datetime | None = None) -> CreditEntry | None:
    """Reserved past its date, a released credit comes back already expired, as it would have without the
    reservation: close it at once. Nothing to do for a release that paid off a debt or is still valid."""
    now = now or timezone.now()
    expires_at = release_entry.expires_at
    if release_entry.applied_to_debt or expires_at is None or expires_at > now:
        return None
    with transaction.atomic():
        contract = contract_lock(company_id=release_entry.company_id)
        if not CreditEntry.objects.open_lots().filter(pk=release_entry.pk).exists():
            return None
        expiry = CreditEntry.objects.create(
            company_id=release_entry.company_id,
            kind=CreditEntry.Kind.EXPIRY,
            amount=-1,
            lot=release_entry,
            reason=f"{timezone.localtime(expires_at):%Y年%m月%d日} に有効期限を迎えていました(確保の解除時)",
        )
        audit_record(actor=None, action="credit.expire", target=expiry, company=contract.company)
        return expiry


def credit_consume(*, reserve_entry: CreditEntry, actor: User, reason: str) -> CreditEntry:
    """The reserved credit is spent (USE, amount 0: the reservation already took it off the balance)."""
    with transaction.atomic():
        contract_lock(company_id=reserve_entry.company_id)
        reserve_entry = _open_reservation(reserve_entry)
        return CreditEntry.objects.create(
            company_id=reserve_entry.company_id,
            kind=CreditEntry.Kind.USE,
            amount=0,
            lot=reserve_entry,
            actor=actor,
            reason=reason,
        )
