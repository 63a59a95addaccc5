"""Benchmark of the operator's network dashboard (/ops/insights/): server time over many companies and referrals.

Run on PostgreSQL (the database is created and dropped):
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ops .venv/bin/python bench/ops_dashboard.py`
Same data and sizes as bench/dashboard.py (BENCH_COMPANIES, BENCH_REFERRALS, ...): its SQL fill is reused.
Every filled referral has its person and consents, so the network's re-challenge eligibility (one grouped query over
every company, `rechallenge_eligible_counts`) is measured at full size. Prints figures; asserts nothing.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Importing it configures Django for the scratch database.
from bench import dashboard as base


def run() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from companies.models import Company, Contract, RelayLink
    from companies.services import company_create
    from insights.selectors import metrics
    from lib.dates import JST as TOKYO
    from lib.dates import Period
    from relay.models import Referral

    operator = User.objects.create_user("bench@example.jp", None, name="bench", operator_role="admin")
    big = company_create(name="ベンチ大手株式会社", name_kana="", contract_terms={}, actor=operator)
    started = time.perf_counter()
    companies = Company.objects.bulk_create(
        [Company(name=f"ベンチ企業{n}") for n in range(base.COMPANIES - 1)], batch_size=2000
    )
    Contract.objects.bulk_create([Contract(company=c) for c in companies], batch_size=2000)
    RelayLink.objects.bulk_create([RelayLink(company=c, label="通常") for c in companies], batch_size=2000)
    base.fill(big.pk)
    print(f"database: {connection.vendor} {connection.pg_version}")
    print(f"fill: {time.perf_counter() - started:.1f}s")
    print(f"companies: {Company.objects.count()}, referrals: {Referral.objects.count()}")

    client = Client()
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    for query in ("", "?period=12m"):
        assert client.get("/ops/insights/" + query).status_code == 200
        base.timed(
            f"GET /ops/insights/{query or '(this month)'} full page", lambda q=query: client.get("/ops/insights/" + q)
        )
    period = Period.months(last_month=timezone.now().astimezone(TOKYO).date(), count=12)
    for label, action in (
        ("network_kpis(12 months)", lambda: metrics.network_kpis(period)),
        ("funnels_by_company(12 months)", lambda: metrics.funnels_by_company(period)),
        ("credits_by_company(12 months)", lambda: metrics.credits_by_company(period)),
        ("revenue_by_month(12 months)", lambda: metrics.revenue_by_month(period)),
        ("network_rechallenge(12 months): eligibility of every company", lambda: metrics.network_rechallenge(period)),
    ):
        base.timed(label, action)
    with CaptureQueriesContext(connection) as captured:
        client.get("/ops/insights/?period=12m")
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:6]
    print(f"GET /ops/insights/?period=12m: {len(captured.captured_queries)} queries; slowest:")
    for query in slowest:
        print(f"  {1000 * float(query['time']):.0f} ms  {query['sql'][:160]}")


if __name__ == "__main__":
    base.run = run
    base.main()
