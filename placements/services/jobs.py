from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from companies.models import Company
from lib.errors import RuleRefused
from placements.models import JobOrder

JOB_ORDER_FIELDS = (
    "title",
    "job_category",
    "employment_type",
    "prefecture",
    "remote",
    "salary_min",
    "salary_max",
    "required_skills",
    "preferred_skills",
    "description",
)
# 労働条件明示 (rule 17): optional when an order is written, required before anyone is introduced.
WORKING_CONDITION_FIELDS = (
    "duties_change_scope",
    "workplace",
    "workplace_change_scope",
    "contract_term",
    "contract_period",
    "renewal",
    "renewal_limit",
    "renewal_limit_value",
    "probation",
    "probation_period",
    "probation_terms",
    "work_hours",
    "overtime",
    "breaks",
    "holidays",
    "base_pay",
    "fixed_overtime",
    "fixed_overtime_hours",
    "fixed_overtime_yen",
    "fixed_overtime_excess_paid",
    "insurances",
    "smoking_measure",
    "smoking_note",
    "recruiter_name",
)


class JobOrderTransitionError(RuleRefused, ValueError):
    """The requested status change is not one a job order can make (e.g. closed → paused)."""


def _snapshot(job_order: JobOrder) -> dict[str, Any]:
    return {field: getattr(job_order, field) for field in (*JOB_ORDER_FIELDS, *WORKING_CONDITION_FIELDS, "status")}


def job_order_create(*, company: Company, data: dict[str, Any], actor: User) -> JobOrder:
    """A new open job order; `data` is what JobOrderForm cleaned (already NFKC-normalised and validated)."""
    with transaction.atomic():
        job_order = JobOrder(company=company, created_by=actor, **{field: data[field] for field in JOB_ORDER_FIELDS})
        for field in WORKING_CONDITION_FIELDS:
            if field in data:
                setattr(job_order, field, data[field])
        job_order.full_clean()
        job_order.save()
        audit_record(
            actor=actor,
            action="job_order.create",
            target=job_order,
            company=company,
            detail={"title": job_order.title, "status": job_order.status},
        )
    return job_order


def job_order_update(*, job_order: JobOrder, data: dict[str, Any], actor: User) -> JobOrder:
    with transaction.atomic():
        job_order = JobOrder.objects.select_for_update().get(pk=job_order.pk)
        before = _snapshot(job_order)
        for field in (*JOB_ORDER_FIELDS, *WORKING_CONDITION_FIELDS):
            if field in data:
                setattr(job_order, field, data[field])
        job_order.full_clean()
        job_order.save()
        after = _snapshot(job_order)
        changed = {field: [before[field], after[field]] for field in before if before[field] != after[field]}
        if changed:
            audit_record(
                actor=actor, action="job_order.update", target=job_order, company=job_order.company, detail=changed
            )
    return job_order


def job_order_set_status(*, job_order: JobOrder, status: str, actor: User) -> JobOrder:
    """Open, pause or close; a move the order cannot make raises JobOrderTransitionError with a Japanese reason."""
    if status not in JobOrder.Status.values:
        raise JobOrderTransitionError(_("募集状況の指定が正しくありません。"))
    with transaction.atomic():
        job_order = JobOrder.objects.select_for_update().get(pk=job_order.pk)
        if not job_order.can_become(status):
            raise JobOrderTransitionError(
                _("「%(current)s」の求人を「%(wanted)s」にすることはできません。")
                % {"current": job_order.get_status_display(), "wanted": JobOrder.Status(status).label}
            )
        before = job_order.status
        job_order.status = status
        job_order.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=f"job_order.{status}",
            target=job_order,
            company=job_order.company,
            detail={"from": before, "to": status, "title": job_order.title},
        )
    return job_order
