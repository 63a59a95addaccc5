"""The company's mail settings and auto-send rules: screens, validation, which rule wins, and when mail goes out."""

from datetime import datetime, time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant
from audit.models import AuditEntry
from lib.dates import JST
from mailings.models import AutoSendRule, MailSettings, RejectionTemplate
from mailings.selectors import rule_explanation
from mailings.services.outbox import mail_settings_for, rule_for, send_time_after_rejection
from tests.conftest import Tenant, login

pytestmark = pytest.mark.django_db


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pin the clock: send times are clamped to "now", so the dates below must stay in the future."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def template(tenant: Tenant, stage: str, track: str) -> RejectionTemplate:
    return RejectionTemplate.objects.get(company=tenant.company, stage=stage, track=track)


def rule(tenant: Tenant, stage: str = "", track: str = "", **fields: Any) -> AutoSendRule:
    # Each case its own template, so stopping one template affects one rule only.
    chosen = template(tenant, stage or "final_interview", track or "new_graduate")
    return AutoSendRule.objects.create(company=tenant.company, stage=stage, track=track, template=chosen, **fields)


def applicant(tenant: Tenant, stage: str, track: str) -> Applicant:
    return Applicant(company=tenant.company, stage=stage, track=track)


# --- mail settings --------------------------------------------------------------------------------------------


def test_an_owner_saves_sender_name_reply_to_and_signature_normalised(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        "/company/mail/settings/",
        {
            "sender_name": "ＴＥＳＴ商事　採用担当",
            "reply_to": "ｓａｉｙｏ＠Ｔｅｓｔ．ｅｘａｍｐｌｅ．ｊｐ",
            "signature": "テスト商事 人事部\r\nTEL 03-0000-0000   \r\n\r\n",
        },
    )
    assert response.status_code == 302
    settings = MailSettings.objects.get(company=tenant.company)
    assert settings.sender_name == "TEST商事 採用担当"
    assert settings.reply_to == "saiyo@test.example.jp"
    assert settings.signature == "テスト商事 人事部\nTEL 03-0000-0000"
    audit = AuditEntry.objects.get(action="mail_settings.update", company=tenant.company)
    assert audit.actor == tenant.owner and audit.detail["after"]["reply_to"] == "saiyo@test.example.jp"
    page = owner_client.get("/company/mail/settings/").content.decode()
    assert "TEST商事 採用担当" in page and "saiyo@test.example.jp" in page


