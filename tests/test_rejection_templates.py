"""Rejection templates: the library every company starts from, the editor, its validation, versions and preview."""

import functools
import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from applicants.models import Applicant
from audit.models import AuditEntry
from companies.models import Company, RelayLink
from companies.services import company_create
from companies.signals import company_created
from mailings.library import LIBRARY
from mailings.merge import normalize_fields, render_merge, template_text_errors
from mailings.models import RejectionTemplate, TemplateVersion
from mailings.services.outbox import mail_settings_for, merge_values
from mailings.services.templates import (
    rejection_template_create,
    rejection_template_update,
    rejection_templates_ensure_library,
    rejection_templates_install_defaults,
)
from tests.conftest import Tenant, login

pytestmark = pytest.mark.django_db

BODY = "{{応募者名}} 様\n\nこのたびはご応募ありがとうございました。\n\n{{リレーリンク}}\n\n{{署名}}"


def post_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "自社用(中途)",
        "stage": Applicant.Stage.DOCUMENT,
        "track": Applicant.Track.MID_CAREER,
        "subject": "【{{企業名}}】選考結果のご連絡",
        "body": BODY,
    }
    data.update(overrides)
    return data


def first_template(tenant: Tenant) -> RejectionTemplate:
    return RejectionTemplate.objects.filter(company=tenant.company).order_by("pk").first()  # type: ignore[return-value]


# --- the library ----------------------------------------------------------------------------------------------


# Every stage a Japanese ATS names has its own text, for 新卒 and 中途; only その他 is left to the company.
LIBRARY_STAGES = set(Applicant.Stage.values) - {Applicant.Stage.OTHER}
LIBRARY_SIZE = len(LIBRARY_STAGES) * len(Applicant.Track.values)  # 16


def test_it_gives_every_new_company_a_template_for_each_stage_and_track(tenant: Tenant) -> None:
    templates = RejectionTemplate.objects.filter(company=tenant.company)
    assert templates.count() == LIBRARY_SIZE == 16
    pairs = {(template.stage, template.track) for template in templates}
    assert pairs == {(stage, track) for stage in LIBRARY_STAGES for track in Applicant.Track.values}
    for template in templates:
        assert [version.number for version in template.versions.all()] == [1]
        assert template.is_active


