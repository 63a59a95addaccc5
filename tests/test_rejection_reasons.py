"""The company's rejection reasons, its ATS mappings and the 確認待ち review (DESIGN.md §3 rule 13).

Vendor words used below, as the vendors document them:
- Greenhouse Harvest API, "Rejection Reasons" (https://developers.greenhouse.io/harvest.html#rejection-reasons):
  a reason has a `name` (e.g. "Lacking skill(s)/qualification(s)") and a `type` whose `name` is one of
  "We rejected them", "They rejected us" or "None specified".
- Lever API, "Archive reasons" (https://hire.lever.co/developer/documentation#archive-reasons): each reason has
  a `text` (the defaults include "Underqualified", "Withdrew", "Position filled", "Hired") and a `type`
  (`hired` or `non-hired`).
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from applicants.models import Applicant, AtsMapping, RejectionReason
from applicants.selectors import company_vocabulary, held_applicants
from applicants.services import (
    ReasonRefused,
    applicant_close,
    applicant_holds_release,
    applicant_record,
    ats_mapping_delete,
    ats_mapping_save,
    rejection_reason_create,
    rejection_reason_delete,
    rejection_reason_update,
    unknown_reason_detail,
)
from audit.models import AuditEntry
from mailings.models import AutoSendRule, OutboundEmail, RejectionTemplate
from tests.conftest import Tenant, login

pytestmark = pytest.mark.django_db

REASONS = reverse("applicants:reasons")
MAPPINGS = reverse("applicants:mappings")
REVIEW = reverse("applicants:review")


def standard(tenant: Tenant, code: str) -> RejectionReason:
    return RejectionReason.objects.get(company=tenant.company, code=code)


def held(
    tenant: Tenant, name: str, words: str, *, hold: str = Applicant.Hold.UNKNOWN_REASON, **fields: Any
) -> Applicant:
    """An applicant whose ATS said `words`, which the company has not mapped to a reason yet."""
    n = Applicant.objects.count() + 1
    return applicant_record(
        company=tenant.company,
        source=Applicant.Source.LEVER,
        external_system="lever",
        external_id=f"opp-{n}",
        name=name,
        email=f"person{n}@example.jp",
        reason_text=words,
        hold=hold,
        hold_detail=unknown_reason_detail(words),
        **fields,
    ).applicant


def company_reason(tenant: Tenant, name: str = "内定辞退", *, sends_mail: bool = False) -> RejectionReason:
    return rejection_reason_create(company=tenant.company, name=name, sends_mail=sends_mail, actor=tenant.owner)


def text(response: Any) -> str:
    return str(response.content.decode())


# --- pages and who may use them ------------------------------------------------------------------------------------


def test_the_reasons_page_lists_the_four_standard_reasons_first_and_only_rejection_sends(
    owner_client: Client, tenant: Tenant
) -> None:
    company_reason(tenant, "連絡途絶")
    page = text(owner_client.get(REASONS))
    positions = [page.index(name) for name in ("不採用", "応募者辞退", "入社決定", "非選考対象", "連絡途絶")]
    assert positions == sorted(positions)
    sending = [reason.name for reason in RejectionReason.objects.filter(company=tenant.company, sends_mail=True)]
    assert sending == ["不採用"]
    assert page.count("送らない</span>") == 4 and page.count(">送る</span>") == 1


def test_every_reasons_page_answers_the_company_and_hides_its_rows_from_another_company(
    owner_client: Client, outsider_client: Client, tenant: Tenant
) -> None:
    reason = company_reason(tenant, "社内の極秘理由")
    mapping = ats_mapping_save(
        company=tenant.company, kind="stage", label="極秘ステップ", stage="final_interview", actor=tenant.owner
    )
    held(tenant, "確認 待子", "Cultural fit")
    for url in (REASONS, MAPPINGS, REVIEW, reverse("applicants:reason_edit", args=[reason.pk])):
        assert owner_client.get(url).status_code == 200, url
    assert owner_client.get(reverse("applicants:mapping_edit", args=[mapping.pk])).status_code == 200
    for url in (
        reverse("applicants:reason_edit", args=[reason.pk]),
        reverse("applicants:mapping_edit", args=[mapping.pk]),
    ):
        assert outsider_client.get(url).status_code == 404, url
    for url in (
        reverse("applicants:reason_toggle", args=[reason.pk]),
        reverse("applicants:reason_delete", args=[reason.pk]),
        reverse("applicants:mapping_delete", args=[mapping.pk]),
    ):
        assert outsider_client.post(url).status_code == 404, url
    # Their own lists answer, without a word of ours.
    for url in (REASONS, MAPPINGS, REVIEW):
        page = text(outsider_client.get(url))
        assert "社内の極秘理由" not in page and "極秘ステップ" not in page and "確認 待子" not in page
    assert RejectionReason.objects.filter(pk=reason.pk).exists() and AtsMapping.objects.filter(pk=mapping.pk).exists()


def test_another_company_cannot_release_our_held_applicants(
    outsider_client: Client, outsider: Tenant, tenant: Tenant
) -> None:
    waiting = held(tenant, "確認 待子", "Cultural fit")
    theirs = RejectionReason.objects.get(company=outsider.company, code="rejected")
    outsider_client.post(REVIEW, {"applicant": [waiting.pk], "reason": theirs.pk})
    waiting.refresh_from_db()
    assert waiting.hold == Applicant.Hold.UNKNOWN_REASON and waiting.reason_id is None


def test_a_member_reads_the_pages_but_cannot_change_anything(client: Client, tenant: Tenant) -> None:
    login(client, tenant.member)
    reason = company_reason(tenant)
    mapping = ats_mapping_save(
        company=tenant.company, kind="track", label="27卒", track="new_graduate", actor=tenant.owner
    )
    waiting = held(tenant, "確認 待子", "Cultural fit")
    for url in (REASONS, MAPPINGS, REVIEW):
        page = text(client.get(url))
        assert '<form method="post"' not in page.replace('action="/accounts/logout/"', "").split("</header>")[1], url
    assert "確認 待子" in text(client.get(REVIEW))
    rejected = standard(tenant, "rejected")
    assert client.post(REASONS, {"name": "新しい理由"}).status_code == 404
    assert client.get(reverse("applicants:reason_edit", args=[reason.pk])).status_code == 404
    assert client.post(reverse("applicants:reason_toggle", args=[rejected.pk])).status_code == 404
    assert client.post(reverse("applicants:reason_delete", args=[reason.pk])).status_code == 404
    assert client.post(MAPPINGS, {"kind": "stage", "label": "x", "stage": "document"}).status_code == 404
    assert client.get(reverse("applicants:mapping_edit", args=[mapping.pk])).status_code == 404
    assert client.post(reverse("applicants:mapping_delete", args=[mapping.pk])).status_code == 404
    assert client.post(REVIEW, {"applicant": [waiting.pk], "reason": rejected.pk}).status_code == 404
    assert RejectionReason.objects.filter(company=tenant.company).count() == 5
    rejected.refresh_from_db()
    waiting.refresh_from_db()
    assert rejected.sends_mail and waiting.hold


# --- reasons -------------------------------------------------------------------------------------------------------


def test_a_manager_adds_a_reason_that_sends_mail_and_it_is_audited(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(REASONS, {"name": " 適性検査 不合格 ", "sends_mail": "on"}, follow=True)
    assert "選考終了理由「適性検査 不合格」を追加しました。" in text(response)
    reason = RejectionReason.objects.get(company=tenant.company, name="適性検査 不合格")
    assert reason.sends_mail and reason.code == ""
    assert company_vocabulary(tenant.company).sends(reason.pk)
    assert AuditEntry.objects.filter(action="rejection_reason.create", company=tenant.company).exists()


@pytest.mark.parametrize("name", ["内定辞退", " 内定辞退", "内定 辞退", "内定辞退\u3000"])
def test_a_second_reason_of_the_same_name_is_refused_in_japanese(tenant: Tenant, name: str) -> None:
    company_reason(tenant, "内定辞退")
    with pytest.raises(ReasonRefused, match=r"「.*」という理由はすでにあります。別の名前をお付けください。"):
        company_reason(tenant, name)


def test_a_standard_name_typed_in_full_width_is_a_duplicate_too(owner_client: Client, tenant: Tenant) -> None:
    page = text(owner_client.post(REASONS, {"name": "不採用"}))
    assert "「不採用」という理由はすでにあります。" in page
    assert RejectionReason.objects.filter(company=tenant.company).count() == 4


def test_an_empty_or_too_long_name_is_refused_and_the_form_keeps_what_was_typed(
    owner_client: Client, tenant: Tenant
) -> None:
    with pytest.raises(ReasonRefused, match="理由の名前を入力してください。"):
        company_reason(tenant, "  ")
    with pytest.raises(ReasonRefused, match="50 文字以内"):
        company_reason(tenant, "あ" * 51)
    page = text(owner_client.post(REASONS, {"name": "", "sends_mail": "on"}))
    assert "入力内容をご確認ください" in page


def test_a_manager_renames_a_standard_reason_and_ats_words_still_find_it(owner_client: Client, tenant: Tenant) -> None:
    withdrawn = standard(tenant, "withdrawn")
    response = owner_client.post(
        reverse("applicants:reason_edit", args=[withdrawn.pk]), {"name": "ご本人の辞退"}, follow=True
    )
    assert "選考終了理由「ご本人の辞退」を保存しました。" in text(response)
    withdrawn.refresh_from_db()
    assert withdrawn.name == "ご本人の辞退" and withdrawn.code == "withdrawn"
    vocabulary = company_vocabulary(tenant.company)
    assert vocabulary.reason_for("Withdrew") == withdrawn.pk  # Lever's default archive reason
    assert vocabulary.reason_for("ご本人の辞退") == withdrawn.pk


def test_renaming_onto_another_reasons_name_is_refused(owner_client: Client, tenant: Tenant) -> None:
    reason = company_reason(tenant, "内定辞退")
    page = text(owner_client.post(reverse("applicants:reason_edit", args=[reason.pk]), {"name": "応募者辞退"}))
    assert "「応募者辞退」という理由はすでにあります。" in page
    reason.refresh_from_db()
    assert reason.name == "内定辞退"


def test_the_toggle_chooses_which_reasons_send_and_a_hire_never_sends(owner_client: Client, tenant: Tenant) -> None:
    not_screened = standard(tenant, "not_screened")
    owner_client.post(reverse("applicants:reason_toggle", args=[not_screened.pk]))
    not_screened.refresh_from_db()
    assert not_screened.sends_mail
    owner_client.post(reverse("applicants:reason_toggle", args=[not_screened.pk]))
    not_screened.refresh_from_db()
    assert not not_screened.sends_mail
    hired = standard(tenant, "hired")
    response = owner_client.post(reverse("applicants:reason_toggle", args=[hired.pk]), follow=True)
    assert "入社が決まった方にお祈りメールは送れません。" in text(response)
    hired.refresh_from_db()
    assert not hired.sends_mail
    assert AuditEntry.objects.filter(action="rejection_reason.update", company=tenant.company).count() == 2


def test_a_standard_reason_cannot_be_deleted(owner_client: Client, tenant: Tenant) -> None:
    rejected = standard(tenant, "rejected")
    with pytest.raises(ReasonRefused, match="標準の理由のため削除できません"):
        rejection_reason_delete(reason=rejected, actor=tenant.owner)
    response = owner_client.post(reverse("applicants:reason_delete", args=[rejected.pk]), follow=True)
    assert "「不採用」は標準の理由のため削除できません。" in text(response)
    assert RejectionReason.objects.filter(pk=rejected.pk).exists()


def test_a_reason_applicants_carry_cannot_be_deleted(owner_client: Client, tenant: Tenant) -> None:
    reason = company_reason(tenant, "内定辞退")
    applicant_record(
        company=tenant.company, source="manual", name="山田 太郎", email="t@example.jp", reason_id=reason.pk
    )
    response = owner_client.post(reverse("applicants:reason_delete", args=[reason.pk]), follow=True)
    assert "「内定辞退」は 応募者 1 名 で使われているため削除できません。" in text(response)
    assert RejectionReason.objects.filter(pk=reason.pk).exists()


def test_a_reason_an_automatic_sending_rule_names_cannot_be_deleted(tenant: Tenant) -> None:
    reason = company_reason(tenant, "最終面接で不合格", sends_mail=True)
    template = RejectionTemplate.objects.filter(company=tenant.company).first()
    assert template is not None
    AutoSendRule.objects.create(company=tenant.company, reason=reason, template=template)
    with pytest.raises(ReasonRefused, match="自動送信ルール 1 件 で使われているため削除できません"):
        rejection_reason_delete(reason=reason, actor=tenant.owner)


def test_an_unused_reason_is_deleted_with_its_mappings_and_audited(owner_client: Client, tenant: Tenant) -> None:
    reason = company_reason(tenant, "連絡途絶")
    ats_mapping_save(
        company=tenant.company, kind="reason", label="No response", reason_id=reason.pk, actor=tenant.owner
    )
    response = owner_client.post(reverse("applicants:reason_delete", args=[reason.pk]), follow=True)
    assert "選考終了理由「連絡途絶」を削除しました。" in text(response)
    assert not RejectionReason.objects.filter(pk=reason.pk).exists()
    assert not AtsMapping.objects.filter(company=tenant.company).exists()
    assert AuditEntry.objects.filter(action="rejection_reason.delete", detail__name="連絡途絶").exists()


# --- ATS mappings --------------------------------------------------------------------------------------------------


def test_stage_and_track_mappings_change_what_the_vocabulary_reads(owner_client: Client, tenant: Tenant) -> None:
    before = company_vocabulary(tenant.company)
    assert before.stage_for("Onsite") == "other"
    assert before.track_for("Graduate Program 2027") == "new_graduate"
    assert before.track_for("JOB-4471") == "mid_career"
    owner_client.post(MAPPINGS, {"kind": "stage", "label": "Onsite", "stage": "final_interview"})
    owner_client.post(MAPPINGS, {"kind": "track", "label": "JOB-4471", "track": "new_graduate"})
    after = company_vocabulary(tenant.company)
    assert after.stage_for("onsite") == "final_interview"  # case and width do not matter
    assert after.stage_for("ＯＮＳＩＴＥ") == "final_interview"
    assert after.track_for("", "job-4471") == "new_graduate"
    assert set(AtsMapping.objects.filter(company=tenant.company).values_list("match", flat=True)) == {
        "onsite",
        "job-4471",
    }
    assert AuditEntry.objects.filter(action="ats_mapping.create", company=tenant.company).count() == 2


def test_greenhouse_and_lever_reason_words_map_onto_the_companys_reasons(tenant: Tenant) -> None:
    """Greenhouse's rejection reason type and Lever's archive reason text (see the module docstring)."""
    cultural = company_reason(tenant, "カルチャー不一致", sends_mail=True)
    before = company_vocabulary(tenant.company)
    assert before.reason_for("Cultural fit") is None  # unknown: held, never mailed
    assert before.reason_for("They rejected us") == standard(tenant, "withdrawn").pk
    ats_mapping_save(
        company=tenant.company, kind="reason", label="Cultural fit", reason_id=cultural.pk, actor=tenant.owner
    )
    ats_mapping_save(
        company=tenant.company,
        kind="reason",
        label="They rejected us",
        reason_id=standard(tenant, "not_screened").pk,
        actor=tenant.owner,
    )
    after = company_vocabulary(tenant.company)
    assert after.reason_for("Cultural Fit") == cultural.pk and after.sends(cultural.pk)
    assert (
        after.reason_for("Lacking skill(s)/qualification(s)", "They rejected us") == standard(tenant, "not_screened").pk
    )


@pytest.mark.parametrize("spelling", ["二次面接", "二次 面接", "二次面接 ", "二次\u3000面接"])
def test_a_second_mapping_of_the_same_words_is_refused_with_the_one_that_exists(tenant: Tenant, spelling: str) -> None:
    ats_mapping_save(
        company=tenant.company, kind="stage", label="二次面接", stage="second_interview", actor=tenant.owner
    )
    with pytest.raises(ReasonRefused, match="「二次面接」はすでに「二次面接」に対応づけられています"):
        ats_mapping_save(
            company=tenant.company, kind="stage", label=spelling, stage="first_interview", actor=tenant.owner
        )


def test_the_same_words_may_mean_a_stage_and_a_job(tenant: Tenant) -> None:
    ats_mapping_save(company=tenant.company, kind="stage", label="Graduate", stage="document", actor=tenant.owner)
    ats_mapping_save(company=tenant.company, kind="track", label="Graduate", track="new_graduate", actor=tenant.owner)
    assert AtsMapping.objects.filter(company=tenant.company).count() == 2


def test_the_mapping_form_answers_a_duplicate_and_a_missing_target_in_japanese(
    owner_client: Client, tenant: Tenant
) -> None:
    owner_client.post(MAPPINGS, {"kind": "stage", "label": "Phone Screen", "stage": "first_interview"})
    duplicate = text(owner_client.post(MAPPINGS, {"kind": "stage", "label": "phone screen", "stage": "document"}))
    assert "「Phone Screen」はすでに「一次面接」に対応づけられています(選考段階)。" in duplicate
    assert 'value="phone screen"' in duplicate  # what was typed is kept
    missing = text(owner_client.post(MAPPINGS, {"kind": "reason", "label": "Withdrew"}))
    assert "対応する選考終了理由を選んでください。" in missing
    assert AtsMapping.objects.filter(company=tenant.company).count() == 1
    with pytest.raises(ReasonRefused, match="ATS での表記を入力してください"):
        ats_mapping_save(company=tenant.company, kind="stage", label=" ", stage="document", actor=tenant.owner)
    with pytest.raises(ReasonRefused, match="対応する採用区分"):
        ats_mapping_save(company=tenant.company, kind="track", label="x", track="intern", actor=tenant.owner)


def test_a_reason_of_another_company_cannot_be_mapped(tenant: Tenant, outsider: Tenant) -> None:
    theirs = RejectionReason.objects.get(company=outsider.company, code="rejected")
    with pytest.raises(ReasonRefused, match="対応する選考終了理由を選んでください"):
        ats_mapping_save(company=tenant.company, kind="reason", label="x", reason_id=theirs.pk, actor=tenant.owner)


def test_a_manager_edits_and_deletes_a_mapping(owner_client: Client, tenant: Tenant) -> None:
    mapping = ats_mapping_save(
        company=tenant.company, kind="stage", label="Onsite", stage="second_interview", actor=tenant.owner
    )
    url = reverse("applicants:mapping_edit", args=[mapping.pk])
    response = owner_client.post(url, {"kind": "stage", "label": "Onsite", "stage": "final_interview"}, follow=True)
    assert "「Onsite」を「最終面接」として扱います。" in text(response)
    assert company_vocabulary(tenant.company).stage_for("Onsite") == "final_interview"
    owner_client.post(reverse("applicants:mapping_delete", args=[mapping.pk]))
    assert company_vocabulary(tenant.company).stage_for("Onsite") == "other"
    assert AuditEntry.objects.filter(action="ats_mapping.delete", company=tenant.company).exists()


def test_the_try_it_box_shows_stage_track_and_reason_for_a_text(owner_client: Client, tenant: Tenant) -> None:
    page = text(owner_client.get(MAPPINGS, {"try": "二次面接"}))
    assert '二次面接 <span class="small muted">(標準の読み取り)' in page
    assert "わかりません(確認待ちになり、メールは送りません)" in page
    ats_mapping_save(
        company=tenant.company,
        kind="reason",
        label="Underqualified",
        reason_id=standard(tenant, "rejected").pk,
        actor=tenant.owner,
    )
    page = text(owner_client.get(MAPPINGS, {"try": "underqualified"}))
    assert '不採用 <span class="small muted">(貴社の対応づけ)</span> — お祈りメールの対象です' in page
    page = text(owner_client.get(MAPPINGS, {"try": "Withdrew"}))
    assert "応募者辞退" in page and "お祈りメールは送りません" in page


def test_the_mapping_form_starts_with_the_words_from_the_review_list(owner_client: Client, tenant: Tenant) -> None:
    page = text(owner_client.get(MAPPINGS, {"kind": "reason", "label": "Cultural fit"}))
    assert 'value="Cultural fit"' in page
    assert '<option value="reason" selected>' in page


# --- the 確認待ち review ---------------------------------------------------------------------------------------------


def test_the_review_lists_held_applicants_with_their_words_and_the_unmapped_summary(
    owner_client: Client, tenant: Tenant
) -> None:
    held(tenant, "確認 一子", "Cultural fit", stage="second_interview")
    held(tenant, "確認 二子", "Cultural fit")
    held(tenant, "確認 三子", "Withdrew", hold=Applicant.Hold.UNVERIFIED)
    settled = applicant_record(company=tenant.company, source="manual", name="確定 済子", email="done@example.jp")
    assert settled.applicant.hold == ""
    page = text(owner_client.get(REVIEW))
    assert "確認 一子" in page and "確認 二子" in page and "確認 三子" in page and "確定 済子" not in page
    assert "選考終了理由の確認待ち" in page and "ATS での確認待ち" in page
    assert "「Cultural fit」をどの選考終了理由として扱うか、まだ設定されていません。" in page
    assert "二次面接" in page and "Lever 連携" in page
    assert 'id="unmapped"' in page and '<td>Cultural fit</td><td class="num">2</td>' in page
    assert "確定しても、お祈りメールは自動では送られません。" in page
    assert "確認待ち (3)" in page


def test_releasing_with_remember_maps_the_words_and_releases_everyone_with_them(
    owner_client: Client, tenant: Tenant
) -> None:
    first = held(tenant, "確認 一子", "Cultural fit")
    same_words = held(tenant, "確認 二子", "cultural  FIT")
    other_words = held(tenant, "確認 三子", "Position filled")
    unverified = held(tenant, "確認 四子", "Cultural fit", hold=Applicant.Hold.UNVERIFIED)
    rejected = standard(tenant, "rejected")
    response = owner_client.post(
        REVIEW, {"applicant": [first.pk], "reason": rejected.pk, "remember": "on"}, follow=True
    )
    page = text(response)
    assert "2 名の選考終了理由を「不採用」として確定しました。" in page
    assert "「Cultural fit」は今後「不採用」として扱います。" in page
    for applicant in (first, same_words):
        applicant.refresh_from_db()
        assert applicant.hold == "" and applicant.reason_id == rejected.pk and applicant.mail_refusal is None
    other_words.refresh_from_db()
    unverified.refresh_from_db()
    assert other_words.hold == Applicant.Hold.UNKNOWN_REASON
    assert unverified.hold == Applicant.Hold.UNVERIFIED  # held for another reason than the words
    assert company_vocabulary(tenant.company).reason_for("Cultural fit") == rejected.pk
    assert AtsMapping.objects.get(company=tenant.company, kind="reason").match == "culturalfit"
    # Releasing never mails: the page says where to send from, and links the sendable ones.
    assert not OutboundEmail.objects.filter(company=tenant.company).exists()
    assert 'id="send-released"' in page and "確定した 2 名はお祈りメールの対象です。" in page
    assert f"/company/mail/send/?applicant={first.pk}&amp;applicant={same_words.pk}" in page
    assert AuditEntry.objects.filter(action="applicant.hold_release", company=tenant.company).count() == 2


def test_releasing_without_remember_releases_only_the_chosen_and_maps_nothing(tenant: Tenant) -> None:
    first = held(tenant, "確認 一子", "Cultural fit")
    second = held(tenant, "確認 二子", "Cultural fit")
    withdrawn = standard(tenant, "withdrawn")
    result = applicant_holds_release(
        company=tenant.company, applicants=[first], reason_id=withdrawn.pk, actor=tenant.owner
    )
    assert [a.pk for a in result.released] == [first.pk] and result.remembered == []
    assert list(held_applicants(tenant.company)) == [second]
    assert not AtsMapping.objects.filter(company=tenant.company).exists()
    first.refresh_from_db()
    assert first.mail_refusal == "選考終了理由が「応募者辞退」のため、お祈りメールの対象外です。"


def test_remember_changes_an_existing_mapping_of_the_same_words(tenant: Tenant) -> None:
    waiting = held(tenant, "確認 一子", "Cultural fit")
    mapping = ats_mapping_save(
        company=tenant.company,
        kind="reason",
        label="Cultural fit",
        reason_id=standard(tenant, "not_screened").pk,
        actor=tenant.owner,
    )
    rejected = standard(tenant, "rejected")
    applicant_holds_release(
        company=tenant.company, applicants=[waiting], reason_id=rejected.pk, remember=True, actor=tenant.owner
    )
    mapping.refresh_from_db()
    assert mapping.reason_id == rejected.pk
    assert AtsMapping.objects.filter(company=tenant.company).count() == 1


def test_a_bulk_selection_releases_several_at_once(owner_client: Client, tenant: Tenant) -> None:
    chosen = [held(tenant, f"確認 {n}子", f"理由{n}") for n in range(3)]
    left = held(tenant, "確認 残子", "理由9")
    not_screened = standard(tenant, "not_screened")
    owner_client.post(REVIEW, {"applicant": [a.pk for a in chosen], "reason": not_screened.pk})
    assert list(held_applicants(tenant.company)) == [left]
    assert set(Applicant.objects.filter(reason=not_screened).values_list("pk", flat=True)) == {a.pk for a in chosen}
    page = text(owner_client.get(REVIEW))
    assert 'form="bulk"' in page and 'name="remember"' in page


def test_the_review_answers_a_missing_reason_or_selection_in_japanese(owner_client: Client, tenant: Tenant) -> None:
    waiting = held(tenant, "確認 一子", "Cultural fit")
    no_reason = text(owner_client.post(REVIEW, {"applicant": [waiting.pk]}))
    assert "確定する選考終了理由を選んでください。" in no_reason
    nobody = text(owner_client.post(REVIEW, {"reason": standard(tenant, "rejected").pk}))
    assert "確定する応募者を選んでください。" in nobody
    closed = held(tenant, "確認 閉子", "x")
    applicant_close(applicant=closed, why="ATS で選考が再開されました。")
    with pytest.raises(ReasonRefused, match="確認待ちの応募者を選んでください"):
        applicant_holds_release(
            company=tenant.company, applicants=[closed], reason_id=standard(tenant, "rejected").pk, actor=tenant.owner
        )
    waiting.refresh_from_db()
    assert waiting.hold


def test_the_dashboard_calls_out_applicants_waiting_for_review(owner_client: Client, tenant: Tenant) -> None:
    assert 'id="held-callout"' not in text(owner_client.get("/company/"))
    held(tenant, "確認 一子", "Cultural fit")
    held(tenant, "確認 二子", "Withdrew", hold=Applicant.Hold.UNVERIFIED)
    page = text(owner_client.get("/company/"))
    assert "お祈りメールを送らずに確認をお待ちしている応募者が 2 名います。" in page
    assert f'<a href="{REVIEW}">確認待ちの一覧で理由を確定する' in page


def test_the_navigation_and_the_applicant_list_lead_to_reasons_and_review(owner_client: Client, tenant: Tenant) -> None:
    held(tenant, "確認 一子", "Cultural fit")
    page = text(owner_client.get(reverse("applicants:list")))
    assert f'<a href="{REASONS}">選考終了理由</a>' in page  # the company's navigation
    assert f'href="{REVIEW}" id="review-link">確認待ち (1)' in page
    assert f'href="{REASONS}">選考終了理由・ATS の表記' in page


def test_services_refuse_a_reason_update_that_keeps_nothing_valid(tenant: Tenant) -> None:
    reason = company_reason(tenant, "内定辞退")
    with pytest.raises(ReasonRefused):
        rejection_reason_update(reason=reason, name="", actor=tenant.owner)
    reason.refresh_from_db()
    assert reason.name == "内定辞退"
    mapping = ats_mapping_save(
        company=tenant.company, kind="reason", label="x", reason_id=reason.pk, actor=tenant.owner
    )
    ats_mapping_delete(mapping=mapping, actor=tenant.owner)
    assert not AtsMapping.objects.exists()
