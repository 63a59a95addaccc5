"""The company's mail settings and auto-send rules: screens, validation, which rule wins, and when mail goes out."""

from datetime import datetime, time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant
from audit.models import AuditEntry
from lib.dates import JST
from mailings.library import LIBRARY
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
    outsider_client.post(
        "/company/mail/settings/",
        {"sender_name": "他社", "reply_to": "saiyo@other.example.jp", "signature": "他社の署名"},
    )
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
    assert "同じ選考段階・採用区分(・選考終了理由)の有効なルールがすでにあります" in page
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
    assert RejectionTemplate.objects.filter(company=tenant.company).count() == len(LIBRARY)
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
    assert response.context["form"].fields["template"].queryset.count() == len(LIBRARY) == 16


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


# --- readiness: sender name, signature and reply-to before the first mail ---------------------------------------


def test_all_three_settings_are_required_and_a_no_reply_address_is_refused(
    owner_client: Client, tenant: Tenant
) -> None:
    before = MailSettings.objects.values("sender_name", "reply_to", "signature").get(company=tenant.company)
    empty = owner_client.post("/company/mail/settings/", {"sender_name": "", "reply_to": "", "signature": "  "})
    page = empty.content.decode()
    assert empty.status_code == 200
    for message in (
        "差出人名を入力してください。",
        "返信先メールアドレスを入力してください。",
        "署名を入力してください。",
    ):
        assert message in page
    for address in ("no-reply@test-shoji.example.jp", "NoReply@test-shoji.example.jp", "do-not-reply@x.example.jp"):
        refused = owner_client.post(
            "/company/mail/settings/", {"sender_name": "採用担当", "reply_to": address, "signature": "採用担当"}
        )
        assert "返信を受け取れない送信専用アドレスは返信先にできません。" in refused.content.decode(), address
    assert MailSettings.objects.values("sender_name", "reply_to", "signature").get(company=tenant.company) == before


def test_a_rule_cannot_be_switched_on_before_the_mail_is_signed(client: Client, operator: Any) -> None:
    from tests.conftest import make_tenant

    day_one = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)
    owner = login(client, day_one.owner)
    page = owner.get("/company/mail/rules/").content.decode()
    assert 'id="settings-missing"' in page and "差出人名・署名・返信先" in page

    refused = owner.post("/company/mail/rules/", rule_data(day_one))
    assert refused.status_code == 200
    assert "ルールを有効にできません" in refused.content.decode()
    assert not AutoSendRule.objects.filter(company=day_one.company).exists()

    prepared = owner.post("/company/mail/rules/", rule_data(day_one, is_active=""))
    assert prepared.status_code == 302  # an inactive rule may be prepared
    draft = AutoSendRule.objects.get(company=day_one.company)
    assert not draft.is_active
    assert owner.post(f"/company/mail/rules/{draft.pk}/", rule_data(day_one)).status_code == 200
    draft.refresh_from_db()
    assert not draft.is_active

    owner.post(
        "/company/mail/settings/",
        {"sender_name": "はじめて 採用担当", "reply_to": "saiyo@hajimete.example.jp", "signature": "はじめて 採用担当"},
    )
    assert owner.post(f"/company/mail/rules/{draft.pk}/", rule_data(day_one)).status_code == 302
    draft.refresh_from_db()
    assert draft.is_active
    assert 'id="settings-missing"' not in owner.get("/company/mail/rules/").content.decode()


def test_the_service_refuses_an_active_rule_for_an_unsigned_company(operator: Any) -> None:
    from mailings.services.sending import MailNotReady
    from mailings.services.templates import auto_send_rule_save
    from tests.conftest import make_tenant

    day_one = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)
    with pytest.raises(MailNotReady, match="差出人名"):
        auto_send_rule_save(
            company=day_one.company,
            stage="",
            track="",
            template=template(day_one, "document", "mid_career"),
            business_days_after=3,
            send_time=time(10, 0),
            is_active=True,
            actor=None,
        )


# --- a rule may pick a template by reason -----------------------------------------------------------------------


def test_a_rule_for_a_reason_is_made_on_the_form_listed_with_it_and_wins(owner_client: Client, tenant: Tenant) -> None:
    from applicants.models import RejectionReason

    form = owner_client.get("/company/mail/rules/").context["form"]
    assert [reason.name for reason in form.fields["reason"].queryset] == ["不採用"]  # only reasons that send mail
    culture = RejectionReason.objects.create(company=tenant.company, name="カルチャー不一致", sends_mail=True)
    withdrawn = RejectionReason.objects.get(company=tenant.company, code=RejectionReason.Code.WITHDRAWN)
    final = template(tenant, "final_interview", "mid_career")

    refused = owner_client.post("/company/mail/rules/", rule_data(tenant, stage="", reason=withdrawn.pk))
    assert "選べない選考終了理由です" in refused.content.decode()
    owner_client.post("/company/mail/rules/", rule_data(tenant, stage="document"))
    created = owner_client.post(
        "/company/mail/rules/", rule_data(tenant, stage="", reason=culture.pk, template=final.pk)
    )
    assert created.status_code == 302
    by_reason = AutoSendRule.objects.get(company=tenant.company, reason=culture)
    assert (
        AuditEntry.objects.filter(action="auto_send_rule.create").latest("id").detail["after"]["reason"] == culture.pk
    )

    response = owner_client.get("/company/mail/rules/")
    assert response.context["rows"][0].rule == by_reason  # checked first
    assert "選考終了理由: カルチャー不一致" in response.content.decode()
    probe = Applicant(company=tenant.company, stage="document", track="mid_career", reason=culture)
    assert rule_for(probe) == by_reason
    plain = rule_for(Applicant(company=tenant.company, stage="document", track="mid_career"))
    assert plain is not None and plain.reason is None


def test_another_companys_reason_cannot_be_chosen(owner_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    from applicants.models import RejectionReason

    theirs = RejectionReason.objects.get(company=outsider.company, code=RejectionReason.Code.REJECTED)
    page = owner_client.post("/company/mail/rules/", rule_data(tenant, reason=theirs.pk)).content.decode()
    assert "選べない選考終了理由です" in page
    assert not AutoSendRule.objects.exists()
