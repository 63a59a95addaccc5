"""Every operator URL × every kind of user, against an explicit expectation table.

The URL list comes from the resolver (every pattern in the `ops` namespace, and anything else under /ops/), so a
new operator URL without a line in EXPECTED fails here until someone decides which roles may use it. The roles'
table itself is accounts/permissions.py; this file states the outcome per URL independently of it, so a change
to either has to be made on purpose in both."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.access import operator_required
from accounts.models import User
from candidates.models import AdvisorInterview, Candidate
from companies.models import Company
from mailings.models import OutboundEmail
from placements.models import (
    CreditNote,
    CreditReservation,
    Introduction,
    IntroductionRequest,
    JobOrder,
    Placement,
    PoolListing,
)
from placements.services.credit_use import credit_reserve
from placements.services.placements import placement_record, placement_record_leaving
from placements.services.pool import pool_listing_refresh
from relay.models import Referral
from tests.conftest import Tenant, login, make_user, register_verified
from tests.placement_support import grant_credits, introduce, make_job
from tests.test_candidate_crm import schedule

ADMIN, CA, RA, COMPANY, ANONYMOUS = "admin", "ca", "ra", "company", "anonymous"
OPERATORS = (ADMIN, CA, RA)
EVERYONE = (*OPERATORS, COMPANY, ANONYMOUS)
LOGIN = 302  # anonymous users are sent to the sign-in page


def only(*allowed: str, ok: int = 200) -> dict[str, int]:
    """`ok` for the named operator roles, 404 for the other roles and company users, the sign-in page for anyone."""
    return {
        **{role: ok if role in allowed else 404 for role in OPERATORS},
        COMPANY: 404,
        ANONYMOUS: LOGIN,
    }


ALL = OPERATORS


@dataclass(frozen=True)
class Objects:
    company: Company
    candidate: Candidate
    interview: AdvisorInterview
    referral: Referral
    job_order: JobOrder
    reservation: CreditReservation
    placement: Placement
    credit_note: CreditNote
    hired_unplaced: Introduction
    introduction: Introduction
    pool_request: IntroductionRequest
    email: OutboundEmail
    colleague: User
    listing: PoolListing


@dataclass(frozen=True)
class Case:
    kwargs: Callable[[Objects], dict[str, int]]
    get: dict[str, int]
    post: dict[str, int] | None = None  # POST with no data; required for POST-only and write-gated views
    query: Callable[[Objects], dict[str, str]] = field(default=lambda o: {})


def none(o: Objects) -> dict[str, int]:
    return {}


def company(o: Objects) -> dict[str, int]:
    return {"pk": o.company.pk}


def candidate(o: Objects) -> dict[str, int]:
    return {"pk": o.candidate.pk}


def job(o: Objects) -> dict[str, int]:
    return {"pk": o.job_order.pk}


def introduction(o: Objects) -> dict[str, int]:
    return {"pk": o.introduction.pk}


# GET-only pages are not posted to; a POST-only view answers 405 to a GET from a role that may use it.
EXPECTED: dict[str, Case] = {
    # member companies and contracts: advisors of companies read them, only an admin changes them
    "companies": Case(none, only(ADMIN, RA)),
    "company_new": Case(none, only(ADMIN), post=only(ADMIN)),
    "company_detail": Case(company, only(ADMIN, RA), post=only(ADMIN)),
    "company_terms_pdf": Case(lambda o: {"pk": o.company.pk, "version": 1}, only(ADMIN, RA)),
    # referrals and their invalidation, the audit log: admin
    "referrals": Case(none, only(ADMIN)),
    "referral_invalidate": Case(lambda o: {"pk": o.referral.pk}, only(ADMIN), post=only(ADMIN)),
    "referral_review": Case(none, only(ADMIN), post=only(ADMIN)),
    "audit": Case(none, only(ADMIN)),
    # the 第三者提供の記録 ledger (names people who deleted their account): whoever reads the audit log
    "provisions": Case(none, only(ADMIN)),
    "provisions_csv": Case(none, only(ADMIN)),
    # network KPIs (fee revenue, credit liability): admin; satisfaction: every operator
    "insights": Case(none, only(ADMIN)),
    "insights_satisfaction": Case(none, only(*ALL)),
    # the candidate CRM: career advisors
    "candidates": Case(none, only(ADMIN, CA)),
    # the talent pool's review before a profile is listed: whoever keeps the CRM
    "pool_review_list": Case(none, only(ADMIN, CA)),
    "pool_review": Case(lambda o: {"pk": o.listing.pk}, only(ADMIN, CA), post=only(ADMIN, CA, ok=400)),
    "candidate_detail": Case(candidate, only(ADMIN, CA)),
    "candidate_interview": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=302)),
    "candidate_status": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=400)),
    "candidate_advisor": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=302)),  # unassigns
    "candidate_note": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=400)),
    "candidate_resume": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=400)),
    "candidate_resume_download": Case(candidate, only(ADMIN, CA, ok=404)),  # 404 for all: no résumé stored
    "candidate_resume_delete": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=302)),
    "candidate_interview_new": Case(candidate, only(ADMIN, CA, ok=405), post=only(ADMIN, CA, ok=400)),
    "candidate_interview_status": Case(
        lambda o: {"pk": o.candidate.pk, "interview_pk": o.interview.pk},
        only(ADMIN, CA, ok=405),
        post=only(ADMIN, CA, ok=302),
    ),
    # the companies' job orders: recruiting advisors
    "job_orders": Case(none, only(ADMIN, RA)),
    "job_order_new": Case(none, only(ADMIN, RA), post=only(ADMIN, RA)),
    "job_order_edit": Case(job, only(ADMIN, RA), post=only(ADMIN, RA)),
    "job_order_status": Case(job, only(ADMIN, RA, ok=405), post=only(ADMIN, RA, ok=302)),
    # credits: the queue is the recruiting advisors' worklist; releasing a credit is the admin's
    "credit_queue": Case(none, only(ADMIN, RA)),
    "credit_release": Case(lambda o: {"pk": o.reservation.pk}, only(ADMIN), post=only(ADMIN)),
    # placements, fees, refunds and invoices: admin
    "placements": Case(none, only(ADMIN)),
    "placement_new": Case(
        none, only(ADMIN), post=only(ADMIN), query=lambda o: {"introduction": str(o.hired_unplaced.pk)}
    ),
    "placement_detail": Case(lambda o: {"pk": o.placement.pk}, only(ADMIN), post=only(ADMIN)),
    "placement_invoice": Case(lambda o: {"pk": o.placement.pk}, only(ADMIN)),
    "placement_credit_note": Case(lambda o: {"pk": o.credit_note.pk}, only(ADMIN)),
    # matching and introductions: both kinds of advisor
    "candidate_matches": Case(candidate, only(*ALL)),
    "job_matches": Case(job, only(*ALL)),
    "introductions": Case(none, only(*ALL)),
    "introduction_new": Case(
        none,
        only(*ALL),
        post=only(*ALL, ok=400),
        query=lambda o: {"job": str(o.job_order.pk), "candidate": str(o.candidate.pk)},
    ),
    "introduction_detail": Case(introduction, only(*ALL)),
    "introduction_move": Case(introduction, only(*ALL, ok=405), post=only(*ALL, ok=400)),
    "introduction_comment": Case(introduction, only(*ALL, ok=405), post=only(*ALL, ok=400)),
    "introduction_cancel": Case(introduction, only(*ALL, ok=405), post=only(*ALL, ok=302)),
    "request_decline": Case(lambda o: {"pk": o.pool_request.pk}, only(*ALL, ok=405), post=only(*ALL, ok=302)),
    # the operator outbox: every operator reads it, only an admin resends or cancels a mail
    "outbox": Case(none, only(*ALL)),
    "outbox_email": Case(lambda o: {"pk": o.email.pk}, only(*ALL)),
    "outbox_email_resend": Case(lambda o: {"pk": o.email.pk}, only(ADMIN, ok=405), post=only(ADMIN, ok=302)),
    "outbox_email_cancel": Case(lambda o: {"pk": o.email.pk}, only(ADMIN, ok=405), post=only(ADMIN, ok=302)),
    # operator users and their roles: admin
    "staff": Case(none, only(ADMIN)),
    # statutory books and the yearly reports (法定帳簿・事業報告): admin, on screen and as CSV
    "books": Case(none, only(ADMIN)),
    "book_job_orders": Case(none, only(ADMIN)),
    "book_job_seekers": Case(none, only(ADMIN), query=lambda o: {"format": "csv"}),
    "book_fees": Case(none, only(ADMIN)),
    "report_annual": Case(none, only(ADMIN)),
    "report_disclosure": Case(none, only(ADMIN), query=lambda o: {"format": "csv"}),
    "staff_update": Case(lambda o: {"pk": o.colleague.pk}, only(ADMIN, ok=405), post=only(ADMIN, ok=400)),
}


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> Iterator[tuple[str, str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield prefix + str(entry.pattern), namespace, entry.name or ""


def operator_url_names() -> list[str]:
    """Every URL name in the `ops` namespace; any other route under /ops/ is a mistake and fails loudly."""
    names = []
    for route, namespace, name in _walk(get_resolver().url_patterns, "", ""):
        if namespace == "ops":
            names.append(name)
        elif route.startswith("ops/"):
            pytest.fail(f"/{route} is under /ops/ but outside the ops namespace; give it a name in ops_urlpatterns")
    return names


def test_every_operator_url_has_an_expectation_and_no_expectation_is_stale() -> None:
    names = operator_url_names()
    assert len(names) == len(set(names)), "two ops URLs share a name"
    missing = sorted(set(names) - set(EXPECTED))
    assert not missing, (
        f"operator URLs without a line in EXPECTED: {missing}. Decorate the view with "
        "@operator_required(Permission.X) (accounts/permissions.py) and add the roles' outcome here."
    )
    assert sorted(set(EXPECTED) - set(names)) == [], "EXPECTED names a URL that no longer exists"


def test_every_operator_view_names_its_permission() -> None:
    """A view under /ops/ that is not wrapped by operator_required(...) would let any signed-in user in."""
    resolver = get_resolver()
    for name in operator_url_names():
        assert name in EXPECTED, f"ops:{name} has no line in EXPECTED"
        view: Any = resolver.resolve(_url(name, EXPECTED[name], None)).func
        assert hasattr(view, "operator_permission"), f"ops:{name} is not decorated with operator_required(...)"


def test_operator_required_refuses_to_decorate_without_a_permission() -> None:
    with pytest.raises(TypeError):
        operator_required(lambda request: None)  # type: ignore[arg-type]


def _url(name: str, case: Case, objects: Objects | None) -> str:
    # Without objects only the route matters: any positive ids resolve.
    kwargs = {key: 1 for key in case.kwargs(_ANY_IDS)} if objects is None else case.kwargs(objects)
    return reverse(f"ops:{name}", kwargs=kwargs)


class _AnyIds:
    def __getattr__(self, _name: str) -> Any:
        return type("Row", (), {"pk": 1})()


_ANY_IDS: Any = _AnyIds()


@pytest.fixture
def career_advisor(db: Any) -> User:
    return make_user("ca@agency.example.jp", name="相談 花子", operator_role=CA)


@pytest.fixture
def recruiting_advisor(db: Any) -> User:
    return make_user("ra@agency.example.jp", name="営業 次郎", operator_role=RA)


@pytest.fixture
def objects(operator: User, tenant: Tenant, career_advisor: User) -> Objects:
    candidate = register_verified(tenant.link)
    grant_credits(tenant, 1)
    credit_job = make_job(tenant, title="無料紹介枠の求人")
    reservation = credit_reserve(job_order=credit_job, actor=tenant.owner)
    job_order = make_job(tenant)
    hired = introduce(make_job(tenant, title="成約済みの求人"), operator, Introduction.Status.HIRED)
    placement = placement_record(
        introduction=hired, start_date=date(2026, 4, 1), annual_salary_yen=6_000_000, actor=operator
    )
    placement_record_leaving(placement=placement, left_on=date(2026, 4, 10), actor=operator)
    proposed = introduce(job_order, operator, Introduction.Status.PROPOSED)
    return Objects(
        company=tenant.company,
        candidate=candidate,
        interview=schedule(candidate, career_advisor),
        referral=Referral.objects.filter(company=tenant.company).first() or Referral.objects.get(),
        job_order=job_order,
        reservation=reservation,
        placement=placement,
        credit_note=CreditNote.objects.get(placement=placement),
        hired_unplaced=introduce(make_job(tenant, title="入社確定の求人"), operator, Introduction.Status.HIRED),
        introduction=proposed,
        pool_request=IntroductionRequest.objects.create(
            company=tenant.company, job_order=job_order, candidate=proposed.candidate, profile_label="プロフィール A"
        ),
        email=OutboundEmail.objects.order_by("pk").first() or OutboundEmail.objects.get(),
        colleague=career_advisor,
        listing=pool_listing_refresh(candidate=candidate),
    )


@pytest.fixture
def clients(operator: User, tenant: Tenant, career_advisor: User, recruiting_advisor: User) -> dict[str, Client]:
    return {
        ADMIN: login(Client(), operator),
        CA: login(Client(), career_advisor),
        RA: login(Client(), recruiting_advisor),
        COMPANY: login(Client(), tenant.owner),
        ANONYMOUS: Client(),
    }


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _sweep(clients: dict[str, Client], objects: Objects) -> list[str]:
    """Every URL × user, refused users first (their requests must write nothing), then the allowed ones."""
    wrong: list[str] = []
    for name in operator_url_names():
        case = EXPECTED.get(name)
        if case is None:
            pytest.fail(f"ops:{name} has no line in EXPECTED")
        url, query = _url(name, case, objects), case.query(objects)
        for method, expected in (("GET", case.get), ("POST", case.post)):
            if expected is None:
                continue
            refused = [user for user in EVERYONE if user == ANONYMOUS or expected[user] == 404]
            allowed = [user for user in EVERYONE if user not in refused]
            before = row_counts()
            for user in refused:
                wrong += _check(clients, user, method, url, query, f"{method} ops:{name}", expected[user])
            if row_counts() != before:
                wrong.append(f"{method} ops:{name}: a refused request wrote rows")
            for user in allowed:
                wrong += _check(clients, user, method, url, query, f"{method} ops:{name}", expected[user])
    return wrong


def _check(
    clients: dict[str, Client], user: str, method: str, url: str, query: dict[str, str], label: str, expected: int
) -> list[str]:
    client, label = clients[user], f"{label} as {user}"
    # A POST sends the query both ways: some views read their subject from the URL, some from the form.
    response = client.get(url, query) if method == "GET" else client.post(f"{url}?{urlencode(query)}", query)
    if response.status_code != expected:
        return [f"{label}: {response.status_code}, expected {expected}"]
    if user == ANONYMOUS and not response["Location"].startswith("/accounts/login/"):
        return [f"{label}: redirected to {response['Location']}, not the sign-in page"]
    return []


def test_every_operator_url_answers_each_role_as_the_table_says(clients: dict[str, Client], objects: Objects) -> None:
    wrong = _sweep(clients, objects)
    assert not wrong, "\n".join(wrong)


def test_a_post_only_or_write_gated_view_has_a_post_expectation() -> None:
    for name, case in EXPECTED.items():
        if case.get[ADMIN] == 405:
            assert case.post is not None, f"ops:{name} is POST-only: EXPECTED needs its post outcomes"
