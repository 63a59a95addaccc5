"""The satisfaction survey: candidates answer once per company, companies see only aggregates of 5 or more."""

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from candidates.models import Candidate
from candidates.services import candidate_delete
from candidates.tokens import candidate_token_make
from demo.insights import seed_survey
from insights.models import SurveyInvitation, SurveyResponse
from insights.selectors.kpis import (
    nps,
    period_from_request,
    responses_in,
    satisfaction_by_company,
    satisfaction_summary,
)
from insights.services import SurveyAlreadyAnswered, survey_invitations_send, survey_response_create
from lib.dates import JST, Period
from lib.periodic import JOBS, daily_at_ten
from mailings.services.dispatch import outbox_dispatch
from relay.models import Referral
from relay.services import referral_invalidate
from tests.conftest import Tenant, register, register_verified
from tests.smtp import SmtpServer, plain_body

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
SURVEY_URL = "/me/survey/"
COMPANY_URL = "/company/insights/satisfaction/"
OPS_URL = "/ops/insights/satisfaction/"


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


def form(**overrides: Any) -> dict[str, Any]:
    data = {"nps": "8", "contact_speed": "4", "contact_courtesy": "4", "future_interest": "3", "comment": ""}
    data.update(overrides)
    return data


def answer(tenant: Tenant, score: int, *, at: datetime | None = None, comment: str = "", **profile: Any) -> Any:
    candidate = register_verified(tenant.link, **profile)
    response = survey_response_create(
        candidate=candidate,
        answers={
            "nps": score,
            "contact_speed": 4,
            "contact_courtesy": 5 if score >= 9 else 2,
            "future_interest": 3,
            "comment": comment,
        },
    )
    if at is not None:
        SurveyResponse.objects.filter(pk=response.pk).update(created_at=at)
    return response


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


def this_month() -> Period:
    return Period.months(last_month=timezone.localdate())


# --- answering -------------------------------------------------------------------------------------------


