from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from companies.models import Company, Contract, RelayLink
from companies.signals import company_created, contract_ratio_changing
from lib.errors import RuleRefused

if TYPE_CHECKING:  # accounts sits above this app: an actor is only named, never looked up here
    from accounts.models import User

DEFAULT_LINK_LABEL = "通常"

# Terms that decide how many credits a company earns: only an operator admin may change them.
ADMIN_ONLY_TERMS = ("referrals_per_credit", "counting_rule", "cooling_off_hours")


class ContractChangeRefused(RuleRefused):
    """The actor may not change this contract term."""


def company_create(
    *, name: str, name_kana: str, contract_terms: dict[str, Any], actor: User, landing_message: str = ""
) -> Company:
    """A member company with its contract and a first relay link ready to paste.

    The apps above set up their part through `company_created` (mailings: the standard rejection templates).
    """
    with transaction.atomic():
        company = Company.objects.create(name=name, name_kana=name_kana, landing_message=landing_message)
        contract = Contract.objects.create(company=company, **contract_terms)
        RelayLink.objects.create(company=company, label=DEFAULT_LINK_LABEL)
        audit_record(
            actor=actor, action="company.create", target=company, company=company, detail={"contract": _terms(contract)}
        )
        company_created.send(sender=Company, company=company, actor=actor)
    return company


def _terms(contract: Contract) -> dict[str, Any]:
    return {
        "referrals_per_credit": contract.referrals_per_credit,
        "credit_validity_months": contract.credit_validity_months,
        "counting_rule": contract.counting_rule,
        "cooling_off_hours": contract.cooling_off_hours,
        "rechallenge_first_months": contract.rechallenge_first_months,
        "rechallenge_second_months": contract.rechallenge_second_months,
        "entrusted_data_retention_days": contract.entrusted_data_retention_days,
        "starts_on": contract.starts_on.isoformat() if contract.starts_on else None,
        "fee_rate_percent": str(contract.fee_rate_percent),
        "minimum_fee_yen": contract.minimum_fee_yen,
        "refund_schedule": contract.refund_schedule,
        "consumption_tax_percent": str(contract.consumption_tax_percent),
    }


def contract_update(*, contract: Contract, terms: dict[str, Any], actor: User) -> Contract:
    """Change contract terms, audited with a before → after diff of every changed term.

    The ratio and the counting rule decide how many credits are earned, so only an operator admin may change
    them. A ratio change applies forward only: relay records the epoch under this same lock (the contract row
    lock that counting takes, `relay.ledger.contract_lock`) before the new ratio is saved."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        before = _terms(contract)
        changed_restricted = [
            field for field in ADMIN_ONLY_TERMS if field in terms and terms[field] != getattr(contract, field)
        ]
        if changed_restricted and getattr(actor, "operator_role", "") != "admin":
            raise ContractChangeRefused(_("紹介人数の条件、カウントの条件と確認期間は、管理者のみ変更できます。"))
        if "referrals_per_credit" in changed_restricted:
            contract_ratio_changing.send(
                sender=Contract, contract=contract, referrals_per_credit=terms["referrals_per_credit"], actor=actor
            )
        values_before = {field: getattr(contract, field) for field in before}
        for field, value in terms.items():
            setattr(contract, field, value)
        contract.save()
        after = _terms(contract)
        # Compared as values, not as text: a typed "35" is the same fee rate as the stored 35.00.
        changes = {
            field: {"before": before[field], "after": after[field]}
            for field in after
            if values_before[field] != getattr(contract, field)
        }
        audit_record(
            actor=actor,
            action="contract.update",
            target=contract,
            company=contract.company,
            detail={"before": before, "after": after, "changes": changes},
        )
    return contract


def relay_link_create(*, company: Company, label: str, actor: User) -> RelayLink:
    with transaction.atomic():
        link = RelayLink.objects.create(company=company, label=label)
        audit_record(actor=actor, action="relay_link.create", target=link, company=company, detail={"label": label})
    return link


def relay_link_set_active(*, link: RelayLink, active: bool, actor: User) -> RelayLink:
    link.is_active = active
    link.save(update_fields=["is_active"])
    audit_record(
        actor=actor, action="relay_link.activate" if active else "relay_link.pause", target=link, company=link.company
    )
    return link
