"""Who may be matched, introduced or shown in the talent pool to a company (DESIGN.md §3 rules 9, 10 and 11).

One place decides it for matching, introductions and the pool, so the three can never disagree:
- only people with a current consent to provide their profile to member companies (rule 11 a), a verified
  email address and an account (erased people are gone; their introductions keep a NULL candidate);
- never the company that rejected them (the company whose relay brought them) unless they opted in to
  re-challenge and the cool-down has passed (rule 9, the same test the re-challenge invitations use);
- never a company the referring company named as a competitor (rule 9);
- nobody under the 2-year guard after an indefinite placement (rule 16, `placements/selectors/guard.py`).
"""

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from applicants.models import Applicant
from candidates.models import Candidate, Consent
from companies.models import Company, Contract
from lib.dates import JST, add_months, jst_today
from mailings.models import Suppression
from placements.models import CompanyExclusion
from placements.selectors.guard import guarded_candidate_ids, outside_placement_guard, placement_guard_for
from relay.models import Referral

Among = Collection[int] | None  # narrows every subquery to these people (matching checks a few hundred at a time)


def _consents(kind: str, among: Among) -> QuerySet[Consent]:
    consents = Consent.objects.filter(kind=kind)
    return consents if among is None else consents.filter(candidate_id__in=among)


def _latest_is_no(kind: str, among: Among = None) -> QuerySet[Consent, Any]:
    """Ids of people whose latest decision on `kind` is a no: a refusal with no later yes.

    Written without a per-person subquery so the database can filter 100,000 people in one pass.
    """
    later_yes = Consent.objects.filter(candidate=OuterRef("candidate"), kind=kind, granted=True).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return _consents(kind, among).filter(granted=False).exclude(Exists(later_yes)).values("candidate_id")


def _latest_is_yes(kind: str, among: Among = None) -> Q:
    ever_yes = _consents(kind, among).filter(granted=True).values("candidate_id")
    return Q(pk__in=ever_yes) & ~Q(pk__in=_latest_is_no(kind, among))


def consenting_candidates(queryset: QuerySet[Candidate] | None = None, among: Among = None) -> QuerySet[Candidate]:
    """Verified people whose latest decision on the provision consent is a yes."""
    queryset = Candidate.objects.all() if queryset is None else queryset
    return queryset.filter(_latest_is_yes(Consent.Kind.SERVICE, among), email_verified_at__isnull=False)


def has_service_consent(candidate: Candidate) -> bool:
    return candidate.email_verified_at is not None and candidate.current_consents().get(Consent.Kind.SERVICE, False)


def companies_blocked_for(company: Company) -> set[int]:
    """Companies whose relay candidates may not go to `company`: itself (rule 9's default) and those naming it a
    competitor."""
    return {company.pk, *CompanyExclusion.objects.filter(excluded=company).values_list("company_id", flat=True)}


def _cool_down_end(months: int, today: date) -> datetime:
    """The first moment (Japan time) of the day after the last rejection day whose cool-down has ended by today.

    Re-challenge counts the cool-down as `add_months(rejected_on, months) <= today`, where add_months
    clamps to the month's end; that holds for a run of days up to some last day, found here exactly.
    """
    last = add_months(datetime.combine(today, time()), -months).date()
    while add_months(last + timedelta(days=1), months) <= today:
        last += timedelta(days=1)
    return datetime.combine(last + timedelta(days=1), time(), tzinfo=JST)


