"""The introductions card and the provision records on My Page, without the candidates app knowing placements."""

from typing import Any

from django import template

from candidates.models import Candidate
from placements.models import Introduction, ProvisionRecord
from placements.selectors.guard import placement_guard_for

register = template.Library()


@register.inclusion_tag("placements/me/_mypage_card.html")
def introductions_card(candidate: Candidate) -> dict[str, Any]:
    mine = Introduction.objects.filter(candidate=candidate).exclude(status=Introduction.Status.CANCELLED)
    return {"waiting": mine.filter(status=Introduction.Status.PROPOSED).count(), "total": mine.count()}


@register.inclusion_tag("placements/ops/_guard_note.html")
def placement_guard_note(candidate: Candidate) -> dict[str, Any]:
    """The CRM's line on a person under the 2-year guard after an indefinite placement (rule 16)."""
    return {"guard": placement_guard_for(candidate), "requests": candidate.job_change_requests.order_by("-created_at")}


@register.inclusion_tag("placements/me/_guard_card.html", takes_context=True)
def placement_guard_card(context: template.Context, candidate: Candidate) -> dict[str, Any]:
    """On My Page: the guard that holds back job offers, and the person's own way to ask for them (rule 16)."""
    return {"guard": placement_guard_for(candidate), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("placements/me/_provision_records.html")
def provision_records_card(candidate: Candidate) -> dict[str, Any]:
    """「あなたの情報の提供記録」: every disclosure of the person's data to a company (APPI 33条5項)."""
    records = ProvisionRecord.objects.filter(candidate=candidate).select_related("company").order_by("-created_at")
    return {"records": list(records)}
