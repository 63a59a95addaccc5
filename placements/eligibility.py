"""Who may be matched, introduced or shown in the talent pool to a company (DESIGN.md §3 rules 9, 10 and 11).

One place decides it for matching, introductions and the pool, so the three can never disagree:
- only people with a current consent to provide their profile to member companies (rule 11 a), a verified
  email address and an account (erased people are gone; their introductions keep a NULL candidate);
- never the company that rejected them (the company whose relay brought them) unless they opted in to
  re-challenge and the cool-down has passed (rule 9, the same test the re-challenge invitations use);
- never a company the referring company named as a competitor (rule 9).
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from candidates.models import Candidate, Consent
from companies.models import Company, Contract
from lib.dates import add_months
from placements.models import CompanyExclusion
from relay.models import Referral


def _latest_is_no(kind: str) -> QuerySet[Consent]:
    """Ids of people whose latest decision on `kind` is a no: a refusal with no later yes.

    Written without a per-person subquery so the database can filter 100,000 people in one pass.
    """
    later_yes = Consent.objects.filter(candidate=OuterRef("candidate"), kind=kind, granted=True).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return Consent.objects.filter(kind=kind, granted=False).exclude(Exists(later_yes)).values("candidate_id")


def _latest_is_yes(kind: str) -> Q:
    ever_yes = Consent.objects.filter(kind=kind, granted=True).values("candidate_id")
    return Q(pk__in=ever_yes) & ~Q(pk__in=_latest_is_no(kind))


def consenting_candidates(queryset: QuerySet[Candidate] | None = None) -> QuerySet[Candidate]:
    """Verified people whose latest decision on the provision consent is a yes."""
    queryset = Candidate.objects.all() if queryset is None else queryset
    return queryset.filter(_latest_is_yes(Consent.Kind.SERVICE), email_verified_at__isnull=False)


def has_service_consent(candidate: Candidate) -> bool:
    return candidate.email_verified_at is not None and candidate.current_consents().get(Consent.Kind.SERVICE, False)


def companies_blocked_for(company: Company) -> set[int]:
    """Companies whose relay candidates may not go to `company`: itself (rule 9's default) and those naming it a
    competitor."""
    return {company.pk, *CompanyExclusion.objects.filter(excluded=company).values_list("company_id", flat=True)}


def rechallenge_allowed_ids(company: Company) -> set[int]:
    """People the company rejected who opted in to hear from it again and whose cool-down has passed.

    The database finds who opted in; the re-challenge rules (cool-down from the rejection date in Japan,
    unsubscribes) then decide for those few, exactly as for re-challenge invitations.
    """
    from rechallenge.services import rechallenge_candidates

    contract = Contract.objects.filter(company=company).first() or Contract(company=company)
    # Nobody who registered within the cool-down can be past it, unless the company's own rejection date (known
    # through the applicant reference) is older; the margin covers the Japan-time day boundary.
    cutoff = add_months(timezone.now(), -contract.rechallenge_first_months) + timedelta(days=2)
    opted_in = list(
        Candidate.objects.filter(_latest_is_yes(Consent.Kind.RECHALLENGE), referral__company=company)
        .filter(Q(referral__registered_at__lte=cutoff) | ~Q(referral__applicant_ref=""))
        .values_list("pk", flat=True)
    )
    if not opted_in:
        return set()
    return {found.candidate.pk for found in rechallenge_candidates(company=company, candidate_ids=opted_in)}


def eligible_candidates_for(company: Company, queryset: QuerySet[Candidate] | None = None) -> QuerySet[Candidate]:
    """Everyone `company` may be matched with, be introduced to, or see anonymised in the talent pool."""
    blocked = companies_blocked_for(company)
    blocked_referrals = Referral.objects.filter(company_id__in=blocked, candidate__isnull=False)
    allowed_back = rechallenge_allowed_ids(company)
    barred = blocked_referrals.exclude(candidate_id__in=allowed_back) if allowed_back else blocked_referrals
    return consenting_candidates(queryset).exclude(pk__in=barred.values("candidate_id"))


def excluded_companies_for(candidate: Candidate) -> set[int]:
    """Ids of the companies this person must never be matched with, introduced to or shown to (rule 9)."""
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    if referral is None:
        return set()
    excluded = set(
        CompanyExclusion.objects.filter(company_id=referral.company_id).values_list("excluded_id", flat=True)
    )
    if candidate.pk not in rechallenge_allowed_ids(referral.company):
        excluded.add(referral.company_id)
    return excluded


def introduction_refusal(candidate: Candidate | None, company: Company) -> str | None:
    """Why this person may not be put in front of this company, in words the operator can act on; None if they may."""
    if candidate is None:
        return _("この求職者は退会されています。")
    if candidate.email_verified_at is None:
        return _("この求職者はメールアドレスの確認が済んでいないため、ご紹介できません。")
    if not has_service_consent(candidate):
        return _("この求職者は企業へのプロフィール提供に同意していない(または同意を取り消した)ため、ご紹介できません。")
    if company.pk in excluded_companies_for(candidate):
        referral = Referral.objects.filter(candidate=candidate).first()
        if referral is not None and referral.company_id == company.pk:
            return _(
                "この求職者は %(company)s の選考で不採用となった方です。再チャレンジを希望し、"
                "クールダウン期間が過ぎるまではご紹介できません。"
            ) % {"company": company.name}
        return _("この求職者の登録元企業が %(company)s を紹介先から除外しているため、ご紹介できません。") % {
            "company": company.name
        }
    return None
