"""Demo credit use and placements: a free hire on a credit order, a normal hire, an early leaver with a refund,
and a credit order still waiting for introductions — created through the real services.

Introductions are written directly here (hired, with their history and provision record) because the
introduction workflow is its own part; everything about credits and money goes through the services.
"""

from contextlib import suppress
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from candidates.models import Candidate
from companies.models import Company
from demo.fakes import working_conditions
from demo.job_orders import seed_job_orders
from lib.choices import JobCategory, Prefecture
from placements.models import Introduction, IntroductionEvent, JobOrder, Placement
from placements.services.credit_use import CreditError, active_reservation, credit_reserve
from placements.services.introductions import PROVIDED_ITEMS, PROVISION_PURPOSE
from placements.services.jobs import job_order_create
from placements.services.placements import placement_record, placement_record_leaving
from placements.services.provisions import provision_record_write
from relay.services import company_credit_summary

DEMO_HIRES = [
    # (job order title, annual salary in yen, days since start, left after N days or None, on a credit)
    ("バックエンドエンジニア(Python / Django)", 6_800_000, 45, None, True),
    ("法人営業(中小企業向け SaaS)", 5_200_000, 120, None, False),
    ("法人営業(中小企業向け SaaS)", 4_600_000, 60, 20, False),
]

WAITING_ORDER = {
    "title": "データアナリスト(マーケティング)",
    "job_category": JobCategory.ENGINEER_SOFTWARE,
    "employment_type": JobOrder.EmploymentType.FULL_TIME,
    "prefecture": Prefecture.TOKYO,
    "remote": JobOrder.Remote.PARTIAL,
    "salary_min": 500,
    "salary_max": 750,
    "required_skills": "SQL、データ分析の実務経験 2 年以上",
    "preferred_skills": "Python、BI ツール",
    "description": "マーケティング施策の効果測定と、意思決定を支える分析をお任せします。",
}


def _hired_introduction(*, job_order: JobOrder, candidate: Candidate, operator: User, days_ago: int) -> Introduction:
    proposed = timezone.now() - timedelta(days=days_ago + 40)
    introduction = Introduction.objects.create(
        company=job_order.company,
        job_order=job_order,
        candidate=candidate,
        status=Introduction.Status.HIRED,
        recommendation="ご経験とご希望が求人にぴったり合う方です。",
        proposed_by=operator,
        accepted_at=proposed + timedelta(days=1),
        responded_at=proposed + timedelta(days=1),
    )
    for status, comment in (
        (Introduction.Status.PROPOSED, "推薦しました。"),
        (Introduction.Status.DOCUMENT, "ご本人が承諾されました。"),
        (Introduction.Status.INTERVIEW, "書類選考を通過しました。"),
        (Introduction.Status.OFFER, "内定を出しました。"),
        (Introduction.Status.HIRED, "入社が決まりました。"),
    ):
        IntroductionEvent.objects.create(introduction=introduction, status=status, comment=comment, actor=operator)
    provision_record_write(
        candidate=candidate,
        introduction=introduction,
        items=list(PROVIDED_ITEMS),
        purpose=PROVISION_PURPOSE,
        actor=operator,
        actor_label=operator.display_name,
    )
    return introduction


def seed_placements(*, operator: User, company: Company) -> list[Placement]:
    """Idempotent: a company that already has placements is left as it is."""
    existing = list(Placement.objects.filter(company=company))
    if existing:
        return existing
    owner = company.users.filter(company_role=User.CompanyRole.OWNER).first() or operator
    orders = {order.title: order for order in seed_job_orders(company=company, actor=owner)}
    candidates = list(
        Candidate.objects.filter(email_verified_at__isnull=False)
        .exclude(referral__company=company)
        .exclude(introductions__company=company)
        .order_by("id")[: len(DEMO_HIRES)]
    )
    placements: list[Placement] = []
    today = timezone.localdate()
    with transaction.atomic():
        for (title, salary, days_ago, left_after, on_credit), candidate in zip(DEMO_HIRES, candidates, strict=False):
            job_order = orders[title]
            if on_credit and active_reservation(job_order) is None:
                with suppress(CreditError):  # no credit to spend: the hire is simply charged
                    credit_reserve(job_order=job_order, actor=owner)
            introduction = _hired_introduction(
                job_order=job_order, candidate=candidate, operator=operator, days_ago=days_ago
            )
            placement = placement_record(
                introduction=introduction,
                start_date=today - timedelta(days=days_ago),
                annual_salary_yen=salary,
                actor=operator,
            )
            if left_after is not None:
                placement = placement_record_leaving(
                    placement=placement, left_on=placement.start_date + timedelta(days=left_after), actor=operator
                )
            placements.append(placement)
        # A credit order still waiting for its introductions, for the operator's priority queue.
        if company_credit_summary(company).available > 0:
            waiting = job_order_create(
                company=company, data={**WAITING_ORDER, **working_conditions(company.name)}, actor=owner
            )
            with suppress(CreditError):
                credit_reserve(job_order=waiting, actor=owner)
    return placements
