"""Benchmark of the relay loop: registrations per second and dashboard figures time.

Run: `make bench` (SQLite in a temporary file) or `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_relay
.venv/bin/python bench/relay_loop.py` (the database is created and dropped). Prints figures; asserts nothing.
"""

import os
import statistics
import time

import harness

# The test client sends requests in-process, to "testserver".
os.environ["ALLOWED_HOSTS"] = "testserver"
database_url = harness.configure()


from django.db import connection  # noqa: E402

REGISTRATIONS = int(os.environ.get("BENCH_REGISTRATIONS", "2000"))
DASHBOARD_REFERRALS = int(os.environ.get("BENCH_DASHBOARD_REFERRALS", "50000"))
LANDING_VISITS = int(os.environ.get("BENCH_LANDING_VISITS", "1000"))


def main() -> None:
    with harness.scratch_database(database_url):
        run()


def run() -> None:
    from accounts.models import User
    from candidates.services import candidate_register, candidate_verify_email
    from companies.services import company_create
    from insights.selectors.funnel import company_figures
    from lib.jatext import normalize_phone
    from mailings.mute import mail_muted
    from relay.models import Referral

    operator = User.objects.create_user("bench@example.jp", None, name="bench", operator_role="admin")
    company = company_create(name="ベンチ株式会社", name_kana="", contract_terms={}, actor=operator)
    link = company.links.get()

    def profile(n: int) -> dict:
        return {
            "name": "速度 計測",
            "furigana": "ソクド ケイソク",
            "email": f"bench{n}@example.jp",
            "email_normalized": f"bench{n}@example.jp",
            "phone": normalize_phone(f"090-{1000 + n // 10000}-{n % 10000:04d}"),
            "prefecture": 13,
            "job_category": "software",
            "years_of_experience": 3,
            "skills": "Python",
            "desired_salary": 500,
            "career_summary": "",
        }

    with mail_muted():
        started = time.perf_counter()
        for n in range(REGISTRATIONS):
            registration = candidate_register(link=link, profile=profile(n), rechallenge=False, newsletter=False)
            candidate_verify_email(candidate=registration.candidate)
        elapsed = time.perf_counter() - started
    print(f"database: {connection.vendor}")
    print(
        f"register + verify + count: {REGISTRATIONS} in {elapsed:.2f}s = {REGISTRATIONS / elapsed:.0f}/s "
        f"({1000 * elapsed / REGISTRATIONS:.2f} ms each)"
    )

    landing(link.code)

    # Bulk rows for the dashboard: referrals of one company spread over links, as a busy year would leave.
    bulk = [
        Referral(
            company=company,
            link=link,
            status=Referral.Status.COUNTED,
            registered_at=link.created_at,
            job_category="sales",
            prefecture=13,
        )
        for _ in range(DASHBOARD_REFERRALS)
    ]
    Referral.objects.bulk_create(bulk, batch_size=5000)
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        figures = company_figures(company)
        samples.append(time.perf_counter() - started)
    median_ms, max_ms = 1000 * statistics.median(samples), 1000 * max(samples)
    total = figures.total.registrations
    print(f"company_figures over {total} referrals: median {median_ms:.1f} ms, max {max_ms:.1f} ms")


def landing(code: str) -> None:
    """GET /r/<code> in-process (middleware, template, click insert), each from a new visitor, then reloads by one;
    and how many session rows the visits left (an anonymous visitor should leave none)."""
    from django.contrib.sessions.models import Session
    from django.test import Client

    sessions_before = Session.objects.count()
    visitor = Client()  # one client whose cookies are forgotten: a new Client() would load the middleware again
    visitor.get(f"/r/{code}")
    started = time.perf_counter()
    for _ in range(LANDING_VISITS):
        visitor.cookies.clear()
        assert visitor.get(f"/r/{code}").status_code == 200
    new_visitors = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(LANDING_VISITS):
        visitor.get(f"/r/{code}")
    reloads = time.perf_counter() - started
    print(
        f"GET /r/<code>: new visitors {LANDING_VISITS / new_visitors:.0f}/s, reloads {LANDING_VISITS / reloads:.0f}/s; "
        f"session rows written: {Session.objects.count() - sessions_before}"
    )


if __name__ == "__main__":
    main()
