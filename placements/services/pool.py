"""The anonymised talent pool (DESIGN.md §3 rule 10): what member companies may see of people before any
introduction, and their requests for one.

A profile carries no name, contact, employer name or birth date (none is collected; so no age band either):
prefecture, skills, experience, desired job category and a salary band, and a summary redacted by
`placements.redaction` (employers, contact data and the person's name replaced by placeholders). The redacted
text is stored on the person's `PoolListing`, and it is the only text a company's search reads. A profile is
listed only after a career advisor reviewed it (`pool_listing_review`), and no search lists fewer than
`POOL_MINIMUM_RESULTS` people. A profile is addressed by an opaque id that differs per company and reveals
nothing (not the database key), so ids cannot be compared across companies or walked.
"""

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from candidates.models import Candidate
from companies.models import Company
from lib.errors import RuleRefused
from lib.jatext import search_key, split_skills
from placements.models import Introduction, IntroductionRequest, JobOrder, PoolListing
from placements.redaction import redact, roster_digest, roster_names
from placements.selectors.eligibility import eligible_among
from placements.services.introductions import IntroductionNotAllowed, working_conditions_refusal

POOL_PAGE_SIZE = 30
# No search lists fewer people than this: a narrower one could single out a person (DESIGN.md §3 rule 10).
POOL_MINIMUM_RESULTS = 5
_ROUNDS = 4
_MASK = (1 << 64) - 1


def _key(company: Company) -> bytes:
    return hashlib.sha256(f"{settings.SECRET_KEY}:talent-pool:{company.pk}".encode()).digest()


