"""Mail over a real SMTP conversation: a loopback aiosmtpd server receives what the app sends."""

import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import Invitation, User
from candidates.models import Candidate
from relay.models import Referral
from tests.conftest import Tenant
from tests.smtp import SmtpServer

VERIFY_SUBJECT = "【キャリアリレー】メールアドレスの確認をお願いいたします"


def subject(message: EmailMessage) -> str:
    """The decoded Subject. Python's email package folds a long encoded Subject starting with an empty line
    (`Subject: CRLF SP =?utf-8?b?...?=`); unfolding leaves one leading space, which mail clients drop."""
    return str(message["Subject"]).removeprefix(" ")


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def first_url(body: str, path_prefix: str) -> str:
    found = re.search(rf"https?://[^\s/]+{re.escape(path_prefix)}\S+", body)
    assert found is not None, body
    return found.group(0)


def registration_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "鈴木 一郎",
        "furigana": "すずき いちろう",
        "email": "ichiro.suzuki@example.jp",
        "phone": "090-2345-6789",
        "prefecture": "13",
        "job_category": "software",
        "years_of_experience": "5",
        "skills": "Python、Go",
        "desired_salary": "600",
        "career_summary": "SaaS のバックエンド開発に5年間携わりました。",
        "agree_service": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_it_delivers_the_verification_mail_over_smtp_and_its_link_counts_the_referral(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = Client()
    assert client.get(f"/r/{tenant.link.code}").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/r/{tenant.link.code}", registration_form())

    assert response.status_code == 302
    assert response["Location"] == f"/r/{tenant.link.code}/thanks"
    assert len(smtp_server.handler.received) == 1
    envelope = smtp_server.handler.received[0]
    assert envelope.envelope_to == ["ichiro.suzuki@example.jp"]
    assert envelope.envelope_from == "no-reply@career-relay.example.jp"
    message = smtp_server.messages[0]
    assert subject(message) == VERIFY_SUBJECT
    assert message["From"] == django_settings.DEFAULT_FROM_EMAIL
    assert message["To"] == "ichiro.suzuki@example.jp"
    assert message.get_content_charset() == "utf-8"
    body = text_body(message)
    assert "鈴木 一郎 様" in body
    assert tenant.company.name in body
    verify_url = first_url(body, "/me/verify/")
    assert verify_url.startswith(f"{django_settings.SITE_URL}/me/verify/")

    referral = Referral.objects.get(candidate__email_normalized="ichiro.suzuki@example.jp")
    assert referral.status == Referral.Status.PENDING_VERIFICATION

    verified = client.get(urlsplit(verify_url).path)

    assert verified.status_code == 302
    assert verified["Location"] == "/me/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COUNTED
    assert referral.company_id == tenant.company.pk
    assert referral.candidate is not None
    assert Candidate.objects.get(pk=referral.candidate.pk).email_verified_at is not None
    mypage = client.get("/me/")
    assert mypage.status_code == 200
    assert "鈴木 一郎" in mypage.content.decode()


@pytest.mark.django_db
def test_it_sends_nothing_before_the_registration_commits(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Client().post(f"/r/{tenant.link.code}", registration_form())

    assert smtp_server.handler.received == []
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_it_keeps_the_verification_link_single_use(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/r/{tenant.link.code}", registration_form())
    path = urlsplit(first_url(text_body(smtp_server.messages[0]), "/me/verify/")).path
    assert Client().get(path).status_code == 302

    again = Client().get(path)

    assert again.status_code == 400


@pytest.mark.django_db
def test_it_delivers_the_company_invitation_over_smtp_with_a_working_link(
    smtp_server: SmtpServer, operator_client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    form = {
        "company-name": "株式会社リレー物産",
        "company-name_kana": "カブシキガイシャリレーブッサン",
        "company-landing_message": "",
        "contract-referrals_per_credit": "10",
        "contract-credit_validity_months": "12",
        "contract-counting_rule": "verified",
        "contract-starts_on": "",
        "contract-note": "",
        "invite-name": "佐藤 次郎",
        "invite-email": "Jiro.Sato@Relay-Bussan.example.jp",
        "invite-role": "owner",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/ops/companies/new/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    invitation = Invitation.objects.select_related("company").get()
    assert response["Location"] == f"/ops/companies/{invitation.company.pk}/"
    assert invitation.email == "jiro.sato@relay-bussan.example.jp"
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert subject(message) == "【キャリアリレー】株式会社リレー物産 のメンバーとして招待されました"
    assert message["To"] == "jiro.sato@relay-bussan.example.jp"
    assert message["From"] == django_settings.DEFAULT_FROM_EMAIL
    body = text_body(message)
    assert "佐藤 次郎 様" in body
    invite_url = first_url(body, "/invite/")
    assert invite_url.startswith(f"{django_settings.SITE_URL}/invite/")

    invitee = Client()
    path = urlsplit(invite_url).path
    page = invitee.get(path)
    assert page.status_code == 200
    password = "relay-bussan-passphrase-7"
    accepted = invitee.post(path, {"name": "佐藤 次郎", "password1": password, "password2": password})

    assert accepted.status_code == 302
    assert accepted["Location"] == "/company/"
    user = User.objects.get(email="jiro.sato@relay-bussan.example.jp")
    assert user.company_id == invitation.company.pk
    assert user.company_role == User.CompanyRole.OWNER
    assert user.check_password(password)
    assert invitee.get("/company/").status_code == 200
    assert Client().get(path).status_code == 404


@pytest.mark.django_db
def test_it_encodes_japanese_headers_for_the_wire(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Raw bytes on the wire are 7-bit headers (RFC 2047), whatever the body transfer encoding."""
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/r/{tenant.link.code}", registration_form())

    raw = smtp_server.handler.received[0].content
    header_block = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    assert header_block.isascii()
    assert b"=?utf-8?" in header_block.lower()
