"""The development mailbox: outgoing mail stored in the database and readable at /dev/mailbox/."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import Client

from mailings.models import DevMail

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_BACKEND = "mailings.backends.DevMailboxBackend"


@pytest.fixture
def dev_mailbox(settings: Any) -> None:
    settings.EMAIL_BACKEND = DEV_BACKEND
    settings.DEV_MAILBOX = True


def send_verification_like_mail() -> DevMail:
    sent = EmailMessage(
        subject="【キャリアリレー】メールアドレスの確認をお願いいたします",
        body="山田 花子 様\n\n下記のリンクを開いてください。\n\nhttp://testserver/me/verify/abc123/\n",
        from_email="キャリアリレー <no-reply@career-relay.example.jp>",
        to=["hanako@example.jp"],
        headers={"X-Relay": "yes"},
    ).send()
    assert sent == 1
    return DevMail.objects.get()


@pytest.mark.django_db
def test_it_stores_a_sent_message_as_a_devmail_row(dev_mailbox: None) -> None:
    stored = send_verification_like_mail()

    assert stored.subject == "【キャリアリレー】メールアドレスの確認をお願いいたします"
    assert stored.to == "hanako@example.jp"
    assert stored.from_email == "キャリアリレー <no-reply@career-relay.example.jp>"
    assert "http://testserver/me/verify/abc123/" in stored.body
    assert stored.headers == {"X-Relay": "yes"}
    assert stored.html_body == ""


@pytest.mark.django_db
def test_it_keeps_every_recipient_and_the_html_alternative(dev_mailbox: None) -> None:
    message = EmailMultiAlternatives(
        subject="件名", body="本文", to=["a@example.jp"], cc=["b@example.jp"], bcc=["c@example.jp"]
    )
    message.attach_alternative("<p>本文</p>", "text/html")
    message.send()

    stored = DevMail.objects.get()
    assert stored.to == "a@example.jp, b@example.jp, c@example.jp"
    assert stored.html_body == "<p>本文</p>"


@pytest.mark.django_db
def test_it_lists_stored_mail_on_the_mailbox_page(dev_mailbox: None, client: Client) -> None:
    stored = send_verification_like_mail()

    response = client.get("/dev/mailbox/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "hanako@example.jp" in page
    assert f'href="/dev/mailbox/{stored.pk}/"' in page
    assert "【キャリアリレー】メールアドレスの確認をお願いいたします" in page


@pytest.mark.django_db
def test_it_shows_the_body_with_clickable_links(dev_mailbox: None, client: Client) -> None:
    stored = send_verification_like_mail()

    response = client.get(f"/dev/mailbox/{stored.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "山田 花子 様" in page
    url = "http://testserver/me/verify/abc123/"
    assert f'<a href="{url}" rel="nofollow">{url}</a>' in page


@pytest.mark.django_db
def test_it_escapes_markup_in_a_stored_body(dev_mailbox: None, client: Client) -> None:
    EmailMessage(subject="x", body="<script>alert(1)</script> http://example.jp/", to=["a@example.jp"]).send()

    page = client.get(f"/dev/mailbox/{DevMail.objects.get().pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_it_answers_404_for_a_missing_message(dev_mailbox: None, client: Client) -> None:
    assert client.get("/dev/mailbox/999999/").status_code == 404


@pytest.mark.django_db
def test_it_hides_both_pages_when_the_mailbox_is_off(dev_mailbox: None, client: Client, settings: Any) -> None:
    stored = send_verification_like_mail()
    settings.DEV_MAILBOX = False

    assert client.get("/dev/mailbox/").status_code == 404
    assert client.get(f"/dev/mailbox/{stored.pk}/").status_code == 404


def _settings_in_fresh_process(**environment: str) -> subprocess.CompletedProcess[str]:
    # Every variable the probe depends on is set explicitly, so a developer's .env cannot change the answer.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update({"EMAIL_URL": "", "REDIS_URL": "", **environment})
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEV_MAILBOX, settings.EMAIL_BACKEND)"
    )
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_it_turns_the_mailbox_on_for_local_development_without_email_url() -> None:
    result = _settings_in_fresh_process(DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", DEV_BACKEND]


def test_it_turns_the_mailbox_off_when_email_url_is_set() -> None:
    result = _settings_in_fresh_process(
        DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings", EMAIL_URL="smtp://mail.example.jp:587/?tls=True"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "mailings.backends.SmtpBackend"]


def test_it_never_publishes_the_mailbox_in_production() -> None:
    """DEBUG=0 without EMAIL_URL: mail is still caught, but the pages (which show sign-in links) stay off."""
    result = _settings_in_fresh_process(
        DEBUG="0", SECRET_KEY="production-like-secret", DJANGO_SETTINGS_MODULE="config.settings"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:1] == ["False"], result.stdout
