"""The SQL fills of the dashboards' benchmarks (bench/dashboard.py, bench/ops_dashboard.py), PostgreSQL only.

Importable without configuring anything, so tests/test_bench_fills.py runs them at a tiny size on the test database:
a schema change that breaks them fails `make test` instead of the next `make bench`.
"""

from django.db import connection
from django.db.backends.utils import CursorWrapper


def _one(cursor: CursorWrapper) -> int:
    row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def dashboard_fill(*, big_company_id: int, referrals: int, big_share: float, sent: int, vacuum: bool = True) -> None:
    """Referrals spread over the last 365 days: `big_share` of them for the big company, the rest over all others'
    links; 90 % counted, 2 % invalidated; a person with consents behind each (`_people`). As many clicks as
    referrals; credit grants for every 10 counted (big company); `sent` rejection emails of the big company.
    `vacuum`: what autovacuum gives a live database (not possible inside a test's transaction)."""
    big_every = max(round(1 / big_share), 1) if big_share > 0 else 0
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
        big_link = _one(cursor)
        cursor.execute("SELECT count(*) FROM bench_links")
        others = _one(cursor)
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
            {"every": big_every, "big": big_company_id, "big_link": big_link, "n": referrals, "others": others},
        )
        _people(cursor)
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
            {"big": big_company_id, "n": sent},
        )
        cursor.execute("DROP TABLE bench_links")
        # Statistics and a visibility map, so counts can read indexes alone, as on a live database.
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def _people(cursor: CursorWrapper) -> None:
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