def test_it_refuses_a_bad_reply_to_or_sender_name_and_keeps_the_old_settings(
    owner_client: Client, tenant: Tenant
) -> None:
    MailSettings.objects.filter(company=tenant.company).update(sender_name="", reply_to="", signature="")
    response = owner_client.post(
        "/company/mail/settings/", {"sender_name": "採用<担当>", "reply_to": "saiyo@@example", "signature": "x"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "メールアドレスの形式が正しくありません。" in page
    assert "差出人名に" in page
    assert MailSettings.objects.get(company=tenant.company).signature == ""
    assert not AuditEntry.objects.filter(action="mail_settings.update").exists()


def test_a_member_sees_the_settings_but_cannot_change_them(client: Client, tenant: Tenant) -> None:
    settings = mail_settings_for(tenant.company)
    settings.signature = "採用担当 佐藤"
    settings.save()
    member = login(client, tenant.member)
    page = member.get("/company/mail/settings/").content.decode()
    assert "採用担当 佐藤" in page and 'name="signature"' not in page
    assert member.post("/company/mail/settings/", {"sender_name": "x", "signature": "y"}).status_code == 404
    assert MailSettings.objects.get(company=tenant.company).signature == "採用担当 佐藤"


def test_another_company_edits_only_its_own_settings(outsider_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    mine = mail_settings_for(tenant.company)
    mine.signature = "テスト商事の署名"
    mine.save()
    assert "テスト商事の署名" not in outsider_client.get("/company/mail/settings/").content.decode()
    outsider_client.post("/company/mail/settings/", {"sender_name": "他社", "reply_to": "", "signature": "他社の署名"})
    assert MailSettings.objects.get(company=tenant.company).signature == "テスト商事の署名"
    assert MailSettings.objects.get(company=outsider.company).signature == "他社の署名"


# --- which rule applies ---------------------------------------------------------------------------------------


def test_the_most_specific_rule_wins(tenant: Tenant) -> None:
    everyone = rule(tenant)
    document = rule(tenant, stage="document")
    mid_career = rule(tenant, track="mid_career")
    exact = rule(tenant, stage="document", track="mid_career")
    assert rule_for(applicant(tenant, "document", "mid_career")) == exact
    assert rule_for(applicant(tenant, "document", "new_graduate")) == document
    assert rule_for(applicant(tenant, "first_interview", "mid_career")) == mid_career
    assert rule_for(applicant(tenant, "final_interview", "new_graduate")) == everyone
    exact.is_active = False
    exact.save()
    assert rule_for(applicant(tenant, "document", "mid_career")) == document
    RejectionTemplate.objects.filter(pk=document.template_id).update(is_active=False)
    assert rule_for(applicant(tenant, "document", "new_graduate")) == everyone


def test_the_rules_screen_lists_rules_in_the_order_they_are_tried(owner_client: Client, tenant: Tenant) -> None:
    rule(tenant, business_days_after=7)
    rule(tenant, stage="first_interview", track="new_graduate", business_days_after=1)
    rule(tenant, track="new_graduate", business_days_after=5)
    rule(tenant, stage="final_interview", business_days_after=2)
    response = owner_client.get("/company/mail/rules/")
    rows = response.context["rows"]
    assert [row.rule.business_days_after for row in rows] == [1, 2, 5, 7]
    assert [row.priority for row in rows] == [1, 2, 3, 4]
    page = response.content.decode()
    positions = [page.index(f"不採用の登録から{days}営業日後") for days in (1, 2, 5, 7)]
    assert positions == sorted(positions)
    coverage = {(cell.stage, cell.track): cell.rule for cell in response.context["coverage"]}
    assert coverage[("一次面接", "新卒")].business_days_after == 1
    assert coverage[("一次面接", "中途")].business_days_after == 7
    assert coverage[("書類選考", "新卒")].business_days_after == 5
    assert coverage[("最終面接", "新卒")].business_days_after == 2


# --- when the email goes out ----------------------------------------------------------------------------------


def test_it_explains_a_rule_in_plain_japanese(tenant: Tenant) -> None:
    three_days = rule(tenant, business_days_after=3, send_time=time(10, 0))
    assert rule_explanation(three_days) == "不採用の登録から3営業日後の10:00に送信します(土日祝・年末年始を除く)"
    same_day = rule(tenant, stage="document", business_days_after=0, send_time=time(17, 30))
    assert rule_explanation(same_day).startswith("不採用を登録した日の17:30に送信します")


def test_send_time_skips_the_weekend_and_a_japanese_holiday(tenant: Tenant, frozen_now: Any) -> None:
    frozen_now(tokyo(2026, 10, 30, 15, 0))
    three_days = rule(tenant, business_days_after=3, send_time=time(10, 0))
    # Fri 10/30 → Mon 11/2, (Tue 11/3 文化の日), Wed 11/4, Thu 11/5 at 10:00 in Japan.
    sent = send_time_after_rejection(rejected_at=tokyo(2026, 10, 30, 15, 0), business_days=3, rule=three_days)
    assert sent == tokyo(2026, 11, 5, 10, 0)


def test_send_time_skips_the_year_end_break(tenant: Tenant, frozen_now: Any) -> None:
    frozen_now(tokyo(2026, 12, 25, 18, 0))
    three_days = rule(tenant, business_days_after=3, send_time=time(9, 30))
    sent = send_time_after_rejection(rejected_at=tokyo(2026, 12, 25, 18, 0), business_days=3, rule=three_days)
    assert sent == tokyo(2027, 1, 5, 9, 30)


def test_zero_days_waits_for_the_next_business_day_or_sends_now(tenant: Tenant, frozen_now: Any) -> None:
    same_day = rule(tenant, business_days_after=0, send_time=time(10, 0))
    frozen_now(tokyo(2026, 11, 7, 12, 0))  # Saturday
    assert send_time_after_rejection(rejected_at=tokyo(2026, 11, 7, 12, 0), business_days=0, rule=same_day) == tokyo(
        2026, 11, 9, 10, 0
    )
    frozen_now(tokyo(2026, 11, 9, 14, 0))  # Monday, after 10:00: never scheduled in the past
    assert send_time_after_rejection(rejected_at=tokyo(2026, 11, 9, 14, 0), business_days=0, rule=same_day) == tokyo(
        2026, 11, 9, 14, 0
    )


def test_the_rules_screen_shows_the_sample_date_of_todays_rejection(
    owner_client: Client, tenant: Tenant, frozen_now: Any
) -> None:
    frozen_now(tokyo(2026, 10, 30, 15, 0))
    rule(tenant, business_days_after=3, send_time=time(10, 0))
    page = owner_client.get("/company/mail/rules/").content.decode()
    assert "不採用の登録から3営業日後の10:00に送信します(土日祝・年末年始を除く)" in page
    assert "11月5日(木) 10:00" in page


# --- the rules screens ----------------------------------------------------------------------------------------


def rule_data(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    data = {
        "stage": "document",
        "track": "",
        "template": template(tenant, "document", "mid_career").pk,
        "business_days_after": "３",
        "send_time": "１０：３０",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_an_owner_creates_edits_and_deletes_a_rule(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post("/company/mail/rules/", rule_data(tenant))
    assert response.status_code == 302
    created = AutoSendRule.objects.get(company=tenant.company)
    assert (created.stage, created.track, created.business_days_after, created.send_time) == (
        "document",
        "",
        3,
        time(10, 30),
    )
    assert "3営業日後の10:30に送信します" in owner_client.get("/company/mail/rules/").content.decode()
    edit = owner_client.post(
        f"/company/mail/rules/{created.pk}/", rule_data(tenant, business_days_after="5", send_time="9時")
    )
    assert edit.status_code == 302
    created.refresh_from_db()
    assert (created.business_days_after, created.send_time) == (5, time(9, 0))
    update = AuditEntry.objects.get(action="auto_send_rule.update")
    assert update.detail["before"]["business_days_after"] == 3 and update.detail["after"]["business_days_after"] == 5
    owner_client.post(f"/company/mail/rules/{created.pk}/delete/")
    assert not AutoSendRule.objects.filter(pk=created.pk).exists()
    assert AuditEntry.objects.filter(action__startswith="auto_send_rule.", company=tenant.company).count() == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"business_days_after": "31"}, "営業日数は 0 から 30 までで指定してください。"),
        ({"business_days_after": "-1"}, "営業日数は 0 から 30 までで指定してください。"),
        ({"business_days_after": "三"}, "営業日数は数字で入力してください(例: 3)。"),
        ({"send_time": "朝"}, "時刻は 10:00 のように入力してください。"),
        ({"template": ""}, "送信するテンプレートを選んでください。"),
    ],
)
def test_it_refuses_a_bad_rule_with_a_clear_message(
    owner_client: Client, tenant: Tenant, overrides: dict[str, str], message: str
) -> None:
    response = owner_client.post("/company/mail/rules/", rule_data(tenant, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AutoSendRule.objects.exists()


def test_it_refuses_another_companys_template_and_a_second_rule_for_the_same_case(
    owner_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    foreign = RejectionTemplate.objects.filter(company=outsider.company).first()
    assert foreign is not None
    page = owner_client.post("/company/mail/rules/", rule_data(tenant, template=foreign.pk)).content.decode()
    assert "選べないテンプレートです" in page
    owner_client.post("/company/mail/rules/", rule_data(tenant))
    page = owner_client.post("/company/mail/rules/", rule_data(tenant)).content.decode()
    assert "同じ選考段階・採用区分の有効なルールがすでにあります" in page
    assert AutoSendRule.objects.count() == 1


def test_a_member_sees_the_rules_but_cannot_change_them(client: Client, tenant: Tenant) -> None:
    existing = rule(tenant, stage="document")
    member = login(client, tenant.member)
    page = member.get("/company/mail/rules/").content.decode()
    assert "3営業日後" in page and "ルールを追加" not in page
    assert member.post("/company/mail/rules/", rule_data(tenant, stage="first_interview")).status_code == 404
    assert member.get(f"/company/mail/rules/{existing.pk}/").status_code == 404
    assert member.post(f"/company/mail/rules/{existing.pk}/delete/").status_code == 404
    assert AutoSendRule.objects.count() == 1


def test_another_companys_rules_answer_404(outsider_client: Client, tenant: Tenant) -> None:
    existing = rule(tenant, stage="document")
    assert outsider_client.get(f"/company/mail/rules/{existing.pk}/").status_code == 404
    assert outsider_client.post(f"/company/mail/rules/{existing.pk}/", rule_data(tenant)).status_code == 404
    assert outsider_client.post(f"/company/mail/rules/{existing.pk}/delete/").status_code == 404
    assert AutoSendRule.objects.filter(pk=existing.pk).exists()
    response = outsider_client.get("/company/mail/rules/")
    assert f'href="/company/mail/templates/{existing.template_id}/"' not in response.content.decode()
    assert response.context["rows"] == []


def test_the_rule_form_explains_the_timing_as_it_is_typed(client: Client, tenant: Tenant, frozen_now: Any) -> None:
    frozen_now(tokyo(2026, 12, 25, 11, 0))  # a Friday just before the year-end break
    owner_client = login(client, tenant.owner)  # after the clock moved, or the session would already have expired
    response = owner_client.post(
        "/company/mail/rules/explain/", {"business_days_after": "２", "send_time": "９時"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "不採用の登録から2営業日後の09:00に送信します(土日祝・年末年始を除く)" in page
    assert "例: 今日 12月25日(金) に不採用を登録すると、1月4日(月) 09:00 に送信されます。" in page
    incomplete = owner_client.post("/company/mail/rules/explain/", {"business_days_after": "45", "send_time": "10:00"})
    assert "営業日数(0〜30)と送信時刻を入力すると" in incomplete.content.decode()


def test_the_empty_rule_form_already_explains_its_defaults(owner_client: Client, frozen_now: Any) -> None:
    frozen_now(tokyo(2026, 10, 30, 15, 0))
    page = owner_client.get("/company/mail/rules/").content.decode()
    assert "不採用の登録から3営業日後の10:00に送信します" in page
    assert "11月5日(木) 10:00 に送信されます" in page
    assert 'hx-post="/company/mail/rules/explain/"' in page


def test_the_demo_seed_signs_the_mail_and_adds_one_rule_once(tenant: Tenant) -> None:
    from demo.templates import seed_templates

    MailSettings.objects.filter(company=tenant.company).update(sender_name="", reply_to="", signature="")
    tenant.company = type(tenant.company).objects.get(pk=tenant.company.pk)  # not the cached settings
    seed_templates(company=tenant.company)
    seed_templates(company=tenant.company)
    settings = MailSettings.objects.get(company=tenant.company)
    assert settings.sender_name == "株式会社テスト商事 採用担当"
    assert settings.signature.startswith("株式会社テスト商事 人事部 採用担当")
    assert RejectionTemplate.objects.filter(company=tenant.company).count() == 6
    [demo_rule] = AutoSendRule.objects.filter(company=tenant.company)
    assert (demo_rule.stage, demo_rule.track, demo_rule.business_days_after, demo_rule.send_time) == (
        "document",
        "",
        3,
        time(10, 0),
    )
    assert rule_for(applicant(tenant, "document", "new_graduate")) == demo_rule


def test_a_company_without_templates_can_pick_a_library_template_on_the_rules_screen(
    owner_client: Client, tenant: Tenant
) -> None:
    RejectionTemplate.objects.filter(company=tenant.company).delete()
    response = owner_client.get("/company/mail/rules/")
    assert response.context["form"].fields["template"].queryset.count() == 6


def test_the_mail_screens_render_in_english(owner_client: Client, tenant: Tenant) -> None:
    from tests.test_i18n import compile_stale_catalogs, reset_translation_caches

    compile_stale_catalogs()
    reset_translation_caches()
    rule(tenant, business_days_after=3, send_time=time(10, 0))
    rules = owner_client.get("/company/mail/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sent at 10:00, 3 business days after the rejection is recorded" in rules
    assert "自動送信ルール" not in rules
    templates = owner_client.get("/company/mail/templates/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rejection email templates" in templates and "Document screening" in templates
    settings = owner_client.get("/company/mail/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reply-to email address" in settings
