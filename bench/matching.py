"""Benchmark of matching: top 20 candidates for a job order out of 100,000, and the best job orders for one person.

Run: `.venv/bin/python bench/matching.py` (SQLite in a temporary file) or
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_matching .venv/bin/python bench/matching.py`
(the database is created and dropped). `BENCH_CANDIDATES` changes the population. Prints figures; asserts nothing.
"""

import os
import random
import statistics
import time

import harness

database_url = harness.configure()

from django.db import connection  # noqa: E402

CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", "100000"))
COMPANIES = 20
RUNS = 10
SKILLS = [
    "Python", "Java", "Go", "TypeScript", "React", "AWS", "Docker", "Kubernetes", "SQL", "Django", "Ruby on Rails",
    "PHP", "Linux", "ネットワーク設計", "法人営業", "新規開拓", "Salesforce", "Excel", "簿記2級", "給与計算",
    "労務管理", "マーケティング", "SEO", "Figma", "Photoshop", "CAD", "品質管理", "施工管理", "介護福祉士",
    "看護師", "保育士", "英語", "TOEIC 800", "中国語", "プロジェクトマネジメント", "データ分析", "機械学習",
    "カスタマーサポート", "接客", "フォークリフト",
]  # fmt: skip


def main() -> None:
    with harness.scratch_database(database_url):
        run()


def timed(function: object, runs: int = RUNS) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return 1000 * statistics.median(samples), 1000 * max(samples)


def populate(companies: list) -> None:  # type: ignore[type-arg]
    from django.utils import timezone

    from candidates.models import Candidate, Consent
    from lib.choices import JobCategory, Prefecture
    from lib.jatext import search_key, split_skills
    from placements.models import PoolListing
    from relay.models import Referral

    rng = random.Random(20261122)
    categories, prefectures = JobCategory.values, Prefecture.values
    now = timezone.now()
    version = Consent.current_version()
    batch = 5000
    links = {company.pk: company.links.all()[0] for company in companies}
    for start in range(0, CANDIDATES, batch):
        people = []
        for n in range(start, min(start + batch, CANDIDATES)):
            skills = "、".join(rng.sample(SKILLS, rng.randint(1, 5)))
            email = f"bench{n}@example.jp"
            person = Candidate(
                name="速度 計測",
                furigana="ソクド ケイソク",
                email=email,
                email_normalized=email,
                phone=f"+8190{n:08d}",
                prefecture=rng.choice(prefectures),
                job_category=rng.choice(categories),
                years_of_experience=rng.randint(0, 25),
                skills=skills,
                desired_salary=rng.choice([None, *range(250, 1200, 25)]),
                career_summary="",
                email_verified_at=now,
            )
            person.search_text = search_key(f"{person.name} {person.email} {skills}")
            people.append(person)
        created = Candidate.objects.bulk_create(people)
        if not created[0].pk:  # backends that cannot return ids on bulk insert
            created = list(Candidate.objects.filter(email__in=[p.email for p in people]))
        consents = [
            Consent(candidate=p, kind=Consent.Kind.SERVICE, granted=True, version=version, channel="web")
            for p in created
        ]
        # One person in five asked to hear again from the company that rejected them.
        consents += [
            Consent(candidate=p, kind=Consent.Kind.RECHALLENGE, granted=p.pk % 5 == 0, version=version, channel="web")
            for p in created
        ]
        # One person in fifty withdrew the provision consent later.
        consents += [
            Consent(candidate=p, kind=Consent.Kind.SERVICE, granted=False, version=version, channel="mypage")
            for p in created
            if p.pk % 50 == 0
        ]
        Consent.objects.bulk_create(consents, batch_size=5000)
        # Every profile listed in the pool, as an advisor would have it after review (nothing here to redact).
        PoolListing.objects.bulk_create(
            [
                PoolListing(
                    candidate=p,
                    state=PoolListing.State.LISTED,
                    redacted_skills="\n".join(split_skills(p.skills)),
                    search_text=search_key("\n".join(split_skills(p.skills))),
                )
                for p in created
            ],
            batch_size=5000,
        )
        referrals = []
        for p in created:
            company = companies[p.pk % len(companies)]
            referrals.append(
                Referral(
                    candidate=p,
                    company=company,
                    link=links[company.pk],
                    status=Referral.Status.COUNTED,
                    registered_at=now,
                    job_category=p.job_category,
                    prefecture=p.prefecture,
                )
            )
        Referral.objects.bulk_create(referrals, batch_size=5000)
    # Registration dates spread over two years, as a working database would have them.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE candidates_candidate SET created_at = now() - (id % 730) * interval '1 day'")
        else:
            cursor.execute("UPDATE candidates_candidate SET created_at = datetime('now', '-' || (id % 730) || ' days')")
        # Each person registered through the relay on the day they signed up (so many are past the cool-down).
        cursor.execute(
            "UPDATE relay_referral SET registered_at = "
            "(SELECT created_at FROM candidates_candidate c WHERE c.id = relay_referral.candidate_id)"
        )
        cursor.execute("ANALYZE")


