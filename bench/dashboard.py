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
from typing import Any

import harness

# The test client measures the whole request, middleware and template included.
os.environ["ALLOWED_HOSTS"] = "testserver"
database_url = harness.configure()

from django.db import connection  # noqa: E402

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
    """Referrals spread over the last 365 days: BIG_SHARE of them for the big company, the rest over all others;
    90 % counted, 2 % invalidated. As many clicks as referrals; credit grants for every 10 counted (big company);
    SENT rejection emails of the big company."""
    big_every = max(round(1 / BIG_SHARE), 1) if BIG_SHARE > 0 else 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE bench_links AS
            SELECT id, company_id, (row_number() OVER (ORDER BY id)) - 1 AS idx FROM companies_relaylink
            WHERE company_id <> %s
            """,
            [big_company_id],
        )
        cursor.execute("SELECT id FROM companies_relaylink WHERE company_id = %s", [big_company_id])
        big_link = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bench_links")
        others = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO relay_referral (company_id, link_id, applicant_ref, status, job_category, prefecture,
                                        registered_at, counted_at, invalidation_reason, ip_hash, user_agent_hash,
                                        risk_score, risk_codes)
            SELECT CASE WHEN %(every)s > 0 AND g %% %(every)s = 0 THEN %(big)s ELSE l.company_id END,
                   CASE WHEN %(every)s > 0 AND g %% %(every)s = 0 THEN %(big_link)s ELSE l.id END,
                   '',
                   CASE WHEN g %% 50 = 1 THEN 'invalidated' WHEN g %% 10 = 3 THEN 'pending' ELSE 'counted' END,
                   'sales', 13,
                   now() - (g %% 365) * interval '1 day' - (g %% 1440) * interval '1 minute',
                   CASE WHEN g %% 10 = 3 THEN NULL
                        ELSE now() - (g %% 365) * interval '1 day' - (g %% 1440) * interval '1 minute'
                             + interval '1 hour' END,
                   '', md5((g %% 5000)::text), md5('bench'), 0, ''
            FROM generate_series(0, %(n)s - 1) AS g JOIN bench_links l ON l.idx = g %% %(others)s
            """,
            {"every": big_every, "big": big_company_id, "big_link": big_link, "n": REFERRALS, "others": others},
        )
        people(cursor)
        cursor.execute(
            """
            INSERT INTO relay_click (link_id, company_id, has_applicant_ref, created_at)
            SELECT link_id, company_id, false, registered_at - interval '5 minutes' FROM relay_referral
            """
        )
        cursor.execute(
            """
            INSERT INTO relay_creditentry (company_id, kind, amount, applied_to_debt, milestone, expires_at, reason,
                                           created_at)
            SELECT %(big)s, 'grant', 1, false, 10 * g, now() + interval '1 year', '',
                   now() - (g %% 365) * interval '1 day'
            FROM generate_series(1, (SELECT count(*) FROM relay_referral
                                     WHERE company_id = %(big)s AND status = 'counted') / 10) AS g
            """,
            {"big": big_company_id},
        )
        cursor.execute(
            """
            INSERT INTO mailings_outboundemail (company_id, kind, is_promotional, idempotency_key, to_email, from_name,
                reply_to, subject, body, status, send_after, attempts, last_error, message_id, sent_at, created_at,
                is_secret, links, registration_shared)
            SELECT %(big)s, 'rejection', false, 'bench-' || g, 'a' || g || '@example.jp', '', '', '選考結果のご連絡',
                   '本文', 'sent', now() - (g %% 365) * interval '1 day', 1, '', '',
                   now() - (g %% 365) * interval '1 day', now() - (g %% 365) * interval '1 day', false, '[]', false
            FROM generate_series(1, %(n)s) AS g
            """,
            {"big": big_company_id, "n": SENT},
        )
        # What autovacuum gives a live database: statistics and a visibility map, so counts can read indexes alone.
        cursor.execute("VACUUM ANALYZE")


def people(cursor: Any) -> None:
    """A candidate behind every referral, with its consents: service for all, re-challenge for every other one (a
    tenth of those withdrew it an hour later), as the registration form records them."""
    cursor.execute(
        """
        INSERT INTO candidates_candidate (public_id, name, furigana, email, email_normalized, email_canonical, phone,
            pending_email, prefecture, job_category, years_of_experience, skills, career_summary, email_verified_at,
            search_text, skills_text, pipeline_status, withdrawal_reason, resume, resume_filename, created_at,
            updated_at)
        SELECT md5(r.id::text)::uuid, 'ベンチ 太郎', 'ベンチ タロウ', 'r' || r.id || '@bench.example.jp',
               'r' || r.id || '@bench.example.jp', 'r' || r.id || '@bench.example.jp',
               '+8190' || lpad(r.id::text, 8, '0'),
               '', 13, 'sales', 3, '', '', r.registered_at + interval '10 minutes', '', '', 'new', '', '', '',
               r.registered_at, r.registered_at
        FROM relay_referral r
        """
    )
    cursor.execute(
        """
        UPDATE relay_referral r SET candidate_id = c.id FROM candidates_candidate c
        WHERE c.email_normalized = 'r' || r.id || '@bench.example.jp'
        """
    )
    cursor.execute(
        """
        INSERT INTO candidates_consent (candidate_id, kind, granted, version, channel, wording, created_at)
        SELECT id, 'service', true, 'bench', 'web', '', created_at FROM candidates_candidate
        UNION ALL
        SELECT id, 'rechallenge', true, 'bench', 'web', '', created_at FROM candidates_candidate WHERE id % 2 = 0
        UNION ALL
        SELECT id, 'rechallenge', false, 'bench', 'mypage', '', created_at + interval '1 hour'
        FROM candidates_candidate WHERE id % 20 = 0
        """
    )


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
