"""The anonymised talent pool (DESIGN.md §3 rule 10): nothing that identifies or reaches a person, filters,
exclusions (rule 9), opaque ids, and the request that starts an introduction."""

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEntry
from candidates.models import Candidate
from placements.models import CompanyExclusion, Introduction, IntroductionRequest, PoolListing
from placements.redaction import CONTACT, EMPLOYER, PERSON, redact
from placements.services.introductions import introduction_accept
from placements.services.pool import profile_token, profile_token_read, salary_band
from tests.conftest import Tenant, login
from tests.introductions_support import make_job, opt_in_rechallenge, withdraw_service_consent
from tests.introductions_support import person as registered_person

pytestmark = pytest.mark.django_db

SUMMARY = (
    "株式会社サンプル商事で3年間、Python の開発をしていました。その前は ABC Tech Inc. に在籍。\n"
    "連絡先: ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ / 080-1234-5678 / https://github.com/hanako / @hanako_dev"
    " 山田 花子"
)


def person(referred_by: Tenant, *, listed: bool = True, **overrides: Any) -> Candidate:
    """A registered person whose pool profile an advisor has listed (new profiles wait for review)."""
    candidate = registered_person(referred_by, **overrides)
    if listed:
        PoolListing.objects.filter(candidate=candidate).update(state=PoolListing.State.LISTED)
    return candidate


def others_in_pool(referred_by: Tenant, count: int = 4, **overrides: Any) -> list[Candidate]:
    """Enough other listed people that a page reaches the pool's minimum of 5."""
    return [
        person(referred_by, name=f"佐藤 {index}郎", furigana="サトウ タロウ", **overrides) for index in range(count)
    ]


@pytest.fixture
def hanako(tenant: Tenant) -> Any:
    return person(
        tenant,
        name="山田 花子",
        furigana="ヤマダ ハナコ",
        email="pool.hanako@example.jp",
        phone="090-5555-6666",
        skills="Python、SQL",
        years_of_experience=4,
        desired_salary=620,
        career_summary=SUMMARY,
    )


def test_profiles_show_nothing_that_identifies_or_reaches_the_person(
    hanako: Any, tenant: Tenant, outsider: Tenant, outsider_client: Client
) -> None:
    others_in_pool(tenant)
    listing = outsider_client.get("/company/pool/").content.decode()
    token = profile_token(outsider.company, hanako.pk)
    detail = outsider_client.get(f"/company/pool/{token}/").content.decode()
    for page in (listing, detail):
        for secret in (
            "山田",
            "花子",
            "ヤマダ",
            "pool.hanako@example.jp",
            "5555",
            "サンプル商事",
            "ABC Tech",
            "hanako@example.jp",
            "1234-5678",
            "github.com",
            "@hanako_dev",
            str(hanako.public_id),
            "株式会社テスト商事",  # the company that referred (rejected) them
        ):
            assert secret not in page, secret
    assert "東京都" in detail and "4 年" in detail and "600〜699万円" in detail and "Python" in detail
    assert "3年間、Python の開発をしていました" in detail and EMPLOYER in detail and CONTACT in detail
    assert f"/company/pool/{token}/" in listing


def test_redaction_covers_full_width_contact_data_and_company_names() -> None:
    text = redact(SUMMARY, names=("山田 花子", "ヤマダ ハナコ"))
    assert "example" not in text and "1234" not in text and "github" not in text and "hanako" not in text
    assert "サンプル商事" not in text and "ABC" not in text and "山田" not in text and "花子" not in text
    assert "3年間、Python の開発をしていました。" in text and PERSON in text
    assert redact("TEL:０３−１２３４−５６７８まで") == f"TEL:{CONTACT}まで"
    assert redact("2019-2021 年に在籍") == "2019-2021 年に在籍"
    assert salary_band(None) == "ご相談" and salary_band(250) == "300万円未満" and salary_band(1200) == "1,000万円以上"


def test_ids_are_opaque_per_company_and_cannot_be_made_up(hanako: Any, tenant: Tenant, outsider: Tenant) -> None:
    token = profile_token(outsider.company, hanako.pk)
    assert str(hanako.pk) != token and len(token) == 26
    assert profile_token_read(outsider.company, token) == hanako.pk
    assert profile_token_read(tenant.company, token) is None  # another company's id means nothing here
    assert profile_token(tenant.company, hanako.pk) != token
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    # Another spelling of the same 128 bits: the last character's lowest bit is base32 padding.
    padding_only = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    for forged in (
        str(hanako.pk),
        padding_only,
        token[:5] + ("a" if token[5] != "a" else "b") + token[6:],
        "x" * 26,
        "",
    ):
        assert profile_token_read(outsider.company, forged) is None


