"""The person's own request to hear about other jobs during the 2-year guard (DESIGN.md rule 16).

Only this lifts the guard (`placements/selectors/guard.py`): staff cannot, so the record always shows that the
person asked, and when."""

from django.db import transaction

from audit.services import audit_record
from candidates.models import Candidate
from placements.models import JobChangeRequest
from placements.selectors.guard import guarding_placements


@transaction.atomic
def job_change_request_record(*, candidate: Candidate) -> list[JobChangeRequest]:
    """Record, with the time, that the person asked for job-change advice: every guard that runs for them now ends.
    Asking twice records nothing more."""
    recorded = []
    for placement in guarding_placements(among=[candidate.pk]).select_related("company"):
        request, created = JobChangeRequest.objects.get_or_create(candidate=candidate, placement=placement)
        if created:
            recorded.append(request)
            audit_record(
                actor=None,
                actor_label="求職者本人",
                action="placement.guard_lift_by_request",
                target=request,
                company=placement.company,
                detail={"candidate": candidate.pk, "placement": placement.pk},
            )
    return recorded