def test_the_new_companys_templates_are_installed_in_the_same_transaction_as_the_company(operator: User) -> None:
    def refuse(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("a listener failed")

    company_created.connect(refuse, dispatch_uid="tests.refuse_company")
    try:
        with pytest.raises(RuntimeError):
            company_create(name="株式会社途中", name_kana="", contract_terms={}, actor=operator)
    finally:
        company_created.disconnect(dispatch_uid="tests.refuse_company")
    assert not Company.objects.filter(name="株式会社途中").exists()
    assert not RejectionTemplate.objects.exists() and not RelayLink.objects.exists()

    company = company_create(name="株式会社完了", name_kana="", contract_terms={}, actor=operator)
    assert RejectionTemplate.objects.filter(company=company).count() == LIBRARY_SIZE
    assert AuditEntry.objects.get(action="mail_template.install_defaults", company=company).actor == operator


def test_every_library_template_is_valid_sincere_and_introduces_career_relay() -> None:
    assert len({entry.key for entry in LIBRARY}) == len({entry.name for entry in LIBRARY}) == LIBRARY_SIZE
    for entry in LIBRARY:
        assert template_text_errors(subject=entry.subject, body=entry.body) == {}, entry.key
        assert "{{リレーリンク}}" in entry.body
        assert "キャリアリレー" in entry.body and "無料" in entry.body
        assert "ありがとうございました" in entry.body
        assert "見送らせていただく" in entry.body  # the decision is stated, not hinted at
        assert "任意" in entry.body  # registering never affects the selection
        assert entry.body.startswith("{{応募者名}} 様")


def test_installing_the_library_again_changes_nothing(tenant: Tenant) -> None:
    template = first_template(tenant)
    rejection_template_update(
        template=template,
        name="書き換えた名前",
        stage=template.stage,
        track=template.track,
        subject="件名",
        body=BODY,
        actor=tenant.owner,
    )
    versions = list(TemplateVersion.objects.filter(template__company=tenant.company).values_list("pk", "body"))
    assert rejection_templates_install_defaults(company=tenant.company) == []
    assert rejection_templates_install_defaults(company=tenant.company, actor=tenant.owner) == []
    assert RejectionTemplate.objects.filter(company=tenant.company).count() == LIBRARY_SIZE
    assert list(TemplateVersion.objects.filter(template__company=tenant.company).values_list("pk", "body")) == versions
    assert AuditEntry.objects.filter(action="mail_template.install_defaults", company=tenant.company).count() == 1


def test_installing_fills_in_only_the_stages_and_tracks_a_company_lacks(tenant: Tenant) -> None:
    RejectionTemplate.objects.filter(company=tenant.company, stage=Applicant.Stage.FINAL_INTERVIEW).delete()
    created = rejection_templates_install_defaults(company=tenant.company)
    assert sorted(template.name for template in created) == ["最終面接(中途)", "最終面接(新卒)"]
    assert RejectionTemplate.objects.filter(company=tenant.company).count() == LIBRARY_SIZE


def test_a_company_without_templates_gets_the_library_when_it_opens_the_page(
    owner_client: Client, tenant: Tenant
) -> None:
    RejectionTemplate.objects.filter(company=tenant.company).delete()
    page = owner_client.get("/company/mail/templates/").content.decode()
    assert RejectionTemplate.objects.filter(company=tenant.company).count() == LIBRARY_SIZE
    assert "書類選考(新卒)" in page and "最終面接(中途)" in page
    assert AuditEntry.objects.filter(action="mail_template.install_defaults", company=tenant.company).exists()


def test_a_company_made_before_the_new_stages_gets_the_missing_ones_on_first_use(
    owner_client: Client, tenant: Tenant
) -> None:
    """A company installed with the first six texts gets the ten newer ones once, and keeps its own edits."""
    six = {Applicant.Stage.DOCUMENT, Applicant.Stage.FIRST_INTERVIEW, Applicant.Stage.FINAL_INTERVIEW}
    RejectionTemplate.objects.filter(company=tenant.company).exclude(stage__in=six).delete()
    kept = list(TemplateVersion.objects.filter(template__company=tenant.company).values_list("pk", flat=True))

    for url in ("/company/mail/send/?applicant=0", "/company/mail/rules/", "/company/mail/templates/"):
        assert owner_client.get(url).status_code == 200, url

    templates = RejectionTemplate.objects.filter(company=tenant.company)
    assert templates.count() == LIBRARY_SIZE
    assert set(kept) <= set(
        TemplateVersion.objects.filter(template__company=tenant.company).values_list("pk", flat=True)
    )
    installs = AuditEntry.objects.filter(action="mail_template.install_defaults", company=tenant.company)
    assert installs.count() == 2  # with the company, then once for the ten newer stages
    assert len(installs.latest("id").detail["templates"]) == 10
    assert rejection_templates_ensure_library(company=tenant.company) == []


def test_interview_texts_thank_for_that_interview_and_never_mention_sent_documents() -> None:
    by_key = {entry.key: entry for entry in LIBRARY}
    for track in ("new-graduate", "mid-career"):
        assert "二次面接にお越しいただき" in by_key[f"second-interview-{track}"].body
        assert "カジュアル面談" in by_key[f"casual-interview-{track}"].body
        assert "適性検査" in by_key[f"aptitude-test-{track}"].body
        assert "グループディスカッションにご参加いただき" in by_key[f"group-discussion-{track}"].body
        assert "回を重ねて" in by_key[f"later-interview-{track}"].body
    for entry in LIBRARY:
        if entry.stage != Applicant.Stage.DOCUMENT:
            assert "お送りいただいた" not in entry.body and "応募書類を拝見" not in entry.body, entry.key
        if entry.stage != Applicant.Stage.FIRST_INTERVIEW:
            assert "一次面接にお越しいただき" not in entry.body, entry.key
        relay = "就職活動" if entry.track == Applicant.Track.NEW_GRADUATE else "転職支援"
        assert relay in entry.body, entry.key  # the 新卒 text speaks to students, the 中途 one to professionals


# --- merge fields ---------------------------------------------------------------------------------------------


def test_merge_fields_become_the_applicants_own_values(tenant: Tenant) -> None:
    from datetime import date

    settings = mail_settings_for(tenant.company)
    settings.signature = "株式会社テスト商事 採用担当 佐藤"
    settings.save()
    applicant = Applicant.objects.create(
        company=tenant.company,
        source=Applicant.Source.MANUAL,
        name="鈴木 一郎",
        email="ichiro@example.jp",
        position="経理",
        interview_date=date(2026, 11, 20),
    )
    text = "{{応募者名}} 様 / {{応募職種}} / {{企業名}} / {{面接日}}\n{{リレーリンク}}\n{{署名}}"
    rendered = render_merge(text, merge_values(applicant=applicant))
    assert rendered.startswith("鈴木 一郎 様 / 経理 / 株式会社テスト商事 / 2026年11月20日\n")
    link_line = rendered.split("\n")[1]
    assert link_line.startswith(tenant.link.public_url + "?ref=")
    assert tenant.link.read_applicant_ref(link_line.split("?ref=")[1]) == applicant.ref
    assert rendered.endswith("株式会社テスト商事 採用担当 佐藤")


def test_fields_typed_with_full_width_braces_or_spaces_are_understood() -> None:
    assert normalize_fields("｛｛ 応募者 名 ｝｝ 様\r\n{{ リレーリンク }}") == "{{応募者名}} 様\n{{リレーリンク}}"


# --- validation -----------------------------------------------------------------------------------------------


def test_it_refuses_a_template_without_the_relay_link(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        "/company/mail/templates/new/", post_data(body="{{応募者名}} 様\nありがとうございました。")
    )
    assert response.status_code == 200
    assert "本文に {{リレーリンク}} を入れてください" in response.content.decode()
    assert not RejectionTemplate.objects.filter(company=tenant.company, name="自社用(中途)").exists()


def test_the_relay_link_in_the_subject_only_does_not_count(tenant: Tenant) -> None:
    errors = template_text_errors(subject="{{リレーリンク}}", body="本文")
    assert any("件名には使えません" in message for message in errors["subject"])
    assert any("{{リレーリンク}}" in message for message in errors["body"])


def test_it_names_the_unknown_merge_field(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        "/company/mail/templates/new/", post_data(subject="{{会社名}}より", body=BODY + "\n{{担当者}}")
    )
    page = response.content.decode()
    assert "「{{会社名}}」という差し込み項目はありません" in page
    assert "「{{担当者}}」という差し込み項目はありません" in page
    assert not RejectionTemplate.objects.filter(name="自社用(中途)").exists()


def test_it_refuses_an_empty_subject_or_body(owner_client: Client, tenant: Tenant) -> None:
    page = owner_client.post("/company/mail/templates/new/", post_data(subject=" ", body="\n\n")).content.decode()
    assert "件名を入力してください。" in page and "本文を入力してください。" in page
    assert not RejectionTemplate.objects.filter(name="自社用(中途)").exists()


def test_it_refuses_unbalanced_braces_and_a_duplicate_name(owner_client: Client, tenant: Tenant) -> None:
    page = owner_client.post(
        "/company/mail/templates/new/", post_data(name="書類選考(新卒)", body=BODY + "\n{{応募者名")
    ).content.decode()
    assert "「{{」と「}}」の対応が取れていない箇所があります" in page
    assert "同じ名前のテンプレートがすでにあります" in page


def test_the_service_refuses_invalid_text_too(tenant: Tenant) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        rejection_template_create(
            company=tenant.company, name="x", stage="document", track="mid_career", subject="s", body="no link",
            actor=tenant.owner,
        )  # fmt: skip


# --- create, versions, restore --------------------------------------------------------------------------------


def test_an_owner_creates_a_template_from_the_library(owner_client: Client, tenant: Tenant) -> None:
    page = owner_client.get("/company/mail/templates/new/?library=final-interview-new-graduate").content.decode()
    assert "最終面接(新卒)(コピー)" in page
    entry = next(entry for entry in LIBRARY if entry.key == "final-interview-new-graduate")
    response = owner_client.post(
        "/company/mail/templates/new/",
        post_data(name="最終面接(新卒) 2027年度", stage="final_interview", track="new_graduate", body=entry.body),
    )
    template = RejectionTemplate.objects.get(company=tenant.company, name="最終面接(新卒) 2027年度")
    assert response.status_code == 302 and response["Location"] == f"/company/mail/templates/{template.pk}/"
    assert template.current_version is not None and template.current_version.number == 1
    assert "キャリアリレー" in template.current_version.body
    entry_audit = AuditEntry.objects.get(action="mail_template.create", company=tenant.company)
    assert entry_audit.actor == tenant.owner


def test_every_save_is_a_new_version_and_old_versions_never_change(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    original = template.current_version
    assert original is not None
    original_text = (original.subject, original.body)
    url = f"/company/mail/templates/{template.pk}/"
    data = post_data(name=template.name, stage=template.stage, track=template.track)
    owner_client.post(url, data)
    owner_client.post(url, {**data, "body": BODY + "\n追伸"})
    numbers = list(template.versions.order_by("number").values_list("number", flat=True))
    assert numbers == [1, 2, 3]
    original.refresh_from_db()
    assert (original.subject, original.body) == original_text
    latest = template.versions.get(number=3)
    assert latest.body.endswith("追伸") and latest.created_by == tenant.owner
    # Saving the same text again makes no empty version.
    owner_client.post(url, {**data, "body": BODY + "\n追伸"})
    assert template.versions.count() == 3
    assert AuditEntry.objects.filter(action="mail_template.version", company=tenant.company).count() == 2


def test_an_old_version_can_be_viewed_and_restored_as_a_new_version(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    v1 = template.current_version
    assert v1 is not None
    owner_client.post(
        f"/company/mail/templates/{template.pk}/",
        post_data(name=template.name, stage=template.stage, track=template.track),
    )
    page = owner_client.get(f"/company/mail/templates/{template.pk}/versions/1/").content.decode()
    assert "キャリアリレー" in page and "第3版として復元する" in page
    history = owner_client.get(f"/company/mail/templates/{template.pk}/versions/").content.decode()
    assert "第1版" in history and "第2版" in history
    response = owner_client.post(f"/company/mail/templates/{template.pk}/versions/1/restore/")
    assert response.status_code == 302
    current = RejectionTemplate.objects.get(pk=template.pk).current_version
    assert current is not None and current.number == 3
    assert (current.subject, current.body) == (v1.subject, v1.body)
    assert template.versions.get(number=2).body == BODY
    audit = AuditEntry.objects.get(action="mail_template.restore")
    assert audit.detail == {"restored": 1, "version": 3}


def test_activating_and_deactivating_a_template_is_audited(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    owner_client.post(f"/company/mail/templates/{template.pk}/toggle/")
    template.refresh_from_db()
    assert not template.is_active
    assert "停止中" in owner_client.get("/company/mail/templates/").content.decode()
    owner_client.post(f"/company/mail/templates/{template.pk}/toggle/")
    template.refresh_from_db()
    assert template.is_active
    actions = list(
        AuditEntry.objects.filter(target__startswith="mailings.RejectionTemplate").values_list("action", flat=True)
    )
    assert "mail_template.deactivate" in actions and "mail_template.activate" in actions


# --- preview --------------------------------------------------------------------------------------------------


def test_the_preview_renders_merge_fields_with_a_sample_applicant_and_the_real_link(
    owner_client: Client, tenant: Tenant
) -> None:
    settings = mail_settings_for(tenant.company)
    settings.signature = "テスト商事 採用チーム"
    settings.save()
    response = owner_client.post(
        "/company/mail/templates/preview/",
        {"subject": "【{{企業名}}】結果のご連絡", "body": BODY, "track": "mid_career"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page  # a fragment for htmx to swap in
    assert "【株式会社テスト商事】結果のご連絡" in page
    assert "山田 花子 様" in page
    assert tenant.link.public_url + "?ref=" in page
    assert "テスト商事 採用チーム" in page
    assert "{{" not in page


def test_the_preview_shows_what_is_wrong_while_typing(owner_client: Client) -> None:
    page = owner_client.post(
        "/company/mail/templates/preview/", {"subject": "件名", "body": "{{応募者名}} 様 {{ほげ}}"}
    ).content.decode()
    assert "「{{ほげ}}」という差し込み項目はありません" in page
    assert "本文に {{リレーリンク}} を入れてください" in page
    assert "山田 花子 様 {{ほげ}}" in page


def test_the_editor_lists_the_merge_fields_and_wires_the_live_preview(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    page = owner_client.get(f"/company/mail/templates/{template.pk}/").content.decode()
    for token in ("{{応募者名}}", "{{応募職種}}", "{{企業名}}", "{{面接日}}", "{{リレーリンク}}", "{{署名}}"):
        assert f'data-insert="{token}"' in page
    assert 'hx-post="/company/mail/templates/preview/"' in page
    assert "山田 花子 様" in page  # first render of the preview needs no JavaScript


def test_a_preview_link_is_a_real_link_of_the_company_but_tied_to_no_applicant(
    owner_client: Client, tenant: Tenant
) -> None:
    page = owner_client.post("/company/mail/templates/preview/", {"subject": "s", "body": "{{リレーリンク}}"})
    token = re.search(r"\?ref=([^\s<]+)", page.content.decode())
    assert token is not None
    ref = tenant.link.read_applicant_ref(token.group(1))
    assert ref is not None and not Applicant.objects.filter(ref=ref).exists()


def test_the_preview_says_when_the_company_has_no_relay_link(owner_client: Client, tenant: Tenant) -> None:
    RelayLink.objects.filter(company=tenant.company).delete()
    page = owner_client.post("/company/mail/templates/preview/", {"subject": "s", "body": "{{リレーリンク}}"})
    assert "リレーリンクがまだありません" in page.content.decode()


# --- who may do what ------------------------------------------------------------------------------------------


def test_a_member_can_read_but_not_edit(client: Client, tenant: Tenant) -> None:
    member = login(client, tenant.member)
    template = first_template(tenant)
    page = member.get(f"/company/mail/templates/{template.pk}/").content.decode()
    assert "キャリアリレー" in page and "テンプレートの編集はオーナーまたは管理者が行えます" in page
    assert 'name="body"' not in page
    assert member.get(f"/company/mail/templates/{template.pk}/versions/1/").status_code == 200
    assert member.post("/company/mail/templates/preview/", {"subject": "s", "body": "b"}).status_code == 200
    url = f"/company/mail/templates/{template.pk}"
    assert member.post(f"{url}/", post_data()).status_code == 404
    assert member.get("/company/mail/templates/new/").status_code == 404
    assert member.post("/company/mail/templates/new/", post_data()).status_code == 404
    assert member.post(f"{url}/toggle/").status_code == 404
    assert member.post(f"{url}/versions/1/restore/").status_code == 404
    assert template.versions.count() == 1
    assert RejectionTemplate.objects.get(pk=template.pk).is_active


def test_another_companys_templates_answer_404_on_every_url(outsider_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    base = f"/company/mail/templates/{template.pk}"
    for url in (f"{base}/", f"{base}/versions/", f"{base}/versions/1/"):
        assert outsider_client.get(url).status_code == 404, url
    for url in (f"{base}/", f"{base}/toggle/", f"{base}/versions/1/restore/"):
        assert outsider_client.post(url, post_data()).status_code == 404, url
    assert template.versions.count() == 1
    assert RejectionTemplate.objects.get(pk=template.pk).is_active
    # Their own pages show only their own templates.
    page = outsider_client.get("/company/mail/templates/").content.decode()
    assert f'href="{base}/"' not in page
    preview = outsider_client.post("/company/mail/templates/preview/", {"subject": "{{企業名}}", "body": "b"})
    assert "株式会社テスト商事" not in preview.content.decode()


def test_strangers_are_sent_to_sign_in_and_operators_get_404(
    client: Client, operator_client: Client, tenant: Tenant
) -> None:
    assert client.get("/company/mail/templates/").status_code == 302
    assert operator_client.get("/company/mail/templates/").status_code == 404


def test_renaming_without_changing_the_text_makes_no_new_version(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    current = template.current_version
    assert current is not None
    data = {"name": "書類選考 2027", "stage": template.stage, "track": template.track}
    response = owner_client.post(
        f"/company/mail/templates/{template.pk}/",
        {**data, "subject": current.subject, "body": current.body},
        follow=True,
    )
    assert "テンプレート名・選考段階・採用区分を保存しました。" in response.content.decode()
    template.refresh_from_db()
    assert template.name == "書類選考 2027" and template.versions.count() == 1
    assert AuditEntry.objects.get(action="mail_template.update").detail["after"]["name"] == "書類選考 2027"


def test_the_history_credits_the_library_for_version_one(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    page = owner_client.get(f"/company/mail/templates/{template.pk}/versions/").content.decode()
    assert "キャリアリレー(初期テンプレート)" in page
    assert owner_client.get(f"/company/mail/templates/{template.pk}/versions/9/").status_code == 404


def test_restoring_the_current_version_adds_nothing(owner_client: Client, tenant: Tenant) -> None:
    template = first_template(tenant)
    response = owner_client.post(f"/company/mail/templates/{template.pk}/versions/1/restore/", follow=True)
    assert "第1版はすでに現在の版です。" in response.content.decode()
    assert template.versions.count() == 1


# --- at the same moment (PostgreSQL) --------------------------------------------------------------------------


def _postgres_only() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL; `make test` runs this there when it answers")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_each_get_their_own_version_number(tenant: Tenant) -> None:
    from tests.concurrency import run_at_once

    _postgres_only()
    template = first_template(tenant)

    def save(n: int) -> None:
        rejection_template_update(
            template=template,
            name=template.name,
            stage=template.stage,
            track=template.track,
            subject=f"件名 {n}",
            body=BODY,
            actor=tenant.owner,
        )

    jobs = [functools.partial(save, n) for n in range(8)]
    assert run_at_once(jobs) == []
    assert sorted(template.versions.values_list("number", flat=True)) == list(range(1, 10))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_visits_install_the_library_once(tenant: Tenant) -> None:
    from tests.concurrency import run_at_once

    _postgres_only()
    RejectionTemplate.objects.filter(company=tenant.company).delete()
    assert run_at_once([lambda: rejection_templates_install_defaults(company=tenant.company)] * 4, workers=4) == []
    assert RejectionTemplate.objects.filter(company=tenant.company).count() == LIBRARY_SIZE


def test_a_template_page_says_which_rules_stop_when_it_is_stopped(owner_client: Client, tenant: Tenant) -> None:
    from mailings.models import AutoSendRule

    template = first_template(tenant)
    AutoSendRule.objects.create(company=tenant.company, stage="", track="", template=template)
    page = owner_client.get(f"/company/mail/templates/{template.pk}/").content.decode()
    assert "このテンプレートは自動送信ルール 1 件で使われています" in page
    owner_client.post(f"/company/mail/templates/{template.pk}/toggle/")
    page = owner_client.get(f"/company/mail/templates/{template.pk}/").content.decode()
    assert "停止中のため、このテンプレートを使う自動送信ルール 1 件は適用されていません" in page
