"""労働条件明示 on job orders (職業安定法5条の3, 施行規則4条の2 with the April 2024 additions; DESIGN.md rule 17):
the fields, their validation, no introduction before they are complete, and the person sees them before accepting."""

from typing import Any

import pytest
from django.test import Client

from candidates.models import Candidate
from candidates.tokens import candidate_token_make
from demo.fakes import working_conditions
from demo.job_orders import seed_job_orders
from lib.errors import RuleRefused
from placements.forms import JobOrderForm
from placements.models import Introduction, JobOrder
from placements.services.introductions import introduction_accept, introduction_propose
from tests.conftest import Tenant
from tests.introductions_support import make_job, person

pytestmark = pytest.mark.django_db

BASIC = {
    "title": "営業職",
    "job_category": "sales",
    "employment_type": "full_time",
    "prefecture": "13",
    "remote": "onsite",
    "salary_min": "400",
    "salary_max": "600",
    "required_skills": "法人営業",
    "preferred_skills": "",
    "description": "法人営業をお任せします。",
}


def posted(**overrides: Any) -> dict[str, Any]:
    """Form data: the basics plus complete conditions, as a browser posts them (booleans only when checked)."""
    data: dict[str, Any] = dict(BASIC)
    for field, value in working_conditions("テスト株式会社").items():
        if field == "insurances":
            data[field] = str(value).split(",")
        elif field == "fixed_overtime_excess_paid":
            if value:
                data[field] = "on"
        else:
            data[field] = "" if value is None else str(value)
    for field, value in overrides.items():
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value
    return data


def blank_job(tenant: Tenant) -> JobOrder:
    """An order written before 労働条件明示 was asked for: every condition blank (what the migration leaves)."""
    job = make_job(tenant)
    JobOrder.objects.filter(pk=job.pk).update(
        duties_change_scope="", workplace="", contract_term="", insurances="", recruiter_name="", base_pay=""
    )
    job.refresh_from_db()
    return job


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


