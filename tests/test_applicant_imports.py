"""Applicant CSV imports: HERP Hire / HRMOS採用 / preset files, encodings, row report, resume, and the screens."""

import csv
import io
import logging
import signal
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants import csvfile
from applicants.csvfile import CsvFileError
from applicants.models import Applicant, ApplicantImport, ImportPreset, ImportRowIssue
from applicants.services import (
    applicant_import_process,
    applicant_import_resume,
    applicant_import_start,
    applicant_import_upload,
    applicant_imports_resume_stuck,
    applicant_record,
)
from applicants.vocabulary import Vocabulary
from demo.fakes import HERP_HIRE_HEADERS
from demo.fakes import HRMOS_HEADERS as HRMOS_EXPORT_HEADERS
from tests.concurrency import run_at_once
from tests.conftest import Tenant, login

pytestmark = pytest.mark.django_db

HERP_HEADERS = list(HERP_HIRE_HEADERS)
HRMOS_HEADERS = list(HRMOS_EXPORT_HEADERS)


def herp_row(n: int, **overrides: str) -> list[str]:
    row = {
        "候補者ID": f"H{n:06d}",
        "名前": "山田 太郎",
        "フリガナ": "ヤマダ タロウ",
        "メールアドレス": f"taro{n}@example.jp",
        "募集職種": "営業職",
        "選考ステップ": "一次面接",
        "面接日": "2026/11/10",
        "選考終了日": "2026/11/12",
        "選考終了理由": "不採用",
    }
    row.update(overrides)
    return [row[h] for h in HERP_HEADERS]


def hrmos_row(n: int, **overrides: str) -> list[str]:
    row = {
        "応募者ID": str(9000 + n),
        "姓": "佐藤",
        "名": "花子",
        "セイ": "サトウ",
        "メイ": "ハナコ",
        "メールアドレス": f"hanako{n}@example.jp",
        "求人名": "エンジニア(中途)",
        "選考ステータス": "最終面接",
        "面接日": "2026-11-01",
        "不合格日": "2026年11月5日",
    }
    row.update(overrides)
    return [row[h] for h in HRMOS_HEADERS]


def csv_bytes(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, encoding: str = "cp932", delimiter: str = ","
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(tenant: Tenant, content: bytes, *, filename: str = "applicants.csv", **kwargs: Any) -> ApplicantImport:
    kwargs.setdefault("default_stage", Applicant.Stage.DOCUMENT)
    kwargs.setdefault("default_track", Applicant.Track.MID_CAREER)
    return applicant_import_upload(
        company=tenant.company, filename=filename, content=content, actor=tenant.owner, **kwargs
    )


def run(batch: ApplicantImport, **kwargs: Any) -> ApplicantImport:
    applicant_import_start(batch=batch, actor=None)
    return applicant_import_process(batch_id=batch.pk, **kwargs)


def issues(batch: ApplicantImport) -> list[str]:
    return list(batch.issues.order_by("row_number").values_list("message", flat=True))


# --- reading files ------------------------------------------------------------------------------------------------


def test_it_recognises_a_herp_hire_export_in_cp932_and_stores_every_row(tenant: Tenant) -> None:
    content = csv_bytes(
        HERP_HEADERS, [herp_row(1), herp_row(2, 選考ステップ="最終面接"), herp_row(3, 選考ステップ="書類選考")]
    )
    batch = upload(tenant, content)
    assert (batch.format, batch.encoding, batch.delimiter) == ("herp", "cp932", ",")
    assert (batch.preview_valid, batch.preview_invalid, batch.preview_duplicates) == (3, 0, 0)
    assert Applicant.objects.count() == 0  # a preview stores nothing

    batch = run(batch)
    assert batch.status == ApplicantImport.Status.DONE
    assert batch.stored_count == 3
    taro = Applicant.objects.get(external_id="H000001")
    assert (taro.name, taro.name_kana, taro.email, taro.position) == (
        "山田 太郎",
        "ヤマダ タロウ",
        "taro1@example.jp",
        "営業職",
    )
    assert (taro.source, taro.external_system, taro.import_batch, taro.import_row) == ("csv", "herp", batch, 2)
    assert taro.ref == "H000001"  # the ATS id is the ref, as applicant_record does it
    assert taro.stage == Applicant.Stage.FIRST_INTERVIEW
    assert str(taro.interview_date) == "2026-11-10"
    assert timezone.localtime(taro.rejected_at).date().isoformat() == "2026-11-12"
    stages = dict(Applicant.objects.values_list("external_id", "stage"))
    assert stages == {"H000001": "first_interview", "H000002": "final_interview", "H000003": "document"}


def test_it_recognises_an_hrmos_export_with_split_names_in_utf8(tenant: Tenant) -> None:
    content = csv_bytes(HRMOS_HEADERS, [hrmos_row(1), hrmos_row(2, 選考ステータス="二次面接")], encoding="utf-8")
    batch = upload(tenant, content)
    assert (batch.format, batch.encoding) == ("hrmos", "utf-8")
    run(batch)
    hanako = Applicant.objects.get(external_id="9001")
    assert (hanako.name, hanako.name_kana, hanako.external_system) == ("佐藤 花子", "サトウ ハナコ", "hrmos")
    assert hanako.stage == Applicant.Stage.FINAL_INTERVIEW
    assert Applicant.objects.get(external_id="9002").stage == Applicant.Stage.SECOND_INTERVIEW
    assert str(hanako.interview_date) == "2026-11-01"


def test_it_reads_utf8_with_bom_and_tab_separated_files(tenant: Tenant) -> None:
    content = b"\xef\xbb\xbf" + csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2)], encoding="utf-8", delimiter="\t")
    batch = upload(tenant, content, filename="herp.tsv")
    assert (batch.format, batch.encoding, batch.delimiter) == ("herp", "utf-8-sig", "\t")
    assert run(batch).stored_count == 2
    assert Applicant.objects.filter(external_id="H000001").exists()  # the BOM did not hide the first header


