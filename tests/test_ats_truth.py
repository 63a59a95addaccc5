"""Who is really rejected, and whether a rejection mail may go (DESIGN.md §3 rule 13: fail closed).

CSV files are shaped as the vendors document their exports:
- HERP Hire's applications CSV: 候補者ID / 名前 / 募集職種 / 選考ステップ /
  選考終了理由, which is one of 不採用 / 応募者辞退 / 入社決定 / 非選考対象, and
  empty while selection goes on (HERP Hire ヘルプセンター, 応募者一覧の CSV 出力).
- HRMOS採用's 応募者情報 export: 「最終の選考ステータス」, the date of each step and
  「不合格、辞退、入社日」 (https://atsguide.hrmos.co/hc/ja/articles/20859800186009
  応募者情報をGoogleスプレッドシートへ出力する; the CSV download has the same items).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import time, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from applicants.csvfile import CELL_LIMIT
from applicants.models import Applicant, ApplicantImport, AtsMapping, RejectionReason
from applicants.selectors import company_vocabulary, held_applicants
from applicants.services import (
    applicant_close,
    applicant_import_process,
    applicant_import_start,
    applicant_import_upload,
    applicant_record,
)
from applicants.vocabulary import Vocabulary, match_key
from mailings.models import AutoSendRule, MailSettings, OutboundEmail, RejectionTemplate, TemplateVersion
from mailings.services.lifecycle import rejection_mail_cancel, rejection_mail_readdress
from mailings.services.outbox import rejection_email_queue, rejection_email_schedule_by_rule
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db

HERP = [
    "候補者ID",
    "名前",
    "フリガナ",
    "メールアドレス",
    "募集職種",
    "選考ステップ",
    "面接日",
    "選考終了日",
    "選考終了理由",
]
HRMOS = ["応募者ID", "姓", "名", "メールアドレス", "求人名", "選考ステータス", "面接日", "不合格日", "辞退日", "入社日"]


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[str]], encoding: str = "cp932") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def herp(n: int, step: str = "一次面接", reason: str = "不採用", position: str = "営業職") -> list[str]:
    return [f"H{n}", f"山田 {n}郎", "ヤマダ", f"taro{n}@example.jp", position, step, "", "2026/11/20", reason]


def hrmos(n: int, status: str, *, rejected: str = "", withdrew: str = "", hired: str = "") -> list[str]:
    return [
        str(9000 + n),
        "佐藤",
        f"花子{n}",
        f"hanako{n}@example.jp",
        "エンジニア(中途)",
        status,
        "",
        rejected,
        withdrew,
        hired,
    ]


def imported(tenant: Tenant, content: bytes) -> ApplicantImport:
    batch = applicant_import_upload(
        company=tenant.company,
        filename="ats.csv",
        content=content,
        default_stage="document",
        default_track="mid_career",
        actor=tenant.owner,
    )
    applicant_import_start(batch=batch)
    return applicant_import_process(batch_id=batch.pk)


def messages(batch: ApplicantImport) -> list[str]:
    return list(batch.issues.order_by("row_number").values_list("message", flat=True))


def reason(tenant: Tenant, code: str) -> RejectionReason:
    return RejectionReason.objects.get(company=tenant.company, code=code)


# --- imports read the truth -----------------------------------------------------------------------------------------


def test_an_hrmos_export_imports_only_the_rejected_and_says_why_for_the_others(tenant: Tenant) -> None:
    rows = [
        hrmos(1, "二次面接", rejected="2026/11/25"),  # rejected at the second interview
        hrmos(2, "最終面接", withdrew="2026/11/26"),
        hrmos(3, "内定", hired="2027/01/01"),
        hrmos(4, "一次面接"),  # still in selection: no ending date
        hrmos(5, "不合格"),
        hrmos(6, "選考中"),
    ]
    batch = imported(tenant, csv_bytes(HRMOS, rows, encoding="utf-8"))
    assert batch.format == "hrmos"
    assert (batch.stored_count, batch.not_rejected_count, batch.held_count) == (2, 4, 0)
    stored = {a.external_id: a for a in Applicant.objects.filter(company=tenant.company)}
    assert set(stored) == {"9001", "9005"}
    assert stored["9001"].stage == Applicant.Stage.SECOND_INTERVIEW
    assert stored["9001"].reason == reason(tenant, "rejected")
    assert messages(batch) == [
        "3行目: 応募者辞退のため、お祈りメールの対象外として取り込みませんでした (佐藤 花子2 <hanako2@example.jp>)",
        "4行目: 入社決定のため、お祈りメールの対象外として取り込みませんでした (佐藤 花子3 <hanako3@example.jp>)",
        "5行目: 選考中のため、取り込みませんでした (佐藤 花子4 <hanako4@example.jp>)",
        "7行目: 選考中のため、取り込みませんでした (佐藤 花子6 <hanako6@example.jp>)",
    ]


def test_a_herp_row_whose_selection_has_not_ended_is_shown_as_out_of_scope_in_the_preview(tenant: Tenant) -> None:
    batch = applicant_import_upload(
        company=tenant.company,
        filename="herp.csv",
        content=csv_bytes(HERP, [herp(1), herp(2, reason="")]),
        default_stage="document",
        default_track="mid_career",
    )
    assert (batch.preview_valid, batch.preview_not_rejected) == (1, 1)
    statuses = [row["status"] for row in batch.preview_rows]
    assert statuses == ["ok", "not_rejected"]
    assert batch.preview_rows[1]["problems"][0][0] == "in_selection"


def test_words_nobody_has_mapped_are_stored_held_and_never_mailed(tenant: Tenant) -> None:
    batch = imported(tenant, csv_bytes(HERP, [herp(1, reason="条件不一致"), herp(2)]))
    assert (batch.stored_count, batch.held_count) == (2, 1)
    held = held_applicants(tenant.company).get()
    assert (held.reason_id, held.reason_text, held.hold) == (None, "条件不一致", "unknown_reason")
    assert "条件不一致" in held.hold_detail
    rule_for_everyone(tenant)
    scheduled = rejection_email_schedule_by_rule(applicant=held)
    assert scheduled.email is None and "確認待ち" in scheduled.refusal
    assert not OutboundEmail.objects.filter(applicant=held).exists()


def test_a_company_mapping_decides_what_its_ats_words_mean(tenant: Tenant) -> None:
    AtsMapping.objects.create(
        company=tenant.company,
        kind=AtsMapping.Kind.REASON,
        label="スキル不足",
        match=match_key("スキル不足"),
        reason=reason(tenant, "rejected"),
    )
    AtsMapping.objects.create(
        company=tenant.company,
        kind=AtsMapping.Kind.STAGE,
        label="技術面接",
        match=match_key("技術 面接"),
        stage=Applicant.Stage.SECOND_INTERVIEW,
    )
    AtsMapping.objects.create(
        company=tenant.company,
        kind=AtsMapping.Kind.TRACK,
        label="総合職(ポテンシャル)",
        match=match_key("総合職(ポテンシャル)"),
        track=Applicant.Track.NEW_GRADUATE,
    )
    batch = imported(
        tenant, csv_bytes(HERP, [herp(1, step="技術面接", reason="スキル不足", position="総合職(ポテンシャル)")])
    )
    assert (batch.stored_count, batch.held_count) == (1, 0)
    applicant = Applicant.objects.get(company=tenant.company)
    assert (applicant.stage, applicant.track, applicant.reason) == (
        "second_interview",
        "new_graduate",
        reason(tenant, "rejected"),
    )


def test_a_cell_over_the_csv_field_limit_refuses_only_its_row_in_japanese(tenant: Tenant) -> None:
    huge = herp(2)
    huge[4] = "長" * (CELL_LIMIT + 10)
    batch = imported(tenant, csv_bytes(HERP, [herp(1), huge, herp(3)], encoding="utf-8"))
    assert (batch.stored_count, batch.invalid_count) == (2, 1)
    assert messages(batch) == [f"3行目: 1つのセルが長すぎます({CELL_LIMIT}文字まで)。この行だけ取り込みませんでした"]


def test_a_person_who_arrives_by_csv_and_then_by_api_is_one_applicant(tenant: Tenant) -> None:
    imported(tenant, csv_bytes(HERP, [herp(1)]))
    recorded = applicant_record(
        company=tenant.company,
        source=Applicant.Source.API,
        external_system=Applicant.COMPANY_ID_SYSTEM,
        external_id="api-77",
        name="山田 1郎",
        email="TARO1@example.jp",
        position="営業職",
    )
    assert recorded.created is False
    assert Applicant.objects.filter(company=tenant.company).count() == 1


@given(st.sampled_from(["二次面接", "２次面接", "二次 面接", "2次面接 ", "二次選考"]))
def test_every_spelling_of_a_second_interview_is_a_second_interview(text: str) -> None:
    assert Vocabulary().stage_for(text) == "second_interview"


@given(st.text(max_size=40))
def test_match_keys_are_stable_under_nfkc_and_spacing(text: str) -> None:
    key = match_key(text)
    assert match_key(key) == key
    assert match_key(f"  {text}\u3000") == key


# --- the gate of every automatic path -------------------------------------------------------------------------------


def rule_for_everyone(tenant: Tenant, **filters: object) -> AutoSendRule:
    number = RejectionTemplate.objects.filter(company=tenant.company).count() + 1
    template = RejectionTemplate.objects.create(
        company=tenant.company, name=f"テスト用テンプレート {number}", stage="document", track="mid_career"
    )
    TemplateVersion.objects.create(template=template, number=1, subject="選考結果のご連絡", body="{{応募者名}} 様")
    return AutoSendRule.objects.create(
        company=tenant.company, template=template, business_days_after=0, send_time=time(10, 0), **filters
    )


def recorded(tenant: Tenant, **kwargs: object) -> Applicant:
    values: dict[str, object] = {
        "company": tenant.company,
        "source": Applicant.Source.API,
        "name": "応募 太郎",
        "email": f"oubo{Applicant.objects.count()}@example.jp",
        "rejected_at": timezone.now() - timedelta(days=1),
    }
    values.update(kwargs)
    return applicant_record(**values).applicant  # type: ignore[arg-type]


def test_an_applicant_declared_rejected_is_mailed_by_the_rule(tenant: Tenant) -> None:
    rule_for_everyone(tenant)
    scheduled = rejection_email_schedule_by_rule(applicant=recorded(tenant))
    assert scheduled.email is not None and scheduled.refusal == ""


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"reason_id": "withdrawn"}, "応募者辞退"),
        ({"reason_id": "hired"}, "入社決定"),
        ({"reason_id": "not_screened"}, "非選考対象"),
        ({"can_email": False}, "can_email"),
        ({"hold": "unverified", "hold_detail": "Lever API キーが未設定です"}, "Lever API"),
    ],
)
def test_no_mail_goes_to_someone_the_ats_did_not_clearly_reject(
    tenant: Tenant, kwargs: dict[str, object], words: str
) -> None:
    rule_for_everyone(tenant)
    if "reason_id" in kwargs:
        kwargs["reason_id"] = reason(tenant, str(kwargs["reason_id"])).pk
    scheduled = rejection_email_schedule_by_rule(applicant=recorded(tenant, **kwargs))
    assert scheduled.email is None
    assert words in scheduled.refusal
    assert OutboundEmail.objects.count() == 0


def test_a_closed_or_erased_applicant_is_never_mailed(tenant: Tenant) -> None:
    rule_for_everyone(tenant)
    closed = applicant_close(applicant=recorded(tenant), why="Greenhouse の hire_candidate: 入社が決まりました")
    erased = applicant_close(applicant=recorded(tenant), why="candidate_anonymized", erase=True)
    assert "hire_candidate" in (rejection_email_schedule_by_rule(applicant=closed).refusal)
    assert rejection_email_schedule_by_rule(applicant=erased).email is None
    assert (erased.name, erased.email, erased.email_normalized) == ("(ATS で削除された応募者)", "", "")
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize("days_ago", [-3, 91, 365])
def test_an_implausible_rejection_date_is_held_for_the_company_to_confirm(tenant: Tenant, days_ago: int) -> None:
    rule_for_everyone(tenant)
    applicant = recorded(tenant, rejected_at=timezone.now() - timedelta(days=days_ago))
    scheduled = rejection_email_schedule_by_rule(applicant=applicant)
    assert scheduled.email is None and "90日以上前" in scheduled.refusal
    applicant.refresh_from_db()
    assert applicant.hold == Applicant.Hold.DATE_OUT_OF_RANGE
    assert list(held_applicants(tenant.company)) == [applicant]


def test_a_company_that_has_not_signed_its_mail_sends_nothing_and_is_told_what_is_missing(operator: object) -> None:
    fresh = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)  # type: ignore[arg-type]
    rule_for_everyone(fresh)
    scheduled = rejection_email_schedule_by_rule(applicant=recorded(fresh))
    assert scheduled.email is None
    assert "差出人名・署名・返信先メールアドレス" in scheduled.refusal
    MailSettings.objects.filter(company=fresh.company).update(
        sender_name="採用担当", signature="署名", reply_to="a@b.jp"
    )
    fresh.company = type(fresh.company).objects.get(pk=fresh.company.pk)  # not the cached settings row
    assert rejection_email_schedule_by_rule(applicant=recorded(fresh)).email is not None


def test_a_rule_for_a_reason_beats_a_rule_for_a_stage(tenant: Tenant) -> None:
    custom = RejectionReason.objects.create(company=tenant.company, name="スキル不足", sends_mail=True, position=10)
    by_stage = rule_for_everyone(tenant, stage="first_interview")
    by_reason = rule_for_everyone(tenant, reason=custom)
    applicant = recorded(tenant, stage="first_interview", reason_id=custom.pk)
    email = rejection_email_schedule_by_rule(applicant=applicant).email
    assert email is not None and email.template_version is not None
    assert email.template_version.template_id == by_reason.template_id != by_stage.template_id
    other = recorded(tenant, stage="first_interview")
    email = rejection_email_schedule_by_rule(applicant=other).email
    assert email is not None and email.template_version is not None
    assert email.template_version.template_id == by_stage.template_id


# --- lifecycle ------------------------------------------------------------------------------------------------------


def queued_for(tenant: Tenant, applicant: Applicant) -> OutboundEmail:
    rule = rule_for_everyone(tenant)
    version = rule.template.current_version
    assert version is not None
    email = rejection_email_queue(applicant=applicant, version=version, send_after=timezone.now() + timedelta(days=2))
    assert email is not None
    return email


def test_cancelling_names_the_event_and_a_sent_mail_is_reported_as_sent(tenant: Tenant) -> None:
    waiting = recorded(tenant)
    email = queued_for(tenant, waiting)
    result = rejection_mail_cancel(applicant=waiting, why="Greenhouse の unreject_candidate により取り消しました")
    email.refresh_from_db()
    assert (result.cancelled, email.status) == (1, OutboundEmail.Status.CANCELLED)
    assert email.last_error == "Greenhouse の unreject_candidate により取り消しました"
    assert result.summary() == "送信予定のお祈りメールを取り消しました。"

    gone = recorded(tenant)
    sent = queued_for(tenant, gone)
    OutboundEmail.objects.filter(pk=sent.pk).update(status=OutboundEmail.Status.SENT)
    result = rejection_mail_cancel(applicant=gone, why="hire")
    assert (result.cancelled, result.sent) == (0, 1)
    assert "送信済み" in result.summary()
    assert (
        rejection_mail_cancel(applicant=recorded(tenant), why="x").summary()
        == "送信予定のお祈りメールはありませんでした。"
    )


def test_a_corrected_address_reaches_only_mail_that_has_not_gone(tenant: Tenant) -> None:
    applicant = recorded(tenant, email="wrong@example.jp")
    email = queued_for(tenant, applicant)
    applicant.email = "right@example.jp"
    applicant.save(update_fields=["email"])
    assert rejection_mail_readdress(applicant=applicant) == 1
    email.refresh_from_db()
    assert email.to_email == "right@example.jp"
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.SENT, to_email="right@example.jp")
    applicant.email = "third@example.jp"
    assert rejection_mail_readdress(applicant=applicant) == 0


def test_the_vocabulary_of_a_company_holds_its_reasons_and_which_ones_send(tenant: Tenant) -> None:
    vocabulary = company_vocabulary(tenant.company)
    assert vocabulary.sends(vocabulary.code_reason("rejected"))
    assert not vocabulary.sends(vocabulary.code_reason("withdrawn"))
    assert vocabulary.reason_for("We rejected them") == reason(tenant, "rejected").pk
    assert vocabulary.reason_for("They rejected us") == reason(tenant, "withdrawn").pk
    assert vocabulary.reason_for("Withdrew") == reason(tenant, "withdrawn").pk
    assert vocabulary.reason_for("Hired") == reason(tenant, "hired").pk
    assert vocabulary.reason_for("条件不一致") is None
