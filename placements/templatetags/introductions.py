"""The introductions card and the provision records on My Page, without the candidates app knowing placements."""

from typing import Any

from django import template

from candidates.models import Candidate
from placements.models import Introduction, ProvisionRecord

register = template.Library()


@register.inclusion_tag("placements/me/_mypage_card.html")
def introductions_card(candidate: Candidate) -> dict[str, Any]:
    mine = Introduction.objects.filter(candidate=candidate).exclude(status=Introduction.Status.CANCELLED)
    return {"waiting": mine.filter(status=Introduction.Status.PROPOSED).count(), "total": mine.count()}


@register.inclusion_tag("placements/me/_provision_records.html")
def provision_records_card(candidate: Candidate) -> dict[str, Any]:
    """「あなたの情報の提供記録」: every disclosure of the person's data to a company (APPI 33条5項)."""
    records = ProvisionRecord.objects.filter(candidate=candidate).select_related("company").order_by("-created_at")
    return {"records": list(records)}
