"""The company KPI dashboard (DESIGN.md §5): every figure from known data, its CSV, costs and tenancy."""

import csv
import io
import re
from dataclasses import replace
from datetime import date, datetime
from itertools import count
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from applicants.models import Applicant, RejectionReason
from applicants.services import applicant_close, applicant_record, rejection_reason_create
from audit.models import AuditEntry
from candidates.models import Candidate
from candidates.services import candidate_register
from companies.models import Company
from insights.models import RecruitingCostProfile, SurveyResponse
from insights.selectors import metrics
from lib.dates import JST, Period
from lib.dates import JST as TOKYO
from mailings.models import OutboundEmail
from placements.models import Introduction, JobOrder, Placement
from placements.services.credit_use import credit_reserve
from placements.services.placements import placement_record
from rechallenge.models import Reapplication
from relay.models import Click, CreditEntry, Referral
from tests.conftest import Tenant, login, profile
from tests.placement_support import grant_credits, introduce, make_job

pytestmark = pytest.mark.django_db
NOTE = (
    "登録数・カウント済みの紹介は前日までの集計です。5件未満の場合は件数を表示せず、その件数から求める割合も"
    "「非表示」と表示します。"
)

OCTOBER = Period.months(last_month=date(2026, 10, 1))
SEPTEMBER = Period.months(last_month=date(2026, 9, 1))
OCTOBER_QUERY = "?period=custom&start=2026-10-01&end=2026-10-31"
_n = count(1)


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


def sent_email(tenant: Tenant, at: datetime | None, *, status: str = OutboundEmail.Status.SENT) -> OutboundEmail:
    return OutboundEmail.objects.create(
        company=tenant.company,
        kind=OutboundEmail.Kind.REJECTION,
        idempotency_key=f"kpi-{next(_n)}",
        to_email="someone@example.jp",
        subject="選考結果のご連絡",
        body="本文",
        send_after=at or timezone.now(),
        status=status,
        sent_at=at,
    )


def clicks(tenant: Tenant, at: datetime, n: int = 1) -> None:
    made = Click.objects.bulk_create([Click(link=tenant.link, company=tenant.company) for _ in range(n)])
    Click.objects.filter(pk__in=[c.pk for c in made]).update(created_at=at)


def referral(tenant: Tenant, registered: datetime, *, counted: datetime | None = None, status: str = "") -> Referral:
    status = status or (Referral.Status.COUNTED if counted else Referral.Status.PENDING_VERIFICATION)
    return Referral.objects.create(
        company=tenant.company, link=tenant.link, registered_at=registered, counted_at=counted, status=status
    )


def october_funnel_data(tenant: Tenant) -> None:
    """October: 3 sent, 6 clicks, 4 registrations, 2 counted. September: 1, 2, 1, 1."""
    sent_email(tenant, jst(2026, 10, 1, 0, 0))
    sent_email(tenant, jst(2026, 10, 15, 12, 0))
    sent_email(tenant, jst(2026, 10, 31, 23, 30))  # still October in Japan (14:30 UTC)
    sent_email(tenant, jst(2026, 11, 1, 0, 0))  # November
    sent_email(tenant, None, status=OutboundEmail.Status.QUEUED)  # not sent: never counted
    sent_email(tenant, jst(2026, 9, 30, 23, 59))
    clicks(tenant, jst(2026, 10, 2, 9, 0), 5)
    clicks(tenant, jst(2026, 10, 31, 23, 30))
    clicks(tenant, jst(2026, 9, 10, 9, 0), 2)
    clicks(tenant, jst(2026, 11, 1, 0, 0), 7)
    referral(tenant, jst(2026, 10, 3, 10, 0), counted=jst(2026, 10, 4, 10, 0))
    referral(tenant, jst(2026, 10, 31, 23, 30), counted=jst(2026, 10, 31, 23, 45))
    referral(tenant, jst(2026, 10, 5, 10, 0))  # not verified yet
    # Counted in October, then invalidated by the operator: a registration, never a counted referral.
    referral(tenant, jst(2026, 10, 6, 10, 0), counted=jst(2026, 10, 6, 11, 0), status=Referral.Status.INVALIDATED)
    referral(tenant, jst(2026, 9, 20, 10, 0), counted=jst(2026, 9, 21, 10, 0))
    # Registered in September, counted in October (first interview contract): counted in October.
    referral(tenant, jst(2026, 9, 29, 10, 0), counted=jst(2026, 10, 1, 0, 0))