def _round(key: bytes, number: int, half: int) -> int:
    digest = hmac.new(key, bytes([number]) + half.to_bytes(8, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def profile_token(company: Company, candidate_id: int) -> str:
    """A 128-bit keyed permutation (Feistel over HMAC-SHA256) of the id, different for every company."""
    key, left, right = _key(company), candidate_id & _MASK, 0
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    block = left.to_bytes(8, "big") + right.to_bytes(8, "big")
    return base64.b32encode(block).decode().rstrip("=").lower()


def profile_token_read(company: Company, token: str) -> int | None:
    """The id behind a token, or None for anything not made by profile_token for this company."""
    text = (token or "").upper()
    # The last of 26 characters carries 3 bits and 2 of padding, so 4 spellings decode alike: only the one
    # profile_token writes is accepted (a token is one id's only name).
    if not re.fullmatch(r"[A-Z2-7]{25}[AEIMQUY4]", text):
        return None
    try:
        block = base64.b32decode(text + "======")
    except binascii.Error:
        return None
    key = _key(company)
    left, right = int.from_bytes(block[:8], "big"), int.from_bytes(block[8:], "big")
    for number in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, number, left), left
    # The other 64 bits are zero for every genuine token: a made-up one fails here.
    return left if right == 0 and left > 0 else None


def salary_band(desired: int | None) -> str:
    if desired is None:
        return _("ご相談")
    if desired < 300:
        return _("300万円未満")
    if desired >= 1000:
        return _("1,000万円以上")
    low = desired // 100 * 100
    return _("%(low)s〜%(high)s万円") % {"low": low, "high": low + 99}


@dataclass(frozen=True)
class PoolProfile:
    token: str
    label: str
    prefecture: str
    job_category: str
    years_of_experience: int
    skills: list[str]
    salary_band: str
    summary: str


def _label(token: str) -> str:
    return _("候補者 %(code)s") % {"code": token[:6].upper()}


def pool_profile(company: Company, candidate: Candidate) -> PoolProfile:
    """What a company reads of a listed person: the stored redacted text, never the person's own fields."""
    listing = candidate.pool_listing
    token = profile_token(company, candidate.pk)
    return PoolProfile(
        token=token,
        label=_label(token),
        prefecture=candidate.get_prefecture_display(),
        job_category=candidate.get_job_category_display(),
        years_of_experience=candidate.years_of_experience,
        skills=listing.skills,
        salary_band=salary_band(candidate.desired_salary),
        summary=listing.redacted_summary,
    )


# --- the stored redacted copy and its review ----------------------------------------------------------------------


def company_roster() -> tuple[str, ...]:
    """The member companies' names as the redaction matches them."""
    # The registered reading too (豊田 → トヨダ): a person may write the employer in kana.
    rows = Company.objects.values_list("name", "name_kana")
    return roster_names(name for row in rows for name in row if name)


def _person_names(candidate: Candidate) -> tuple[str, ...]:
    local_part = (candidate.email or "").split("@")[0]
    # The address's local part (hanako.yamada) is a name too when it is long enough to be one.
    return (candidate.name, candidate.furigana, *((local_part,) if len(local_part) >= 4 else ()))


def _source_digest(candidate: Candidate) -> str:
    source = "\x1f".join(
        (candidate.name, candidate.furigana, candidate.email, candidate.skills, candidate.career_summary)
    )
    return hashlib.sha256(source.encode()).hexdigest()


def _redact_into(listing: PoolListing, candidate: Candidate, roster: tuple[str, ...]) -> None:
    names = _person_names(candidate)
    skills = [redact(skill, names=names, roster=roster) for skill in split_skills(candidate.skills)]
    listing.redacted_skills = "\n".join(skill for skill in skills if skill)
    if listing.summary_edited:
        # The advisor's text stays, with anything the new roster now names blacked out as well.
        listing.redacted_summary = redact(listing.redacted_summary, names=names, roster=roster)
    else:
        listing.redacted_summary = redact(candidate.career_summary, names=names, roster=roster)
    listing.refresh_search_text()


def pool_listing_refresh(*, candidate: Candidate, roster: tuple[str, ...] | None = None) -> PoolListing:
    """Keep the person's redacted copy current. New text (theirs, not a rename of a member company) has not been
    reviewed: the profile leaves the pool until an advisor lists it again."""
    roster = company_roster() if roster is None else roster
    digest, roster_key = _source_digest(candidate), roster_digest(roster)
    with transaction.atomic():
        listing = PoolListing.objects.select_for_update().filter(candidate=candidate).first()
        if listing is None:
            listing = PoolListing(candidate=candidate)
        elif listing.source_digest == digest and listing.roster_digest == roster_key:
            return listing
        if listing.source_digest != digest:
            listing.summary_edited = False
            listing.state = PoolListing.State.PENDING
        _redact_into(listing, candidate, roster)
        listing.source_digest, listing.roster_digest = digest, roster_key
        listing.save()
    return listing


def pool_listings_redact_again() -> int:
    """After the member companies' names changed: redact every profile made under the old names again (the
    listing state stays; a redaction only ever grows). Returns how many profiles changed."""
    roster = company_roster()
    key = roster_digest(roster)
    changed = 0
    stale = PoolListing.objects.exclude(roster_digest=key).select_related("candidate")
    for listing in stale.iterator(chunk_size=500):
        before = (listing.redacted_summary, listing.redacted_skills)
        _redact_into(listing, listing.candidate, roster)
        listing.roster_digest = key
        listing.save(
            update_fields=["redacted_summary", "redacted_skills", "search_text", "roster_digest", "updated_at"]
        )
        changed += before != (listing.redacted_summary, listing.redacted_skills)
    return changed


class PoolReviewRefused(RuleRefused):
    pass


def pool_listing_review(*, listing: PoolListing, state: str, redacted_summary: str | None, actor: User) -> PoolListing:
    """An advisor lists a profile or keeps it out, after reading (and if needed editing) its redacted text.

    The edited text is redacted again, so a name or address typed back in by mistake never reaches companies."""
    if state not in (PoolListing.State.LISTED, PoolListing.State.WITHHELD):
        raise PoolReviewRefused(_("掲載する・掲載しないのどちらかを選んでください。"))
    with transaction.atomic():
        listing = PoolListing.objects.select_for_update().select_related("candidate").get(pk=listing.pk)
        before = listing.state
        if redacted_summary is not None:
            text = redact(redacted_summary, names=_person_names(listing.candidate), roster=company_roster())
            if text != listing.redacted_summary:
                listing.redacted_summary, listing.summary_edited = text, True
                listing.refresh_search_text()
        listing.state = state
        listing.reviewed_by, listing.reviewed_at = actor, timezone.now()
        listing.save()
        audit_record(
            actor=actor,
            action="pool_listing.review",
            target=listing,
            detail={"from": before, "to": state, "edited": listing.summary_edited},
        )
    return listing


@dataclass(frozen=True)
class PoolFilters:
    job_category: str = ""
    prefecture: int | None = None
    skills: str = ""
    min_years: int | None = None
    max_salary: int | None = None


def _filtered(filters: PoolFilters) -> QuerySet[Candidate]:
    # Listed profiles only; the words typed are matched against the published, redacted text alone.
    queryset = Candidate.objects.filter(pool_listing__state=PoolListing.State.LISTED).select_related("pool_listing")
    if filters.job_category:
        queryset = queryset.filter(job_category=filters.job_category)
    if filters.prefecture:
        queryset = queryset.filter(prefecture=filters.prefecture)
    for word in search_key(filters.skills).replace("、", " ").replace(",", " ").split():
        queryset = queryset.filter(pool_listing__search_text__contains=word)
    if filters.min_years is not None:
        queryset = queryset.filter(years_of_experience__gte=filters.min_years)
    if filters.max_salary is not None:
        queryset = queryset.filter(Q(desired_salary__lte=filters.max_salary) | Q(desired_salary__isnull=True))
    return queryset.order_by("-created_at", "-id")


def pool_page(
    company: Company, filters: PoolFilters, *, start: int = 0, size: int = POOL_PAGE_SIZE
) -> tuple[list[Candidate], int | None]:
    """One page of the pool from position `start` of the filtered list, and where the next page starts (or None).

    Rules 9–11 are checked on a batch of rows at a time rather than on the whole population first: with 100,000
    people that keeps a page well under a second. The price is that the page cannot say how many there are.
    """
    ranked = _filtered(filters)
    found: list[Candidate] = []
    position, batch = start, size * 2
    while True:
        rows = list(ranked[position : position + batch])
        allowed = eligible_among(company, [row.pk for row in rows])
        for index, row in enumerate(rows):
            if row.pk in allowed:
                found.append(row)
                if len(found) == size:
                    return found, position + index + 1
        if len(rows) < batch:
            return found, None
        position, batch = position + len(rows), batch * 2


@dataclass(frozen=True)
class PoolSearch:
    people: list[Candidate]
    next_start: int | None
    too_narrow: bool  # fewer than POOL_MINIMUM_RESULTS would be listed: nothing is, and no count is given


def pool_search(company: Company, filters: PoolFilters, *, start: int = 0, size: int = POOL_PAGE_SIZE) -> PoolSearch:
    """A page of the pool, or nothing at all when the whole result (not just this page) is under the minimum."""
    head, _after = pool_page(company, filters, size=POOL_MINIMUM_RESULTS)
    if len(head) < POOL_MINIMUM_RESULTS:
        return PoolSearch(people=[], next_start=None, too_narrow=True)
    people, next_start = pool_page(company, filters, start=start, size=size)
    return PoolSearch(people=people, next_start=next_start, too_narrow=False)


def pool_candidate(company: Company, token: str) -> Candidate | None:
    """The person behind a token if they are listed and this company may still see them; None (→ 404) otherwise."""
    candidate_id = profile_token_read(company, token)
    if candidate_id is None or not eligible_among(company, [candidate_id]):
        return None
    listed = Candidate.objects.filter(pk=candidate_id, pool_listing__state=PoolListing.State.LISTED)
    return listed.select_related("pool_listing").first()


def introduction_request_create(
    *, company: Company, token: str, job_order: JobOrder, message: str, actor: User
) -> IntroductionRequest:
    """「紹介を依頼する」: the operator sees it as a priority item and turns it into a proposal to the person."""
    candidate = pool_candidate(company, token)
    if candidate is None:
        raise IntroductionNotAllowed(_("このプロフィールは現在ご覧いただけません。"))
    if job_order.company_id != company.pk or job_order.status != JobOrder.Status.OPEN:
        raise IntroductionNotAllowed(_("募集中の求人を選んでください。"))
    refusal = working_conditions_refusal(job_order)
    if refusal:
        # No one may be introduced before the order states its working conditions (rule 17).
        raise IntroductionNotAllowed(refusal)
    if Introduction.objects.filter(job_order=job_order, candidate=candidate).exists():
        raise IntroductionNotAllowed(_("この求人では、すでにこの方へのご紹介を進めています。"))
    try:
        with transaction.atomic():
            request = IntroductionRequest.objects.create(
                company=company,
                job_order=job_order,
                candidate=candidate,
                profile_label=_label(token),
                message=message,
                requested_by=actor,
            )
            audit_record(
                actor=actor,
                action="introduction_request.create",
                target=request,
                company=company,
                detail={"job_order": job_order.pk, "profile": _label(token)},
            )
    except IntegrityError:
        raise IntroductionNotAllowed(_("この求人で、この方への紹介依頼はすでにお受けしています。")) from None
    return request
