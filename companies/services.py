from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from companies.models import Company, Contract, RelayLink, TermsAcknowledgement, TermsSheet
from companies.signals import company_created, contract_ratio_changing
from companies.terms import contract_terms, terms_sheet_text, text_sha256
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
        terms_sheet_issue(contract=contract, actor=actor)  # shown to the company from its first sign-in
        company_created.send(sender=Company, company=company, actor=actor)
    return company


def _terms(contract: Contract) -> dict[str, Any]:
    return contract_terms(contract)


def operator_identity() -> dict[str, str]:
    return {
        "name": settings.OPERATOR_NAME,
        "license_number": settings.OPERATOR_LICENSE_NUMBER,
        "address": settings.OPERATOR_ADDRESS,
        "email": settings.OPERATOR_CONTACT_EMAIL,
    }


class TermsRefused(RuleRefused):
    """The terms sheet cannot be acknowledged by this person, or not this version."""


def terms_sheet_issue(*, contract: Contract, actor: User | None) -> TermsSheet:
    """The contract's terms sheet for its current terms: a new version when they differ from the last sheet's
    (every contract change that a company must read), else the last sheet. Call under the contract's row lock
    (company_create and contract_update do), so two changes never take the same version number."""
    terms = contract_terms(contract)
    latest = TermsSheet.objects.filter(contract=contract).order_by("-version").first()
    if latest is not None and latest.terms == terms:
        return latest
    version = (TermsSheet.objects.filter(contract=contract).aggregate(n=Max("version"))["n"] or 0) + 1
    text = terms_sheet_text(
        terms=terms,
        company_name=contract.company.name,
        version=version,
        created_on=timezone.localdate(),
        operator=operator_identity(),
    )
    sheet = TermsSheet.objects.create(
        contract=contract, version=version, terms=terms, text=text, sha256=text_sha256(text), created_by=actor
    )
    audit_record(
        actor=actor,
        action="terms_sheet.issue",
        target=sheet,
        company=contract.company,
        detail={"version": version, "sha256": sheet.sha256},
    )
    return sheet


def terms_acknowledge(*, sheet: TermsSheet, user: User, ip: str | None) -> TermsAcknowledgement:
    """`user` confirms they read this version. Only the current version, and only an owner or admin of the company
    when it has one (a member may when the company has nobody else). Saying it twice keeps the first record."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update().select_related("company").get(pk=sheet.contract_id)
        company = contract.company
        if getattr(user, "company_id", None) != company.pk:
            raise TermsRefused(_("この契約条件書を確認できるのは、対象企業のユーザーの方のみです。"))
        managers = company.users.filter(company_role__in=("owner", "admin"), is_active=True)
        if not user.can_manage_company and managers.exists():
            raise TermsRefused(_("契約条件書の確認は、オーナーまたは管理者の方のみ行えます。"))
        latest = TermsSheet.objects.filter(contract=contract).order_by("-version").first()
        if latest is None or latest.pk != sheet.pk:
            raise TermsRefused(_("新しい版の契約条件書があります。最新の版をご確認ください。"))
        acknowledgement, created = TermsAcknowledgement.objects.get_or_create(
            sheet=sheet,
            user=user,
            defaults={"user_label": f"{user.name} <{user.email}>", "ip": ip or None},
        )
        if created:
            audit_record(
                actor=user,
                action="terms_sheet.acknowledge",
                target=sheet,
                company=company,
                detail={"version": sheet.version, "sha256": sheet.sha256},
            )
    return acknowledgement


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
        if changes:
            terms_sheet_issue(contract=contract, actor=actor)  # the company is asked to read it again
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
