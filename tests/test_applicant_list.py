"""The company's list of rejected applicants: search, filters, selection for sending, detail page, manual add."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, ApplicantImport, RejectionReason
from applicants.services import applicant_close, applicant_link_exported, applicant_record
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


# --- selection-end reasons in the list and on the detail page ------------------------------------------------------


def _reason(tenant: Tenant, code: str) -> RejectionReason:
    return RejectionReason.objects.get(company=tenant.company, code=code)


def test_the_list_shows_and_filters_by_selection_end_reason_held_and_closed(
    owner_client: Client, tenant: Tenant
) -> None:
    rejected = person(tenant, "不採用 さん", "rejected@example.jp")
    withdrawn = person(tenant, "辞退 さん", "withdrawn@example.jp", reason_id=_reason(tenant, "withdrawn").pk)
    waiting = person(
        tenant, "確認待ち さん", "held@example.jp", reason_text="Cultural fit", hold=Applicant.Hold.UNKNOWN_REASON
    )
    reversed_ = person(tenant, "取消 さん", "closed@example.jp")
    applicant_close(applicant=reversed_, why="ATS で不採用が取り消されました。")
    erased = person(tenant, "削除 さん", "erased@example.jp")
    applicant_close(applicant=erased, why="ATS で削除されました。", erase=True)
    url = reverse("applicants:list")
    page = owner_client.get(url).content.decode()
    assert "<th>選考終了理由</th>" in page
    assert '<td class="reason">応募者辞退</td>' in page
    assert '<span class="badge pending">確認待ち</span><br><span class="small muted">Cultural fit</span>' in page
    assert '<span class="badge invalidated">取り消し</span>' in page and "削除済み" in page
    assert names(owner_client.get(url, {"reason": _reason(tenant, "rejected").pk})) == {
        "不採用 さん",
        "取消 さん",
        erased.name,
    }
    assert names(owner_client.get(url, {"reason": _reason(tenant, "withdrawn").pk})) == {"辞退 さん"}
    assert names(owner_client.get(url, {"reason": "held"})) == {"確認待ち さん"}
    assert names(owner_client.get(url, {"reason": "closed"})) == {"取消 さん", erased.name}
    # The other filters still apply alongside.
    assert names(owner_client.get(url, {"reason": "held", "mail": "none", "stage": "document"})) == {"確認待ち さん"}
    assert rejected.pk and withdrawn.pk and waiting.pk


def test_another_companys_reason_in_the_filter_shows_nothing(
    outsider_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    person(tenant, "山田 太郎", "taro@example.jp")
    response = outsider_client.get(reverse("applicants:list"), {"reason": _reason(tenant, "rejected").pk})
    assert response.status_code == 200 and "山田 太郎" not in response.content.decode()


def test_the_detail_page_shows_reason_ats_words_hold_and_consent(owner_client: Client, tenant: Tenant) -> None:
    waiting = person(
        tenant,
        "確認待ち さん",
        "held@example.jp",
        reason_text="They rejected us",
        hold=Applicant.Hold.UNVERIFIED,
        hold_detail="Lever の API キーが未設定のため、入社かどうかを確認できません。",
        can_email=False,
    )
    page = owner_client.get(reverse("applicants:detail", args=[waiting.pk])).content.decode()
    assert "They rejected us" in page and "ATS での確認待ち" in page
    assert "Lever の API キーが未設定のため" in page and "確認待ちの一覧で確定する" in page
    assert "いいえ(ATS でメール送信不可とされています)" in page
    assert "ATS でメール送信不可 (can_email: false) とされているため、メールは送りません。" in page
    sent_ok = person(tenant, "不採用 さん", "ok@example.jp")
    page = owner_client.get(reverse("applicants:detail", args=[sent_ok.pk])).content.decode()
    assert '不採用 <span class="small muted">(お祈りメールの対象)</span>' in page and "お送りできます。" in page


def test_the_detail_page_shows_a_reversed_or_erased_rejection(owner_client: Client, tenant: Tenant) -> None:
    applicant = person(tenant, "取消 さん", "closed@example.jp")
    applicant_close(applicant=applicant, why="Greenhouse で不採用が取り消されました (unreject_candidate)。")
    page = owner_client.get(reverse("applicants:detail", args=[applicant.pk])).content.decode()
    assert 'id="closed"' in page and "unreject_candidate" in page
    applicant_close(applicant=applicant, why="Greenhouse で削除されました。", erase=True)
    page = owner_client.get(reverse("applicants:detail", args=[applicant.pk])).content.decode()
    assert 'id="erased"' in page and "closed@example.jp" not in page


def test_an_exported_link_is_shown_instead_of_no_mail_yet_and_says_nothing_of_registration(
    owner_client: Client, tenant: Tenant
) -> None:
    applicant = person(tenant, "書出 さん", "export@example.jp")
    url = reverse("applicants:detail", args=[applicant.pk])
    assert "この方にはまだメールを送っていません。" in owner_client.get(url).content.decode()
    applicant_link_exported(applicants=[applicant])
    applicant.refresh_from_db()
    assert applicant.link_exported_at is not None
    page = owner_client.get(url).content.decode()
    at = timezone.localtime(applicant.link_exported_at).strftime("%Y/%m/%d %H:%M")
    assert (
        f"個人用リンクを書き出しました ({at})。"
        "貴社のメールでご案内いただいた場合、こちらにはメールの記録は表示されません。" in page
    )
    assert "まだメールを送っていません" not in page
    # Once our own rejection mail went out, its record speaks for itself.
    rejection_email(applicant, "sent")
    page = owner_client.get(url).content.decode()
    assert 'id="link-exported"' not in page and "送信済み" in page
