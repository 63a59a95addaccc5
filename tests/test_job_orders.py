"""Job orders (求人): companies and the operator write them, members read them, other companies never see them."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEntry
from demo.job_orders import seed_job_orders
from placements.models import JobOrder
from placements.services.jobs import JobOrderTransitionError, job_order_set_status
from tests.conftest import Tenant, login
from tests.placement_support import make_job

pytestmark = pytest.mark.django_db


def job_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "バックエンドエンジニア",
        "job_category": "software",
        "employment_type": "full_time",
        "prefecture": "13",
        "remote": "partial",
        "salary_min": "500",
        "salary_max": "800",
        "required_skills": "Python、SQL",
        "preferred_skills": "Django",
        "description": "自社サービスの開発をお任せします。",
    }
    data.update(overrides)
    return data


def test_it_creates_a_job_order_open_and_audited(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post("/company/jobs/new/", job_data())
    job = JobOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/company/jobs/{job.pk}/"
    assert job.company == tenant.company and job.created_by == tenant.owner
    assert job.status == JobOrder.Status.OPEN
    assert (job.salary_min, job.salary_max, job.prefecture) == (500, 800, 13)
    assert AuditEntry.objects.filter(action="job_order.create", company=tenant.company).count() == 1
    page = owner_client.get(f"/company/jobs/{job.pk}/").content.decode()
    assert "バックエンドエンジニア" in page and "500〜800万円" in page and "東京都(リモート可)" in page


def test_it_normalises_full_width_and_half_width_input(owner_client: Client) -> None:
    owner_client.post(
        "/company/jobs/new/",
        job_data(
            title="ＳＲＥ　ｴﾝｼﾞﾆｱ",
            salary_min="５００万",
            salary_max="1,200万円",
            required_skills="Ｌｉｎｕｘ、ＡＷＳ,Linux\nＴｅｒｒａｆｏｒｍ",
            description="インフラの設計・運用\n\n\n\nＳＲＥ　チーム",
        ),
    )
    job = JobOrder.objects.get()
    assert job.title == "SRE エンジニア"
    assert (job.salary_min, job.salary_max) == (500, 1200)
    assert job.required_skills == "Linux、AWS、Terraform"
    assert job.description == "インフラの設計・運用\n\nSRE チーム"


def test_it_refuses_a_salary_minimum_above_the_maximum(owner_client: Client) -> None:
    response = owner_client.post("/company/jobs/new/", job_data(salary_min="900", salary_max="600"))
    assert response.status_code == 200
    assert "年収の上限は下限以上の金額を入力してください。" in response.content.decode()
    assert not JobOrder.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("salary_min", "たくさん", "金額は万円単位の数字で入力してください"),
        ("salary_max", "50000", "年収は万円単位で入力してください"),
        ("title", "　", "求人名を入力してください。"),
        ("required_skills", "、、", "必須スキル・経験を入力してください。"),
        ("prefecture", "", "勤務地の都道府県を選んでください"),
    ],
)
def test_it_explains_bad_input_in_japanese(owner_client: Client, field: str, value: str, message: str) -> None:
    response = owner_client.post("/company/jobs/new/", job_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not JobOrder.objects.exists()


def test_a_fully_remote_job_needs_no_prefecture(owner_client: Client) -> None:
    owner_client.post("/company/jobs/new/", job_data(prefecture="", remote="full"))
    job = JobOrder.objects.get()
    assert job.prefecture is None and job.location_display == "フルリモート"


def test_it_edits_a_job_order_and_audits_what_changed(owner_client: Client, tenant: Tenant) -> None:
    job = make_job(tenant)
    response = owner_client.post(f"/company/jobs/{job.pk}/edit/", job_data(title="営業マネージャー", salary_max="900"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.title == "営業マネージャー" and job.salary_max == 900
    entry = AuditEntry.objects.get(action="job_order.update")
    assert entry.detail["title"] == ["営業職", "営業マネージャー"]


def test_it_pauses_reopens_and_closes_through_the_screen(owner_client: Client, tenant: Tenant) -> None:
    job = make_job(tenant)
    for status in ("paused", "open", "closed", "open"):
        owner_client.post(f"/company/jobs/{job.pk}/status/", {"status": status})
        job.refresh_from_db()
        assert job.status == status
    actions = list(AuditEntry.objects.filter(action__startswith="job_order.").values_list("action", flat=True))
    assert sorted(actions) == sorted(
        ["job_order.create", "job_order.paused", "job_order.open", "job_order.closed", "job_order.open"]
    )


@pytest.mark.parametrize(("start", "wanted"), [("open", "open"), ("paused", "paused"), ("closed", "paused")])
def test_it_refuses_transitions_a_job_order_cannot_make(tenant: Tenant, start: str, wanted: str) -> None:
    job = make_job(tenant)
    if start == "paused":
        job = job_order_set_status(job_order=job, status="paused", actor=tenant.owner)
    if start == "closed":
        job = job_order_set_status(job_order=job, status="closed", actor=tenant.owner)
    audits = AuditEntry.objects.count()
    with pytest.raises(JobOrderTransitionError):
        job_order_set_status(job_order=job, status=wanted, actor=tenant.owner)
    job.refresh_from_db()
    assert job.status == start
    assert AuditEntry.objects.count() == audits


def test_an_invalid_transition_on_screen_shows_a_reason(owner_client: Client, tenant: Tenant) -> None:
    job = make_job(tenant)
    job_order_set_status(job_order=job, status="closed", actor=tenant.owner)
    response = owner_client.post(f"/company/jobs/{job.pk}/status/", {"status": "paused"}, follow=True)
    assert "「募集終了」の求人を「一時停止」にすることはできません。" in response.content.decode()
    response = owner_client.post(f"/company/jobs/{job.pk}/status/", {"status": "nonsense"}, follow=True)
    assert "募集状況の指定が正しくありません。" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobOrder.Status.CLOSED


def test_the_list_filters_by_status(owner_client: Client, tenant: Tenant) -> None:
    make_job(tenant, title="営業アシスタント")
    paused = make_job(tenant, title="物流スタッフ")
    job_order_set_status(job_order=paused, status="paused", actor=tenant.owner)
    page = owner_client.get("/company/jobs/", {"status": "paused"}).content.decode()
    assert "物流スタッフ" in page and "営業アシスタント" not in page
    page = owner_client.get("/company/jobs/").content.decode()
    assert "物流スタッフ" in page and "営業アシスタント" in page


def test_a_member_reads_but_cannot_write(client: Client, tenant: Tenant) -> None:
    job = make_job(tenant)
    member = login(client, tenant.member)
    assert member.get("/company/jobs/").status_code == 200
    assert member.get(f"/company/jobs/{job.pk}/").status_code == 200
    assert member.get("/company/jobs/new/").status_code == 404
    assert member.post("/company/jobs/new/", job_data()).status_code == 404
    assert member.get(f"/company/jobs/{job.pk}/edit/").status_code == 404
    assert member.post(f"/company/jobs/{job.pk}/edit/", job_data(title="書き換え")).status_code == 404
    assert member.post(f"/company/jobs/{job.pk}/status/", {"status": "closed"}).status_code == 404
    job.refresh_from_db()
    assert job.title == "営業職" and job.status == JobOrder.Status.OPEN
    assert JobOrder.objects.count() == 1


def test_an_outsider_gets_404_on_every_job_order_url(outsider_client: Client, tenant: Tenant) -> None:
    job = make_job(tenant, title="社外秘の求人")
    for url in [f"/company/jobs/{job.pk}/", f"/company/jobs/{job.pk}/edit/"]:
        assert outsider_client.get(url).status_code == 404, url
    assert outsider_client.post(f"/company/jobs/{job.pk}/edit/", job_data()).status_code == 404
    assert outsider_client.post(f"/company/jobs/{job.pk}/status/", {"status": "closed"}).status_code == 404
    assert "社外秘の求人" not in outsider_client.get("/company/jobs/").content.decode()
    for url in ["/ops/jobs/", "/ops/jobs/new/", f"/ops/jobs/{job.pk}/"]:
        assert outsider_client.get(url).status_code == 404, url
    assert outsider_client.post(f"/ops/jobs/{job.pk}/status/", {"status": "closed"}).status_code == 404
    job.refresh_from_db()
    assert job.status == JobOrder.Status.OPEN and job.title == "社外秘の求人"


def test_the_operator_lists_across_companies_and_filters_by_company(
    operator_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    make_job(tenant, title="テスト商事の求人")
    make_job(outsider, title="他社の求人")
    page = operator_client.get("/ops/jobs/").content.decode()
    assert "テスト商事の求人" in page and "他社の求人" in page
    page = operator_client.get("/ops/jobs/", {"company": tenant.company.pk}).content.decode()
    assert "テスト商事の求人" in page and "他社の求人" not in page


def test_the_operator_creates_and_edits_for_a_company(operator_client: Client, operator: User, tenant: Tenant) -> None:
    response = operator_client.post("/ops/jobs/new/", {"company": tenant.company.pk, **job_data()})
    job = JobOrder.objects.get()
    assert response["Location"] == f"/ops/jobs/{job.pk}/"
    assert job.company == tenant.company and job.created_by == operator
    operator_client.post(f"/ops/jobs/{job.pk}/", job_data(title="代理で更新"))
    operator_client.post(f"/ops/jobs/{job.pk}/status/", {"status": "paused"})
    job.refresh_from_db()
    assert job.title == "代理で更新" and job.status == JobOrder.Status.PAUSED
    entries = AuditEntry.objects.filter(company=tenant.company, actor=operator, action__startswith="job_order.")
    assert {e.action for e in entries} == {"job_order.create", "job_order.update", "job_order.paused"}
    response = operator_client.post("/ops/jobs/new/", job_data())
    assert "企業を選んでください。" in response.content.decode()


def test_the_demo_seeds_each_state_once(tenant: Tenant) -> None:
    seed_job_orders(company=tenant.company)
    seed_job_orders(company=tenant.company)
    statuses = sorted(JobOrder.objects.filter(company=tenant.company).values_list("status", flat=True))
    assert statuses == ["closed", "open", "open", "paused"]


def test_english_readers_see_the_salary_in_yen(tenant: Tenant) -> None:
    from django.utils import translation

    from tests.test_i18n import compile_stale_catalogs, reset_translation_caches

    compile_stale_catalogs()  # a fresh checkout has only the .po
    reset_translation_caches()

    job = make_job(tenant, salary_min=500, salary_max=1200)
    assert job.salary_display == "500〜1,200万円"
    with translation.override("en"):
        assert job.salary_display == "¥5,000,000–¥12,000,000"
