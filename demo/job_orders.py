"""Demo job orders for trying the product: a few realistic positions in each state, created through the services."""

from typing import Any

from accounts.models import User
from companies.models import Company
from demo.fakes import working_conditions
from lib.choices import JobCategory, Prefecture
from placements.models import JobOrder
from placements.services.jobs import job_order_create, job_order_set_status, job_order_update

DEMO_JOB_ORDERS: list[dict[str, Any]] = [
    {
        "title": "バックエンドエンジニア(Python / Django)",
        "job_category": JobCategory.ENGINEER_SOFTWARE,
        "employment_type": JobOrder.EmploymentType.FULL_TIME,
        "prefecture": Prefecture.TOKYO,
        "remote": JobOrder.Remote.PARTIAL,
        "salary_min": 550,
        "salary_max": 850,
        "required_skills": "Python、Web アプリケーション開発の実務経験 2 年以上、SQL",
        "preferred_skills": "Django、AWS、チームでのコードレビュー経験",
        "description": "自社の採用支援サービスのサーバーサイド開発をお任せします。\n\n"
        "要件定義から設計・実装・運用まで、少人数のチームで一貫して担当いただきます。",
        "status": JobOrder.Status.OPEN,
    },
    {
        "title": "法人営業(中小企業向け SaaS)",
        "job_category": JobCategory.SALES,
        "employment_type": JobOrder.EmploymentType.FULL_TIME,
        "prefecture": Prefecture.OSAKA,
        "remote": JobOrder.Remote.ONSITE,
        "salary_min": 400,
        "salary_max": 600,
        "required_skills": "法人営業の経験 1 年以上",
        "preferred_skills": "無形商材の提案経験、Salesforce",
        "description": "関西エリアの中小企業さまへ、業務効率化 SaaS の提案営業を行っていただきます。\n"
        "インサイドセールスが獲得した商談への訪問・オンライン提案が中心です。",
        "status": JobOrder.Status.OPEN,
    },
    {
        "title": "カスタマーサクセス(フルリモート)",
        "job_category": JobCategory.CUSTOMER_SUPPORT,
        "employment_type": JobOrder.EmploymentType.CONTRACT,
        "prefecture": None,
        "remote": JobOrder.Remote.FULL,
        "salary_min": 380,
        "salary_max": 500,
        "required_skills": "顧客対応の経験、基本的な PC スキル",
        "preferred_skills": "SaaS 企業での勤務経験",
        "description": "導入企業さまのオンボーディングと活用支援をご担当いただきます。",
        "status": JobOrder.Status.PAUSED,
    },
    {
        "title": "経理スタッフ(月次決算)",
        "job_category": JobCategory.CORPORATE,
        "employment_type": JobOrder.EmploymentType.FULL_TIME,
        "prefecture": Prefecture.TOKYO,
        "remote": JobOrder.Remote.ONSITE,
        "salary_min": 420,
        "salary_max": 550,
        "required_skills": "日商簿記2級、月次決算の実務経験",
        "preferred_skills": "連結決算の経験",
        "description": "月次・年次決算、支払業務、監査法人対応をお任せします。",
        "status": JobOrder.Status.CLOSED,
    },
]


def seed_job_orders(*, company: Company, actor: User | None = None) -> list[JobOrder]:
    """Idempotent: an order with the same title at the company is left as it is."""
    actor = actor or company.users.filter(company_role=User.CompanyRole.OWNER).first()
    if actor is None:
        actor = User.objects.filter(operator_role=User.OperatorRole.ADMIN).first()
    assert actor is not None, "seed_job_orders needs a company owner or an operator admin to act as"
    orders = []
    for spec in DEMO_JOB_ORDERS:
        data = {key: value for key, value in spec.items() if key != "status"}
        fixed_term = spec["employment_type"] == JobOrder.EmploymentType.CONTRACT
        conditions = working_conditions(company.name, fixed_term=fixed_term)
        existing = JobOrder.objects.filter(company=company, title=data["title"]).first()
        if existing is not None:
            if existing.working_conditions_missing():
                # Orders seeded before 労働条件明示 existed get their conditions now (a re-run stays safe).
                existing = job_order_update(job_order=existing, data=conditions, actor=actor)
            orders.append(existing)
            continue
        data.update(conditions)
        job_order = job_order_create(company=company, data=data, actor=actor)
        if spec["status"] != JobOrder.Status.OPEN:
            job_order = job_order_set_status(job_order=job_order, status=str(spec["status"]), actor=actor)
        orders.append(job_order)
    return orders