def test_it_reads_a_generic_file_through_the_company_preset(tenant: Tenant) -> None:
    preset = ImportPreset.objects.create(
        company=tenant.company,
        name="自社スプレッドシート",
        mapping={"name": "お名前", "email": "E-mail", "position": "ポジション名", "track": "区分"},
    )
    content = csv_bytes(
        ["No", "お名前", "E-mail", "ポジション名", "区分"],
        [["1", "鈴木 一郎", "ICHIRO@Example.JP", "経理", "新卒"], ["2", "高橋 二郎", "jiro@example.jp", "経理", ""]],
    )
    batch = upload(tenant, content, preset=preset, default_track=Applicant.Track.MID_CAREER)
    assert batch.format == "generic"
    run(batch)
    ichiro = Applicant.objects.get(name="鈴木 一郎")
    assert (ichiro.email, ichiro.track, ichiro.external_system) == ("ichiro@example.jp", "new_graduate", "generic")
    assert Applicant.objects.get(name="高橋 二郎").track == "mid_career"  # blank cell → the form's default


def test_it_refuses_unrecognised_headers_with_the_columns_it_found_and_stores_nothing(tenant: Tenant) -> None:
    content = csv_bytes(["番号", "ユーザー名", "連絡先"], [["1", "山田", "yamada@example.jp"]])
    with pytest.raises(CsvFileError) as error:
        upload(tenant, content)
    assert "判別できませんでした" in str(error.value)
    assert "ユーザー名" in str(error.value)
    assert ApplicantImport.objects.count() == 0
    assert Applicant.objects.count() == 0


def test_it_names_the_missing_column_when_a_recognised_file_lacks_the_email(tenant: Tenant) -> None:
    headers = [h for h in HERP_HEADERS if h != "メールアドレス"]
    with pytest.raises(CsvFileError) as error:
        upload(tenant, csv_bytes(headers, [["H1", "山田", "ヤマダ", "営業", "一次面接", "", "", ""]]))
    assert "必要な列が見つかりませんでした: メールアドレス" in str(error.value)


def test_it_refuses_a_preset_whose_columns_are_not_in_the_file(tenant: Tenant) -> None:
    preset = ImportPreset.objects.create(
        company=tenant.company, name="旧形式", mapping={"name": "氏名", "email": "Mail"}
    )
    with pytest.raises(CsvFileError) as error:
        upload(tenant, csv_bytes(["氏名", "メール"], [["山田", "y@example.jp"]]), preset=preset)
    assert "Mail" in str(error.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "ファイルが空です"),
        (b"\r\n\r\n", "ファイルが空です"),
        ("候補者ID,名前,メールアドレス,選考ステップ\r\n".encode("cp932"), "応募者の行がありません"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "文字コードを読み取れませんでした"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "文字コードを読み取れませんでした"),
    ],
)
def test_it_explains_files_it_cannot_read(tenant: Tenant, content: bytes, expected: str) -> None:
    with pytest.raises(CsvFileError) as error:
        upload(tenant, content)
    assert expected in str(error.value)
    assert ApplicantImport.objects.count() == 0