def shown_funnel_data(tenant: Tenant) -> None:
    """`october_funnel_data` and enough more for a company to see every registration figure (MIN_GROUP = 5):
    October: 3 sent, 12 clicks, 7 registrations, 6 counted; September: 1 sent, 8 clicks, 6 registrations, 5 counted."""
    october_funnel_data(tenant)
    clicks(tenant, jst(2026, 10, 20, 9, 0), 6)
    clicks(tenant, jst(2026, 9, 15, 9, 0), 6)
    for day in (7, 8, 9):
        referral(tenant, jst(2026, 10, day, 10, 0), counted=jst(2026, 10, day, 12, 0))
    for day in (11, 12, 13, 14):
        referral(tenant, jst(2026, 9, day, 10, 0), counted=jst(2026, 9, day, 12, 0))


def exact(company: Company, kpis: metrics.CompanyKpis) -> metrics.CompanyKpis:
    """The same KPIs with the exact, live funnel an operator sees (to test the formatting of every figure)."""
    return replace(kpis, funnel=metrics.funnel(company, kpis.period))


def test_it_counts_each_funnel_step_by_its_own_date_in_japan(tenant: Tenant) -> None:
    october_funnel_data(tenant)
    october = metrics.funnel(tenant.company, OCTOBER)
    assert (october.sent, october.clicks, october.registrations, october.counted) == (3, 6, 4, 3)
    assert october.registration_rate == pytest.approx(4 / 6)
    # The registrations came through links the company pasted in its own mail: none of the 3 platform mails led
    # to one, so registrations / sent is 0%, not 133% (DESIGN.md §5: a ratio never exceeds 100%).
    assert october.registration_rate_sent == 0.0
    september = metrics.funnel(tenant.company, SEPTEMBER)
    assert (september.sent, september.clicks, september.registrations, september.counted) == (1, 2, 2, 1)
    assert metrics.percent(october.registration_rate) == "66.7%"
    assert metrics.percent(september.registration_rate_sent) == "0.0%"


def test_the_mail_rates_follow_the_mails_sent_in_the_period_and_never_pass_100_percent(tenant: Tenant) -> None:
    first, second, _unclicked = (sent_email(tenant, jst(2026, 10, day, 10, 0)) for day in (1, 2, 3))
    OutboundEmail.objects.filter(pk__in=[first.pk, second.pk]).update(clicked_at=jst(2026, 10, 4))
    OutboundEmail.objects.filter(pk=first.pk).update(registered_at=jst(2026, 11, 2))  # registered in November
    clicks(tenant, jst(2026, 10, 5), n=9)  # a link pasted in the company's own mails: many more clicks
    for day in (5, 6, 7, 8, 9):
        referral(tenant, jst(2026, 10, day))
    referral(tenant, jst(2026, 9, 30), counted=jst(2026, 10, 3))  # September's registration, counted in October

    october = metrics.funnel(tenant.company, OCTOBER)

    assert october.click_rate == pytest.approx(2 / 3)  # of the 3 mails, 2 were clicked
    assert october.registration_rate_sent == pytest.approx(1 / 3)  # the October mail that led to a registration
    assert october.count_rate == 0.0  # none of October's 5 registrations is counted; September's stays September's
    for value in (october.click_rate, october.registration_rate, october.registration_rate_sent, october.count_rate):
        assert value is not None and 0 <= value <= 1


def test_an_event_at_half_past_eleven_at_night_on_october_31_in_japan_is_october(tenant: Tenant) -> None:
    moment = jst(2026, 10, 31, 23, 30)
    assert moment.astimezone(TOKYO).month == 10 and moment.astimezone(timezone.get_fixed_timezone(0)).day == 31
    sent_email(tenant, moment)
    clicks(tenant, moment)
    referral(tenant, moment, counted=moment)
    october = metrics.funnel(tenant.company, OCTOBER)
    november = metrics.funnel(tenant.company, Period.months(last_month=date(2026, 11, 1)))
    assert (october.sent, october.clicks, october.registrations, october.counted) == (1, 1, 1, 1)
    assert (november.sent, november.clicks, november.registrations, november.counted) == (0, 0, 0, 0)
    [row] = [m for m in metrics.monthly(tenant.company, OCTOBER)]
    assert (row.month, row.registrations, row.counted) == (date(2026, 10, 1), 1, 1)


