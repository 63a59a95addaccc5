"""A batch send gives each applicant their own stage's text, lists who gets nothing and why, asks for the mail
settings in the flow itself, sends implausibly dated applicants only when ticked, and sends exactly what was
confirmed. The personal links CSV is safe to open in a spreadsheet."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from applicants.models import Applicant, RejectionReason
from applicants.services import applicant_close, applicant_hold
from audit.models import AuditEntry
from companies.models import Company
from lib.csvsafe import csv_safe
from mailings.models import AutoSendRule, MailSettings, OutboundEmail, RejectionTemplate
from mailings.services.outbox import mail_settings_missing, mail_settings_missing_fields
from mailings.services.sending import Assignment, MailNotReady, rejection_emails_send_confirmed, sending_plan
from tests.conftest import Tenant, login, make_tenant
from tests.outbox_support import make_applicant

pytestmark = pytest.mark.django_db
Stage = Applicant.Stage
Track = Applicant.Track


def shown(client: Client, applicants: list[Applicant], **fields: Any) -> Any:
    """The confirmation screen for these applicants."""
    data = {"link": client_link(applicants), "when": "now", "applicant": [a.pk for a in applicants], **fields}
    response = client.post("/company/mail/send/", data)
    assert response.status_code == 200
    return response


def client_link(applicants: list[Applicant]) -> int:
    return applicants[0].company.links.get().pk


def send_confirmed(client: Client, applicants: list[Applicant], confirmation: Any, **fields: Any) -> Any:
    data = {
        "link": client_link(applicants),
        "when": "now",
        "applicant": [a.pk for a in applicants],
        "confirm": "1",
        "plan": confirmation.context["fingerprint"],
        **fields,
    }
    return client.post("/company/mail/send/", data)


def fresh(company: Company) -> Company:
    """The company as a new request reads it (its mail settings are cached per instance)."""
    return Company.objects.get(pk=company.pk)


def bodies() -> dict[str, str]:
    emails = OutboundEmail.objects.select_related("applicant")
    return {email.applicant.name: email.body for email in emails if email.applicant is not None}


# --- each applicant's own text -----------------------------------------------------------------------------------


def test_a_mixed_stage_batch_gets_each_stages_own_text(owner_client: Client, tenant: Tenant) -> None:
    document = make_applicant(tenant.company, name="書類 花子", stage=Stage.DOCUMENT)
    second = make_applicant(tenant.company, name="二次 太郎", stage=Stage.SECOND_INTERVIEW)
    final = make_applicant(tenant.company, name="最終 次郎", stage=Stage.FINAL_INTERVIEW, track=Track.NEW_GRADUATE)
    casual = make_applicant(tenant.company, name="面談 三郎", stage=Stage.CASUAL_INTERVIEW)
    batch = [document, second, final, casual]

    confirmation = shown(owner_client, batch)
    groups = {p.group.template.name: [a.name for a in p.group.applicants] for p in confirmation.context["previews"]}
    assert groups == {
        "書類選考(中途)": ["書類 花子"],
        "カジュアル面談(中途)": ["面談 三郎"],
        "二次面接(中途)": ["二次 太郎"],
        "最終面接(新卒)": ["最終 次郎"],
    }
    page = confirmation.content.decode()
    assert "テンプレート「二次面接(中途)」: 1 件" in page
    assert "【株式会社テスト商事】二次面接結果のご連絡" in page  # each group's subject, rendered for one of them
    assert "二次 太郎 様" in page
    assert 'name="template"' not in page  # nobody picks one text for the whole batch any more

    assert send_confirmed(owner_client, batch, confirmation).status_code == 302
    sent = bodies()
    assert "二次面接にお越しいただき" in sent["二次 太郎"] and "応募書類を拝見し" not in sent["二次 太郎"]
    assert "一次面接にお越しいただき" not in sent["二次 太郎"]
    assert "応募書類を拝見し" in sent["書類 花子"]
    assert "最終面接にお越しいただき" in sent["最終 次郎"] and "就職活動" in sent["最終 次郎"]
    assert "カジュアル面談にお時間をいただき" in sent["面談 三郎"] and "応募書類" not in sent["面談 三郎"]
    versions = dict(OutboundEmail.objects.values_list("applicant__name", "template_version__template__name"))
    assert versions["二次 太郎"] == "二次面接(中途)"
    audit = AuditEntry.objects.get(action="rejection_email.queue")
    assert audit.detail["count"] == 4 and len(audit.detail["versions"]) == 4


def test_a_rule_for_a_reason_beats_the_stage_rule_and_the_stage_template(owner_client: Client, tenant: Tenant) -> None:
    culture = RejectionReason.objects.create(company=tenant.company, name="カルチャー不一致", sends_mail=True)
    special = RejectionTemplate.objects.get(company=tenant.company, name="最終面接(中途)")
    stage_rule = RejectionTemplate.objects.get(company=tenant.company, name="書類選考(新卒)")
    AutoSendRule.objects.create(company=tenant.company, stage=Stage.DOCUMENT, template=stage_rule)
    AutoSendRule.objects.create(company=tenant.company, reason=culture, template=special)
    by_reason = make_applicant(tenant.company, name="理由 一郎", reason_id=culture.pk)
    by_stage = make_applicant(tenant.company, name="段階 二郎")
    other_stage = make_applicant(tenant.company, name="一次 三郎", stage=Stage.FIRST_INTERVIEW)

    plan = sending_plan(company=tenant.company, applicants=[by_reason, by_stage, other_stage])

    chosen = {a.applicant.name: a.version.template.name for a in plan.assignments}
    assert chosen == {"理由 一郎": "最終面接(中途)", "段階 二郎": "書類選考(新卒)", "一次 三郎": "一次面接(中途)"}


def test_the_stage_template_of_the_other_track_is_used_when_the_track_has_none(tenant: Tenant) -> None:
    RejectionTemplate.objects.filter(company=tenant.company, stage=Stage.APTITUDE_TEST, track=Track.MID_CAREER).update(
        is_active=False
    )
    applicant = make_applicant(tenant.company, stage=Stage.APTITUDE_TEST, track=Track.MID_CAREER)

    [assignment] = sending_plan(company=tenant.company, applicants=[applicant]).assignments

    assert assignment.version.template.name == "適性検査(新卒)"


# --- who gets nothing, and why -------------------------------------------------------------------------------------


def test_held_hired_withdrawn_closed_erased_and_do_not_email_applicants_are_listed_and_not_sent(
    owner_client: Client, tenant: Tenant
) -> None:
    reasons = {reason.code: reason for reason in RejectionReason.objects.filter(company=tenant.company)}
    fine = make_applicant(tenant.company, name="送信 一郎")
    hired = make_applicant(tenant.company, name="入社 二郎", reason_id=reasons["hired"].pk)
    withdrew = make_applicant(tenant.company, name="辞退 三郎", reason_id=reasons["withdrawn"].pk)
    no_mail = make_applicant(tenant.company, name="不可 四郎", can_email=False)
    held = make_applicant(tenant.company, name="保留 五郎")
    applicant_hold(applicant=held, hold=Applicant.Hold.UNKNOWN_REASON, detail="ATS の理由「条件不一致」")
    closed = applicant_close(applicant=make_applicant(tenant.company, name="取消 六郎"), why="選考が再開されたため")
    erased = applicant_close(applicant=make_applicant(tenant.company, name="削除 七郎"), why="削除", erase=True)
    other = make_applicant(tenant.company, name="その他 八郎", stage=Stage.OTHER)  # the library has no その他 text
    batch = [fine, hired, withdrew, no_mail, held, closed, erased, other]

    confirmation = shown(owner_client, batch)

    plan = confirmation.context["plan"]
    assert plan.eligible == [fine]
    reasons_shown = {s.applicant.pk: s.reason for s in plan.skipped}
    assert reasons_shown[hired.pk] == "選考終了理由が「入社決定」のため、お祈りメールの対象外です。"
    assert reasons_shown[withdrew.pk] == "選考終了理由が「応募者辞退」のため、お祈りメールの対象外です。"
    assert "can_email: false" in reasons_shown[no_mail.pk]
    assert reasons_shown[held.pk].startswith("選考終了理由の確認待ち")
    assert reasons_shown[closed.pk] == "選考が再開されたため"
    assert "削除された応募者" in reasons_shown[erased.pk]
    assert reasons_shown[other.pk].startswith("選考段階「その他」・採用区分「中途」に使えるテンプレートがありません。")
    page = confirmation.content.decode()
    assert "送信しない応募者(7 件)と理由" in page and "その他 八郎" in page

    assert send_confirmed(owner_client, batch, confirmation).status_code == 302
    assert list(OutboundEmail.objects.values_list("applicant", flat=True)) == [fine.pk]


def test_a_send_confirmed_before_someone_was_hired_waits_for_a_new_confirmation(
    owner_client: Client, tenant: Tenant
) -> None:
    first = make_applicant(tenant.company, name="先 一郎")
    later_hired = make_applicant(tenant.company, name="後 二郎")
    confirmation = shown(owner_client, [first, later_hired])

    applicant_close(applicant=later_hired, why="入社決定のため")
    response = send_confirmed(owner_client, [first, later_hired], confirmation)

    assert response.status_code == 200
    assert "送信する応募者または送るテンプレートが変わりました。まだ送信していません。" in response.content.decode()
    assert OutboundEmail.objects.count() == 0
    again = send_confirmed(owner_client, [first, later_hired], response)  # the fresh confirmation
    assert again.status_code == 302
    assert list(OutboundEmail.objects.values_list("applicant", flat=True)) == [first.pk]


def test_the_send_itself_checks_everyone_again_and_never_mails_a_refused_one(tenant: Tenant) -> None:
    fine = make_applicant(tenant.company)
    hired = make_applicant(tenant.company)
    plan = sending_plan(company=tenant.company, applicants=[fine, hired])
    applicant_close(applicant=hired, why="入社決定のため")  # after the plan was made, before it is sent
    foreign = make_tenant(User.objects.get(operator_role="admin"), "他社二号", "other2")
    their_text = RejectionTemplate.objects.filter(company=foreign.company).first()
    assert their_text is not None and their_text.current_version is not None
    stray = Assignment(fine, their_text.current_version)

    result = rejection_emails_send_confirmed(
        company=tenant.company,
        assignments=[stray, *plan.assignments],
        link=tenant.link,
        schedule=_now(),
        actor=tenant.owner,
    )

    assert (result.queued, result.left_out) == (1, 2)
    [email] = OutboundEmail.objects.all()
    assert email.applicant == fine and email.template_version == plan.assignments[0].version


def _now() -> Any:
    from mailings.services.sending import Schedule, When

    return Schedule(when=When.NOW)


# --- mail settings, asked for in the send flow ----------------------------------------------------------------------


def test_a_company_on_day_one_sets_exactly_the_missing_settings_on_the_confirmation_then_sends(
    client: Client, operator: User
) -> None:
    day_one = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)
    MailSettings.objects.update_or_create(company=day_one.company, defaults={"sender_name": "はじめて 採用担当"})
    owner = login(client, day_one.owner)
    applicant = make_applicant(day_one.company, name="最初 一郎")
    base = {"link": day_one.link.pk, "when": "now", "applicant": applicant.pk}

    confirmation = owner.post("/company/mail/send/", base)
    page = confirmation.content.decode()
    assert 'id="mail-settings-required"' in page
    assert 'name="mail-signature"' in page and 'name="mail-reply_to"' in page
    assert 'name="mail-sender_name"' not in page  # already set: not asked again
    assert 'name="confirm" value="1" disabled' in page

    refused = owner.post("/company/mail/send/", {**base, "confirm": "1", "plan": confirmation.context["fingerprint"]})
    assert "メール送信設定が未設定のため、まだ送信していません。" in refused.content.decode()
    assert OutboundEmail.objects.count() == 0

    bad = owner.post(
        "/company/mail/send/",
        {**base, "step": "settings", "mail-signature": "", "mail-reply_to": "noreply@hajimete.example.jp"},
    )
    bad_page = bad.content.decode()
    assert "署名を入力してください。" in bad_page and "送信専用アドレスは返信先にできません" in bad_page
    assert mail_settings_missing_fields(fresh(day_one.company)) == ["signature", "reply_to"]

    saved = owner.post(
        "/company/mail/send/",
        {
            **base,
            "step": "settings",
            "mail-signature": "株式会社はじめて 採用担当",
            "mail-reply_to": "saiyo@hajimete.example.jp",
        },
    )
    saved_page = saved.content.decode()
    assert "メール送信設定を保存しました。" in saved_page
    assert 'id="mail-settings-required"' not in saved_page and 'name="confirm" value="1" disabled' not in saved_page
    settings = MailSettings.objects.get(company=day_one.company)
    assert (settings.sender_name, settings.reply_to) == ("はじめて 採用担当", "saiyo@hajimete.example.jp")
    assert mail_settings_missing(fresh(day_one.company)) == []

    sent = owner.post("/company/mail/send/", {**base, "confirm": "1", "plan": saved.context["fingerprint"]})
    assert sent.status_code == 302
    email = OutboundEmail.objects.get()
    assert (email.from_name, email.reply_to) == ("はじめて 採用担当", "saiyo@hajimete.example.jp")
    assert "株式会社はじめて 採用担当" in email.body


def test_the_send_service_refuses_an_unsigned_company(operator: User) -> None:
    day_one = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)
    plan = sending_plan(company=day_one.company, applicants=[make_applicant(day_one.company)])
    with pytest.raises(MailNotReady, match="差出人名・署名・返信先"):
        rejection_emails_send_confirmed(
            company=day_one.company,
            assignments=plan.assignments,
            link=day_one.link,
            schedule=_now(),
            actor=day_one.owner,
        )
    assert OutboundEmail.objects.count() == 0


# --- implausible dates: a person ticks each one ---------------------------------------------------------------------


def test_applicants_dated_in_the_future_or_over_90_days_ago_are_sent_only_when_ticked(
    owner_client: Client, tenant: Tenant
) -> None:
    now = timezone.now()
    recent = make_applicant(tenant.company, name="最近 一郎", rejected_at=now - timedelta(days=3))
    old = make_applicant(tenant.company, name="古い 二郎", rejected_at=now - timedelta(days=91))
    future = make_applicant(tenant.company, name="未来 三郎", rejected_at=now + timedelta(days=2))
    ancient = make_applicant(tenant.company, name="大昔 四郎", rejected_at=now - timedelta(days=400))
    batch = [recent, old, future, ancient]

    confirmation = shown(owner_client, batch)
    plan = confirmation.context["plan"]
    assert plan.eligible == [recent]
    assert [a.applicant for a in plan.dated] == [old, future, ancient]
    page = confirmation.content.decode()
    assert "不採用日の確認が必要な応募者" in page
    for applicant in (old, future, ancient):
        assert f'name="dated" value="{applicant.pk}"' in page

    assert send_confirmed(owner_client, batch, confirmation, dated=[old.pk, future.pk]).status_code == 302
    assert set(OutboundEmail.objects.values_list("applicant", flat=True)) == {recent.pk, old.pk, future.pk}
    ancient.refresh_from_db()
    assert ancient.hold == ""  # not held: a person saw it and chose not to send (yet)


def test_only_dated_applicants_and_none_ticked_sends_nothing_and_says_so(owner_client: Client, tenant: Tenant) -> None:
    old = make_applicant(tenant.company, rejected_at=timezone.now() - timedelta(days=120))

    confirmation = shown(owner_client, [old])
    response = send_confirmed(owner_client, [old], confirmation)

    assert response.status_code == 200
    assert "チェックを入れてから送信してください" in response.content.decode()
    assert OutboundEmail.objects.count() == 0


# --- the personal links CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+81-90-0000-0000", "'+81-90-0000-0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("山田 花子", "山田 花子"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_safe_neutralises_formula_starts_only(value: str, safe: str) -> None:
    assert csv_safe(value) == safe


def test_the_links_csv_neutralises_formulas_in_every_cell_and_marks_the_applicants_exported(
    owner_client: Client, tenant: Tenant
) -> None:
    evil = make_applicant(
        tenant.company, name='=HYPERLINK("http://evil.example","x")', external_id="+SUM(1)", position="@営業"
    )
    hired = make_applicant(
        tenant.company,
        name="入社 二郎",
        reason_id=RejectionReason.objects.get(company=tenant.company, code=RejectionReason.Code.HIRED).pk,
    )

    response = owner_client.get(f"/company/mail/links.csv?applicant={evil.pk}&applicant={hired.pk}")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and the one applicant a rejection mail may go to
    row = rows[1]
    assert row[:4] == ["'+SUM(1)", '\'=HYPERLINK("http://evil.example","x")', evil.email, "'@営業"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)
    evil.refresh_from_db()
    hired.refresh_from_db()
    assert evil.link_exported_at is not None and hired.link_exported_at is None
    assert AuditEntry.objects.get(action="applicant.links_export").detail == {"count": 1}


# --- another company -------------------------------------------------------------------------------------------


def test_another_company_gets_404_or_nothing_on_every_new_or_changed_page(
    outsider_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    applicant = make_applicant(tenant.company, name="秘密 応募者")
    rule = AutoSendRule.objects.create(
        company=tenant.company, template=RejectionTemplate.objects.filter(company=tenant.company).earliest("pk")
    )
    reason = RejectionReason.objects.get(company=tenant.company, code=RejectionReason.Code.REJECTED)
    before = MailSettings.objects.values("sender_name", "reply_to", "signature").get(company=tenant.company)

    assert outsider_client.get(f"/company/mail/rules/{rule.pk}/").status_code == 404
    assert outsider_client.post(f"/company/mail/rules/{rule.pk}/", {"reason": reason.pk}).status_code == 404
    # The send screen with the tenant's applicant finds nobody; the inline settings form saves only their own.
    page = outsider_client.post(
        "/company/mail/send/",
        {
            "link": outsider.link.pk,
            "when": "now",
            "applicant": applicant.pk,
            "step": "settings",
            "mail-signature": "乗っ取り",
            "confirm": "1",
        },
    )
    assert page.status_code == 200 and page.context["plan"].eligible == []
    assert "秘密 応募者" not in page.content.decode()
    assert MailSettings.objects.values("sender_name", "reply_to", "signature").get(company=tenant.company) == before
    for url in (f"/company/mail/send/?applicant={applicant.pk}", f"/company/mail/links.csv?applicant={applicant.pk}"):
        assert "秘密 応募者" not in outsider_client.get(url).content.decode(), url
    applicant.refresh_from_db()
    assert applicant.link_exported_at is None
    # A rule of theirs cannot name the tenant's reason.
    theirs = RejectionTemplate.objects.filter(company=outsider.company).first()
    assert theirs is not None
    refused = outsider_client.post(
        "/company/mail/rules/",
        {
            "stage": "",
            "track": "",
            "reason": reason.pk,
            "template": theirs.pk,
            "business_days_after": "3",
            "send_time": "10:00",
            "is_active": "on",
        },
    )
    assert "選べない選考終了理由です" in refused.content.decode()
    assert OutboundEmail.objects.count() == 0