def test_it_refuses_a_file_over_the_size_limit(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_FILE_BYTES", 1000)
    with pytest.raises(CsvFileError) as error:
        upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(50)]))
    assert "ファイルが大きすぎます" in str(error.value)


# --- the row report -----------------------------------------------------------------------------------------------


def test_it_stores_valid_rows_and_reports_each_broken_row_in_japanese(tenant: Tenant) -> None:
    rows = [
        herp_row(1),
        herp_row(2, メールアドレス="taro@@example"),
        herp_row(3, 名前=""),
        herp_row(4, 面接日="2026/13/45"),
        herp_row(5, メールアドレス=""),
        herp_row(6, 選考終了日="来週"),
        herp_row(7),
    ]
    batch = upload(tenant, csv_bytes(HERP_HEADERS, rows))
    assert (batch.preview_valid, batch.preview_invalid, batch.preview_duplicates) == (2, 5, 0)
    batch = run(batch)
    assert (batch.stored_count, batch.invalid_count, batch.duplicate_count) == (2, 5, 0)
    assert issues(batch) == [
        "3行目: メールアドレスの形式が正しくありません (taro@@example)",
        "4行目: 氏名が入力されていません",
        "5行目: 面接日の日付の形式が正しくありません (2026/13/45)",
        "6行目: メールアドレスが入力されていません",
        "7行目: 不採用日の日付の形式が正しくありません (来週)",
    ]
    assert set(Applicant.objects.values_list("external_id", flat=True)) == {"H000001", "H000007"}


def test_it_reports_duplicates_within_the_file_and_against_an_earlier_import(tenant: Tenant) -> None:
    first = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2)]), filename="10月.csv"))
    assert first.stored_count == 2
    applicant_record(
        company=tenant.company, source="manual", name="手入力 さん", email="manual@example.jp", position="営業職"
    )

    rows = [
        herp_row(2),  # row 2: already imported by 10月.csv
        herp_row(3),  # row 3: new
        herp_row(3, 名前="山田 太郎(再)"),  # row 4: same id as row 3
        [
            "",
            "手入力 さん",
            "",
            "MANUAL@example.jp",
            "営業職",
            "",
            "",
            "",
            "不採用",
        ],  # row 5: same address+position as manual
        herp_row(4),  # row 6: new
    ]
    batch = upload(tenant, csv_bytes(HERP_HEADERS, rows), filename="11月.csv")
    assert (batch.preview_valid, batch.preview_invalid, batch.preview_duplicates) == (2, 0, 3)
    batch = run(batch)
    assert (batch.stored_count, batch.duplicate_count) == (2, 3)
    report = issues(batch)
    assert report[0].startswith("2行目: すでに登録済みの応募者です(取り込み「10月.csv」で登録)")
    assert report[1].startswith("4行目: 3行目と同じ応募者のため、取り込みませんでした")
    assert report[2].startswith("5行目: すでに登録済みの応募者です(手入力で登録)")
    assert Applicant.objects.filter(company=tenant.company).count() == 5


def test_it_detects_duplicates_across_chunks_of_one_file(tenant: Tenant) -> None:
    rows = [herp_row(n) for n in range(1, 11)] + [herp_row(1)]
    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, rows)), chunk_rows=3)
    assert (batch.stored_count, batch.duplicate_count) == (10, 1)
    assert issues(batch) == ["12行目: 2行目と同じ応募者のため、取り込みませんでした (山田 太郎 <taro1@example.jp>)"]


