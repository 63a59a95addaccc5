"""Helpers shared by the credit-use, fee and placement tests: job orders, credits, hires."""

from typing import Any

from django.utils import timezone

from accounts.models import User
from candidates.models import Candidate
from companies.models import Company, Contract
from demo.fakes import working_conditions
from placements.models import Introduction, JobOrder
from placements.services.jobs import job_order_create
from tests.conftest import Tenant, make_tenant, register_verified


def make_job(tenant: Tenant, **overrides: Any) -> JobOrder:
    data: dict[str, Any] = {
        "title": "営業職",
        "job_category": "sales",
        "employment_type": "full_time",
        "prefecture": 13,
        "remote": "onsite",
        "salary_min": 400,
        "salary_max": 600,
        "required_skills": "法人営業",
        "preferred_skills": "",
        "description": "法人営業をお任せします。",
    }
    data.update(working_conditions(tenant.company.name))
    data.update(overrides)
    return job_order_create(company=tenant.company, data=data, actor=tenant.owner)


def grant_credits(tenant: Tenant, n: int) -> None:
    """Earn n credits the real way: one counted referral per credit on a contract of 1 referral per credit."""
    Contract.objects.filter(company=tenant.company).update(referrals_per_credit=1)
    for _ in range(n):
        register_verified(tenant.link)


def source_candidate(operator: User, **overrides: Any) -> Candidate:
    """A candidate who came through another company's relay link (so no credits move for the tenant)."""
    company = Company.objects.filter(name="紹介元株式会社").first()
    link = company.links.get() if company else make_tenant(operator, "紹介元株式会社", "source").link
    return register_verified(link, **overrides)


def introduce(job_order: JobOrder, operator: User, status: str, **overrides: Any) -> Introduction:
    """An introduction in the given state, created directly (the introduction workflow is another part)."""
    candidate = source_candidate(operator, **overrides)
    accepted = status not in (Introduction.Status.PROPOSED, Introduction.Status.DECLINED)
    return Introduction.objects.create(
        company=job_order.company,
        job_order=job_order,
        candidate=candidate,
        status=status,
        proposed_by=operator,
        accepted_at=timezone.now() if accepted else None,
    )