def test_invalidated_referrals_never_count_but_stay_registrations(tenant: Tenant) -> None:
    referral(tenant, jst(2026, 10, 6), counted=jst(2026, 10, 6), status=Referral.Status.INVALIDATED)
    october = metrics.funnel(tenant.company, OCTOBER)
    assert (october.registrations, october.counted) == (1, 0)
    [link] = metrics.link_funnels([tenant.link], OCTOBER)
    assert (link.registrations, link.counted, link.invalidated) == (1, 0, 1)


def test_an_empty_period_gives_zeros_and_no_rate(tenant: Tenant, owner_client: Client) -> None:
    kpis = metrics.company_kpis(tenant.company, OCTOBER, today=date(2026, 11, 22))
    assert (kpis.funnel.sent, kpis.funnel.clicks, kpis.funnel.registrations, kpis.funnel.counted) == (0, 0, 0, 0)
    assert kpis.funnel.registration_rate is None and kpis.funnel.registration_rate_sent is None
    assert kpis.savings.cost_reduction_rate is None and kpis.savings.spend_reduction_rate is None
    assert kpis.rechallenge.reapplication_rate is None and kpis.rechallenge.rehire_rate is None
    assert kpis.nps is None
    rows = {r.key: r for r in metrics.kpi_rows(exact(tenant.company, kpis), exact(tenant.company, kpis))}
    assert rows["registration_rate"].current == "—" and rows["registration_rate"].delta == "—"
    assert rows["sent"].current == "0" and rows["sent"].delta == "+0" and rows["sent"].direction == ""
    # The company sees no registration count below 5, 0 included, and no rate built on it.
    shown = {r.key: r for r in metrics.kpi_rows(kpis, kpis)}
    assert (shown["registrations"].current, shown["registrations"].delta) == ("5件未満", "—")
    assert shown["registration_rate"].current == "非表示" and shown["sent"].current == "0"
    response = owner_client.get("/company/insights/" + OCTOBER_QUERY)
    assert response.status_code == 200
    assert 'data-kpi="registration_rate"><td>' in response.content.decode()


def test_credits_earned_used_expired_in_the_period_and_reserved_available_at_its_end(tenant: Tenant) -> None:
    grants = [
        CreditEntry.objects.create(company=tenant.company, kind=CreditEntry.Kind.GRANT, amount=1) for _ in range(4)
    ]
    CreditEntry.objects.filter(pk=grants[0].pk).update(created_at=jst(2026, 9, 5))
    CreditEntry.objects.filter(pk__in=[g.pk for g in grants[1:]]).update(created_at=jst(2026, 10, 5))
    expiry = CreditEntry.objects.create(company=tenant.company, kind=CreditEntry.Kind.EXPIRY, amount=-1, lot=grants[0])
    reserve = CreditEntry.objects.create(
        company=tenant.company, kind=CreditEntry.Kind.RESERVE, amount=-1, lot=grants[1]
    )
    CreditEntry.objects.filter(pk__in=[expiry.pk, reserve.pk]).update(created_at=jst(2026, 10, 31, 23, 30))
    use = CreditEntry.objects.create(company=tenant.company, kind=CreditEntry.Kind.USE, amount=0, lot=reserve)
    CreditEntry.objects.filter(pk=use.pk).update(created_at=jst(2026, 11, 2))
    october = metrics.credits(tenant.company, OCTOBER)
    assert (october.earned, october.used, october.expired) == (3, 0, 1)
    assert (october.reserved, october.available) == (1, 2)
    september = metrics.credits(tenant.company, SEPTEMBER)
    assert (september.earned, september.used, september.expired, september.reserved, september.available) == (
        1,
        0,
        0,
        0,
        1,
    )
    november = metrics.credits(tenant.company, Period.months(last_month=date(2026, 11, 1)))
    assert (november.earned, november.used, november.reserved, november.available) == (0, 1, 0, 2)