def test_an_interrupted_import_resumes_from_its_last_chunk_without_duplicates(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    rows = [herp_row(n) for n in range(1, 26)] + [herp_row(3), herp_row(30, メールアドレス="bad")]
    batch = upload(tenant, csv_bytes(HERP_HEADERS, rows))
    applicant_import_start(batch=batch)
    # The worker commits two chunks of 10 rows, then is killed.
    batch = applicant_import_process(batch_id=batch.pk, chunk_rows=10, max_chunks=2)
    assert (batch.status, batch.next_record, batch.stored_count) == ("running", 20, 20)
    assert Applicant.objects.count() == 20

    # Nothing committed for a while: the periodic job re-enqueues it (the immediate backend runs it inline).
    assert applicant_imports_resume_stuck(now=timezone.now() + timedelta(seconds=30)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert applicant_imports_resume_stuck(now=timezone.now() + timedelta(seconds=90)) == 1
    batch.refresh_from_db()
    assert batch.status == ApplicantImport.Status.DONE
    assert (batch.stored_count, batch.duplicate_count, batch.invalid_count) == (25, 1, 1)
    assert Applicant.objects.count() == 25
    assert Applicant.objects.values("dedupe_key").distinct().count() == 25

    # Running it again (a second worker, a double click) changes nothing.
    applicant_import_resume(batch=batch)
    assert applicant_import_process(batch_id=batch.pk).stored_count == 25
    assert Applicant.objects.count() == 25


def test_a_chunk_whose_rows_were_stored_meanwhile_counts_them_as_duplicates(tenant: Tenant) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2)]))
    # Between the preview and the run, a webhook stored the same person.
    applicant_record(
        company=tenant.company,
        source="webhook",
        external_system="herp",
        external_id="H000002",
        name="x",
        email="x@example.jp",
    )
    batch = run(batch)
    assert (batch.stored_count, batch.duplicate_count) == (1, 1)
    assert Applicant.objects.count() == 2


def test_it_imports_twenty_thousand_rows_in_chunks(tenant: Tenant) -> None:
    rows = [herp_row(n, 名前=f"応募 者{n}") for n in range(20_000)]
    batch = upload(tenant, csv_bytes(HERP_HEADERS, rows))
    assert batch.preview_valid == 20_000
    assert len(batch.preview_rows) == 10
    batch = run(batch)
    assert batch.stored_count == 20_000
    assert Applicant.objects.filter(company=tenant.company).count() == 20_000
    assert Applicant.objects.search("応募 者19999").count() == 1  # bulk rows are searchable like saved ones


def test_the_preview_shows_rows_as_they_will_be_stored(tenant: Tenant) -> None:
    rows = [herp_row(1, 名前="ﾔﾏﾀﾞ　太郎", メールアドレス="Ｔａｒｏ@example.jp"), herp_row(2, メールアドレス="bad")]
    batch = upload(tenant, csv_bytes(HERP_HEADERS, rows))
    first, second = batch.preview_rows
    assert (first["name"], first["email"], first["stage"], first["status"]) == (
        "ヤマダ 太郎",
        "taro@example.jp",
        "一次面接",
        "ok",
    )
    assert second["status"] == "invalid"
    assert second["problems"] == [["email_invalid", {"value": "bad"}]]


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        ("書類選考", "document"),
        ("エントリー", "document"),
        ("一次面接", "first_interview"),
        ("１次面接", "first_interview"),
        ("二次選考", "second_interview"),
        ("2次面接", "second_interview"),
        ("カジュアル面談", "casual_interview"),
        ("適性検査", "aptitude_test"),
        ("SPI", "aptitude_test"),
        ("グループディスカッション", "group_discussion"),
        ("三次面接", "later_interview"),
        ("役員面接", "later_interview"),
        ("最終面接", "final_interview"),
        ("最終(役員)面接", "final_interview"),
        ("", "document"),
        ("選考終了", "other"),
        ("一次面接:不合格", "first_interview"),
    ],
)
def test_it_maps_the_stage_words_japanese_atss_use(value: str, stage: str) -> None:
    assert Vocabulary().stage_for(value, "document") == stage


def test_it_maps_track_words_and_graduation_years() -> None:
    vocabulary = Vocabulary()
    assert vocabulary.track_for("2027新卒", default="mid_career") == "new_graduate"
    assert vocabulary.track_for("27卒 総合職", default="mid_career") == "new_graduate"
    assert vocabulary.track_for("第二新卒", default="new_graduate") == "mid_career"
    assert vocabulary.track_for("", default="new_graduate") == "new_graduate"


# --- screens ------------------------------------------------------------------------------------------------------


