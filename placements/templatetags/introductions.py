"""The introductions card on My Page, without the candidates app having to know about introductions."""

from typing import Any

from django import template

from candidates.models import Candidate
from placements.models import Introduction

register = template.Library()


@register.inclusion_tag("placements/me/_mypage_card.html")
def introductions_card(candidate: Candidate) -> dict[str, Any]:
    mine = Introduction.objects.filter(candidate=candidate).exclude(status=Introduction.Status.CANCELLED)
    return {"waiting": mine.filter(status=Introduction.Status.PROPOSED).count(), "total": mine.count()}