def rechallenge_allowed(
    company: Company | None, among: Among = None, *, today: date | None = None
) -> QuerySet[Referral]:
    """Referrals of people a company rejected who may meet it again (rule 9's exception), as one query: those of
    `company`, or of every company when it is None, each measured against its own contract's cool-down (so a KPI
    over 10,000 companies is one grouped query, not one per company).

    The same test as `rechallenge.services.rechallenge_candidates`, which reads its people from here
    (tests/test_matching.py and tests/test_rechallenge_eligibility.py prove the rule): a valid referral, the latest
    re-challenge consent is a yes, the address is not unsubscribed from this company or from everything, and the
    cool-down counted from the rejection (the company's own rejection date when the applicant reference is known,
    otherwise the registration) has passed in Japan by `today`.
    """
    today = today or jst_today()
    referrals = Referral.objects.filter(candidate__isnull=False).exclude(status=Referral.Status.INVALIDATED)
    if company is not None:
        referrals = referrals.filter(company=company)
    if among is not None:
        referrals = referrals.filter(candidate_id__in=among)
    rejected_at = Subquery(
        Applicant.objects.filter(company=OuterRef("company_id"), ref=OuterRef("applicant_ref")).values("rejected_at")[
            :1
        ]
    )
    unsubscribed = Suppression.objects.filter(
        Q(company__isnull=True) | Q(company=OuterRef("company_id")),
        email_normalized=OuterRef("candidate__email_normalized"),
    )
    default_months = Contract._meta.get_field("rechallenge_first_months").get_default()
    if company is not None:
        contract = Contract.objects.filter(company=company).first()
        months = {contract.rechallenge_first_months if contract else default_months}
    else:
        months = {default_months, *Contract.objects.values_list("rechallenge_first_months", flat=True).distinct()}
    cooled_down = Q()
    for month_count in sorted(months):
        cooled_down |= Q(first_months=month_count, rejected__lt=_cool_down_end(month_count, today))
    # One index probe per referral (candidates.Consent's consent_latest_decision), so a company's count costs its
    # own referrals, not a pass over every consent of the network.
    latest_decision = (
        Consent.objects.filter(candidate=OuterRef("candidate_id"), kind=Consent.Kind.RECHALLENGE)
        .order_by("-created_at", "-pk")
        .values("granted")[:1]
    )
    return (
        referrals.alias(opted_in=Subquery(latest_decision))
        .filter(opted_in=True)
        .exclude(Exists(unsubscribed))
        .alias(
            rejected=Case(
                When(applicant_ref="", then=F("registered_at")),
                default=Coalesce(rejected_at, F("registered_at")),
            ),
            first_months=Coalesce(F("company__contract__rechallenge_first_months"), Value(default_months)),
        )
        .filter(cooled_down)
    )


def rechallenge_eligible_counts(
    *, today: date, looking_back: bool = False, company: Company | None = None
) -> dict[int, int]:
    """How many people each company could invite to re-challenge on `today` (company id → count; companies with
    nobody are absent): `rechallenge_allowed`, outside the 2-year guard (rule 16). `looking_back` (a KPI of a past
    period): the guard counts only placements recorded by `today`. One grouped query at any number of companies."""
    guarded = guarded_candidate_ids(today, recorded_by=today if looking_back else None)
    rows = (
        rechallenge_allowed(company, today=today)
        .exclude(candidate_id__in=guarded)
        .order_by()
        .values("company_id")
        .annotate(people=Count("id"))
        .values_list("company_id", "people")
    )
    return dict(rows)


def eligible_candidates_for(
    company: Company, queryset: QuerySet[Candidate] | None = None, among: Among = None
) -> QuerySet[Candidate]:
    """Everyone `company` may be matched with, be introduced to, or see anonymised in the talent pool."""
    blocked = companies_blocked_for(company)
    barred = Referral.objects.filter(company_id__in=blocked, candidate__isnull=False)
    if among is not None:
        barred = barred.filter(candidate_id__in=among)
    barred = barred.exclude(pk__in=rechallenge_allowed(company, among).values("pk"))
    return (
        consenting_candidates(queryset, among)
        .exclude(pk__in=barred.values("candidate_id"))
        .exclude(pk__in=guarded_candidate_ids(among=among))
    )


def eligible_among(company: Company, candidate_ids: Collection[int]) -> set[int]:
    """Which of these people `company` may see: the same rules, with every subquery kept to these people."""
    ids = list(candidate_ids)
    if not ids:
        return set()
    people = Candidate.objects.filter(pk__in=ids)
    return set(eligible_candidates_for(company, people, among=ids).values_list("pk", flat=True))


def excluded_companies_for(candidate: Candidate) -> set[int]:
    """Ids of the companies this person must never be matched with, introduced to or shown to (rule 9)."""
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    if referral is None:
        return set()
    excluded = set(
        CompanyExclusion.objects.filter(company_id=referral.company_id).values_list("excluded_id", flat=True)
    )
    if not rechallenge_allowed(referral.company, among=[candidate.pk]).exists():
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
    guard = placement_guard_for(candidate)
    if guard is not None:
        return _(
            "この求職者は入社後2年間の転職勧奨禁止期間中(%(date)s まで)のため、ご紹介できません。"
            "ご本人がマイページから転職のご相談を申し出た場合に限り、ご紹介できます。"
        ) % {"date": f"{guard.last_day.year}年{guard.last_day.month}月{guard.last_day.day}日"}
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


def newsletter_audience(today: date | None = None) -> QuerySet[Candidate]:
    """Who may receive the agency's newsletter (求人情報・お知らせメール, promotional, rule 12): verified people whose
    latest newsletter decision is a yes, outside the 2-year guard (rule 16). Every newsletter sender takes its
    list from here."""
    people = Candidate.objects.filter(_latest_is_yes(Consent.Kind.NEWSLETTER), email_verified_at__isnull=False)
    return outside_placement_guard(people, today=today)
