"""A rejected candidate opens /r/<code>, registers, and verifies their email."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from candidates.models import Candidate, Consent
from relay.models import Click, Referral, Touch
from tests.conftest import Tenant, register_verified
from tests.fixture_types import CaptureOnCommit

pytestmark = pytest.mark.django_db


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "佐藤　美咲",
        "furigana": "さとう みさき",
        "email": "ＭＩＳＡＫＩ@Example.jp",
        "phone": "０８０－１２３４－５６７８",
        "prefecture": "27",
        "job_category": "marketing",
        "years_of_experience": "５",
        "skills": "SNS運用、広告運用",
        "desired_salary": "480万円",
        "career_summary": "事業会社でWebマーケティングを5年担当しました。",
        "agree_service": "on",
        "agree_rechallenge": "on",
    }
    data.update(overrides)
    return data


def verify_url_from(message: mail.EmailMessage) -> str:
    match = re.search(r"http://testserver(/me/verify/\S+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_the_landing_page_is_branded_and_explains_data_handling(client: Client, tenant: Tenant) -> None:
    page = client.get(f"/r/{tenant.link.code}").content.decode()
    assert "株式会社テスト商事" in page
    assert "お名前や連絡先は伝わりません" in page
    assert 'name="viewport"' in page
    for forbidden in ("本籍", "宗教", "支持政党"):  # only mentioned as what we never ask
        assert f'name="{forbidden}"' not in page


def test_a_click_is_recorded_once_per_browser_session(client: Client, tenant: Tenant) -> None:
    client.get(f"/r/{tenant.link.code}")
    client.get(f"/r/{tenant.link.code}")
    Client().get(f"/r/{tenant.link.code}")
    assert Click.objects.filter(link=tenant.link).count() == 2


def test_an_unknown_code_is_404_and_a_paused_link_says_so_politely(client: Client, tenant: Tenant) -> None:
    assert client.get("/r/no-such-code").status_code == 404
    tenant.link.is_active = False
    tenant.link.save()
    response = client.get(f"/r/{tenant.link.code}")
    assert response.status_code == 410
    assert "受付は終了しました" in response.content.decode()


def test_registration_normalises_japanese_input_and_sends_a_verification_email(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/r/{tenant.link.code}", form_data())
    assert response.status_code == 302 and response["Location"] == f"/r/{tenant.link.code}/thanks"
    candidate = Candidate.objects.get()
    assert candidate.email == "MISAKI@Example.jp"
    assert candidate.email_normalized == "misaki@example.jp"
    assert candidate.phone == "+818012345678"
    assert candidate.furigana == "サトウ ミサキ"
    assert (candidate.years_of_experience, candidate.desired_salary) == (5, 480)
    assert candidate.current_consents() == {
        "service": True,
        "rechallenge": True,
        "newsletter": False,
        "share_with_company": False,
    }
    assert set(Consent.objects.values_list("version", flat=True)) == {Consent.current_version()}
    assert Referral.objects.get().status == Referral.Status.PENDING_VERIFICATION
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["MISAKI@Example.jp"]
    assert "メールアドレスの確認" in mail.outbox[0].subject
    assert "株式会社テスト商事" in mail.outbox[0].body


def test_the_verification_link_counts_the_referral_and_signs_the_candidate_in(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/r/{tenant.link.code}", form_data())
    url = verify_url_from(mail.outbox[0])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == "/me/"
    assert "確認が完了しました" in response.content.decode()
    assert Referral.objects.get().status == Referral.Status.COUNTED
    again = Client().get(url)  # single use
    assert again.status_code == 400


def test_a_bad_submission_keeps_what_was_typed_and_explains_in_japanese(client: Client, tenant: Tenant) -> None:
    response = client.post(
        f"/r/{tenant.link.code}",
        form_data(
            phone="12345", email="not-an-address", furigana="Sato", agree_service="", years_of_experience="たくさん"
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "電話番号を正しくご入力ください" in page
    assert "メールアドレスの形式が正しくありません" in page
    assert "フリガナはカタカナまたはひらがなでご入力ください" in page
    assert "ご登録には利用規約と個人情報の取扱いへの同意が必要です" in page
    assert "経験年数は 0〜60 の数字でご入力ください" in page
    assert 'value="佐藤 美咲"' in page or 'value="佐藤　美咲"' in page
    assert "SNS運用、広告運用" in page
    assert not Candidate.objects.exists()


def test_a_registered_person_coming_back_sees_the_same_page_and_gets_a_sign_in_link(
    client: Client, tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    register_verified(tenant.link, email="misaki@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/r/{outsider.link.code}", form_data())
    assert response.status_code == 302 and response["Location"].endswith("/thanks")
    assert Referral.objects.count() == 1
    assert Touch.objects.filter(link=outsider.link).count() == 1
    assert "すでにご登録いただいています" in mail.outbox[-1].subject
    assert "/me/auth/" in mail.outbox[-1].body


def test_a_signed_applicant_reference_ties_the_registration_to_the_ats_application(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    personal = tenant.link.personal_url("HERP-000123")
    path = personal.replace("http://testserver", "")
    response = client.get(path)
    assert response.status_code == 302 and "ref=" not in response["Location"]  # not left in the address bar
    client.get(response["Location"])
    assert Click.objects.get().has_applicant_ref is True
    client.post(f"/r/{tenant.link.code}", form_data())
    assert Referral.objects.get().applicant_ref == "HERP-000123"


def test_a_forged_applicant_reference_is_ignored(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    other_companys_token = outsider.link.sign_applicant_ref("X-1").split("?")[-1]
    client.get(f"/r/{tenant.link.code}?ref={other_companys_token}")
    client.get(f"/r/{tenant.link.code}?ref=forged:token")
    client.post(f"/r/{tenant.link.code}", form_data())
    assert Referral.objects.get().applicant_ref == ""


def test_the_form_asks_nothing_an_agency_may_not_collect() -> None:
    from candidates.forms import RegistrationForm

    asked = set(RegistrationForm.base_fields)
    assert asked.isdisjoint({"honseki", "birthplace", "family", "religion", "politics", "birth_date", "gender"})


def test_each_empty_required_field_says_which_field_politely(client: Client, tenant: Tenant) -> None:
    empty = dict.fromkeys(
        ("name", "furigana", "email", "phone", "prefecture", "job_category", "years_of_experience"), ""
    )

    page = client.post(f"/r/{tenant.link.code}", form_data(**empty)).content.decode()

    for message in (
        "お名前をご入力ください。",
        "フリガナをご入力ください。",
        "メールアドレスをご入力ください。",
        "電話番号をご入力ください。",
        "お住まいの都道府県をお選びください。",
        "希望職種をお選びください。",
        "経験年数をご入力ください(未経験の方は 0)。",
    ):
        assert message in page, message
    assert "このフィールドは必須です" not in page
    assert not Candidate.objects.exists()


@pytest.mark.parametrize("name", ["😀😀", "12345", "山田 123", "★★ ☆☆", "・・"])
def test_a_name_of_digits_symbols_or_emoji_is_refused_and_the_rest_of_the_form_is_kept(
    client: Client, tenant: Tenant, name: str
) -> None:
    page = client.post(f"/r/{tenant.link.code}", form_data(name=name)).content.decode()

    assert "お名前は文字でご入力ください(数字・記号・絵文字は使えません)。" in page
    assert 'value="ＭＩＳＡＫＩ@Example.jp"' in page  # nothing valid is lost
    assert not Candidate.objects.exists()


@pytest.mark.parametrize("name", ["佐々木 一", "ド・ゴール 花子", "O'Brien Mary", "Jean-Luc Picard", "ｻﾄｳ ﾐｻｷ"])
def test_real_names_in_any_script_register(
    client: Client, tenant: Tenant, name: str, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/r/{tenant.link.code}", form_data(name=name))

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Candidate.objects.get().name


def test_an_old_carrier_address_registers_exactly_as_typed_and_gets_its_mail(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    """docomo and au issued addresses like this before 2009 (RFC 5322 forbids `..` and a dot before the @); the
    carriers still deliver them, and Django's own check refused them."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/r/{tenant.link.code}", form_data(email="ichiro..test.@docomo.ne.jp"))

    assert response.status_code == 302
    assert Candidate.objects.get().email == "ichiro..test.@docomo.ne.jp"
    assert mail.outbox[-1].to == ["ichiro..test.@docomo.ne.jp"]


def test_the_same_loose_address_at_an_ordinary_domain_is_still_refused(client: Client, tenant: Tenant) -> None:
    page = client.post(f"/r/{tenant.link.code}", form_data(email="ichiro..test.@example.jp")).content.decode()

    assert "メールアドレスの形式が正しくありません。" in page
    assert not Candidate.objects.exists()
