"""Benchmark of the KPI dashboard (/company/insights/): server time with many companies and referrals.

Run on PostgreSQL (the database is created and dropped):
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dash .venv/bin/python bench/dashboard.py`
Sizes: BENCH_COMPANIES (10000), BENCH_REFERRALS (1000000), BENCH_BIG_SHARE (0.1: the share of all referrals that
belongs to the one big company measured first), BENCH_SENT (100000 rejection emails of the big company).
Every referral has its person (a candidate with the service consent; every other one also opted in to re-challenge,
one in ten of those withdrew it later), so the re-challenge eligibility the KPI pages count is measured at full size.
Rows are inserted with SQL (generate_series) so the fill takes seconds, not hours. Prints figures; asserts nothing.
"""

import os
import statistics
import time
from collections.abc import Callable

import harness

# The test client measures the whole request, middleware and template included.
os.environ["ALLOWED_HOSTS"] = "testserver"
database_url = harness.configure()

from django.db import connection  # noqa: E402
from fills import dashboard_fill  # noqa: E402

COMPANIES = int(os.environ.get("BENCH_COMPANIES", "10000"))
REFERRALS = int(os.environ.get("BENCH_REFERRALS", "1000000"))
BIG_SHARE = float(os.environ.get("BENCH_BIG_SHARE", "0.1"))
SENT = int(os.environ.get("BENCH_SENT", "100000"))
ROUNDS = 5


def main() -> None:
    if not database_url.startswith("postgres"):
        print("skipped on SQLite: bench/dashboard.py fills tables with PostgreSQL's generate_series")
        return
    with harness.scratch_database(database_url):
        run()


def timed(label: str, action: Callable[[], object]) -> None:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    print(f"{label}: median {1000 * statistics.median(samples):.0f} ms, max {1000 * max(samples):.0f} ms")


def fill(big_company_id: int) -> None:
    """The sizes of this run (BENCH_*), filled by `fills.dashboard_fill`."""
    dashboard_fill(big_company_id=big_company_id, referrals=REFERRALS, big_share=BIG_SHARE, sent=SENT)


def run() -> None:
    from django.test import Client
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
    owner = User.objects.create_user(
        "owner@bench.example.jp", None, name="bench owner", company=big, company_role="owner"
    )
    started = time.perf_counter()
    companies = Company.objects.bulk_create(
        [Company(name=f"ベンチ企業{n}") for n in range(COMPANIES - 1)], batch_size=2000
    )
    Contract.objects.bulk_create([Contract(company=c) for c in companies], batch_size=2000)
    RelayLink.objects.bulk_create([RelayLink(company=c, label="通常") for c in companies], batch_size=2000)
    fill(big.pk)
    print(f"database: {connection.vendor} {connection.pg_version}")
    print(f"fill: {time.perf_counter() - started:.1f}s")
    total = Referral.objects.count()
    mine = Referral.objects.filter(company=big).count()
    print(f"companies: {Company.objects.count()}, referrals: {total} ({mine} of the big company)")

    client = Client()
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    for query in ("", "?period=12m"):
        response = client.get("/company/insights/" + query)
        assert response.status_code == 200, response.status_code
        timed(
            f"GET /company/insights/{query or '(this month)'} big company, full page",
            lambda q=query: client.get("/company/insights/" + q),
        )
    timed(
        "GET /company/insights/export.csv?period=12m big company",
        lambda: client.get("/company/insights/export.csv?period=12m"),
    )
    timed("GET /company/ (existing dashboard, all-time figures) big company", lambda: client.get("/company/"))
    period = Period.months(last_month=timezone.now().astimezone(TOKYO).date(), count=12)
    timed("company_kpis(big, 12 months)", lambda: metrics.company_kpis(big, period))
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        metrics.company_kpis(big, period)
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:6]
    print(f"company_kpis(big, 12 months): {len(captured.captured_queries)} queries; slowest:")
    for query in slowest:
        print(f"  {1000 * float(query['time']):.0f} ms  {query['sql'][:160]}")
    small = companies[len(companies) // 2]
    timed("company_kpis(typical company, 12 months)", lambda: metrics.company_kpis(small, period))


if __name__ == "__main__":
    main()