def upload_file(content: bytes, name: str = "herp.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_manager_uploads_previews_confirms_and_reads_the_report(
    owner_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    content = csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2, メールアドレス="taro@@example")])
    response = owner_client.post(
        reverse("applicants:imports"),
        {"file": upload_file(content), "default_stage": "document", "default_track": "mid_career"},
    )
    batch = ApplicantImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:import_detail", args=[batch.pk])

    page = owner_client.get(response["Location"]).content.decode()
    assert "HERP Hire" in page and "Shift_JIS" in page
    assert "取り込み可能" in page and "taro@@example" in page
    assert Applicant.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("applicants:import_start", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count, batch.invalid_count) == ("done", 1, 1)

    report = owner_client.get(reverse("applicants:import_detail", args=[batch.pk])).content.decode()
    assert "3行目: メールアドレスの形式が正しくありません (taro@@example)" in report
    assert f"?batch={batch.pk}" in report  # its applicants in the list


def test_the_report_links_to_sending_and_link_export_for_its_import(owner_client: Client, tenant: Tenant) -> None:
    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1)])))
    url = reverse("applicants:import_detail", args=[batch.pk])
    page = owner_client.get(url).content.decode()
    assert f'href="/company/mail/send/?import={batch.pk}">この取り込みの応募者に不採用通知を送る' in page
    assert f'href="/company/mail/links.csv?import={batch.pk}">専用リンクをCSVで書き出す' in page


def test_the_upload_form_shows_file_errors_and_keeps_nothing(owner_client: Client, tenant: Tenant) -> None:
    content = csv_bytes(["番号", "連絡先"], [["1", "a@example.jp"]])
    response = owner_client.post(
        reverse("applicants:imports"),
        {"file": upload_file(content), "default_stage": "document", "default_track": "mid_career"},
    )
    assert response.status_code == 200
    assert "判別できませんでした" in response.content.decode()
    response = owner_client.post(
        reverse("applicants:imports"),
        {"file": upload_file(b"%PDF-1.4", "resume.pdf"), "default_stage": "document", "default_track": "mid_career"},
    )
    assert "CSV ファイル" in response.content.decode()
    assert ApplicantImport.objects.count() == 0


def test_a_member_can_read_imports_but_not_upload_or_confirm(client: Client, tenant: Tenant) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1)]))
    login(client, tenant.member)
    assert client.get(reverse("applicants:imports")).status_code == 200
    assert client.get(reverse("applicants:import_detail", args=[batch.pk])).status_code == 200
    content = csv_bytes(HERP_HEADERS, [herp_row(2)])
    response = client.post(
        reverse("applicants:imports"),
        {"file": upload_file(content), "default_stage": "document", "default_track": "mid_career"},
    )
    assert response.status_code == 404
    assert client.post(reverse("applicants:import_start", args=[batch.pk])).status_code == 404
    assert client.post(reverse("applicants:presets"), {"name": "x", "name_column": "氏名"}).status_code == 404
    assert ApplicantImport.objects.count() == 1
    batch.refresh_from_db()
    assert batch.status == "preview"


def test_the_resume_button_carries_on_a_stopped_import(
    owner_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(30)]))
    applicant_import_start(batch=batch)
    applicant_import_process(batch_id=batch.pk, chunk_rows=10, max_chunks=1)
    page = owner_client.get(reverse("applicants:import_detail", args=[batch.pk])).content.decode()
    assert "続きから取り込む" in page
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("applicants:import_resume", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count) == ("done", 30)


def test_a_manager_saves_a_preset_and_imports_with_it(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        reverse("applicants:presets"), {"name": "採用管理表", "map_name": "氏名", "map_email": "Mail"}
    )
    assert response.status_code == 302
    preset = ImportPreset.objects.get(company=tenant.company)
    assert preset.mapping == {"name": "氏名", "email": "Mail"}
    response = owner_client.post(
        reverse("applicants:imports"),
        {
            "file": upload_file(csv_bytes(["氏名", "Mail"], [["山田 太郎", "taro@example.jp"]])),
            "preset": preset.pk,
            "default_stage": "final_interview",
            "default_track": "new_graduate",
        },
    )
    assert response.status_code == 302
    batch = ApplicantImport.objects.get()
    assert (batch.format, batch.preview_valid, batch.default_stage) == ("generic", 1, "final_interview")


