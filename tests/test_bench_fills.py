"""The dashboards' benchmark fills still match the schema (they are raw SQL, and `make bench` runs in no CI).

A tiny fill on the test database, then the pages the benchmarks time: a column added without a default, or a
renamed table, fails here instead of in the next person's `make bench`.
"""

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from bench.fills import dashboard_fill
from candidates.models import Candidate, Consent
from companies.models import Company, Contract, RelayLink
from mailings.models import OutboundEmail
from relay.models import Click, Referral
from tests.conftest import Tenant, login

pytestmark = pytest.mark.django_db


def test_the_dashboard_fill_fills_every_table_the_benchmarks_read(tenant: Tenant, operator: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the fills use PostgreSQL's generate_series, as bench/dashboard.py does")
    others = Company.objects.bulk_create([Company(name=f"ベンチ企業{n}") for n in range(4)])
    Contract.objects.bulk_create([Contract(company=company) for company in others])
    RelayLink.objects.bulk_create([RelayLink(company=company, label="通常") for company in others])

    dashboard_fill(big_company_id=tenant.company.pk, referrals=200, big_share=0.1, sent=10, vacuum=False)

    assert Referral.objects.count() == 200 and Referral.objects.filter(company=tenant.company).count() == 20
    assert Candidate.objects.count() == 200 and not Referral.objects.filter(candidate__isnull=True).exists()
    assert Consent.objects.filter(kind=Consent.Kind.RECHALLENGE, granted=True).count() == 100
    assert Click.objects.count() == 200
    assert OutboundEmail.objects.filter(company=tenant.company).count() == 10
    assert login(Client(), tenant.owner).get("/company/insights/?period=12m").status_code == 200
    assert login(Client(), tenant.owner).get("/company/").status_code == 200
    assert login(Client(), operator).get("/ops/insights/?period=12m").status_code == 200
