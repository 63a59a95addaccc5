"""Staff and company sign-in: normalised addresses, throttling, hashing, CSRF, password reset, who sees what."""

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD, Tenant

LOGIN_URL = "/accounts/login/"
WRONG_CREDENTIALS = "メールアドレスまたはパスワードが正しくありません。"
LOCKED_OUT = "ログインを一時的に制限しています"


def full_width(text: str) -> str:
    """The address as typed with a Japanese IME left in full-width mode: ｏｗｎｅｒ＠…"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.10", follow: bool = False) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip, follow=follow)


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# --- signing in ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_signs_a_company_user_in_with_email_and_lands_on_company_dashboard(tenant: Tenant) -> None:
    client = Client()

    response = sign_in(client, tenant.owner.email, PASSWORD, follow=True)

    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/company/"
    assert signed_in_user_id(client) == str(tenant.owner.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("OWNER@Test-Shoji.Example.JP", id="upper-case"),
        pytest.param(full_width("owner@test-shoji.example.jp"), id="full-width"),
        pytest.param("  owner@test-shoji.example.jp ", id="surrounding-spaces"),
    ],
)
def test_it_accepts_the_email_typed_with_other_case_or_width(tenant: Tenant, typed: str) -> None:
    assert typed != tenant.owner.email
    client = Client()

    response = sign_in(client, typed, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(tenant.owner.pk)


@pytest.mark.django_db
def test_it_sends_an_operator_to_the_ops_console(operator: User) -> None:
    client = Client()

    response = sign_in(client, operator.email, PASSWORD, follow=True)

    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/ops/"
    assert [url for url, _ in response.redirect_chain] == ["/", "/ops/"]


@pytest.mark.django_db
def test_it_shows_the_japanese_message_for_a_wrong_password(tenant: Tenant) -> None:
    client = Client()

    response = sign_in(client, tenant.owner.email, "not-the-password-123")

    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.content.decode()
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_shows_the_same_message_for_an_unknown_address(tenant: Tenant) -> None:
    response = sign_in(Client(), "nobody@test-shoji.example.jp", PASSWORD)

    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.content.decode()


# --- throttling -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_locks_sign_in_after_five_failures_even_with_the_right_password(tenant: Tenant) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    ip = "198.51.100.7"

    for _ in range(4):
        response = sign_in(client, tenant.owner.email, "wrong-password-000", ip=ip)
        assert response.status_code == 200
        assert WRONG_CREDENTIALS in response.content.decode()
    fifth = sign_in(client, tenant.owner.email, "wrong-password-000", ip=ip)
    sixth = sign_in(client, tenant.owner.email, PASSWORD, ip=ip)

    assert fifth.status_code == 429
    assert sixth.status_code == 429
    assert LOCKED_OUT in sixth.content.decode()
    assert "accounts/public/locked_out.html" in [t.name for t in sixth.templates]
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_keeps_the_lock_when_the_address_is_retyped_in_another_case_or_width(tenant: Tenant) -> None:
    """The lock is keyed on the normalised address, so OWNER@… or ｏｗｎｅｒ＠… cannot start a fresh count."""
    ip = "198.51.100.8"
    for _ in range(5):
        sign_in(Client(), tenant.owner.email, "wrong-password-000", ip=ip)

    for variant in (tenant.owner.email.upper(), full_width(tenant.owner.email)):
        client = Client()
        response = sign_in(client, variant, PASSWORD, ip=ip)
        assert response.status_code == 429, variant
        assert LOCKED_OUT in response.content.decode()
        assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_forgets_earlier_failures_after_a_successful_sign_in(tenant: Tenant) -> None:
    ip = "198.51.100.9"
    for _ in range(4):
        sign_in(Client(), tenant.owner.email, "wrong-password-000", ip=ip)
    assert sign_in(Client(), tenant.owner.email, PASSWORD, ip=ip).status_code == 302

    for _ in range(4):
        response = sign_in(Client(), tenant.owner.email, "wrong-password-000", ip=ip)
        assert response.status_code == 200


# --- password storage and CSRF --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_stores_passwords_hashed_with_argon2(tenant: Tenant) -> None:
    owner = User.objects.get(pk=tenant.owner.pk)

    assert owner.password.startswith("argon2$argon2id$")
    assert PASSWORD not in owner.password
    assert owner.check_password(PASSWORD)


@pytest.mark.django_db
def test_it_rejects_a_sign_in_post_without_csrf_token(tenant: Tenant) -> None:
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, tenant.owner.email, PASSWORD)

    assert response.status_code == 403
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_accepts_a_sign_in_post_with_the_csrf_token_from_the_form(tenant: Tenant) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN_URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None

    response = client.post(
        LOGIN_URL, {"username": tenant.owner.email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    )

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(tenant.owner.pk)


@pytest.mark.django_db
def test_it_rejects_a_relay_registration_post_without_csrf_token(tenant: Tenant) -> None:
    from relay.models import Referral

    response = Client(enforce_csrf_checks=True).post(f"/r/{tenant.link.code}", {"name": "山田 花子"})

    assert response.status_code == 403
    assert not Referral.objects.exists()


# --- password reset -------------------------------------------------------------------------------------------------


def _reset_link(body: str) -> str:
    found = re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", body)
    assert found is not None, body
    return found.group(0)


@pytest.mark.django_db
def test_it_mails_a_reset_link_that_sets_a_new_password(tenant: Tenant) -> None:
    client = Client()

    response = client.post("/accounts/password-reset/", {"email": tenant.owner.email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [tenant.owner.email]
    assert message.subject == "【キャリアリレー】パスワード再設定のご案内"
    assert f"{tenant.owner.name} 様" in message.body
    link = urlsplit(_reset_link(str(message.body)))

    form_page = client.get(link.path, follow=True)
    assert form_page.status_code == 200
    assert "新しいパスワードの設定" in form_page.content.decode()
    set_password_path = form_page.request["PATH_INFO"]
    new_password = "a-brand-new-passphrase-42"
    done = client.post(set_password_path, {"new_password1": new_password, "new_password2": new_password})

    assert done.status_code == 302
    assert done["Location"] == "/accounts/password-reset/done/"
    owner = User.objects.get(pk=tenant.owner.pk)
    assert owner.check_password(new_password)
    assert not owner.check_password(PASSWORD)
    assert sign_in(Client(), tenant.owner.email, new_password).status_code == 302
    # The link is single-use.
    reused = Client().get(link.path, follow=True)
    assert "このリンクはご利用いただけません" in reused.content.decode()


@pytest.mark.django_db
def test_it_answers_an_unknown_address_the_same_way_and_sends_nothing(tenant: Tenant) -> None:
    client = Client()

    known = client.post("/accounts/password-reset/", {"email": tenant.owner.email}, follow=True)
    mail.outbox.clear()
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.jp"}, follow=True)

    assert mail.outbox == []
    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain == [("/accounts/password-reset/sent/", 302)]
    assert "ご入力のアドレスが登録されていれば" in unknown.content.decode()


@pytest.mark.django_db
def test_it_sends_the_reset_link_for_an_address_typed_in_upper_case(tenant: Tenant) -> None:
    Client().post("/accounts/password-reset/", {"email": tenant.owner.email.upper()})

    assert [m.to for m in mail.outbox] == [[tenant.owner.email]]


@pytest.mark.django_db
def test_it_sends_the_reset_link_for_an_address_typed_in_full_width(tenant: Tenant) -> None:
    Client().post("/accounts/password-reset/", {"email": full_width(tenant.owner.email)})

    assert [m.to for m in mail.outbox] == [[tenant.owner.email]]


# --- who may see what -----------------------------------------------------------------------------------------------

OPS_PAGES = ["/ops/", "/ops/companies/new/", "/ops/candidates/", "/ops/referrals/", "/ops/audit/"]
COMPANY_PAGES = ["/company/", "/company/referrals/", "/company/links/", "/company/users/", "/company/settings/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", OPS_PAGES)
def test_it_answers_404_to_a_company_user_on_ops_pages(owner_client: Client, path: str) -> None:
    assert owner_client.get(path).status_code == 404


@pytest.mark.django_db
def test_it_answers_404_to_a_company_user_on_an_ops_company_page(owner_client: Client, tenant: Tenant) -> None:
    assert owner_client.get(f"/ops/companies/{tenant.company.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", COMPANY_PAGES)
def test_it_answers_404_to_an_operator_on_company_pages(operator_client: Client, path: str) -> None:
    assert operator_client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", OPS_PAGES + COMPANY_PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={path}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ops/", "/ops/candidates/"])
def test_it_serves_ops_pages_to_the_operator(operator_client: Client, path: str) -> None:
    assert operator_client.get(path).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/company/", "/company/links/"])
def test_it_serves_company_pages_to_the_company_user(owner_client: Client, path: str) -> None:
    assert owner_client.get(path).status_code == 200