def test_a_preset_needs_the_name_and_email_columns(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(reverse("applicants:presets"), {"name": "不完全", "map_position": "職種"})
    assert response.status_code == 200
    assert "メールアドレス" in response.content.decode()
    assert not ImportPreset.objects.exists()


def test_a_previewed_upload_can_be_discarded(owner_client: Client, tenant: Tenant) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1)]))
    response = owner_client.post(reverse("applicants:import_discard", args=[batch.pk]))
    assert response.status_code == 302
    assert not ApplicantImport.objects.exists()


def test_outsiders_get_404_on_every_import_url(outsider_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1)]))
    preset = ImportPreset.objects.create(company=tenant.company, name="p", mapping={"name": "氏名", "email": "メール"})
    assert outsider_client.get(reverse("applicants:import_detail", args=[batch.pk])).status_code == 404
    for name in ("import_start", "import_resume", "import_discard"):
        assert outsider_client.post(reverse(f"applicants:{name}", args=[batch.pk])).status_code == 404, name
    assert outsider_client.get(reverse("applicants:preset_edit", args=[preset.pk])).status_code == 404
    for name in ("preset_edit", "preset_delete"):
        assert outsider_client.post(reverse(f"applicants:{name}", args=[preset.pk])).status_code == 404, name
    # Their own upload form does not offer, nor accept, our preset.
    response = outsider_client.post(
        reverse("applicants:imports"),
        {
            "file": upload_file(csv_bytes(["氏名", "メール"], [["a", "a@example.jp"]])),
            "preset": preset.pk,
            "default_stage": "document",
            "default_track": "mid_career",
        },
    )
    assert response.status_code == 200
    assert not ApplicantImport.objects.filter(company=outsider.company).exists()
    page = outsider_client.get(reverse("applicants:imports")).content.decode()
    assert "applicants.csv" not in page
    batch.refresh_from_db()
    assert batch.status == "preview"
    assert ImportPreset.objects.filter(pk=preset.pk).exists()
    assert ImportRowIssue.objects.count() == 0


# --- the task worker ---------------------------------------------------------------------------------------------