def test_filters_narrow_the_pool(tenant: Tenant, outsider: Tenant, outsider_client: Client) -> None:
    for _ in range(5):
        person(
            tenant,
            skills="パイソン、SQL",
            job_category="software",
            prefecture=13,
            years_of_experience=5,
            desired_salary=700,
        )
    for _ in range(6):
        person(
            tenant, skills="法人営業", job_category="sales", prefecture=27, years_of_experience=1, desired_salary=400
        )

    def count(query: str) -> int:
        return outsider_client.get(f"/company/pool/?{query}").content.decode().count('<div class="card">')

    assert count("") == 11
    assert count("job_category=sales") == 6
    assert count("prefecture=27") == 6
    assert count("skills=ぱいそん") == 5  # hiragana finds katakana
    assert count("min_years=３") == 5  # full-width digits
    assert count("max_salary=500万") == 6
    narrow = outsider_client.get("/company/pool/?job_category=sales&prefecture=13").content.decode()
    assert '<div class="card">' not in narrow and "条件を広げて" in narrow
    bad = outsider_client.get("/company/pool/?min_years=abc").content.decode()
    assert "経験年数は数字で入力してください" in bad


def test_the_pool_leaves_out_people_rule_9_and_consent_keep_away(
    hanako: Any, tenant: Tenant, outsider: Tenant, owner_client: Client, outsider_client: Client
) -> None:
    token_for_tenant = profile_token(tenant.company, hanako.pk)
    # tenant rejected hanako: not in its pool, not reachable by id.
    assert token_for_tenant not in owner_client.get("/company/pool/").content.decode()
    assert owner_client.get(f"/company/pool/{token_for_tenant}/").status_code == 404
    # ...until hanako opts in to re-challenge and the cool-down passes.
    opt_in_rechallenge(hanako, months_ago=7)
    assert owner_client.get(f"/company/pool/{token_for_tenant}/").status_code == 200
    # A competitor tenant named never sees the people its relay brought.
    token = profile_token(outsider.company, hanako.pk)
    assert outsider_client.get(f"/company/pool/{token}/").status_code == 200
    CompanyExclusion.objects.create(company=tenant.company, excluded=outsider.company)
    assert outsider_client.get(f"/company/pool/{token}/").status_code == 404
    assert token not in outsider_client.get("/company/pool/").content.decode()
    CompanyExclusion.objects.all().delete()
    withdraw_service_consent(hanako)
    assert outsider_client.get(f"/company/pool/{token}/").status_code == 404
    assert token not in outsider_client.get("/company/pool/").content.decode()


def test_a_request_becomes_a_priority_item_then_a_proposal_then_an_introduction(
    hanako: Any, outsider: Tenant, outsider_client: Client, operator_client: Client, owner_client: Client
) -> None:
    job = make_job(outsider)
    token = profile_token(outsider.company, hanako.pk)
    url = f"/company/pool/{token}/"
    empty = outsider_client.post(url, {"message": "ぜひ"})
    assert empty.status_code == 400 and "求人を選んでください" in empty.content.decode()
    response = outsider_client.post(url, {"job_order": job.pk, "message": "バックエンドの即戦力として期待しています"})
    assert response.status_code == 302 and response["Location"] == "/company/pool/requests/"
    request = IntroductionRequest.objects.get()
    assert (request.company, request.job_order, request.candidate) == (outsider.company, job, hanako)
    assert AuditEntry.objects.filter(action="introduction_request.create", company=outsider.company).exists()
    again = outsider_client.post(url, {"job_order": job.pk})
    assert again.status_code == 400 and "すでにお受けしています" in again.content.decode()
    requests_page = outsider_client.get("/company/pool/requests/").content.decode()
    assert request.profile_label in requests_page and "対応待ち" in requests_page and "山田" not in requests_page

    ops = operator_client.get("/ops/introductions/").content.decode()
    assert "対応待ち 1 件" in ops and "山田 花子" in ops and "バックエンドの即戦力として期待しています" in ops
    proposed = operator_client.post(
        "/ops/introductions/new/", {"request": request.pk, "recommendation": "ご依頼を受けてご本人に打診します"}
    )
    assert proposed.status_code == 302
    introduction = Introduction.objects.get()
    request.refresh_from_db()
    assert request.status == IntroductionRequest.Status.PROPOSED and request.introduction == introduction
    assert "山田" not in outsider_client.get("/company/pool/requests/").content.decode()

    introduction_accept(introduction=introduction, candidate=hanako)
    requests_page = outsider_client.get("/company/pool/requests/").content.decode()
    assert f"/company/jobs/introductions/{introduction.pk}/" in requests_page
    assert "山田 花子" in outsider_client.get(f"/company/jobs/introductions/{introduction.pk}/").content.decode()
    # Another company sees neither the request nor the introduction.
    assert request.profile_label not in owner_client.get("/company/pool/requests/").content.decode()
    assert owner_client.get(f"/company/jobs/introductions/{introduction.pk}/").status_code == 404