def run() -> None:
    from accounts.models import User
    from candidates.models import Candidate
    from companies.services import company_create
    from lib.choices import Prefecture
    from placements.models import CompanyExclusion, JobOrder
    from placements.selectors.matching import matches_for_candidate, matches_for_job
    from placements.services.jobs import job_order_create
    from placements.services.pool import PoolFilters, pool_search

    operator = User.objects.create_user("bench@example.jp", None, name="bench", operator_role="admin")
    companies = [
        company_create(name=f"ベンチ{n}株式会社", name_kana="", contract_terms={}, actor=operator)
        for n in range(COMPANIES)
    ]
    CompanyExclusion.objects.create(company=companies[1], excluded=companies[0])
    started = time.perf_counter()
    populate(companies)
    print(f"database: {connection.vendor}")
    print(f"populated {Candidate.objects.count():,} candidates in {time.perf_counter() - started:.1f}s")

    specs = [
        ("software", "Python、SQL、Web 開発の実務経験 3 年以上", "Django、AWS、Docker", Prefecture.TOKYO, "partial"),
        ("sales", "法人営業の経験 2 年以上", "Salesforce、新規開拓", Prefecture.OSAKA, "onsite"),
        ("corporate", "簿記2級、給与計算", "労務管理、Excel", Prefecture.AICHI, "onsite"),
        ("marketing", "マーケティング、データ分析", "SEO", None, "full"),
    ]
    for category, required, preferred, prefecture, remote in specs:
        job = job_order_create(
            company=companies[0],
            data={
                "title": f"{category} の求人",
                "job_category": category,
                "employment_type": "full_time",
                "prefecture": prefecture,
                "remote": remote,
                "salary_min": 450,
                "salary_max": 700,
                "required_skills": required,
                "preferred_skills": preferred,
                "description": "ベンチマーク用",
            },
            actor=operator,
        )
        matches_for_job(job)  # warm-up
        median_ms, max_ms = timed(lambda job=job: matches_for_job(job))
        top = matches_for_job(job)
        print(
            f"top 20 for job order [{category}/{remote}]: median {median_ms:.1f} ms, max {max_ms:.1f} ms "
            f"(best score {top[0].score if top else '-'}, 20th {top[-1].score if top else '-'})"
        )
    for n in range(12):
        job_order_create(
            company=companies[n % COMPANIES],
            data={
                "title": f"追加求人 {n}",
                "job_category": specs[n % 4][0],
                "employment_type": "full_time",
                "prefecture": Prefecture.TOKYO,
                "remote": "onsite",
                "salary_min": 400,
                "salary_max": 650,
                "required_skills": specs[n % 4][1],
                "preferred_skills": specs[n % 4][2],
                "description": "ベンチマーク用",
            },
            actor=operator,
        )
    someone = Candidate.objects.order_by("pk")[min(1234, CANDIDATES - 1)]
    median_ms, max_ms = timed(lambda: matches_for_candidate(someone))
    print(f"best open job orders for one person ({JobOrder.objects.open().count()} open): median {median_ms:.1f} ms")
    for label, filters in (
        ("no filter", PoolFilters()),
        ("software + python", PoolFilters("software", skills="python")),
    ):
        median_ms, max_ms = timed(lambda filters=filters: pool_search(companies[2], filters))
        print(f"talent pool page of 30 ({label}): median {median_ms:.1f} ms, max {max_ms:.1f} ms")


if __name__ == "__main__":
    main()
