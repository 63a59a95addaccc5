"""One mail pipeline: every e-mail, sign-in links included, is an outbox row with a kind that people can see and
resend; the link that signs its reader in is shown to nobody but the person it was sent to."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from mailings.models import OutboundEmail
from mailings.services import mail_send
from mailings.services.unsubscribe import suppression_add
from tests.conftest import Tenant
from tests.smtp import SmtpServer
from tests.test_email_smtp import registration_form

Status = OutboundEmail.Status
SECRET = "http://testserver/invite/SECRET-TOKEN-123/"


def invitation(tenant: Tenant) -> OutboundEmail:
    email = mail_send(
        to="jiro@test-shoji.example.jp",
        template="company_invitation",
        context={
            "invitation": {"name": "佐藤 次郎"},
            "company": tenant.company,
            "inviter": tenant.owner,
            "url": SECRET,
            "days": 7,
        },
    )
    assert email is not None
    return email


@pytest.mark.django_db
def test_the_verification_mail_is_an_outbox_row_of_its_kind_and_arrives_over_smtp(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/r/{tenant.link.code}", registration_form())

    row = OutboundEmail.objects.get()
    assert (row.kind, row.status, row.is_secret, row.is_transactional) == ("candidate_verify", Status.SENT, True, True)
    assert row.company is None and not row.is_promotional  # mail to a candidate stays off the company's outbox
    assert [r.envelope_to for r in smtp_server.handler.received] == [["ichiro.suzuki@example.jp"]]
    # The link is made for the message handed to SMTP; the row never held it.
    [message] = smtp_server.messages
    assert "/me/verify/" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "/me/verify/" not in row.body and "/me/verify/" not in row.shown_body


@pytest.mark.django_db
def test_the_sign_in_link_and_the_invitation_are_outbox_rows_delivered_over_smtp(
    smtp_server: SmtpServer, tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        login = mail_send(
            to="hanako@example.jp",
            template="candidate_login",
            context={"candidate": {"name": "山田 花子"}, "url": "http://testserver/me/auth/LOGIN-TOKEN/"},
        )
        invited = invitation(tenant)

    assert login is not None and invited is not None
    login.refresh_from_db()
    invited.refresh_from_db()
    assert (login.kind, login.status) == (OutboundEmail.Kind.CANDIDATE_LOGIN, Status.SENT)
    assert (invited.kind, invited.status, invited.company) == ("company_invitation", Status.SENT, tenant.company)
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp_server.messages]  # type: ignore[union-attr]
    assert any("LOGIN-TOKEN" in body for body in bodies) and any("SECRET-TOKEN-123" in body for body in bodies)


@pytest.mark.django_db
def test_an_unsubscribe_never_stops_transactional_mail(
    tenant: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    suppression_add(email="jiro@test-shoji.example.jp", company=None)
    with django_capture_on_commit_callbacks(execute=True):
        email = invitation(tenant)
    email.refresh_from_db()
    assert email.status == Status.SENT


@pytest.mark.django_db
def test_the_secret_link_is_masked_for_the_company_and_the_operator(
    owner_client: Client, operator_client: Client, tenant: Tenant
) -> None:
    email = invitation(tenant)

    for page in (
        owner_client.get("/company/mail/outbox/"),
        owner_client.get(f"/company/mail/outbox/{email.pk}/"),
        operator_client.get("/ops/mail/"),
        operator_client.get(f"/ops/mail/{email.pk}/"),
    ):
        assert page.status_code == 200
        html = page.content.decode()
        assert "SECRET-TOKEN-123" not in html
        assert email.subject in html
    detail = operator_client.get(f"/ops/mail/{email.pk}/").content.decode()
    assert "本人専用のリンクのため表示しません" in detail


@pytest.mark.django_db
def test_a_failed_sign_in_mail_is_visible_and_resent_with_the_same_link(
    smtp_server: SmtpServer,
    operator_client: Client,
    owner_client: Client,
    tenant: Tenant,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    email = invitation(tenant)
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED, last_error="550 no such user")

    listed = operator_client.get("/ops/mail/", {"status": "failed", "kind": "company_invitation"})
    assert email.subject in listed.content.decode()
    assert "550 no such user" in owner_client.get(f"/company/mail/outbox/{email.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(f"/ops/mail/{email.pk}/resend/")

    assert response.status_code == 302 and response["Location"] == f"/ops/mail/{email.pk}/"
    email.refresh_from_db()
    assert email.status == Status.SENT
    [received] = smtp_server.handler.received
    assert received.envelope_to == ["jiro@test-shoji.example.jp"]  # the owner's address, and only it
    assert SECRET.encode() in received.content  # the same message: the link it was issued with


@pytest.mark.django_db
def test_another_companys_user_gets_404_on_the_detail_and_the_resend(outsider_client: Client, tenant: Tenant) -> None:
    email = invitation(tenant)
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED)

    assert outsider_client.get(f"/company/mail/outbox/{email.pk}/").status_code == 404
    assert outsider_client.post(f"/company/mail/outbox/{email.pk}/resend/").status_code == 404
    assert email.subject not in outsider_client.get("/company/mail/outbox/").content.decode()
    email.refresh_from_db()
    assert email.status == Status.FAILED


@pytest.mark.django_db
def test_the_operator_console_lists_transactional_mail_and_is_closed_to_companies(
    operator_client: Client, owner_client: Client, tenant: Tenant
) -> None:
    email = invitation(tenant)
    mail_send(
        to="hanako@example.jp",
        template="candidate_login",
        context={"candidate": {"name": "山田 花子"}, "url": "http://testserver/me/auth/T/"},
    )

    page = operator_client.get("/ops/mail/", {"kind": "candidate_login"}).content.decode()
    assert "hanako@example.jp" in page and "jiro@test-shoji.example.jp" not in page
    assert email.subject in operator_client.get("/ops/mail/").content.decode()
    assert owner_client.get("/ops/mail/").status_code == 404
