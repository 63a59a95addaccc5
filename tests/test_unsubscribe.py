"""Unsubscribing from promotional mail without signing in (特定電子メール法): confirm, one-click, never mailed again."""

from typing import Any

import pytest
from django.test import Client

from mailings.models import OutboundEmail, Suppression
from mailings.services.outbox import outbox_enqueue
from mailings.services.unsubscribe import suppression_add, unsubscribe_read, unsubscribe_token, unsubscribe_url
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db

ADDRESS = "Ｈａｎａｋｏ＠Example.jp"  # full-width, as people sometimes type it


def queue_invitation(tenant: Tenant, key: str) -> OutboundEmail | None:
    return outbox_enqueue(
        company=tenant.company,
        kind=OutboundEmail.Kind.RECHALLENGE,
        idempotency_key=key,
        to_email="hanako@example.jp",
        subject="再チャレンジのご案内",
        body="本文",
        is_promotional=True,
    )


def path_of(tenant: Tenant | None, email: str = ADDRESS) -> str:
    return unsubscribe_url(email=email, company=tenant.company if tenant else None).removeprefix("http://testserver")


def test_it_asks_for_confirmation_on_get_and_unsubscribes_nobody(client: Client, tenant: Tenant) -> None:
    response = client.get(path_of(tenant))

    assert response.status_code == 200
    assert "配信を停止する" in response.content.decode()
    assert tenant.company.name in response.content.decode()
    assert not Suppression.objects.exists()


def test_it_unsubscribes_from_that_company_on_post_without_signing_in(client: Client, tenant: Tenant) -> None:
    response = client.post(path_of(tenant))

    assert response.status_code == 200
    assert "配信を停止しました" in response.content.decode()
    suppression = Suppression.objects.get()
    assert suppression.email_normalized == "hanako@example.jp"
    assert suppression.company == tenant.company


def test_it_accepts_the_one_click_post_a_mail_client_sends_without_a_csrf_token(tenant: Tenant) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        path_of(tenant), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert Suppression.objects.filter(company=tenant.company).count() == 1


def test_it_is_idempotent(client: Client, tenant: Tenant) -> None:
    client.post(path_of(tenant))
    client.post(path_of(tenant))

    assert Suppression.objects.count() == 1


def test_a_token_without_company_unsubscribes_from_all_promotional_mail(
    client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    client.post(path_of(None))

    assert Suppression.objects.get().company is None
    assert queue_invitation(tenant, "a") is None
    assert queue_invitation(outsider, "b") is None


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "garbage", lambda t: t[1:]])
def test_it_answers_a_tampered_token_with_404_and_suppresses_nothing(
    client: Client, tenant: Tenant, mangle: Any
) -> None:
    token = unsubscribe_token(email=ADDRESS, company=tenant.company)

    response = client.post(f"/unsubscribe/{mangle(token)}/")

    assert response.status_code == 404
    assert "このリンクは使用できません" in response.content.decode()
    assert not Suppression.objects.exists()


def test_a_token_for_a_deleted_company_is_refused(client: Client, tenant: Tenant) -> None:
    path = path_of(tenant)
    tenant.company.delete()

    assert client.post(path).status_code == 404


def test_a_token_cannot_be_moved_to_another_company(tenant: Tenant, outsider: Tenant) -> None:
    found = unsubscribe_read(unsubscribe_token(email=ADDRESS, company=tenant.company))

    assert found is not None
    assert found.company_id == tenant.company.pk != outsider.company.pk


def test_a_suppressed_address_gets_no_promotional_mail_from_that_company_but_still_its_rejection_mail(
    tenant: Tenant, outsider: Tenant
) -> None:
    suppression_add(email=ADDRESS, company=tenant.company)

    assert queue_invitation(tenant, "invite-1") is None
    assert queue_invitation(outsider, "invite-2") is not None
    rejection = outbox_enqueue(
        company=tenant.company,
        kind=OutboundEmail.Kind.REJECTION,
        idempotency_key="rejection-1",
        to_email="hanako@example.jp",
        subject="選考結果のご連絡",
        body="本文",
    )
    assert rejection is not None
    assert rejection.status == OutboundEmail.Status.QUEUED


def test_queueing_the_same_key_twice_returns_the_first_email(tenant: Tenant) -> None:
    first = queue_invitation(tenant, "same")
    second = queue_invitation(tenant, "same")

    assert first is not None and second is not None
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
