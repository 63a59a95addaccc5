"""Candidate CRM for operator staff: the filtered list, pipeline, notes, advisors, interviews and the timeline."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import AdvisorInterview, Candidate, CandidateNote, PipelineEvent, PipelineStatus
from candidates.selectors import candidate_timeline
from candidates.services import (
    advisor_interview_schedule,
    advisor_interview_set_status,
    candidate_assign_advisor,
    candidate_note_add,
    candidate_pipeline_move,
)
from companies.models import Contract
from lib.pagination import CappedPaginator
from relay.models import Referral
from tests.conftest import Tenant, login, make_user, register, register_verified
from tests.fixture_types import CaptureOnCommit
from tests.test_mypage import signed_in

pytestmark = pytest.mark.django_db

S = PipelineStatus


@pytest.fixture
def advisor(db: Any) -> User:
    return make_user("ca@agency.example.jp", name="相談 花子", operator_role="ca")


@pytest.fixture
def recruiter(db: Any) -> User:
    return make_user("ra@agency.example.jp", name="営業 次郎", operator_role="ra")


def names(client: Client, **params: Any) -> set[str]:
    page = client.get("/ops/candidates/", params)
    assert page.status_code == 200
    return set(re.findall(r'/ops/candidates/\d+/">([^<]+)</a>', page.content.decode()))


def future(hours: int = 48) -> Any:
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def schedule(candidate: Candidate, advisor: User, starts_at: Any = None, **overrides: Any) -> AdvisorInterview:
    data: dict[str, Any] = {
        "candidate": candidate,
        "advisor": advisor,
        "starts_at": starts_at or future(),
        "duration_minutes": 60,
        "method": AdvisorInterview.Method.ONLINE,
        "location": "https://meet.example.jp/abc",
        "note": "",
        "actor": advisor,
    }
    data.update(overrides)
    return advisor_interview_schedule(**data)


# --- the list: filters, search, sort, pagination -----------------------------------------------------------


def test_it_filters_by_job_category(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="営業 一郎", job_category="sales")
    register_verified(tenant.link, name="開発 二郎", job_category="software")
    assert names(operator_client, job_category="sales") == {"営業 一郎"}


def test_it_filters_by_prefecture(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="大阪 花子", prefecture=27)
    register_verified(tenant.link, name="東京 花子", prefecture=13)
    assert names(operator_client, prefecture="27") == {"大阪 花子"}


def test_it_filters_skills_by_partial_word_in_any_width_and_case(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="技術 一郎", skills="PostgreSQL、Django")
    register_verified(tenant.link, name="経理 二郎", skills="簿記2級", career_summary="PostgreSQL は名前だけ")
    assert names(operator_client, skills="postgres") == {"技術 一郎"}
    assert names(operator_client, skills="ＤＪＡＮＧＯ") == {"技術 一郎"}
    assert names(operator_client, skills="簿記") == {"経理 二郎"}


@pytest.mark.parametrize(
    "typed", ["080-5555", "08055551234", "０８０－５５５５－１２３４", "080(5555)1234", "+81-80-5555-1234", "5555-1234"]
)
def test_the_search_finds_a_person_by_phone_however_it_is_typed(
    operator_client: Client, tenant: Tenant, typed: str
) -> None:
    register_verified(tenant.link, name="電話 花子", phone="080-5555-1234")
    register_verified(tenant.link, name="別人 太郎", phone="090-1111-2222", career_summary="2024年から 080 の番号")

    assert names(operator_client, q=typed) == {"電話 花子"}


def test_the_phone_search_column_is_filled_for_people_registered_before_it_existed(tenant: Tenant) -> None:
    from importlib import import_module

    from django.apps import apps

    person = register_verified(tenant.link, name="以前 花子", phone="03-1234-5678")
    Candidate.objects.filter(pk=person.pk).update(search_text="以前 花子")  # as stored before the migration
    migration = import_module("candidates.migrations.0008_search_text_with_phone")

    migration.refresh_search_text(apps, None)

    assert list(Candidate.objects.search("03-1234")) == [person]


def test_it_filters_by_experience_range(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="新人 一郎", years_of_experience=0)
    register_verified(tenant.link, name="中堅 二郎", years_of_experience=5)
    register_verified(tenant.link, name="熟練 三郎", years_of_experience=20)
    assert names(operator_client, experience_min="3", experience_max="10") == {"中堅 二郎"}
    assert names(operator_client, experience_min="５年") == {"中堅 二郎", "熟練 三郎"}
    assert names(operator_client, experience_max="0") == {"新人 一郎"}


def test_it_filters_by_desired_salary_in_man_yen(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="控えめ 一郎", desired_salary=350)
    register_verified(tenant.link, name="標準 二郎", desired_salary=500)
    register_verified(tenant.link, name="高望み 三郎", desired_salary=900)
    register_verified(tenant.link, name="未記入 四郎", desired_salary=None)
    assert names(operator_client, salary_min="４００万円", salary_max="600") == {"標準 二郎"}
    assert names(operator_client, salary_min="800") == {"高望み 三郎"}
    assert names(operator_client, salary_max="400") == {"控えめ 一郎"}
    assert names(operator_client, salary_min="400", sort="salary") == {"標準 二郎", "高望み 三郎"}
    assert names(operator_client, experience_max="60", salary_max="9999", sort="experience") == {
        "控えめ 一郎",
        "標準 二郎",
        "高望み 三郎",
    }


def test_it_filters_by_pipeline_status(operator_client: Client, operator: User, tenant: Tenant) -> None:
    moved = register_verified(tenant.link, name="進んだ 一郎")
    register_verified(tenant.link, name="新規 二郎")
    candidate_pipeline_move(candidate=moved, status=S.INTERVIEWED, actor=operator)
    assert names(operator_client, status="interviewed") == {"進んだ 一郎"}
    assert names(operator_client, status="new") == {"新規 二郎"}


def test_it_filters_by_advisor_including_unassigned_and_me(
    operator_client: Client, operator: User, advisor: User, tenant: Tenant
) -> None:
    mine = register_verified(tenant.link, name="自分 担当")
    theirs = register_verified(tenant.link, name="相談 担当")
    register_verified(tenant.link, name="誰も 担当せず")
    candidate_assign_advisor(candidate=mine, advisor=operator, actor=operator)
    candidate_assign_advisor(candidate=theirs, advisor=advisor, actor=operator)
    assert names(operator_client, advisor="me") == {"自分 担当"}
    assert names(operator_client, advisor=str(advisor.pk)) == {"相談 担当"}
    assert names(operator_client, advisor="none") == {"誰も 担当せず"}
    assert names(login(Client(), advisor), advisor="me") == {"相談 担当"}


def test_it_filters_by_source_company(operator_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    register_verified(tenant.link, name="テスト 経由")
    register_verified(outsider.link, name="他社 経由")
    assert names(operator_client, company=str(outsider.company.pk)) == {"他社 経由"}
    page = operator_client.get("/ops/candidates/").content.decode()
    assert "株式会社テスト商事" in page and "他社株式会社" in page


def test_it_filters_by_registration_dates_in_japan_time(operator_client: Client, tenant: Tenant) -> None:
    early = register_verified(tenant.link, name="早い 登録")
    late = register_verified(tenant.link, name="遅い 登録")
    # 2026-04-01 00:30 in Tokyo is still 31 March in UTC: the day boundary must be Japan's.
    Candidate.objects.filter(pk=early.pk).update(created_at="2026-03-31T23:30:00+09:00")
    Candidate.objects.filter(pk=late.pk).update(created_at="2026-04-01T00:30:00+09:00")
    assert names(operator_client, registered_from="2026-04-01") == {"遅い 登録"}
    assert names(operator_client, registered_to="2026-03-31") == {"早い 登録"}
    assert names(operator_client, registered_from="2026-03-31", registered_to="2026-04-01") == {
        "早い 登録",
        "遅い 登録",
    }


def test_it_combines_filters(operator_client: Client, advisor: User, operator: User, tenant: Tenant) -> None:
    wanted = register_verified(tenant.link, name="条件 全部", prefecture=27, job_category="software", skills="Go")
    register_verified(tenant.link, name="府 違い", prefecture=13, job_category="software", skills="Go")
    register_verified(tenant.link, name="スキル 違い", prefecture=27, job_category="software", skills="Java")
    unassigned = register_verified(tenant.link, name="担当 違い", prefecture=27, job_category="software", skills="Go")
    candidate_assign_advisor(candidate=wanted, advisor=advisor, actor=operator)
    assert unassigned.advisor is None
    found = names(operator_client, prefecture="27", job_category="software", skills="go", advisor=str(advisor.pk))
    assert found == {"条件 全部"}


@pytest.mark.parametrize("query", ["エンジニア", "えんじにあ", "ｴﾝｼﾞﾆｱ", "バックエンド エンジニア"])
def test_it_finds_partial_japanese_words(operator_client: Client, tenant: Tenant, query: str) -> None:
    register_verified(tenant.link, name="検索 一郎", career_summary="バックエンドエンジニアとして5年")
    register_verified(tenant.link, name="別人 二郎", career_summary="経理を担当")
    assert names(operator_client, q=query) == {"検索 一郎"}


def test_an_invalid_filter_is_explained_and_the_valid_ones_still_apply(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="大阪 花子", prefecture=27)
    register_verified(tenant.link, name="東京 花子", prefecture=13)
    page = operator_client.get("/ops/candidates/", {"prefecture": "27", "salary_min": "たくさん"}).content.decode()
    assert "希望年収は万円単位の数字でご入力ください" in page
    assert "大阪 花子" in page and "東京 花子" not in page


def test_it_sorts_by_furigana_and_by_salary(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="渡辺 一", furigana="ワタナベ ハジメ", desired_salary=300)
    register_verified(tenant.link, name="相川 二", furigana="アイカワ ジ", desired_salary=800)
    register_verified(tenant.link, name="加藤 三", furigana="カトウ サン", desired_salary=500)

    def order(sort: str) -> list[str]:
        page = operator_client.get("/ops/candidates/", {"sort": sort}).content.decode()
        return re.findall(r'/ops/candidates/\d+/">([^<]+)</a>', page)

    assert order("kana") == ["相川 二", "加藤 三", "渡辺 一"]
    assert order("salary") == ["相川 二", "加藤 三", "渡辺 一"]
    assert order("old") == ["渡辺 一", "相川 二", "加藤 三"]
    assert order("new") == ["加藤 三", "相川 二", "渡辺 一"]


def test_it_pages_by_fifty_and_keeps_the_filters_in_the_links(operator_client: Client, tenant: Tenant) -> None:
    for n in range(53):
        register(tenant.link, name=f"大阪 {n:02d}", prefecture=27)
    register(tenant.link, name="東京 一人", prefecture=13)
    first = operator_client.get("/ops/candidates/", {"prefecture": "27"}).content.decode()
    assert len(re.findall(r'/ops/candidates/\d+/"', first)) == 50
    assert "53 件" in first and "1 / 2 ページ" in first
    assert "?prefecture=27&amp;page=2" in first
    second = names(operator_client, prefecture="27", page="2")
    assert second == {"大阪 02", "大阪 01", "大阪 00"}


def test_the_paginator_stops_counting_at_its_cap(tenant: Tenant) -> None:
    for _ in range(6):
        register(tenant.link)
    paginator = CappedPaginator(Candidate.objects.all(), 2, cap=4)
    assert paginator.capped and paginator.count == 4 and paginator.num_pages == 2
    assert not CappedPaginator(Candidate.objects.all(), 2, cap=10).capped


def test_the_list_costs_the_same_queries_for_many_rows(
    operator_client: Client, operator: User, advisor: User, tenant: Tenant, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        candidate = register(tenant.link, name=f"多数 {n}").candidate
        candidate_assign_advisor(candidate=candidate, advisor=advisor, actor=operator)
    with django_assert_max_num_queries(8):
        page = operator_client.get("/ops/candidates/").content.decode()
    assert page.count("相談 花子") >= 30 and page.count("株式会社テスト商事") >= 30


def test_each_row_shows_what_the_advisor_needs(operator_client: Client, operator: User, tenant: Tenant) -> None:
    candidate = register_verified(
        tenant.link, name="表示 確認", furigana="ヒョウジ カクニン", desired_salary=480, years_of_experience=7
    )
    candidate_pipeline_move(candidate=candidate, status=S.ARRANGING, actor=operator)
    page = operator_client.get("/ops/candidates/").content.decode()
    for text in ("表示 確認", "ヒョウジ カクニン", "ITエンジニア(開発)", "東京都", "7年", "480 万円", "面談調整中"):
        assert text in page, text
    assert "未割当" in page and "株式会社テスト商事" in page and timezone.localdate().strftime("%Y/%m/%d") in page


# --- access ---------------------------------------------------------------------------------------------------


def crm_urls(candidate: Candidate, interview: AdvisorInterview) -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    pk = candidate.pk
    gets = ["/ops/candidates/", f"/ops/candidates/{pk}/", f"/ops/candidates/{pk}/resume/download/"]
    posts = [
        (f"/ops/candidates/{pk}/status/", {"status": "withdrawn", "reason": "x"}),
        (f"/ops/candidates/{pk}/advisor/", {"advisor": ""}),
        (f"/ops/candidates/{pk}/notes/", {"body": "覗き見"}),
        (f"/ops/candidates/{pk}/resume/delete/", {}),
        (f"/ops/candidates/{pk}/interviews/", {"method": "phone"}),
        (f"/ops/candidates/{pk}/interviews/{interview.pk}/status/", {"status": "cancelled"}),
        (f"/ops/candidates/{pk}/interview/", {}),
    ]
    return gets, posts


def test_company_users_get_404_on_every_crm_url(
    owner_client: Client, outsider_client: Client, advisor: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    interview = schedule(candidate, advisor)
    gets, posts = crm_urls(candidate, interview)
    for client in (owner_client, outsider_client):
        for url in gets:
            assert client.get(url).status_code == 404, url
        for url, data in posts:
            assert client.post(url, data).status_code == 404, url
    candidate.refresh_from_db()
    interview.refresh_from_db()
    assert candidate.pipeline_status == S.ARRANGING and interview.status == AdvisorInterview.Status.SCHEDULED
    assert not CandidateNote.objects.exists()


def test_strangers_and_candidates_are_sent_to_the_staff_login(client: Client, advisor: User, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    interview = schedule(candidate, advisor)
    gets, posts = crm_urls(candidate, interview)
    for c in (client, signed_in(candidate)):
        for url in gets:
            response = c.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        for url, data in posts:
            assert c.post(url, data).status_code == 302, url
    assert not CandidateNote.objects.exists()


# --- pipeline -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([S.ARRANGING, S.INTERVIEWED, S.INTRODUCING, S.OFFERED, S.HIRED], True),
        ([S.INTRODUCING], True),  # skipping steps forward is fine
        ([S.HIRED], True),
        ([S.OFFERED, S.WITHDRAWN], True),
        ([S.HIRED, S.WITHDRAWN, S.NEW], True),
        ([S.WITHDRAWN, S.ARRANGING], True),
        ([S.INTERVIEWED, S.ARRANGING], False),  # no way back on the ordinary path
        ([S.HIRED, S.OFFERED], False),
        ([S.WITHDRAWN, S.INTERVIEWED], False),  # re-opening starts from the first steps
        ([S.NEW], False),  # not a move at all
    ],
)
def test_pipeline_transitions(operator: User, tenant: Tenant, path: list[str], allowed: bool) -> None:
    candidate = register_verified(tenant.link)
    *steps, last = path
    for step in steps:
        candidate_pipeline_move(candidate=candidate, status=step, actor=operator, reason="理由")
    if allowed:
        candidate_pipeline_move(candidate=candidate, status=last, actor=operator, reason="理由")
        candidate.refresh_from_db()
        assert candidate.pipeline_status == last
    else:
        with pytest.raises(ValidationError, match="へは変更できません"):
            candidate_pipeline_move(candidate=candidate, status=last, actor=operator, reason="理由")
        assert PipelineEvent.objects.filter(candidate=candidate).count() == len(steps)


def test_withdrawal_needs_a_reason_which_stays_out_of_the_audit_log(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    url = f"/ops/candidates/{candidate.pk}/status/"
    refused = operator_client.post(url, {"status": "withdrawn", "reason": "  "})
    assert refused.status_code == 400 and "離脱の理由を入力してください" in refused.content.decode()
    candidate.refresh_from_db()
    assert candidate.pipeline_status == S.NEW
    response = operator_client.post(url, {"status": "withdrawn", "reason": "他社で内定、転職活動を終了"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.pipeline_status == S.WITHDRAWN and candidate.withdrawal_reason == "他社で内定、転職活動を終了"
    event = PipelineEvent.objects.get(candidate=candidate)
    assert (event.from_status, event.to_status, event.reason, event.actor) == (
        S.NEW,
        S.WITHDRAWN,
        "他社で内定、転職活動を終了",
        operator,
    )
    entry = AuditEntry.objects.get(action="candidate.pipeline_move")
    assert entry.detail == {"from": "new", "to": "withdrawn"} and entry.actor == operator
    assert entry.target == f"candidates.Candidate#{candidate.pk}"
    page = operator_client.get(f"/ops/candidates/{candidate.pk}/").content.decode()
    assert "他社で内定、転職活動を終了" in page


def test_the_status_form_refuses_a_backward_move_with_a_message(
    operator_client: Client, operator: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    candidate_pipeline_move(candidate=candidate, status=S.OFFERED, actor=operator)
    response = operator_client.post(f"/ops/candidates/{candidate.pk}/status/", {"status": "arranging"})
    assert response.status_code == 400
    assert "このステータスへは変更できません" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.pipeline_status == S.OFFERED


# --- notes and advisors ---------------------------------------------------------------------------------------


def test_operators_add_notes_with_author_and_time(
    operator_client: Client, operator: User, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link)
    assert operator_client.post(f"/ops/candidates/{candidate.pk}/notes/", {"body": " "}).status_code == 400
    response = operator_client.post(f"/ops/candidates/{candidate.pk}/notes/", {"body": "土日の連絡を希望。\n英語可"})
    assert response.status_code == 302
    note = CandidateNote.objects.get(candidate=candidate)
    assert note.author == operator and note.body == "土日の連絡を希望。\n英語可"
    page = operator_client.get(f"/ops/candidates/{candidate.pk}/").content.decode()
    assert "土日の連絡を希望。" in page and "運営 太郎" in page
    entry = AuditEntry.objects.get(action="candidate.note_add")
    assert entry.detail == {"note": note.pk} and entry.company is None
    assert "土日の連絡を希望" not in signed_in(candidate).get("/me/").content.decode()


def test_advisors_are_career_advisors_or_admins(
    operator_client: Client, operator: User, advisor: User, recruiter: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    url = f"/ops/candidates/{candidate.pk}/advisor/"
    refused = operator_client.post(url, {"advisor": str(recruiter.pk)})
    assert refused.status_code == 400 and "キャリアアドバイザーまたは管理者" in refused.content.decode()
    with pytest.raises(ValidationError):
        candidate_assign_advisor(candidate=candidate, advisor=recruiter, actor=operator)
    assert operator_client.post(url, {"advisor": str(advisor.pk)}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.advisor == advisor
    assert operator_client.post(url, {"advisor": str(operator.pk)}).status_code == 302
    assert operator_client.post(url, {"advisor": ""}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.advisor is None
    entries = AuditEntry.objects.filter(action="candidate.advisor_assign").order_by("id")
    assert [(e.detail["from_name"], e.detail["to_name"]) for e in entries] == [
        ("", "相談 花子"),
        ("相談 花子", "運営 太郎"),
        ("運営 太郎", ""),
    ]
    operator_client.post(url, {"advisor": ""})
    assert entries.count() == 3  # no change, no row


# --- interviews -----------------------------------------------------------------------------------------------


def test_scheduling_an_interview_moves_to_arranging_and_mails_the_candidate(
    operator_client: Client, advisor: User, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link, name="面談 花子")
    mail.outbox.clear()
    starts = timezone.localtime(future(72)).replace(hour=14, minute=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            f"/ops/candidates/{candidate.pk}/interviews/",
            {
                "advisor": str(advisor.pk),
                "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "45",
                "method": "online",
                "location": "meet.example.jp/room-1",
                "note": "転職理由を深掘り",
            },
        )
    assert response.status_code == 302
    interview = AdvisorInterview.objects.get(candidate=candidate)
    assert interview.starts_at == starts and interview.duration_minutes == 45
    assert interview.location == "https://meet.example.jp/room-1" and interview.advisor == advisor
    candidate.refresh_from_db()
    assert candidate.pipeline_status == S.ARRANGING
    # The one outbox also delivers the registration's verification mail; this is the interview notice.
    [message] = [m for m in mail.outbox if "面談" in m.subject]
    assert message.to == [candidate.email] and "面談の日程" in message.subject
    assert "面談 花子 様" in message.body and starts.strftime("%Y/%m/%d") in message.body
    assert "14:00〜14:45" in message.body and "https://meet.example.jp/room-1" in message.body
    assert "相談 花子" in message.body and "転職理由を深掘り" not in message.body
    assert AuditEntry.objects.get(action="candidate.interview_schedule").detail["interview"] == interview.pk
    my_page = signed_in(candidate).get("/me/").content.decode()
    assert "面談のご予定" in my_page and "14:00〜14:45" in my_page and "転職理由を深掘り" not in my_page


def test_the_interview_form_explains_what_is_missing(operator_client: Client, advisor: User, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    url = f"/ops/candidates/{candidate.pk}/interviews/"
    past = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = operator_client.post(
        url, {"advisor": str(advisor.pk), "starts_at": past, "duration_minutes": "60", "method": "in_person"}
    )
    text = page.content.decode()
    assert page.status_code == 400
    assert "過去の日時は指定できません" in text and "対面面談の場所を入力してください" in text
    page = operator_client.post(
        url,
        {
            "advisor": str(advisor.pk),
            "starts_at": "あした",
            "duration_minutes": "60",
            "method": "online",
            "location": "not a url",
        },
    )
    assert "日時は 2026-12-01 14:00 の形式でご入力ください" in page.content.decode()
    assert "URL の形式が正しくありません" in page.content.decode()
    assert not AdvisorInterview.objects.exists()


def test_a_later_interview_does_not_move_a_candidate_back(operator: User, advisor: User, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    candidate_pipeline_move(candidate=candidate, status=S.INTRODUCING, actor=operator)
    schedule(candidate, advisor)
    candidate.refresh_from_db()
    assert candidate.pipeline_status == S.INTRODUCING


def test_a_held_interview_records_the_first_interview_and_counts_under_the_stricter_rule(
    operator_client: Client, advisor: User, tenant: Tenant
) -> None:
    Contract.objects.filter(company=tenant.company).update(counting_rule="first_interview")
    candidate = register_verified(tenant.link)
    assert Referral.objects.get(candidate=candidate).status == Referral.Status.PENDING_INTERVIEW
    started = timezone.now() - timedelta(minutes=30)
    interview = schedule(candidate, advisor)
    AdvisorInterview.objects.filter(pk=interview.pk).update(starts_at=started)
    url = f"/ops/candidates/{candidate.pk}/interviews/{interview.pk}/status/"
    assert operator_client.post(url, {"status": "held"}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.first_interview_at == started
    assert candidate.pipeline_status == S.INTERVIEWED
    assert Referral.objects.get(candidate=candidate).status == Referral.Status.COUNTED
    assert AuditEntry.objects.filter(action="candidate.first_interview").count() == 1
    assert AuditEntry.objects.filter(action="candidate.interview_held").count() == 1
    # A second interview held later leaves the first-interview time (and the count) alone.
    second = schedule(candidate, advisor)
    AdvisorInterview.objects.filter(pk=second.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    advisor_interview_set_status(interview=second, status="held", actor=advisor)
    candidate.refresh_from_db()
    assert candidate.first_interview_at == started
    assert AuditEntry.objects.filter(action="candidate.first_interview").count() == 1
    again = operator_client.post(url, {"status": "cancelled"}, follow=True).content.decode()
    assert "この面談はすでに「実施済み」です" in again


def test_an_interview_cannot_be_held_before_it_starts(advisor: User, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    interview = schedule(candidate, advisor)
    with pytest.raises(ValidationError, match="開始時刻前"):
        advisor_interview_set_status(interview=interview, status="held", actor=advisor)
    candidate.refresh_from_db()
    assert candidate.first_interview_at is None and candidate.pipeline_status == S.ARRANGING


def test_cancelling_tells_the_candidate_and_leaves_no_first_interview(
    operator_client: Client, advisor: User, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link)
    interview = schedule(candidate, advisor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        url = f"/ops/candidates/{candidate.pk}/interviews/{interview.pk}/status/"
        operator_client.post(url, {"status": "cancelled"})
    interview.refresh_from_db()
    candidate.refresh_from_db()
    assert interview.status == AdvisorInterview.Status.CANCELLED and candidate.first_interview_at is None
    # Mail queued earlier (verification, the schedule notice) leaves with this dispatch too; pick the cancellation.
    [message] = [m for m in mail.outbox if "取り消し" in m.subject]
    assert message.to == [candidate.email]
    assert "面談のご予定" not in signed_in(candidate).get("/me/").content.decode()
    assert AuditEntry.objects.filter(action="candidate.interview_cancelled").count() == 1


def test_a_no_show_is_recorded_without_counting(advisor: User, tenant: Tenant) -> None:
    Contract.objects.filter(company=tenant.company).update(counting_rule="first_interview")
    candidate = register_verified(tenant.link)
    interview = schedule(candidate, advisor)
    AdvisorInterview.objects.filter(pk=interview.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    advisor_interview_set_status(interview=interview, status="no_show", actor=advisor)
    candidate.refresh_from_db()
    assert candidate.first_interview_at is None
    assert Referral.objects.get(candidate=candidate).status == Referral.Status.PENDING_INTERVIEW


def test_recording_a_first_interview_without_a_booking_also_moves_the_pipeline(
    operator_client: Client, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    operator_client.post(f"/ops/candidates/{candidate.pk}/interview/")
    candidate.refresh_from_db()
    assert candidate.first_interview_at is not None and candidate.pipeline_status == S.INTERVIEWED


# --- timeline -------------------------------------------------------------------------------------------------


def test_the_timeline_tells_everything_newest_first(
    operator_client: Client, operator: User, advisor: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    candidate_assign_advisor(candidate=candidate, advisor=advisor, actor=operator)
    interview = schedule(candidate, advisor)
    AdvisorInterview.objects.filter(pk=interview.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    advisor_interview_set_status(interview=interview, status="held", actor=advisor)
    candidate_note_add(candidate=candidate, author=advisor, body="志望度が高い")
    candidate_pipeline_move(candidate=candidate, status=S.WITHDRAWN, actor=operator, reason="連絡が取れない")

    entries = candidate_timeline(candidate)
    titles = [e.title for e in entries]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert titles[0] == "ステータスを変更しました" and "連絡が取れない" in entries[0].detail
    assert titles[-1] == "登録しました" and "株式会社テスト商事" in entries[-1].detail
    for expected in (
        "メールアドレスを確認しました",
        "同意しました",
        "担当アドバイザーを変更しました",
        "面談を設定しました",
        "面談を実施しました",
        "初回面談を記録しました",
        "メモ",
    ):
        assert expected in titles, expected
    note = next(e for e in entries if e.kind == "note")
    assert note.detail == "志望度が高い" and note.actor == "相談 花子"
    statuses = [e.detail for e in entries if e.kind == "status"]
    assert statuses[-1] == "新規登録 → 面談調整中" and "面談済 → 離脱" in statuses[0]
    page = operator_client.get(f"/ops/candidates/{candidate.pk}/").content.decode()
    assert "タイムライン" in page and "面談を実施しました" in page


def test_the_timeline_shows_consent_withdrawals(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    client = signed_in(candidate)
    client.post("/me/consents/", {"service": "on", "rechallenge": "on"})
    client.post("/me/consents/", {"service": "on"})
    entries = candidate_timeline(candidate)[:2]
    assert [e.title for e in entries] == ["同意を撤回しました", "同意しました"]
    assert all("再チャレンジ" in e.detail and e.actor == "マイページ" for e in entries)
    at_registration = [e.title for e in candidate_timeline(candidate) if e.actor == "Web フォーム"]
    # Registered with the service consent only: the three optional ones (re-challenge, newsletter, telling the
    # company) were declined, never withdrawn.
    assert sorted(at_registration) == sorted(["同意しました", *["同意しませんでした"] * 3])


# --- demo data ------------------------------------------------------------------------------------------------


def test_the_crm_demo_seed_uses_the_services_and_runs_once(operator: User, advisor: User, tenant: Tenant) -> None:
    from candidates.services import candidate_record_interview
    from demo.crm import seed_crm

    people = [register_verified(tenant.link) for _ in range(14)]
    for candidate in people[:4]:
        candidate_record_interview(candidate=candidate, actor=advisor)
    seed_crm(operator_users=[operator, advisor], candidates=people)
    counts = (
        CandidateNote.objects.count(),
        AdvisorInterview.objects.count(),
        PipelineEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    assert counts[0] >= 2 and counts[1] == 6
    assert Candidate.objects.filter(pipeline_status=S.NEW).count() < 14
    assert not Candidate.objects.filter(first_interview_at__isnull=False, pipeline_status=S.NEW).exists()
    upcoming = AdvisorInterview.objects.filter(status="scheduled", starts_at__gt=timezone.now())
    assert upcoming.count() == 4
    assert AuditEntry.objects.filter(action="candidate.interview_schedule").count() == 6
    seed_crm(operator_users=[operator, advisor], candidates=Candidate.objects.all())
    assert counts == (
        CandidateNote.objects.count(),
        AdvisorInterview.objects.count(),
        PipelineEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_people_without_a_desired_salary_sort_last(operator_client: Client, tenant: Tenant) -> None:
    register_verified(tenant.link, name="未記入 一", desired_salary=None)
    register_verified(tenant.link, name="低め 二", desired_salary=300)
    register_verified(tenant.link, name="高め 三", desired_salary=700)
    page = operator_client.get("/ops/candidates/", {"sort": "salary"}).content.decode()
    assert re.findall(r'/ops/candidates/\d+/">([^<]+)</a>', page) == ["高め 三", "低め 二", "未記入 一"]