def hire(tenant: Tenant, operator: User, *, credit: bool, salary: int, start: date, candidate: Any = None) -> Placement:
    job = make_job(tenant)
    if credit:
        credit_reserve(job_order=job, actor=tenant.owner)
    if candidate is None:
        introduction = introduce(job, operator, Introduction.Status.HIRED)
    else:
        introduction = Introduction.objects.create(
            company=tenant.company,
            job_order=job,
            candidate=candidate,
            status=Introduction.Status.HIRED,
            accepted_at=timezone.now(),
        )
    return placement_record(introduction=introduction, start_date=start, annual_salary_yen=salary, actor=operator)


def test_savings_free_hires_and_both_cost_reduction_rates(tenant: Tenant, operator: User) -> None:
    grant_credits(tenant, 2)
    free1 = hire(tenant, operator, credit=True, salary=6_000_000, start=date(2026, 10, 1))  # waives 2,100,000
    free2 = hire(tenant, operator, credit=True, salary=4_000_000, start=date(2026, 10, 31))  # waives 1,400,000
    paid = hire(tenant, operator, credit=False, salary=5_000_000, start=date(2026, 10, 15))  # 1,750,000
    hire(tenant, operator, credit=False, salary=5_000_000, start=date(2026, 11, 1))  # November
    Placement.objects.filter(pk=paid.pk).update(refund_yen=350_000)  # leaves early: 20 % refunded
    assert (free1.saving_yen, free2.saving_yen, paid.fee_yen) == (2_100_000, 1_400_000, 1_750_000)
    saved = metrics.savings(tenant.company, OCTOBER)
    assert (saved.placements, saved.free_hires, saved.saving_yen, saved.fees_paid_yen) == (3, 2, 3_500_000, 1_400_000)
    assert saved.cost_reduction_rate == pytest.approx(3_500_000 / (3_500_000 + 1_400_000))
    assert saved.declared_spend_yen is None and saved.spend_reduction_rate is None
    RecruitingCostProfile.objects.create(company=tenant.company, yearly_spend_yen=36_500_000, average_fee_yen=2_000_000)
    saved = metrics.savings(tenant.company, OCTOBER)
    # 31 days of a 36,500,000 yen year = 3,100,000 yen.
    assert saved.declared_spend_yen == 3_100_000
    assert saved.spend_reduction_rate == pytest.approx(3_500_000 / 3_100_000)
    assert saved.free_hires_at_average_fee_yen == 4_000_000
    rows = {
        r.key: r
        for r in metrics.kpi_rows(
            metrics.company_kpis(tenant.company, OCTOBER), metrics.company_kpis(tenant.company, SEPTEMBER)
        )
    }
    assert rows["cost_reduction_rate"].current == "71.4%"
    assert rows["spend_reduction_rate"].current == "112.9%"
    assert rows["saving_yen"].current == "3,500,000" and rows["saving_yen"].delta == "+3,500,000"
    [october] = metrics.monthly(tenant.company, OCTOBER)
    assert october.saving_yen == 3_500_000


def eligible_candidate(tenant: Tenant, registered: datetime, *, opted_in: bool = True) -> Candidate:
    registration = candidate_register(link=tenant.link, profile=profile(), rechallenge=opted_in, newsletter=False)
    Referral.objects.filter(candidate=registration.candidate).update(registered_at=registered)
    return registration.candidate


def reapply(tenant: Tenant, candidate: Candidate, job: JobOrder, at: datetime) -> Reapplication:
    made = Reapplication.objects.create(candidate=candidate, company=tenant.company, job_order=job)
    Reapplication.objects.filter(pk=made.pk).update(created_at=at)
    return made


def test_reapplication_and_rehire_rates(tenant: Tenant, operator: User) -> None:
    # Cool-down 6 months: rejected (registered) by 2026-04-30 means eligible by the end of October.
    a = eligible_candidate(tenant, jst(2026, 3, 1, 10))
    b = eligible_candidate(tenant, jst(2026, 4, 30, 10))
    eligible_candidate(tenant, jst(2026, 2, 1, 10))
    eligible_candidate(tenant, jst(2026, 2, 1, 10), opted_in=False)  # never eligible
    eligible_candidate(tenant, jst(2026, 5, 2, 10))  # cool-down ends in November
    job = make_job(tenant)
    reapply(tenant, a, job, jst(2026, 10, 10))
    reapply(tenant, b, job, jst(2026, 10, 31, 23, 30))
    hire(tenant, operator, credit=False, salary=5_000_000, start=date(2026, 12, 1), candidate=a)
    hire(tenant, operator, credit=False, salary=5_000_000, start=date(2026, 12, 1))  # not a re-applicant
    result = metrics.rechallenge(tenant.company, OCTOBER, today=date(2026, 11, 22))
    assert (result.eligible, result.reapplications, result.rehires) == (3, 2, 1)
    assert result.reapplication_rate == pytest.approx(2 / 3)
    assert result.rehire_rate == pytest.approx(1 / 2)
    september = metrics.rechallenge(tenant.company, SEPTEMBER, today=date(2026, 11, 22))
    assert (september.eligible, september.reapplications, september.rehire_rate) == (2, 0, None)


