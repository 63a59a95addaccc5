from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User
    from companies.models import Company, Contract


class RelayConfig(AppConfig):
    name = "relay"
    verbose_name = "リレー・紹介カウント"

    def ready(self) -> None:
        from companies.signals import company_created, contract_ratio_changing

        company_created.connect(_open_first_epoch, dispatch_uid="relay.first_ratio_epoch")
        contract_ratio_changing.connect(_open_next_epoch, dispatch_uid="relay.next_ratio_epoch")


def _open_first_epoch(sender: type[Company], *, company: Company, actor: User | None, **kwargs: Any) -> None:
    """A new company's ratio applies from its first count."""
    from relay.ledger import contract_epoch_open

    contract = company.contract
    contract_epoch_open(contract=contract, referrals_per_credit=contract.referrals_per_credit)


def _open_next_epoch(
    sender: type[Contract], *, contract: Contract, referrals_per_credit: int, actor: User | None, **kwargs: Any
) -> None:
    """A ratio change keeps what was counted and owed until now; the new ratio applies to later counts only."""
    from relay.ledger import contract_epoch_open

    contract_epoch_open(contract=contract, referrals_per_credit=referrals_per_credit)