def test_a_request_is_refused_for_a_foreign_or_paused_job_and_can_be_declined(
    hanako: Any, tenant: Tenant, outsider: Tenant, outsider_client: Client, operator_client: Client
) -> None:
    own_job = make_job(outsider)
    foreign_job = make_job(tenant)
    paused = make_job(outsider, title="停止中の求人")
    from placements.services.jobs import job_order_set_status

    job_order_set_status(job_order=paused, status="paused", actor=outsider.owner)
    url = f"/company/pool/{profile_token(outsider.company, hanako.pk)}/"
    for job in (foreign_job, paused):
        response = outsider_client.post(url, {"job_order": job.pk})
        assert response.status_code == 400 and "募集中の求人を選んでください" in response.content.decode()
    assert outsider_client.post(url, {"job_order": own_job.pk}).status_code == 302
    request = IntroductionRequest.objects.get()
    response = operator_client.post(f"/ops/requests/{request.pk}/decline/", {"note": "現在は転職活動を休止中です"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == IntroductionRequest.Status.DECLINED
    assert "現在は転職活動を休止中です" in outsider_client.get("/company/pool/requests/").content.decode()
    assert outsider_client.post(f"/ops/requests/{request.pk}/decline/", {"note": "x"}).status_code == 404


def test_the_pool_is_for_signed_in_company_users_only(hanako: Any, outsider: Tenant, operator_client: Client) -> None:
    token = profile_token(outsider.company, hanako.pk)
    assert Client().get("/company/pool/").status_code == 302
    assert operator_client.get("/company/pool/").status_code == 404
    assert operator_client.get(f"/company/pool/{token}/").status_code == 404


def test_exclusions_are_set_by_managers_and_read_by_members(
    tenant: Tenant, outsider: Tenant, owner_client: Client, outsider_client: Client
) -> None:
    response = owner_client.post("/company/jobs/exclusions/", {"company_name": "他社"})
    assert response.status_code == 302
    exclusion = CompanyExclusion.objects.get()
    assert (exclusion.company, exclusion.excluded) == (tenant.company, outsider.company)
    assert AuditEntry.objects.filter(action="company_exclusion.create", company=tenant.company).exists()
    page = owner_client.get("/company/jobs/exclusions/").content.decode()
    assert "他社株式会社" in page and "除外を解除する" in page
    bad = owner_client.post("/company/jobs/exclusions/", {"company_name": "テスト商事"})  # itself
    assert bad.status_code == 400 and "一致する導入企業が見つかりません" in bad.content.decode()
    member = login(Client(), tenant.member)
    assert "他社株式会社" in member.get("/company/jobs/exclusions/").content.decode()
    member.post("/company/jobs/exclusions/", {"company_name": "他社株式会社"})
    assert member.post(f"/company/jobs/exclusions/{exclusion.pk}/delete/").status_code == 404
    # The excluded company cannot see or remove another company's settings.
    assert "除外している企業はありません" in outsider_client.get("/company/jobs/exclusions/").content.decode()
    assert outsider_client.post(f"/company/jobs/exclusions/{exclusion.pk}/delete/").status_code == 404
    assert owner_client.post(f"/company/jobs/exclusions/{exclusion.pk}/delete/").status_code == 302
    assert not CompanyExclusion.objects.exists()


def test_pages_skip_people_the_rules_keep_away_and_say_where_the_next_page_starts(
    tenant: Tenant, outsider: Tenant, outsider_client: Client
) -> None:
    from placements.services.pool import PoolFilters, pool_page

    fillers = others_in_pool(tenant, 3)
    oldest = person(tenant)
    person(outsider)  # rejected by outsider: never in its pool
    middle = person(tenant)
    withdrawn = person(tenant)
    withdraw_service_consent(withdrawn)
    newest = person(tenant)
    first, after = pool_page(outsider.company, PoolFilters(), size=2)
    assert first == [newest, middle] and after is not None
    second, end = pool_page(outsider.company, PoolFilters(), start=after, size=2)
    assert second == [oldest, fillers[-1]] and end is not None
    last, end = pool_page(outsider.company, PoolFilters(), start=end, size=4)
    assert last == fillers[-2::-1] and end is None
    page = outsider_client.get(f"/company/pool/?start={after}").content.decode()
    assert profile_token(outsider.company, oldest.pk) in page and "最初から" in page
    assert profile_token(outsider.company, newest.pk) not in page
    assert outsider_client.get("/company/pool/?start=-1").status_code == 200


def test_a_profile_id_made_for_another_company_is_404(hanako: Any, tenant: Tenant, outsider: Tenant) -> None:
    third_party = login(Client(), outsider.member)
    token_of_other_company = profile_token(tenant.company, hanako.pk)
    assert third_party.get(f"/company/pool/{token_of_other_company}/").status_code == 404
    assert third_party.get(f"/company/pool/{hanako.pk}/").status_code == 404
    assert third_party.get(f"/company/pool/{profile_token(outsider.company, hanako.pk)}/").status_code == 200