@pytest.fixture
def _worker_process_state() -> Iterator[None]:
    """Workers install signal handlers and set logger levels for a whole process; put them back afterwards."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    loggers = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db", "rq.worker")}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_worker_process_state")
def test_the_database_worker_runs_a_confirmed_import(settings: Any, tenant: Tenant) -> None:
    from django_tasks_db.models import DBTaskResult

    from tests.test_tasks import DB_TASKS, run_db_worker

    settings.TASKS = DB_TASKS
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(5)]))
    applicant_import_start(batch=batch)
    task = DBTaskResult.objects.get(task_path="applicants.tasks.applicant_import_run")
    assert task.args_kwargs["kwargs"] == {"import_id": batch.pk}
    assert Applicant.objects.count() == 0  # nothing until a worker takes it
    run_db_worker()
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count) == ("done", 5)


@pytest.mark.redis
@pytest.mark.usefixtures("_worker_process_state")
def test_the_redis_worker_runs_a_confirmed_import(
    rq_queue: Any, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.workers import run_rq_burst

    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(5)]))
    with django_capture_on_commit_callbacks(execute=True):
        applicant_import_start(batch=batch)
    assert Applicant.objects.count() == 0
    assert run_rq_burst() is True
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count) == ("done", 5)


def test_the_scheduler_looks_for_stuck_imports_every_minute() -> None:
    from lib.periodic import JOBS, enqueue_due_jobs

    job = next(job for job in JOBS if job.name == "resume_stuck_imports")
    assert job.task_path == "applicants.tasks.resume_stuck_imports"
    moment = timezone.now().replace(minute=3, second=5)
    assert job.slot(moment) == job.slot(moment.replace(second=55)) != job.slot(moment.replace(minute=4))
    assert enqueue_due_jobs(now=moment, jobs=[job]) == ["resume_stuck_imports"]
    assert enqueue_due_jobs(now=moment.replace(second=40), jobs=[job]) == []
    assert enqueue_due_jobs(now=moment.replace(minute=4), jobs=[job]) == ["resume_stuck_imports"]


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------------------------


@pytest.fixture
def _postgres_only() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL; run with DATABASE_URL=postgres://…")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_postgres_only")
def test_two_workers_on_one_import_store_each_row_once(tenant: Tenant) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(3000)]))
    applicant_import_start(batch=batch)
    process = lambda: applicant_import_process(batch_id=batch.pk, chunk_rows=250)  # noqa: E731
    assert run_at_once([process, process], workers=2) == []
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count, batch.duplicate_count, batch.next_record) == ("done", 3000, 0, 3000)
    assert Applicant.objects.count() == 3000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_postgres_only")
def test_overlapping_imports_running_at_once_store_each_person_once(tenant: Tenant) -> None:
    first = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(0, 2000)]), filename="a.csv")
    second = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(1000, 3000)]), filename="b.csv")
    for batch in (first, second):
        applicant_import_start(batch=batch)
    assert (
        run_at_once(
            [
                lambda: applicant_import_process(batch_id=first.pk, chunk_rows=200),
                lambda: applicant_import_process(batch_id=second.pk, chunk_rows=200),
            ],
            workers=2,
        )
        == []
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert Applicant.objects.count() == 3000
    assert first.stored_count + second.stored_count == 3000
    assert first.duplicate_count + second.duplicate_count == 1000  # the overlap, reported by whichever came second
    assert ImportRowIssue.objects.filter(kind="duplicate_existing").count() == 1000


def test_it_leaves_out_rows_whose_outcome_is_not_a_rejection(tenant: Tenant) -> None:
    rows = [
        herp_row(1),
        herp_row(2, 選考終了理由="入社決定"),
        herp_row(3, 選考終了理由="応募者辞退"),
        herp_row(4, 選考終了理由=""),
        herp_row(5, 選考終了理由="不採用(スキル)"),
        herp_row(6, 選考終了理由="入社決定", メールアドレス="bad"),
    ]
    batch = upload(tenant, csv_bytes(HERP_HEADERS, rows))
    assert (batch.preview_valid, batch.preview_not_rejected, batch.preview_invalid) == (2, 4, 0)
    batch = run(batch)
    assert (batch.stored_count, batch.not_rejected_count, batch.invalid_count) == (2, 4, 0)
    assert set(Applicant.objects.values_list("external_id", flat=True)) == {"H000001", "H000005"}
    assert issues(batch) == [
        "3行目: 入社決定のため、お祈りメールの対象外として取り込みませんでした (山田 太郎 <taro2@example.jp>)",
        "4行目: 応募者辞退のため、お祈りメールの対象外として取り込みませんでした (山田 太郎 <taro3@example.jp>)",
        "5行目: 選考中のため、取り込みませんでした (山田 太郎 <taro4@example.jp>)",
        "7行目: 入社決定のため、お祈りメールの対象外として取り込みませんでした (山田 太郎 <bad>)",
    ]


def test_the_report_page_follows_a_running_import_and_reloads_when_it_is_done(
    owner_client: Client, tenant: Tenant
) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(30)]))
    applicant_import_start(batch=batch)
    applicant_import_process(batch_id=batch.pk, chunk_rows=10, max_chunks=1)
    url = reverse("applicants:import_detail", args=[batch.pk])
    page = owner_client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    partial = owner_client.get(url, headers={"HX-Request": "true"})
    assert "取り込み中です… 10 / 30 行" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    applicant_import_process(batch_id=batch.pk)
    done = owner_client.get(url, headers={"HX-Request": "true"})
    assert (done.status_code, done["HX-Refresh"]) == (204, "true")
    assert 'hx-trigger="every 2s"' not in owner_client.get(url).content.decode()


def test_the_row_report_reads_in_the_language_of_whoever_opens_it(owner_client: Client, tenant: Tenant) -> None:
    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2, メールアドレス="taro@@example")])))
    url = reverse("applicants:import_detail", args=[batch.pk])
    japanese = owner_client.get(url).content.decode()
    english = owner_client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "3行目: メールアドレスの形式が正しくありません (taro@@example)" in japanese
    assert "Row 3: the email address is not valid (taro@@example)" in english


def test_the_import_page_says_when_an_import_has_stalled_and_will_resume_by_itself(
    tenant: Tenant, owner_client: Client
) -> None:
    batch = upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(1, 26)]))
    applicant_import_start(batch=batch)
    applicant_import_process(batch_id=batch.pk, chunk_rows=10, max_chunks=1)
    url = reverse("applicants:import_detail", args=[batch.pk])

    fresh = owner_client.get(url).content.decode()
    ApplicantImport.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=75))
    stalled = owner_client.get(url).content.decode()

    notice = "1〜2 分以内に自動で続きから再開します"
    assert notice not in fresh
    assert notice in stalled
    assert "10 / 25 行" in stalled
