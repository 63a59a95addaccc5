"""Finding a member company by the name a person types, for the competitor-exclusion picker (rule 9).

A tenant never sees the list of member companies: it types a name and gets back only companies whose name
matches it exactly or begins with it (with or without its legal form), at most `EXCLUSION_MATCHES_MAX`, and
nothing for fewer than `EXCLUSION_QUERY_MIN` characters.
"""

from django.db.models import Q

from companies.models import Company
from lib.jatext import search_key
from placements.redaction import LEGAL_FORMS, company_core

EXCLUSION_QUERY_MIN = 2
EXCLUSION_MATCHES_MAX = 10


def exclusion_query_key(typed: str) -> str:
    """The typed name as matched: NFKC, kana folded, lower case, legal form and spaces left out."""
    return search_key(company_core(typed)).replace(" ", "")


def _core_key(company: Company) -> str:
    return exclusion_query_key(company.name)


def exclusion_matches(company: Company, typed: str) -> list[Company]:
    """Other member companies whose name is, or begins with, what was typed (not yet excluded by `company`)."""
    key = exclusion_query_key(typed)
    if len(key) < EXCLUSION_QUERY_MIN:
        return []
    # Company.search_text starts with the name as written (search_key of it), legal form included.
    starts = Q(search_text__startswith=key)
    for form in LEGAL_FORMS:
        starts |= Q(search_text__startswith=search_key(form) + key)
        starts |= Q(search_text__startswith=f"{search_key(form)} {key}")
    rows = (
        Company.objects.filter(starts)
        .exclude(pk=company.pk)
        .exclude(pk__in=company.exclusions.values("excluded_id"))
        .order_by("name", "pk")
    )
    # The database's prefix test is on the written name; the core name (without spaces) decides.
    found = [row for row in rows[: EXCLUSION_MATCHES_MAX * 3] if _core_key(row).startswith(key)]
    exact = [row for row in found if _core_key(row) == key]
    return (exact + [row for row in found if row not in exact])[:EXCLUSION_MATCHES_MAX]


def exclusion_exact_match(company: Company, typed: str) -> Company | None:
    """The one member company whose name is what was typed (legal form and width aside), or None."""
    exact = [row for row in exclusion_matches(company, typed) if _core_key(row) == exclusion_query_key(typed)]
    return exact[0] if len(exact) == 1 else None