def test_a_complete_statement_has_nothing_missing_and_a_blank_order_lists_each_item(tenant: Tenant) -> None:
    assert make_job(tenant).working_conditions_missing() == []
    missing = dict(blank_job(tenant).working_conditions_missing())
    assert missing["duties_change_scope"] == "業務内容の変更の範囲をご記入ください。"
    assert missing["workplace"] == "就業場所をご記入ください。"
    assert missing["contract_term"] == "契約期間(無期・有期)を選んでください。"
    assert missing["insurances"] == "加入保険を選んでください。"
    assert missing["recruiter_name"] == "募集者の氏名または名称をご記入ください。"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"contract_term": "fixed", "contract_period": "1年", "renewal": "possible", "renewal_limit": ""},
            "renewal_limit",
            "有期契約を更新する場合は、更新上限(上限なしを含む)を選んでください。",
        ),
        (
            {"contract_term": "fixed", "contract_period": "1年", "renewal": ""},
            "renewal",
            "有期契約の場合は、契約更新の有無を選んでください。",
        ),
        (
            {"contract_term": "fixed", "contract_period": "1年", "renewal": "automatic", "renewal_limit": "times"},
            "renewal_limit_value",
            "更新上限の回数または通算契約期間(年)をご記入ください。",
        ),
        ({"probation": "yes", "probation_period": ""}, "probation_period", "試用期間の長さをご記入ください。"),
        (
            {"fixed_overtime": "yes", "fixed_overtime_excess_paid": None},
            "fixed_overtime_excess_paid",
            "固定残業時間を超える時間外労働の割増賃金を追加で支給する旨を明示してください。",
        ),
        (
            {"fixed_overtime": "yes", "fixed_overtime_hours": ""},
            "fixed_overtime_hours",
            "固定残業代に含まれる時間外労働の時間数をご記入ください。",
        ),
        (
            {"smoking_measure": "other", "smoking_note": ""},
            "smoking_note",
            "受動喫煙防止措置の内容を補足欄にご記入ください。",
        ),
    ],
)
def test_the_form_names_the_condition_that_an_answer_makes_necessary(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    form = JobOrderForm(posted(**overrides))
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_the_form_accepts_a_partial_statement_and_clears_what_an_answer_makes_irrelevant() -> None:
    # A draft may be saved without conditions (they are then listed as missing); 無期 drops renewal answers.
    draft = JobOrderForm(posted(**{field: "" for field in ("workplace", "base_pay", "contract_term")}))
    assert draft.is_valid(), draft.errors
    indefinite = JobOrderForm(posted(contract_term="indefinite", renewal="possible", renewal_limit="none"))
    assert indefinite.is_valid(), indefinite.errors
    assert indefinite.cleaned_data["renewal"] == ""
    assert indefinite.cleaned_data["renewal_limit"] == ""
    fixed = JobOrderForm(
        posted(
            contract_term="fixed",
            contract_period="１年",
            renewal="possible",
            renewal_limit="years",
            renewal_limit_value="5",
        )
    )
    assert fixed.is_valid(), fixed.errors
    assert fixed.cleaned_data["contract_period"] == "1年"  # full-width typed, NFKC stored
    assert fixed.cleaned_data["insurances"] == "employment,workers,health,pension"


def test_the_company_fills_the_conditions_in_the_form_section_and_sees_them_on_the_order(
    owner_client: Client, tenant: Tenant, outsider_client: Client
) -> None:
    page = owner_client.get("/company/jobs/new/").content.decode()
    assert "労働条件明示" in page and 'id="working-conditions"' in page
    assert tenant.company.name in page  # the recruiter's name starts as the company's
    response = owner_client.post("/company/jobs/new/", posted(workplace="大阪府大阪市北区梅田1-1"))
    assert response.status_code == 302
    job = JobOrder.objects.get(company=tenant.company)
    assert job.workplace == "大阪府大阪市北区梅田1-1"
    assert job.insurance_list == ["employment", "workers", "health", "pension"]
    detail = owner_client.get(f"/company/jobs/{job.pk}/").content.decode()
    assert "大阪府大阪市北区梅田1-1" in detail and "雇用保険・労災保険・健康保険・厚生年金" in detail
    assert 'id="conditions-missing"' not in detail
    assert outsider_client.get(f"/company/jobs/{job.pk}/").status_code == 404
    assert outsider_client.get(f"/company/jobs/{job.pk}/edit/").status_code == 404


def test_an_incomplete_order_shows_what_is_missing_with_a_link_to_complete_it(
    owner_client: Client, tenant: Tenant
) -> None:
    job = blank_job(tenant)
    detail = owner_client.get(f"/company/jobs/{job.pk}/").content.decode()
    assert 'id="conditions-missing"' in detail
    assert "就業場所をご記入ください。" in detail
    assert f"/company/jobs/{job.pk}/edit/#working-conditions" in detail
    edit = owner_client.get(f"/company/jobs/{job.pk}/edit/").content.decode()
    assert "業務内容の変更の範囲をご記入ください。" in edit


def test_no_introduction_until_the_conditions_are_complete(tenant: Tenant, outsider: Tenant, operator: Any) -> None:
    job = blank_job(outsider)
    hanako = person(tenant)
    with pytest.raises(RuleRefused) as refused:
        introduction_propose(job_order=job, candidate=hanako, recommendation="", actor=operator)
    assert "労働条件明示の項目" in str(refused.value)
    assert "就業場所" in str(refused.value) and "加入保険" in str(refused.value)
    assert not Introduction.objects.exists()
    JobOrder.objects.filter(pk=job.pk).update(**working_conditions(outsider.company.name))
    job.refresh_from_db()
    assert introduction_propose(job_order=job, candidate=hanako, recommendation="", actor=operator).pk


def test_the_operator_screens_show_the_missing_items_and_offer_no_proposal(
    tenant: Tenant, outsider: Tenant, operator: Any, operator_client: Client
) -> None:
    job = blank_job(outsider)
    hanako = person(tenant)
    matches = operator_client.get(f"/ops/jobs/{job.pk}/matches/").content.decode()
    assert 'id="conditions-missing"' in matches and f"/ops/jobs/{job.pk}/#working-conditions" in matches
    assert "/ops/introductions/new/?job=" not in matches
    new = operator_client.get(f"/ops/introductions/new/?job={job.pk}&candidate={hanako.pk}").content.decode()
    assert "労働条件明示の項目" in new and "<form" not in new.split('id="conditions-missing"')[1].split("</main>")[0]
    response = operator_client.post(
        "/ops/introductions/new/", {"job": job.pk, "candidate": hanako.pk, "recommendation": "推薦します"}
    )
    assert response.status_code == 400
    assert not Introduction.objects.exists()
    edit = operator_client.get(f"/ops/jobs/{job.pk}/").content.decode()
    assert "就業場所をご記入ください。" in edit and 'id="working-conditions"' in edit


def test_the_person_sees_the_conditions_before_accepting(tenant: Tenant, outsider: Tenant, operator: Any) -> None:
    job = make_job(outsider, workplace="東京都港区芝公園4-2-8", duties_change_scope="会社の定める営業関連業務")
    hanako = person(tenant)
    introduction = introduction_propose(job_order=job, candidate=hanako, recommendation="", actor=operator)
    client = signed_in(hanako)
    page = client.get(f"/me/introductions/{introduction.pk}/").content.decode()
    conditions, accept = page.index("東京都港区芝公園4-2-8"), page.index("ご紹介を承諾する")
    assert conditions < accept
    for text in ("会社の定める営業関連業務", "期間の定めなし(無期)", "月給30万円", "20 時間分", "屋内全面禁煙"):
        assert text in page
    mypage = client.get("/me/").content.decode()
    assert "労働条件をご確認いただいてから" in mypage


def test_acceptance_is_refused_if_the_conditions_were_emptied_since_the_proposal(
    tenant: Tenant, outsider: Tenant, operator: Any
) -> None:
    job = make_job(outsider)
    hanako = person(tenant)
    introduction = introduction_propose(job_order=job, candidate=hanako, recommendation="", actor=operator)
    JobOrder.objects.filter(pk=job.pk).update(workplace="")
    with pytest.raises(RuleRefused):
        introduction_accept(introduction=introduction, candidate=hanako)
    introduction.refresh_from_db()
    assert introduction.status == Introduction.Status.PROPOSED and introduction.accepted_at is None


def test_demo_orders_state_complete_conditions_also_when_seeded_before(tenant: Tenant) -> None:
    orders = seed_job_orders(company=tenant.company)
    assert orders and all(order.working_conditions_missing() == [] for order in orders)
    fixed = [order for order in orders if order.contract_term == JobOrder.ContractTerm.FIXED]
    assert fixed and all(order.renewal_limit for order in fixed)
    JobOrder.objects.filter(company=tenant.company).update(workplace="", recruiter_name="")
    again = seed_job_orders(company=tenant.company)
    assert all(order.working_conditions_missing() == [] for order in again)


def test_a_company_cannot_ask_for_a_pool_introduction_on_an_incomplete_order(
    tenant: Tenant, outsider: Tenant, outsider_client: Client
) -> None:
    from placements.models import IntroductionRequest, PoolListing
    from placements.services.pool import profile_token

    hanako = person(tenant)
    PoolListing.objects.filter(candidate=hanako).update(state=PoolListing.State.LISTED)
    job = blank_job(outsider)
    response = outsider_client.post(
        f"/company/pool/{profile_token(outsider.company, hanako.pk)}/", {"job_order": job.pk}
    )
    assert response.status_code == 400
    assert "労働条件明示の項目" in response.content.decode()
    assert not IntroductionRequest.objects.exists()


def test_the_operator_writes_the_conditions_on_the_company_s_behalf(
    outsider: Tenant, operator_client: Client, outsider_client: Client
) -> None:
    page = operator_client.get("/ops/jobs/new/").content.decode()
    assert 'id="working-conditions"' in page
    data = posted(company=str(outsider.company.pk), recruiter_name="", contract_term="fixed", renewal="possible")
    data.update(contract_period="6か月", renewal_limit="", renewal_limit_value="")
    refused = operator_client.post("/ops/jobs/new/", data)
    assert refused.status_code == 200
    assert "有期契約を更新する場合は、更新上限(上限なしを含む)を選んでください。" in refused.content.decode()
    data.update(renewal_limit="times", renewal_limit_value="3")
    assert operator_client.post("/ops/jobs/new/", data).status_code == 302
    job = JobOrder.objects.get(company=outsider.company)
    assert job.recruiter_name == outsider.company.name  # the company itself unless written otherwise
    assert (job.renewal_limit, job.renewal_limit_value) == ("times", 3)
    assert job.working_conditions_missing() == []
    assert "更新 3 回まで" in outsider_client.get(f"/company/jobs/{job.pk}/").content.decode()
