"""Benchmark of the candidate CRM list over 100,000 candidates: first page + capped count per filter.

Run: `.venv/bin/python bench/crm.py` (SQLite in a temporary file) or
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_crm .venv/bin/python bench/crm.py` (the database is
created and dropped). `BENCH_CANDIDATES` changes the size. Prints figures; asserts nothing.
"""

import os
import random
import statistics
import time

import harness

database_url = harness.configure()

from django.db import connection  # noqa: E402

from demo.fakes import FAMILY_NAMES, GIVEN_NAMES  # noqa: E402

CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", "100000"))
COMPANIES = 20
RUNS = 15

SURNAMES = FAMILY_NAMES[:10]
GIVEN = GIVEN_NAMES
SKILLS = [
    "Python",
    "Java",
    "Go",
    "SQL",
    "AWS",
    "簿記2級",
    "法人営業",
    "Excel",
    "Photoshop",
    "TOEIC 800",
    "看護師",
    "普通自動車免許",
    "宅建",
    "React",
    "Kubernetes",
    "採用",
    "労務",
    "CAD",
]
SUMMARIES = [
    "バックエンドエンジニアとして Web サービスの開発に従事しました。",
    "インフラエンジニアとしてクラウド環境の構築と運用を担当しました。",
    "法人営業として新規開拓と既存顧客のフォローを行いました。",
    "経理として月次決算と請求業務を担当しました。",
    "店舗スタッフとして接客と売場づくりに携わりました。",
    "介護職員として利用者様の日常生活を支援しました。",
    "",
]  # fmt: skip


def main() -> None:
    with harness.scratch_database(database_url):
        run()


def run() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from candidates.forms import CandidateFilterForm
    from candidates.models import Candidate, PipelineStatus
    from companies.services import company_create
    from lib.choices import JobCategory, Prefecture
    from lib.pagination import CappedPaginator
    from relay.models import Referral

    rng = random.Random(20261122)
    admin = User.objects.create_user("bench@example.jp", None, name="bench", operator_role="admin")
    advisors = [
        User.objects.create_user(f"ca{n}@example.jp", None, name=f"アドバイザー{n}", operator_role="ca")
        for n in range(5)
    ]
    companies = [
        company_create(name=f"ベンチ{n}株式会社", name_kana="", contract_terms={}, actor=admin)
        for n in range(COMPANIES)
    ]
    links = [company.links.get() for company in companies]
    prefectures = [p for p in Prefecture.values if p != Prefecture.OVERSEAS]
    statuses = PipelineStatus.values
    now = timezone.now()

    created_at = Candidate._meta.get_field("created_at")
    created_at.auto_now_add = False  # type: ignore[attr-defined]  # spread registrations over two years
    started = time.perf_counter()
    batch: list[Candidate] = []
    for n in range(CANDIDATES):
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        candidate = Candidate(
            name=f"{surname[0]} {given[0]}",
            furigana=f"{surname[1]} {given[1]}",
            email=f"c{n}@example.jp",
            email_normalized=f"c{n}@example.jp",
            phone=f"+8190{n:08d}",
            prefecture=rng.choice(prefectures),
            job_category=rng.choice(JobCategory.values),
            years_of_experience=rng.randint(0, 30),
            skills="、".join(rng.sample(SKILLS, 3)),
            desired_salary=rng.choice([None, *range(250, 1200, 10)]),
            career_summary=rng.choice(SUMMARIES),
            pipeline_status=rng.choice(statuses),
            advisor=rng.choice([None, *advisors]),
            email_verified_at=now,
            created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 730)),
        )
        candidate.refresh_search_text()
        batch.append(candidate)
        if len(batch) == 5000:
            Candidate.objects.bulk_create(batch)
            batch = []
    Candidate.objects.bulk_create(batch)
    created_at.auto_now_add = True  # type: ignore[attr-defined]
    referrals = []
    for pk, registered in Candidate.objects.values_list("pk", "created_at").iterator():
        link = rng.choice(links)
        referrals.append(
            Referral(
                candidate_id=pk,
                company_id=link.company_id,
                link=link,
                status=Referral.Status.COUNTED,
                registered_at=registered,
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}; {CANDIDATES} candidates loaded in {time.perf_counter() - started:.1f}s")

    scenarios = {
        "no filter": {},
        "search 「エンジニア」": {"q": "エンジニア"},
        "search rare 「カトウ ヒナ」": {"q": "カトウ ヒナ"},
        "skills 「kubernetes」": {"skills": "kubernetes"},
        "prefecture + job category": {"prefecture": "13", "job_category": "software"},
        "salary 600〜800 万円": {"salary_min": "600", "salary_max": "800"},
        "salary ≥ 1,150 万円 (rare)": {"salary_min": "1150"},
        "experience 3〜10 years": {"experience_min": "3", "experience_max": "10"},
        "advisor": {"advisor": str(advisors[0].pk)},
        "unassigned": {"advisor": "none"},
        "status 内定": {"status": "offered"},
        "source company": {"company": str(companies[3].pk)},
        "registered in one month": {
            "registered_from": (now - timedelta(days=60)).date().isoformat(),
            "registered_to": (now - timedelta(days=30)).date().isoformat(),
        },
        "combined (pref+job+salary+search)": {
            "prefecture": "13",
            "job_category": "software",
            "salary_min": "500",
            "q": "エンジニア",
        },
        "sort by salary, no filter": {"sort": "salary"},
        "sort by experience, no filter": {"sort": "experience"},
        "sort by furigana, no filter": {"sort": "kana"},
        "sort by salary, salary 600〜800": {"sort": "salary", "salary_min": "600", "salary_max": "800"},
    }
    header = f"{'filter':<36} {'rows':>7} {'page ms':>9} {'count ms':>9} {'total ms':>9} {'full COUNT ms':>14}"
    print(header)
    print("-" * len(header))
    for label, params in scenarios.items():
        form = CandidateFilterForm(params, advisors=advisors, companies=companies)
        criteria = form.criteria()
        assert not form.errors, form.errors

        def rows(criteria: dict = criteria):  # type: ignore[no-untyped-def]
            return (
                Candidate.objects.crm_filter(criteria, viewer=admin)
                .select_related("referral__company", "advisor")
                .order_by(*CandidateFilterForm.SORTS[criteria.get("sort", "new")])
            )

        page_ms, count_ms, total_ms, full_ms = [], [], [], []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            paginator = CappedPaginator(rows(), 50)
            page = paginator.get_page(1)
            t1 = time.perf_counter()
            listed = list(page.object_list)
            t2 = time.perf_counter()
            rows().count()
            t3 = time.perf_counter()
            count_ms.append(1000 * (t1 - t0))
            page_ms.append(1000 * (t2 - t1))
            total_ms.append(1000 * (t2 - t0))
            full_ms.append(1000 * (t3 - t2))
        shown = f"{paginator.count}+" if paginator.capped else str(paginator.count)
        assert len(listed) == min(50, paginator.count)
        print(
            f"{label:<36} {shown:>7} {statistics.median(page_ms):>9.1f} {statistics.median(count_ms):>9.1f} "
            f"{statistics.median(total_ms):>9.1f} {statistics.median(full_ms):>14.1f}"
        )
    print("medians of", RUNS, "runs; total = capped count (≤ 10,001 rows) + first page of 50 with related rows")


if __name__ == "__main__":
    main()
