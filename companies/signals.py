"""What companies announces to the apps above it, which it must not import (the layers point down only).

`company_created` is sent inside `company_create`'s transaction with `company=` and `actor=`. Receivers run in
that transaction: one that raises undoes the whole creation, so a company never exists half set up. Who listens
is written in ARCHITECTURE.md ("The layers").
"""

from django.dispatch import Signal

company_created = Signal()

# Sent inside `contract_update`'s transaction, under the contract's row lock and before the contract is saved,
# with `contract=` (still carrying the old ratio), `referrals_per_credit=` (the new one) and `actor=`. relay
# records the epoch (what was counted and owed until now), so the new ratio applies to later counts only.
contract_ratio_changing = Signal()
