"""The anonymised talent pool (DESIGN.md §3 rule 10): what member companies may see of people before any
introduction, and their requests for one.

A profile carries no name, contact, employer name or birth date (none is collected; so no age band either):
prefecture, skills, experience, desired job category and a salary band, and a summary with e-mail addresses,
phone numbers, URLs, company names and the person's own name blacked out. A profile is addressed by an opaque
id that differs per company and reveals nothing (not the database key), so ids cannot be compared across
companies or walked.
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
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from candidates.models import Candidate
from companies.models import Company
from lib.jatext import nfkc, search_key, split_skills
from placements.models import Introduction, IntroductionRequest, JobOrder
from placements.selectors.eligibility import eligible_among
from placements.services.introductions import IntroductionNotAllowed

REDACTED = "●●●"
POOL_PAGE_SIZE = 30
_ROUNDS = 4
_MASK = (1 << 64) - 1

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(\.[\w\-]+)+")
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(r"\+?\d[\d\-\u2010-\u2015\u2212() ]{7,}\d")  # any hyphen people type, not 「ー」
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_]{2,}")
# Company names in Japanese and English forms: 株式会社〇〇, 〇〇株式会社, (株)〇〇, 〇〇 Inc. / Co., Ltd.
_NAME_CHARS = r"[\u30a0-\u30ff\u4e00-\u9fffA-Za-z0-9&・\-]"  # no hiragana: particles (で, に, は) end a name
_LEGAL_FORM = r"(株式会社|有限会社|合同会社|合資会社|一般社団法人|\(株\)|\(有\)|㈱|㈲)"
_COMPANY = re.compile(
    rf"{_LEGAL_FORM}\s?{_NAME_CHARS}*|{_NAME_CHARS}+\s?{_LEGAL_FORM}"
    r"|[A-Za-z0-9&.\-]+(\s+[A-Za-z0-9&.\-]+)*\s*(,\s*)?(Inc\.?|Co\.,?\s*Ltd\.?|Ltd\.?|LLC|K\.K\.|Corp\.?|Corporation)"
)


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


def redact(text: str, *, names: tuple[str, ...] = ()) -> str:
    """Free text without the ways to identify or reach the person (done after NFKC, so full-width forms too)."""
    text = nfkc(text) if "\n" not in (text or "") else "\n".join(nfkc(line) for line in text.splitlines())
    for pattern in (_EMAIL, _URL, _HANDLE, _COMPANY):
        text = pattern.sub(REDACTED, text)
    # Phone numbers have 10 or more digits; shorter runs are years (2019-2021) or amounts and stay.
    text = _PHONE.sub(lambda found: REDACTED if sum(c.isdigit() for c in found.group()) >= 10 else found.group(), text)
    for name in names:
        for part in {nfkc(name), *nfkc(name).split(" ")}:
            if len(part) >= 2:
                text = text.replace(part, REDACTED)
    return text


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
    names = (candidate.name, candidate.furigana)
    token = profile_token(company, candidate.pk)
    return PoolProfile(
        token=token,
        label=_label(token),
        prefecture=candidate.get_prefecture_display(),
        job_category=candidate.get_job_category_display(),
        years_of_experience=candidate.years_of_experience,
        skills=[redact(skill, names=names) for skill in split_skills(candidate.skills)],
        salary_band=salary_band(candidate.desired_salary),
        summary=redact(candidate.career_summary, names=names),
    )


@dataclass(frozen=True)
class PoolFilters:
    job_category: str = ""
    prefecture: int | None = None
    skills: str = ""
    min_years: int | None = None
    max_salary: int | None = None


def _filtered(filters: PoolFilters) -> QuerySet[Candidate]:
    queryset = Candidate.objects.all()
    if filters.job_category:
        queryset = queryset.filter(job_category=filters.job_category)
    if filters.prefecture:
        queryset = queryset.filter(prefecture=filters.prefecture)
    for word in search_key(filters.skills).replace("、", " ").replace(",", " ").split():
        queryset = queryset.filter(search_text__contains=word)
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


def pool_candidate(company: Company, token: str) -> Candidate | None:
    """The person behind a token if this company may still see them; None (→ 404) otherwise."""
    candidate_id = profile_token_read(company, token)
    if candidate_id is None or not eligible_among(company, [candidate_id]):
        return None
    return Candidate.objects.filter(pk=candidate_id).first()


def introduction_request_create(
    *, company: Company, token: str, job_order: JobOrder, message: str, actor: User
) -> IntroductionRequest:
    """「紹介を依頼する」: the operator sees it as a priority item and turns it into a proposal to the person."""
    candidate = pool_candidate(company, token)
    if candidate is None:
        raise IntroductionNotAllowed(_("このプロフィールは現在ご覧いただけません。"))
    if job_order.company_id != company.pk or job_order.status != JobOrder.Status.OPEN:
        raise IntroductionNotAllowed(_("募集中の求人を選んでください。"))
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