def test_it_takes_one_answer_per_candidate_per_company(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    client = signed_in(candidate)
    first = client.post(SURVEY_URL, form(nps="9", comment="丁寧なご連絡でした。"), follow=True)
    assert "ご回答いただき、ありがとうございました" in first.content.decode()

    second = client.post(SURVEY_URL, form(nps="0", comment="やっぱり違う"), follow=True)
    page = second.content.decode()
    assert "すでにご回答いただいています" in page
    assert 'name="nps"' not in page  # the form is not offered again
    [response] = SurveyResponse.objects.all()
    assert (response.nps, response.comment, response.company) == (9, "丁寧なご連絡でした。", tenant.company)
    with pytest.raises(SurveyAlreadyAnswered):
        survey_response_create(candidate=candidate, answers={"nps": 1, **{k: 3 for k in form() if k != "nps"}})


def test_the_database_refuses_a_second_answer_and_out_of_range_scores(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    fields = {"contact_speed": 3, "contact_courtesy": 3, "future_interest": 3}
    SurveyResponse.objects.create(candidate=candidate, company=tenant.company, nps=5, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(candidate=candidate, company=tenant.company, nps=6, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(company=tenant.company, nps=11, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(company=tenant.company, nps=5, **{**fields, "contact_speed": 6})


def test_an_answer_is_never_edited(tenant: Tenant) -> None:
    response = answer(tenant, 7)
    response.nps = 10
    with pytest.raises(ValueError):
        response.save()
    assert SurveyResponse.objects.get().nps == 7


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nps": "11"}, "選択肢の中からお選びください。"),
        ({"nps": "-1"}, "選択肢の中からお選びください。"),
        ({"nps": "とても"}, "選択肢の中からお選びください。"),
        ({"nps": ""}, "0〜10 のいずれかをお選びください。"),
        ({"contact_speed": ""}, "ご連絡の速さについて、いずれかをお選びください。"),
        ({"contact_courtesy": "0"}, "選択肢の中からお選びください。"),
        ({"future_interest": ""}, "今後の関心について、いずれかをお選びください。"),
        ({"comment": "あ" * 501}, "ご意見・ご感想は500文字以内でご記入ください(現在501文字)。"),
    ],
)
def test_it_answers_bad_input_with_a_japanese_message_and_stores_nothing(
    tenant: Tenant, overrides: dict[str, str], message: str
) -> None:
    client = signed_in(register_verified(tenant.link))
    response = client.post(SURVEY_URL, form(**{"comment": "残したい感想", **overrides}))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "残したい感想" in page or "comment" in overrides  # what was typed is kept
    assert not SurveyResponse.objects.exists()


def test_it_accepts_full_width_digits_and_normalises_the_comment(tenant: Tenant) -> None:
    client = signed_in(register_verified(tenant.link))
    comment = "ﾒｰﾙの返信が\u3000早かったです!\r\n\r\n\r\n\r\nＡＢＣ社にも応募します"
    client.post(SURVEY_URL, form(nps="１０", contact_speed="５", comment=comment))
    response = SurveyResponse.objects.get()
    assert (response.nps, response.contact_speed) == (10, 5)
    assert response.comment == "メールの返信が 早かったです!\n\nABC社にも応募します"


def test_a_comment_of_exactly_the_limit_is_accepted(tenant: Tenant) -> None:
    client = signed_in(register_verified(tenant.link))
    client.post(SURVEY_URL, form(comment="あ" * 500))
    assert len(SurveyResponse.objects.get().comment) == 500


def test_the_survey_needs_a_signed_in_candidate(client: Client, owner_client: Client) -> None:
    assert client.get(SURVEY_URL)["Location"] == "/me/login/"
    assert client.post(SURVEY_URL, form())["Location"] == "/me/login/"
    assert owner_client.get(SURVEY_URL)["Location"] == "/me/login/"


def test_the_survey_page_says_it_is_optional_and_anonymous(tenant: Tenant) -> None:
    page = signed_in(register_verified(tenant.link)).get(SURVEY_URL).content.decode()
    assert tenant.company.name in page
    assert "ご回答は任意です" in page
    assert "どなたのご回答かは伝わりません" in page
    assert "5 件以上集まった期間の集計結果としてのみ表示されます" in page


def test_a_candidate_whose_registration_was_invalidated_has_no_survey(tenant: Tenant, operator: User) -> None:
    candidate = register_verified(tenant.link)
    referral_invalidate(referral=Referral.objects.get(candidate=candidate), reason="重複登録", actor=operator)
    client = signed_in(candidate)
    assert "ご回答いただけるアンケートはございません" in client.get(SURVEY_URL).content.decode()
    client.post(SURVEY_URL, form())
    assert not SurveyResponse.objects.exists()


def test_my_page_invites_to_the_survey_and_thanks_once_answered(tenant: Tenant) -> None:
    client = signed_in(register_verified(tenant.link))
    page = client.get("/me/").content.decode()
    assert 'href="/me/survey/"' in page and "アンケートに回答する" in page
    client.post(SURVEY_URL, form())
    page = client.get("/me/").content.decode()
    assert 'href="/me/survey/"' not in page
    assert "アンケートにご回答いただき、ありがとうございました" in page


def test_the_page_after_email_verification_invites_to_the_survey(tenant: Tenant) -> None:
    candidate = register(tenant.link).candidate
    client = Client()
    response = client.get(f"/me/verify/{candidate_token_make(candidate, 'verify')}/", follow=True)
    page = response.content.decode()
    assert "メールアドレスの確認が完了しました" in page
    assert f"{tenant.company.name} の選考についての1分ほどのアンケート" in page
    assert 'href="/me/survey/"' in page


def test_a_sign_in_link_never_forwards_outside_my_page(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    for target in ("https://evil.example/me/", "//evil.example/me/", "/company/"):
        token = candidate_token_make(Candidate.objects.get(pk=candidate.pk), "login")
        assert Client().get(f"/me/auth/{token}/", {"next": target})["Location"] == "/me/", target


# --- KPI definitions -------------------------------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=300))
def test_nps_is_between_minus_100_and_100_and_follows_its_definition(scores: list[int]) -> None:
    result = nps(scores)
    if not scores:
        assert result is None
        return
    assert result is not None and -100 <= result <= 100
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    exact = 100 * (promoters - detractors) / len(scores)
    assert abs(result - exact) <= 0.5
    # Swapping promoters and detractors negates the figure: halves round away from zero for both signs.
    mirrored = [0 if s >= 9 else 10 if s <= 6 else s for s in scores]
    assert nps(mirrored) == -result


def test_nps_rounds_halves_away_from_zero_and_refuses_impossible_scores() -> None:
    assert nps([10, 7, 7, 7, 7, 7, 7, 7]) == 13  # 12.5
    assert nps([0, 7, 7, 7, 7, 7, 7, 7]) == -13  # -12.5
    assert nps([10, 10, 0]) == 33
    assert nps([10]) == 100 and nps([6]) == -100 and nps([8]) == 0
    with pytest.raises(ValueError):
        nps([11])


def test_it_computes_the_exact_figures_for_known_answers(tenant: Tenant) -> None:
    for score in (10, 10, 9, 9, 9, 8, 7, 7, 6, 0):  # 5 promoters, 3 passives, 2 detractors
        answer(tenant, score)
    summary = satisfaction_summary(tenant.company, this_month())
    assert summary.shown
    assert summary.answers == 10
    assert summary.nps == 30
    assert (summary.promoters, summary.passives, summary.detractors) == (5, 3, 2)
    assert (summary.promoter_percent, summary.passive_percent, summary.detractor_percent) == (50, 30, 20)
    assert [bar.count for bar in summary.distribution] == [1, 0, 0, 0, 0, 0, 1, 2, 1, 3, 2]
    assert [bar.height for bar in summary.distribution][9] == 100
    averages = {q.key: str(q.average) for q in summary.averages}
    # courtesy is 5 for promoters and 2 for the rest: (5*5 + 5*2) / 10 = 3.5
    assert averages == {"contact_speed": "4.0", "contact_courtesy": "3.5", "future_interest": "3.0"}


def test_four_answers_show_nothing_and_five_show_the_results(owner_client: Client, tenant: Tenant) -> None:
    for score in (10, 9, 3, 8):
        answer(tenant, score, comment=f"コメント{score}番")
    summary = satisfaction_summary(tenant.company, this_month())
    assert not summary.shown and summary.needed == 1
    assert (summary.answers, summary.nps, summary.distribution, summary.comments) == (None, None, (), ())
    page = owner_client.get(COMPANY_URL).content.decode()
    assert "あと 1 件の回答が集まると表示されます" in page
    for leak in ("コメント", "data-score", 'data-kpi="nps"', "data-question", "4 件"):
        assert leak not in page, leak

    answer(tenant, 7, comment="コメント7番")
    summary = satisfaction_summary(tenant.company, this_month())
    assert summary.shown and summary.nps == 20 and summary.answers == 5
    page = owner_client.get(COMPANY_URL).content.decode()
    assert 'data-kpi="nps">+20<' in page
    assert 'data-score="10" data-count="1"' in page
    assert 'data-score="3" data-count="1"' in page
    assert page.index("コメント7番") < page.index("コメント10番")  # newest first


def test_an_empty_period_shows_how_many_answers_are_needed(owner_client: Client, tenant: Tenant) -> None:
    summary = satisfaction_summary(tenant.company, this_month())
    assert not summary.shown and summary.needed == 5
    assert "あと 5 件の回答が集まると表示されます" in owner_client.get(COMPANY_URL).content.decode()


def test_periods_follow_tokyo_calendar_days(tenant: Tenant) -> None:
    late_october = answer(tenant, 10, at=jst(2026, 10, 31, 23, 30))
    early_november = answer(tenant, 0, at=jst(2026, 11, 1, 0, 10))
    october, november = Period.months(last_month=date(2026, 10, 1)), Period.months(last_month=date(2026, 11, 30))
    assert list(responses_in(tenant.company, october)) == [late_october]
    assert list(responses_in(tenant.company, november)) == [early_november]
    # 2026-10-31 23:30 JST is 14:30 UTC: a UTC calendar would still say October, and 00:10 JST is 10-31 UTC.
    assert SurveyResponse.objects.get(pk=early_november.pk).created_at.astimezone(ZoneInfo("UTC")).day == 31
    custom = Period.days(date(2026, 10, 31), date(2026, 10, 31))
    assert list(responses_in(tenant.company, custom)) == [late_october]


def test_comments_are_dated_by_their_tokyo_month_only(owner_client: Client, tenant: Tenant) -> None:
    answer(tenant, 9, at=jst(2026, 10, 31, 23, 30), comment="月末の回答です")
    for day in range(1, 5):
        answer(tenant, 8, at=jst(2026, 10, day, 12))
    summary = satisfaction_summary(tenant.company, Period.months(last_month=date(2026, 10, 1)))
    assert [(c.month, c.text) for c in summary.comments] == [(date(2026, 10, 1), "月末の回答です")]
    page = owner_client.get(COMPANY_URL, {"period": "custom", "start": "2026-10-01", "end": "2026-10-31"})
    html = page.content.decode()
    assert "月末の回答です" in html and "2026年10月" in html
    assert "31日" not in html.split("月末の回答です")[1].split("</blockquote>")[0]


def test_the_previous_period_is_the_same_length_just_before() -> None:
    november = Period.months(last_month=date(2026, 11, 15))
    assert november.previous() == Period.months(last_month=date(2026, 10, 1))
    january = Period.months(last_month=date(2027, 1, 1))
    assert january.previous() == Period.months(last_month=date(2026, 12, 1))
    quarter = Period.months(last_month=date(2026, 11, 1), count=3)
    assert (quarter.first_day, quarter.last_day) == (date(2026, 9, 1), date(2026, 11, 30))
    assert quarter.previous() == Period.months(last_month=date(2026, 8, 1), count=3)
    ten_days = Period.days(date(2026, 10, 10), date(2026, 10, 19))
    assert ten_days.previous() == Period.days(date(2026, 9, 30), date(2026, 10, 9))
    assert november.start == jst(2026, 11, 1) and november.end == jst(2026, 12, 1)


def test_the_period_comes_from_the_query_string() -> None:
    now = jst(2026, 11, 22, 9)
    assert period_from_request({}, now=now)[0] == Period.months(last_month=date(2026, 11, 1))
    assert period_from_request({"period": "6m"}, now=now)[0] == Period(jst(2026, 6, 1), jst(2026, 12, 1))
    assert period_from_request({"period": "12m"}, now=now)[0] == Period(jst(2025, 12, 1), jst(2026, 12, 1))
    custom, form = period_from_request(
        {"period": "custom", "start": "２０２６／１０／０１", "end": "2026-10-15"}, now=now
    )
    assert form.is_valid() and custom == Period(jst(2026, 10, 1), jst(2026, 10, 16))
    fallback, form = period_from_request({"period": "custom", "start": "2026-10-15", "end": "2026-10-01"}, now=now)
    assert fallback == Period.months(last_month=date(2026, 11, 1))
    assert "開始日は終了日より前の日付をご入力ください。" in form.non_field_errors()
    _, form = period_from_request({"period": "custom", "start": "10月1日"}, now=now)
    assert "日付は 2026-10-01 の形式でご入力ください。" in form.errors["start"]
    _, form = period_from_request({"period": "custom", "start": "9999-12-31", "end": "9999-12-31"}, now=now)
    assert "日付は2000年1月1日から2099年12月31日の間でご入力ください。" in form.non_field_errors()
    # Dates left over from an earlier custom choice do not spoil a preset period.
    preset, form = period_from_request({"period": "3m", "start": "壊れた日付", "end": ""}, now=now)
    assert form.is_valid() and preset == Period(jst(2026, 9, 1), jst(2026, 12, 1))


def test_the_page_compares_with_the_previous_period(owner_client: Client, tenant: Tenant) -> None:
    for score in (10, 10, 10, 10, 10):
        answer(tenant, score, at=jst(2026, 10, 5))
    for score in (10, 10, 0, 0, 8):
        answer(tenant, score, at=jst(2026, 11, 5))
    page = owner_client.get(COMPANY_URL, {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"})
    html = page.content.decode()
    assert 'data-kpi="nps">0<' in html
    assert 'data-kpi="nps-change">-100<' in html


def test_a_deleted_candidate_still_counts_and_an_invalidated_registration_does_not(
    tenant: Tenant, operator: User
) -> None:
    responses = [answer(tenant, score) for score in (10, 10, 10, 9, 0, 0)]
    candidate_delete(candidate=responses[0].candidate)
    fake = responses[-1].candidate
    referral_invalidate(referral=Referral.objects.get(candidate=fake), reason="架空の登録", actor=operator)
    summary = satisfaction_summary(tenant.company, this_month())
    assert SurveyResponse.objects.filter(candidate__isnull=True).count() == 1
    assert summary.answers == 5 and summary.nps == 60  # 4 promoters, 1 detractor


def test_the_company_page_never_shows_who_answered(owner_client: Client, tenant: Tenant) -> None:
    for n in range(6):
        answer(tenant, 9, name=f"回答者 {n}号", email=f"respondent{n}@example.jp", comment="よい面接でした")
    page = owner_client.get(COMPANY_URL).content.decode()
    assert "よい面接でした" in page
    for n in range(6):
        assert f"回答者 {n}号" not in page and f"respondent{n}" not in page
    assert "山田" not in page and "@example.jp" not in page
    today = timezone.localdate()
    assert f"{today.month}月{today.day}日" not in page


# --- who may see what ------------------------------------------------------------------------------------


def test_the_results_page_belongs_to_company_users_only(
    owner_client: Client, outsider_client: Client, operator_client: Client, tenant: Tenant
) -> None:
    for score in (10, 9, 9, 9, 8):
        answer(tenant, score, comment="テスト商事への感想")
    assert Client().get(COMPANY_URL).status_code == 302
    assert operator_client.get(COMPANY_URL).status_code == 404
    member = Client()
    member.force_login(tenant.member, backend="django.contrib.auth.backends.ModelBackend")
    assert "テスト商事への感想" in member.get(COMPANY_URL).content.decode()
    # Another company's user gets their own (empty) results, never ours.
    page = outsider_client.get(COMPANY_URL).content.decode()
    assert "テスト商事への感想" not in page and "あと 5 件" in page
    # Nobody outside the company can reach it through any of our ids either.
    assert outsider_client.get(f"/company/insights/satisfaction/{tenant.company.pk}/").status_code == 404


def test_company_users_get_404_on_the_operator_page(
    owner_client: Client, outsider_client: Client, tenant: Tenant
) -> None:
    assert owner_client.get(OPS_URL).status_code == 404
    assert outsider_client.get(OPS_URL).status_code == 404
    assert Client().get(OPS_URL).status_code == 302


def test_the_operator_sees_every_company_and_hides_those_below_five(
    operator_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    for score in (10, 10, 9, 6, 8):
        answer(tenant, score)
    for score in (0, 10):
        answer(outsider, score)
    rows = {row.company_id: row.summary for row in satisfaction_by_company(this_month())}
    assert rows[tenant.company.pk].nps == 40 and not rows[outsider.company.pk].shown
    overall = satisfaction_summary(None, this_month())
    assert overall.answers == 7 and overall.nps == nps([10, 10, 9, 6, 8, 0, 10])
    page = operator_client.get(OPS_URL).content.decode()
    tenant_row = re.search(rf'<tr data-company="{tenant.company.pk}">.*?</tr>', page, re.S)
    outsider_row = re.search(rf'<tr data-company="{outsider.company.pk}">.*?</tr>', page, re.S)
    assert tenant_row and ">+40<" in tenant_row.group(0)
    assert outsider_row and "回答5件未満" in outsider_row.group(0) and ">2<" not in outsider_row.group(0)


# --- the later email -------------------------------------------------------------------------------------


def registered_days_ago(tenant: Tenant, days: float, **kwargs: Any) -> Candidate:
    candidate = register_verified(tenant.link, **kwargs)
    Candidate.objects.filter(pk=candidate.pk).update(created_at=timezone.now() - timedelta(days=days))
    return Candidate.objects.get(pk=candidate.pk)


def test_the_later_email_goes_once_to_the_right_people_and_signs_them_in_to_the_survey(
    smtp_server: SmtpServer, tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    due = registered_days_ago(tenant, 7.1, email="due@example.jp")
    due_elsewhere = registered_days_ago(outsider, 12, email="other@example.jp")
    registered_days_ago(tenant, 6.5, email="too-soon@example.jp")
    registered_days_ago(tenant, 45, email="too-old@example.jp")
    answered = registered_days_ago(tenant, 8, email="answered@example.jp")
    survey_response_create(candidate=answered, answers={"nps": 9, **{k: 3 for k in form() if k != "nps"}})
    unverified = register(tenant.link, email="unverified@example.jp").candidate
    Candidate.objects.filter(pk=unverified.pk).update(created_at=timezone.now() - timedelta(days=8))
    deleted = registered_days_ago(tenant, 9, email="deleted@example.jp")
    candidate_delete(candidate=deleted)
    outbox_dispatch()  # the setup's own mail (verification links) leaves the one outbox first
    smtp_server.handler.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_send() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_send() == 0  # once per candidate

    assert sorted(r.envelope_to[0] for r in smtp_server.handler.received) == ["due@example.jp", "other@example.jp"]
    assert set(SurveyInvitation.objects.values_list("candidate", flat=True)) == {due.pk, due_elsewhere.pk}
    message = next(m for m in smtp_server.messages if m["To"] == "due@example.jp")
    body = plain_body(message)
    assert "アンケート" in str(message["Subject"])
    assert tenant.company.name in body and "どなたのご回答かは伝わりません" in body
    url = re.search(r"http://testserver(/me/auth/\S+)", body)
    assert url

    client = Client()
    response = client.get(url.group(1))
    assert response.status_code == 302 and response["Location"] == SURVEY_URL
    page = client.get(SURVEY_URL).content.decode()
    assert 'name="nps"' in page and tenant.company.name in page


def test_the_invitation_job_runs_daily_from_ten_in_the_morning(tenant: Tenant, settings: Any) -> None:
    assert any(job.task_path == "insights.tasks.send_survey_invitations" for job in JOBS)
    assert daily_at_ten(jst(2026, 11, 22, 9, 59)) == "2026-11-21"
    assert daily_at_ten(jst(2026, 11, 22, 10, 0)) == daily_at_ten(jst(2026, 11, 23, 9, 59)) == "2026-11-22"
    from insights.tasks import send_survey_invitations

    registered_days_ago(tenant, 8)
    assert send_survey_invitations.call() == 1
    assert SurveyInvitation.objects.count() == 1


# --- demo ------------------------------------------------------------------------------------------------


def test_the_demo_answers_show_figures_and_are_added_once(tenant: Tenant) -> None:
    candidates = [register_verified(tenant.link) for _ in range(8)]
    assert seed_survey(company=tenant.company, candidates=candidates) == 8
    assert seed_survey(company=tenant.company, candidates=candidates) == 0
    summary = satisfaction_summary(tenant.company, this_month())
    assert summary.shown and summary.nps == nps([10, 9, 8, 7, 6, 10, 3, 9]) and summary.comments


def test_only_the_newest_comments_are_listed_when_there_are_many(
    owner_client: Client, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("insights.selectors.kpis.COMMENT_LIMIT", 2)
    for n in range(5):
        answer(tenant, 9, comment=f"感想{n}番")
    summary = satisfaction_summary(tenant.company, this_month())
    assert [c.text for c in summary.comments] == ["感想4番", "感想3番"] and summary.comments_truncated
    page = owner_client.get(COMPANY_URL).content.decode()
    assert "感想2番" not in page and "新しい順に 2 件を表示しています" in page


def test_the_results_and_the_survey_read_well_in_english(owner_client: Client, tenant: Tenant) -> None:

    from tests.test_i18n import compile_stale_catalogs, reset_translation_caches

    compile_stale_catalogs()
    reset_translation_caches()
    for score in (10, 9, 9, 6, 8):
        answer(tenant, score)
    page = owner_client.get(COMPANY_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Satisfaction survey results" in page and "% of promoters (9–10)" in page
    client = signed_in(register_verified(tenant.link))
    survey_page = client.get(SURVEY_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Answering is optional." in survey_page and "Strongly agree" in survey_page
