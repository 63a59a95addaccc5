"""What companies announces to the apps above it, which it must not import (the layers point down only).

`company_created` is sent inside `company_create`'s transaction with `company=` and `actor=`. Receivers run in
that transaction: one that raises undoes the whole creation, so a company never exists half set up. Who listens
is written in ARCHITECTURE.md ("The layers").
"""

from django.dispatch import Signal

company_created = Signal()
