"""Shared set-up for matching, introduction and talent-pool tests: job orders and people referred by a company."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from candidates.models import Candidate
from candidates.services import candidate_set_consents
from demo.fakes import working_conditions
from placements.models import JobOrder
from placements.services.jobs import job_order_create
from relay.models import Referral
from tests.conftest import Tenant, make_tenant, register_verified


def make_job(tenant: Tenant, **overrides: Any) -> JobOrder:
    data: dict[str, Any] = {
        "title": "バックエンドエンジニア",
        "job_category": "software",
        "employment_type": "full_time",
        "prefecture": 13,
        "remote": "onsite",
        "salary_min": 500,
        "salary_max": 700,
        "required_skills": "Python、SQL、Web 開発の実務経験 3 年以上",
        "preferred_skills": "Django",
        "description": "自社サービスのサーバーサイド開発をお任せします。",
    }
    data.update(working_conditions(tenant.company.name))
    data.update(overrides)
    return job_order_create(company=tenant.company, data=data, actor=tenant.owner)


def person(referred_by: Tenant, **overrides: Any) -> Candidate:
    """A verified person with the provision consent, registered through `referred_by`'s relay link."""
    return register_verified(referred_by.link, **overrides)


def third_company(operator: User) -> Tenant:
    return make_tenant(operator, "第三株式会社", "third")


def withdraw_service_consent(candidate: Candidate) -> None:
    candidate_set_consents(candidate=candidate, wanted={"service": False})


def opt_in_rechallenge(candidate: Candidate, *, months_ago: int) -> None:
    """The person asked to hear again from the company that rejected them, `months_ago` months after rejection."""
    candidate_set_consents(candidate=candidate, wanted={"rechallenge": True})
    Referral.objects.filter(candidate=candidate).update(registered_at=timezone.now() - timedelta(days=31 * months_ago))