def test_a_placement_before_the_reapplication_is_not_a_rehire(tenant: Tenant, operator: User) -> None:
    a = eligible_candidate(tenant, jst(2026, 3, 1, 10))
    placement = hire(tenant, operator, credit=False, salary=5_000_000, start=date(2026, 6, 1), candidate=a)
    Placement.objects.filter(pk=placement.pk).update(created_at=jst(2026, 6, 1))
    reapply(tenant, a, make_job(tenant), jst(2026, 10, 10))
    result = metrics.rechallenge(tenant.company, OCTOBER, today=date(2026, 11, 22))
    assert (result.reapplications, result.rehires) == (1, 0)


def survey_answers(tenant: Tenant, scores: list[int], at: datetime) -> None:
    for score in scores:
        answer = SurveyResponse.objects.create(
            company=tenant.company, nps=score, contact_speed=3, contact_courtesy=3, future_interest=3
        )
        SurveyResponse.objects.filter(pk=answer.pk).update(created_at=at)


def test_nps_is_shown_only_with_five_answers_and_compared_with_the_previous_period(tenant: Tenant) -> None:
    survey_answers(tenant, [10, 9, 9, 7, 3], jst(2026, 10, 31, 23, 30))  # 60 % − 20 % = 40
    survey_answers(tenant, [10, 0, 0, 0], jst(2026, 9, 10))  # 4 answers: hidden
    october = metrics.company_kpis(tenant.company, OCTOBER)
    september = metrics.company_kpis(tenant.company, SEPTEMBER)
    assert (october.nps, september.nps) == (40, None)
    row = {r.key: r for r in metrics.kpi_rows(october, september)}["nps"]
    assert (row.current, row.previous, row.delta) == ("40", "—", "—")


def test_every_figure_is_compared_with_the_previous_period(tenant: Tenant) -> None:
    october_funnel_data(tenant)
    october, september = metrics.company_kpis(tenant.company, OCTOBER), metrics.company_kpis(tenant.company, SEPTEMBER)
    rows = {r.key: r for r in metrics.kpi_rows(exact(tenant.company, october), exact(tenant.company, september))}
    assert (rows["sent"].current, rows["sent"].previous, rows["sent"].delta, rows["sent"].direction) == (
        "3",
        "1",
        "+2",
        "up",
    )
    assert (rows["registration_rate"].current, rows["registration_rate"].previous) == ("66.7%", "100.0%")
    assert (rows["registration_rate"].delta, rows["registration_rate"].direction) == ("-33.3pt", "down")
    assert rows["counted"].delta == "+2"
    # As the company sees them: 4 and 2 registrations, 3 and 1 counted are all fewer than 5.
    shown = {r.key: r for r in metrics.kpi_rows(october, september)}
    assert [shown["registrations"].current, shown["registrations"].previous, shown["registrations"].delta] == [
        "5件未満",
        "5件未満",
        "—",
    ]
    assert (shown["counted"].current, shown["counted"].direction) == ("5件未満", "")
    assert (shown["registration_rate"].current, shown["registration_rate_sent"].previous) == ("非表示", "非表示")
    assert shown["sent"] == rows["sent"] and shown["clicks"] == rows["clicks"]
    assert OCTOBER.previous() == SEPTEMBER
    assert {r.key for r in rows.values()} >= {
        "sent", "clicks", "registrations", "counted", "registration_rate", "registration_rate_sent",
        "credits_earned", "credits_reserved", "credits_used", "credits_expired", "credits_available",
        "free_hires", "saving_yen", "cost_reduction_rate", "spend_reduction_rate", "nps",
        "reapplication_rate", "rehire_rate",
    }  # fmt: skip


