"""The company's list of rejected applicants: search, filters, selection for sending, detail page, manual add."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, ApplicantImport
from applicants.services import applicant_record
from demo.applicants import DEMO_FILENAME, seed_applicants
from mailings.models import OutboundEmail
from tests.conftest import Tenant, login
from tests.test_applicant_imports import HERP_HEADERS, csv_bytes, herp_row, run, upload

pytestmark = pytest.mark.django_db


def person(tenant: Tenant, name: str, email: str, **fields: Any) -> Applicant:
    return applicant_record(company=tenant.company, source="manual", name=name, email=email, **fields).applicant


def rejection_email(applicant: Applicant, status: str) -> OutboundEmail:
    return OutboundEmail.objects.create(
        company=applicant.company,
        kind=OutboundEmail.Kind.REJECTION,
        idempotency_key=f"rejection:{applicant.pk}",
        applicant=applicant,
        to_email=applicant.email,
        subject="選考結果のご連絡",
        body="本文",
        status=status,
        send_after=timezone.now(),
        sent_at=timezone.now() if status == "sent" else None,
    )


def names(response: Any) -> set[str]:
    return set(re.findall(r'<a href="/company/applicants/\d+/">([^<]+)</a>', response.content.decode()))


def test_it_lists_the_companys_applicants_only(owner_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    person(tenant, "山田 太郎", "taro@example.jp")
    applicant_record(company=outsider.company, source="manual", name="他社 花子", email="hanako@example.jp")
    response = owner_client.get(reverse("applicants:list"))
    assert response.status_code == 200
    assert names(response) == {"山田 太郎"}


def test_it_finds_applicants_by_partial_japanese_across_kana_widths(owner_client: Client, tenant: Tenant) -> None:
    person(tenant, "山田 太郎", "taro@example.jp", name_kana="ヤマダ タロウ", position="営業職")
    person(tenant, "佐藤 花子", "hanako@example.jp", name_kana="サトウ ハナコ", position="エンジニア")
    assert names(owner_client.get(reverse("applicants:list"), {"q": "やまだ"})) == {"山田 太郎"}  # hiragana → katakana
    assert names(owner_client.get(reverse("applicants:list"), {"q": "ｻﾄｳ"})) == {"佐藤 花子"}  # half-width kana
    assert names(owner_client.get(reverse("applicants:list"), {"q": "エンジ"})) == {"佐藤 花子"}
    assert names(owner_client.get(reverse("applicants:list"), {"q": "TARO@"})) == {"山田 太郎"}


def test_it_filters_by_import_stage_track_and_whether_a_rejection_email_went_out(
    owner_client: Client, tenant: Tenant
) -> None:
    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1, 名前="取込 一郎"), herp_row(2, 名前="取込 二郎")])))
    sent = person(tenant, "送信済 さん", "sent@example.jp", stage="final_interview", track="new_graduate")
    queued = person(tenant, "送信待ち さん", "queued@example.jp")
    rejection_email(sent, "sent")
    rejection_email(queued, "queued")
    url = reverse("applicants:list")
    assert names(owner_client.get(url, {"batch": batch.pk})) == {"取込 一郎", "取込 二郎"}
    assert names(owner_client.get(url, {"stage": "final_interview"})) == {"送信済 さん"}
    assert names(owner_client.get(url, {"track": "new_graduate"})) == {"送信済 さん"}
    assert names(owner_client.get(url, {"mail": "sent"})) == {"送信済 さん"}
    assert names(owner_client.get(url, {"mail": "queued"})) == {"送信待ち さん"}
    assert names(owner_client.get(url, {"mail": "none"})) == {"取込 一郎", "取込 二郎"}
    page = owner_client.get(url).content.decode()
    assert "送信済み" in page and "送信待ち" in page


def test_it_ignores_another_companys_import_in_the_filter(
    outsider_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1, 名前="取込 一郎")])))
    response = outsider_client.get(reverse("applicants:list"), {"batch": batch.pk})
    assert response.status_code == 200
    assert "取込 一郎" not in response.content.decode()


def test_it_paginates(owner_client: Client, tenant: Tenant) -> None:
    run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(n) for n in range(60)])))
    first = owner_client.get(reverse("applicants:list")).content.decode()
    assert first.count('name="applicant"') == 50
    second = owner_client.get(reverse("applicants:list"), {"page": 2}).content.decode()
    assert second.count('name="applicant"') == 10


def test_the_selection_submits_applicant_ids_to_sending_and_link_export(owner_client: Client, tenant: Tenant) -> None:
    taro = person(tenant, "山田 太郎", "taro@example.jp")
    page = owner_client.get(reverse("applicants:list")).content.decode()
    assert f'name="applicant" value="{taro.pk}"' in page
    assert '<form method="get" action="/company/mail/send/" id="selection">' in page
    assert 'formaction="/company/mail/send/">選んだ応募者に不採用通知を送る' in page
    assert 'formaction="/company/mail/links.csv">選んだ応募者の専用リンクをCSVで書き出す' in page


def test_the_detail_page_shows_data_source_personal_link_and_emails(owner_client: Client, tenant: Tenant) -> None:
    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1)]), filename="11月不採用.csv"))
    applicant = Applicant.objects.get(import_batch=batch)
    rejection_email(applicant, "sent")
    page = owner_client.get(reverse("applicants:detail", args=[applicant.pk])).content.decode()
    assert "山田 太郎" in page and "taro1@example.jp" in page and "営業職" in page and "一次面接" in page
    assert "11月不採用.csv" in page and "2行目" in page
    # The signed token carries a timestamp, so read the link back rather than signing again.
    found = re.search(rf"{re.escape(tenant.link.public_url)}\?ref=([^\s\"<&]+)", page)
    assert found, page
    assert tenant.link.read_applicant_ref(found.group(1)) == applicant.ref
    assert "選考結果のご連絡" in page and "送信済み" in page


def test_a_manager_adds_one_applicant_by_hand_and_a_second_time_finds_the_first(
    owner_client: Client, tenant: Tenant
) -> None:
    data = {
        "name": "手入力　一郎",
        "name_kana": "テニュウリョク イチロウ",
        "email": "ＩＣＨＩＲＯ@example.jp",
        "position": "経理",
        "stage": "first_interview",
        "track": "new_graduate",
        "interview_date": "2026-11-02",
        "rejected_on": "2026-11-05",
        "external_id": "",
    }
    response = owner_client.post(reverse("applicants:add"), data)
    applicant = Applicant.objects.get(company=tenant.company)
    assert response["Location"] == reverse("applicants:detail", args=[applicant.pk])
    assert (applicant.name, applicant.email, applicant.source, applicant.track) == (
        "手入力 一郎",
        "ichiro@example.jp",
        "manual",
        "new_graduate",
    )
    assert timezone.localtime(applicant.rejected_at).date().isoformat() == "2026-11-05"
    response = owner_client.post(reverse("applicants:add"), data, follow=True)
    assert Applicant.objects.filter(company=tenant.company).count() == 1
    assert "同じ応募者がすでに登録されています" in response.content.decode()


def test_the_manual_form_explains_bad_input(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        reverse("applicants:add"), {"name": " ", "email": "taro@@example", "stage": "document", "track": "mid_career"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "メールアドレスの形式が正しくありません" in page
    assert not Applicant.objects.exists()


def test_a_member_sees_the_list_and_details_but_cannot_add(client: Client, tenant: Tenant) -> None:
    applicant = person(tenant, "山田 太郎", "taro@example.jp")
    login(client, tenant.member)
    assert client.get(reverse("applicants:list")).status_code == 200
    assert client.get(reverse("applicants:detail", args=[applicant.pk])).status_code == 200
    assert client.get(reverse("applicants:add")).status_code == 404
    assert client.post(reverse("applicants:add"), {"name": "x", "email": "x@example.jp"}).status_code == 404


def test_outsiders_get_404_for_another_companys_applicant(outsider_client: Client, tenant: Tenant) -> None:
    applicant = person(tenant, "山田 太郎", "taro@example.jp")
    assert outsider_client.get(reverse("applicants:detail", args=[applicant.pk])).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, tenant: Tenant) -> None:
    for url in (reverse("applicants:list"), reverse("applicants:imports")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"] or "next=" in response["Location"]


def test_the_demo_seed_imports_through_the_real_service_once(tenant: Tenant) -> None:
    batch = seed_applicants(company=tenant.company, count=12)
    assert (batch.filename, batch.status, batch.format) == (DEMO_FILENAME, ApplicantImport.Status.DONE, "herp")
    assert (batch.stored_count, batch.invalid_count, batch.duplicate_count) == (13, 1, 1)
    assert (batch.not_rejected_count, batch.held_count) == (3, 1)  # hired, withdrew, in selection; one unmapped
    assert seed_applicants(company=tenant.company, count=12).pk == batch.pk
    assert Applicant.objects.filter(company=tenant.company).count() == 13
    held = Applicant.objects.get(company=tenant.company, hold=Applicant.Hold.UNKNOWN_REASON)
    assert (held.reason_text, held.stage, held.mail_refusal is not None) == (
        "スキルミスマッチ",
        "casual_interview",
        True,
    )


def test_the_pages_speak_english_when_asked(owner_client: Client, tenant: Tenant) -> None:
    from django.utils import translation

    batch = run(upload(tenant, csv_bytes(HERP_HEADERS, [herp_row(1), herp_row(2, メールアドレス="taro@@example")])))
    applicant = Applicant.objects.get()
    with translation.override("en"):
        owner_client.cookies["django_language"] = "en"
        pages = {
            reverse("applicants:list"): "Rejected applicants",
            reverse("applicants:detail", args=[applicant.pk]): "Application details",
            reverse("applicants:imports"): "Upload a CSV file",
            reverse(
                "applicants:import_detail", args=[batch.pk]
            ): "Row 3: the email address is not valid (taro@@example)",
            reverse("applicants:presets"): "Add a preset",
            reverse("applicants:add"): "Add one rejected applicant",
        }
        for url, text in pages.items():
            assert text in owner_client.get(url).content.decode(), url