def page_rows(page: str) -> dict[str, list[str]]:
    table = page.split('id="kpi-table"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for key, body in re.findall(r'<tr data-kpi="([a-z_]+)">(.*?)</tr>', table, re.S):
        rows[key] = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
    return rows


def test_the_csv_has_exactly_the_figures_of_the_page(owner_client: Client, tenant: Tenant) -> None:
    october_funnel_data(tenant)
    survey_answers(tenant, [10, 9, 9, 7, 3], jst(2026, 10, 20))
    page = owner_client.get("/company/insights/" + OCTOBER_QUERY).content.decode()
    response = owner_client.get("/company/insights/export.csv" + OCTOBER_QUERY)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["企業", "株式会社テスト商事"]
    from_page = page_rows(page)
    assert len(from_page) == len(lines) - 3 == 23
    for label, current, previous, delta in lines[2:-1]:
        assert [label, current, previous, delta] in from_page.values()
    assert from_page["sent"] == ["送信数(お祈りメール)", "3", "1", "+2"]
    assert from_page["registrations"] == ["登録数", "5件未満", "5件未満", "—"]
    assert lines[-1] == [NOTE] and NOTE in page
    assert from_page["nps"][1] == "40"


def test_the_charts_carry_the_figures(owner_client: Client, tenant: Tenant) -> None:
    shown_funnel_data(tenant)
    page = owner_client.get("/company/insights/" + OCTOBER_QUERY).content.decode()
    funnel = page.split('id="funnel-chart"', 1)[1].split("</svg>", 1)[0]
    for step, value in (("sent", 3), ("clicks", 12), ("registrations", 7), ("counted", 6)):
        assert f'data-step="{step}" data-value="{value}"' in funnel
    assert "<title" in funnel and "(58.3%)" in funnel
    referrals = page.split('id="referrals-chart"', 1)[1].split("</svg>", 1)[0]
    assert 'data-value="6"' in referrals and 'role="img"' in page


def test_the_charts_never_draw_a_hidden_registration_figure(owner_client: Client, tenant: Tenant) -> None:
    october_funnel_data(tenant)  # October: 4 registrations, 3 counted
    page = owner_client.get("/company/insights/" + OCTOBER_QUERY).content.decode()
    funnel = page.split('id="funnel-chart"', 1)[1].split("</svg>", 1)[0]
    for step in ("registrations", "counted"):
        bar = funnel.split(f'data-step="{step}"', 1)[1].split("</g>", 1)[0]
        assert 'data-value="5件未満"' in bar and 'width="0"' in bar
        assert not re.search(r">[^<]*[34][^<]*<", bar)  # neither 4 nor 3 anywhere in the bar
    assert "66.7%" not in page and "(非表示)" in funnel
    referrals = page.split('id="referrals-chart"', 1)[1].split("</svg>", 1)[0]
    assert 'data-value="5件未満"' in referrals and 'data-value="3"' not in referrals
    monthly = page.split('id="monthly-table"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num muted">5件未満</td><td class="num muted">5件未満</td>' in monthly


def test_the_period_choice_is_a_whole_month_in_japan_and_bad_input_falls_back(owner_client: Client) -> None:
    response = owner_client.get("/company/insights/?period=custom&start=２０２６－１０－０１&end=2026-09-01")
    assert response.status_code == 200
    assert "開始日は終了日より前の日付をご入力ください。" in response.content.decode()
    response = owner_client.get("/company/insights/?period=3m")
    period = response.context["period"]
    assert period.month_count == 3 and period.end.astimezone(TOKYO).day == 1


def test_the_link_table_shows_each_campaign(owner_client: Client, tenant: Tenant) -> None:
    from companies.services import relay_link_create

    campaign = relay_link_create(company=tenant.company, label="2027新卒", actor=tenant.owner)
    Click.objects.bulk_create([Click(link=campaign, company=tenant.company) for _ in range(4)])
    Referral.objects.create(company=tenant.company, link=campaign, registered_at=timezone.now())
    page = owner_client.get("/company/insights/").content.decode()
    row = page.split(f'data-link="{campaign.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "2027新卒" in row and ">4<" in row and "5件未満" in row  # one registration: never its count


def test_another_company_never_sees_these_figures(outsider_client: Client, tenant: Tenant, operator: User) -> None:
    october_funnel_data(tenant)
    response = outsider_client.get("/company/insights/" + OCTOBER_QUERY)
    assert response.context["kpis"].funnel.registrations == 0
    assert tenant.link.code not in response.content.decode()
    lines = outsider_client.get("/company/insights/export.csv" + OCTOBER_QUERY).content.decode("utf-8-sig")
    assert "株式会社テスト商事" not in lines and "他社株式会社" in lines
    operator_client = login(Client(), operator)
    for url in ("/company/insights/", "/company/insights/export.csv", "/company/insights/costs/"):
        assert operator_client.get(url).status_code == 404
        assert Client().get(url).status_code == 302


def test_a_manager_declares_costs_with_full_width_digits(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        "/company/insights/costs/",
        {"yearly_spend_yen": "３６，５００，０００円", "average_fee_yen": "¥2,000,000"},
    )
    assert response.status_code == 302
    profile_row = RecruitingCostProfile.objects.get(company=tenant.company)
    assert (profile_row.yearly_spend_yen, profile_row.average_fee_yen) == (36_500_000, 2_000_000)
    assert AuditEntry.objects.filter(action="insights.recruiting_costs", company=tenant.company).exists()
    response = owner_client.post("/company/insights/costs/", {"yearly_spend_yen": "たくさん", "average_fee_yen": "0"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "金額は半角数字(円)でご入力ください。" in page and "人材紹介手数料の平均は1円以上でご入力ください。" in page
    response = owner_client.post("/company/insights/costs/", {"yearly_spend_yen": "100", "average_fee_yen": "200"})
    assert "紹介手数料の平均が年間の採用費を上回っています。" in response.content.decode()
    assert RecruitingCostProfile.objects.get(company=tenant.company).yearly_spend_yen == 36_500_000


def test_a_member_sees_the_costs_but_cannot_change_them(client: Client, tenant: Tenant) -> None:
    RecruitingCostProfile.objects.create(company=tenant.company, yearly_spend_yen=12_000_000, average_fee_yen=1_000_000)
    login(client, tenant.member)
    page = client.get("/company/insights/costs/").content.decode()
    assert "12,000,000" in page and "costs-form" not in page and "costs-readonly" in page
    assert client.post("/company/insights/costs/", {"yearly_spend_yen": "1", "average_fee_yen": "1"}).status_code == 404
    assert RecruitingCostProfile.objects.get(company=tenant.company).yearly_spend_yen == 12_000_000
    assert client.get("/company/insights/").status_code == 200


def test_an_outsider_cannot_change_another_companys_costs(outsider_client: Client, tenant: Tenant) -> None:
    RecruitingCostProfile.objects.create(company=tenant.company, yearly_spend_yen=12_000_000, average_fee_yen=1_000_000)
    outsider_client.post("/company/insights/costs/", {"yearly_spend_yen": "99", "average_fee_yen": "9"})
    assert RecruitingCostProfile.objects.get(company=tenant.company).yearly_spend_yen == 12_000_000
    assert "12,000,000" not in outsider_client.get("/company/insights/costs/").content.decode()


def test_the_company_dashboard_links_here_and_uses_the_same_definitions(owner_client: Client, tenant: Tenant) -> None:
    october_funnel_data(tenant)
    response = owner_client.get("/company/")
    figures = response.context["figures"]
    everything = metrics.funnel(tenant.company, None)
    assert (figures.total.sent, figures.total.clicks, figures.total.registrations, figures.total.counted) == (
        everything.sent,
        everything.clicks,
        everything.registrations,
        everything.counted,
    )
    assert everything.sent == 5  # the queued email is not sent
    assert 'href="/company/insights/"' in response.content.decode()


def test_the_demo_declares_costs_once_and_keeps_a_companys_own_figures(tenant: Tenant) -> None:
    from demo.insights import seed_recruiting_costs

    assert seed_recruiting_costs(company=tenant.company).yearly_spend_yen == 18_000_000
    RecruitingCostProfile.objects.filter(company=tenant.company).update(yearly_spend_yen=5_000_000)
    assert seed_recruiting_costs(company=tenant.company).yearly_spend_yen == 5_000_000
    assert RecruitingCostProfile.objects.filter(company=tenant.company).count() == 1


def ended(tenant: Tenant, at: datetime | None, **fields: Any) -> Applicant:
    n = next(_n)
    applicant = applicant_record(
        company=tenant.company,
        source="manual",
        name=f"応募 {n}",
        email=f"ended{n}@example.jp",
        rejected_at=at,
        **fields,
    ).applicant
    return applicant


def test_applicants_are_counted_by_selection_end_reason_in_one_bucket_each(
    tenant: Tenant, owner_client: Client
) -> None:
    reasons = {r.code or r.name: r for r in RejectionReason.objects.filter(company=tenant.company)}
    for _ in range(3):
        ended(tenant, jst(2026, 10, 5))
    ended(tenant, jst(2026, 10, 31, 23, 30))  # late on October 31 in Japan: October
    ended(tenant, jst(2026, 10, 9), reason_id=reasons["withdrawn"].pk)
    ended(tenant, jst(2026, 10, 9), reason_id=reasons["hired"].pk, hold=Applicant.Hold.UNVERIFIED)  # held wins
    ended(tenant, jst(2026, 10, 10), reason_text="Cultural fit", hold=Applicant.Hold.UNKNOWN_REASON)
    reversed_ = ended(tenant, jst(2026, 10, 11))
    applicant_close(applicant=reversed_, why="ATS で不採用が取り消されました。")
    ended(tenant, jst(2026, 9, 30, 23, 59))  # September
    undated = ended(tenant, None)  # no date from the ATS: counted when it was reported
    Applicant.objects.filter(pk=undated.pk).update(created_at=jst(2026, 10, 20))
    breakdown = metrics.applicants_by_reason(tenant.company, OCTOBER)
    figures = {row.key: row.count for row in breakdown.rows}
    assert figures == {
        str(reasons["rejected"].pk): 5,
        str(reasons["withdrawn"].pk): 1,
        str(reasons["hired"].pk): 0,
        str(reasons["not_screened"].pk): 0,
        "held": 2,
        "closed": 1,
    }
    assert breakdown.total == 9
    assert [row.label for row in breakdown.rows][:4] == ["不採用", "応募者辞退", "入社決定", "非選考対象"]
    assert metrics.applicants_by_reason(tenant.company, SEPTEMBER).total == 1
    kpis = metrics.company_kpis(tenant.company, OCTOBER)
    assert kpis.reasons == breakdown
    page = owner_client.get("/company/insights/" + OCTOBER_QUERY).content.decode()
    rejected_row = (
        f'<tr data-reason="{reasons["rejected"].pk}"><td>不採用 <span class="badge counted">お祈りメールの対象</span>'
        '</td><td class="num">5</td><td class="num">55.6%</td></tr>'
    )
    assert rejected_row in page
    assert '<tr data-reason="held"><td>確認待ち <a class="small" href="/company/applicants/review/">' in page
    assert '<td class="num">2</td><td class="num">22.2%</td>' in page


def test_reason_figures_use_the_companys_own_reasons_and_never_anothers(tenant: Tenant, outsider: Tenant) -> None:
    own = rejection_reason_create(company=tenant.company, name="連絡途絶", sends_mail=False, actor=tenant.owner)
    ended(tenant, jst(2026, 10, 5), reason_id=own.pk)
    breakdown = metrics.applicants_by_reason(outsider.company, OCTOBER)
    assert breakdown.total == 0 and all(row.share is None for row in breakdown.rows)
    assert "連絡途絶" not in [row.label for row in breakdown.rows]
    ours = {row.label: row.count for row in metrics.applicants_by_reason(tenant.company, OCTOBER).rows}
    assert ours["連絡途絶"] == 1


def test_this_month_to_date_is_compared_with_the_same_days_of_last_month(tenant: Tenant, owner_client: Client) -> None:
    import time_machine

    sent_email(tenant, jst(2026, 11, 2, 10, 0))  # within the compared days
    sent_email(tenant, jst(2026, 11, 20, 10, 0))  # later in November: not like for like with December 1–2
    sent_email(tenant, jst(2026, 12, 1, 10, 0))
    with time_machine.travel(jst(2026, 12, 2, 15, 0), tick=False):
        page = owner_client.get("/company/insights/").content.decode()
        csv_text = owner_client.get("/company/insights/export.csv").content.decode("utf-8-sig")

    assert "(前期間 2026年11月1日〜2026年11月2日 と比較)" in page
    assert re.search(r'<tr data-kpi="sent"><td>[^<]+</td><td class="num">1</td><td class="num">1</td>', page)
    assert "2026年11月1日〜2026年11月2日" in csv_text
