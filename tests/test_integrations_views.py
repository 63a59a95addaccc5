"""The integration and API key screens: managers set up, members read, other companies see nothing."""

import hashlib
import hmac
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import ApiKey, Integration, WebhookEvent
from integrations.services import api_key_create, integration_create
from tests.conftest import Tenant, login
from tests.hooks_support import rejection_rule


def shown_secret(html: str) -> str | None:
    match = re.search(
        r'id="(?:secret-once|raw-key)"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="(?:secret-once|raw-key)"', html
    )
    return (match.group(1) or match.group(2)) if match else None


def generic(tenant: Tenant) -> Integration:
    return integration_create(
        company=tenant.company, kind=Integration.Kind.GENERIC, name="テスト商事の連携", actor=tenant.owner
    ).integration


@pytest.mark.django_db
def test_it_shows_the_new_secret_exactly_once(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(reverse("integrations:new"), {"kind": "generic", "name": "自社システム"}, follow=True)

    integration = Integration.objects.get(company=tenant.company)
    html = response.content.decode()
    assert shown_secret(html) == integration.secret
    assert integration.endpoint_url in html
    assert "applicant.rejected" in html
    again = owner_client.get(integration.get_absolute_url()).content.decode()
    assert shown_secret(again) is None
    assert integration.secret not in again


@pytest.mark.django_db
def test_it_asks_for_lever_signature_token(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(reverse("integrations:new"), {"kind": "lever", "name": "Lever"})

    assert response.status_code == 400
    assert "署名トークンを入力してください" in response.content.decode()
    assert not Integration.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_second_integration_with_the_same_name(owner_client: Client, tenant: Tenant) -> None:
    generic(tenant)

    response = owner_client.post(reverse("integrations:new"), {"kind": "greenhouse", "name": "テスト商事の連携"})

    assert response.status_code == 400
    assert Integration.objects.count() == 1


@pytest.mark.django_db
def test_it_regenerates_a_secret_and_the_old_one_stops_working(owner_client: Client, tenant: Tenant) -> None:
    rejection_rule(tenant.company)
    integration = generic(tenant)
    old = integration.secret

    response = owner_client.post(reverse("integrations:secret", args=[integration.pk]), follow=True)

    integration.refresh_from_db()
    assert integration.secret != old
    assert shown_secret(response.content.decode()) == integration.secret
    body = json.dumps({"event_id": "e", "event": "applicant.rejected", "applicant": {}}).encode()
    signature = "sha256 " + hmac.new(old.encode(), body, hashlib.sha256).hexdigest()
    hook = Client().post(integration.endpoint_path, data=body, content_type="application/json", Signature=signature)
    assert hook.status_code == 401


@pytest.mark.django_db
def test_it_updates_lever_settings(owner_client: Client, tenant: Tenant) -> None:
    integration = integration_create(
        company=tenant.company, kind="lever", name="Lever", signature_token="old-token", actor=tenant.owner
    ).integration

    owner_client.post(
        reverse("integrations:lever", args=[integration.pk]), {"signature_token": "new-token", "lever_api_key": "k-1"}
    )
    integration.refresh_from_db()
    assert (integration.secret, integration.lever_api_key) == ("new-token", "k-1")

    owner_client.post(
        reverse("integrations:lever", args=[integration.pk]), {"signature_token": "new-token", "clear_api_key": "on"}
    )
    integration.refresh_from_db()
    assert integration.lever_api_key == ""


@pytest.mark.django_db
def test_it_pauses_and_resumes_an_integration(owner_client: Client, tenant: Tenant) -> None:
    integration = generic(tenant)

    owner_client.post(reverse("integrations:toggle", args=[integration.pk]))
    integration.refresh_from_db()
    assert integration.is_enabled is False
    owner_client.post(reverse("integrations:toggle", args=[integration.pk]))
    integration.refresh_from_db()
    assert integration.is_enabled is True


@pytest.mark.django_db
def test_it_shows_the_delivery_log(owner_client: Client, tenant: Tenant) -> None:
    integration = generic(tenant)
    Client().post(integration.endpoint_path, data=b"{}", content_type="application/json", Signature="sha256 00")

    html = owner_client.get(integration.get_absolute_url()).content.decode()
    filtered = owner_client.get(integration.get_absolute_url(), {"status": "processed"}).content.decode()

    assert "署名が不正" in html and "401" in html
    assert "署名が不正" not in filtered.split("受信ログ", 1)[1].split("</select>", 1)[1]


@pytest.mark.django_db
def test_it_shows_a_new_api_key_once_and_lists_it_by_prefix(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(reverse("integrations:api_keys"), {"name": "社内 ATS"}, follow=True)

    api_key = ApiKey.objects.get(company=tenant.company)
    raw_key = shown_secret(response.content.decode())
    assert raw_key is not None and raw_key.startswith(api_key.prefix)
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    again = owner_client.get(reverse("integrations:api_keys")).content.decode()
    assert raw_key not in again
    assert api_key.prefix in again


@pytest.mark.django_db
def test_it_revokes_an_api_key(owner_client: Client, tenant: Tenant) -> None:
    api_key = api_key_create(company=tenant.company, name="社内 ATS", actor=tenant.owner).api_key

    owner_client.post(reverse("integrations:api_key_revoke", args=[api_key.pk]))

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


@pytest.mark.django_db
def test_a_member_reads_the_log_but_cannot_manage(tenant: Tenant) -> None:
    integration = generic(tenant)
    api_key = api_key_create(company=tenant.company, name="社内 ATS", actor=tenant.owner).api_key
    member = login(Client(), tenant.member)

    assert member.get(reverse("integrations:list")).status_code == 200
    detail = member.get(integration.get_absolute_url())
    assert detail.status_code == 200
    assert "シークレットを再発行" not in detail.content.decode()
    for url, data in [
        (reverse("integrations:new"), {"kind": "generic", "name": "x"}),
        (reverse("integrations:secret", args=[integration.pk]), {}),
        (reverse("integrations:toggle", args=[integration.pk]), {}),
        (reverse("integrations:api_keys"), {"name": "x"}),
        (reverse("integrations:api_key_revoke", args=[api_key.pk]), {}),
    ]:
        assert member.post(url, data).status_code == 404, url
    assert member.get(reverse("integrations:api_keys")).status_code == 404
    integration.refresh_from_db()
    assert integration.is_enabled and Integration.objects.count() == 1 and ApiKey.objects.active().count() == 1


@pytest.mark.django_db
def test_another_company_gets_404_on_every_url(tenant: Tenant, outsider_client: Client) -> None:
    integration = generic(tenant)
    lever = integration_create(
        company=tenant.company, kind="lever", name="Lever", signature_token="t", actor=tenant.owner
    ).integration
    api_key = api_key_create(company=tenant.company, name="テスト商事のキー", actor=tenant.owner).api_key
    secret = integration.secret

    assert outsider_client.get(integration.get_absolute_url()).status_code == 404
    for url in [
        reverse("integrations:secret", args=[integration.pk]),
        reverse("integrations:toggle", args=[integration.pk]),
        reverse("integrations:lever", args=[lever.pk]),
        reverse("integrations:api_key_revoke", args=[api_key.pk]),
    ]:
        assert outsider_client.post(url, {"signature_token": "mine"}).status_code == 404, url
    listing = outsider_client.get(reverse("integrations:list")).content.decode()
    keys = outsider_client.get(reverse("integrations:api_keys")).content.decode()
    assert integration.name not in listing and "Lever" not in listing.split("<main", 1)[1].split("連携を追加")[0]
    assert "テスト商事のキー" not in keys
    integration.refresh_from_db()
    lever.refresh_from_db()
    api_key.refresh_from_db()
    assert (integration.secret, integration.is_enabled, lever.secret) == (secret, True, "t")
    assert api_key.revoked_at is None
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_an_operator_and_a_stranger_cannot_open_the_screens(operator_client: Client, client: Client) -> None:
    assert operator_client.get(reverse("integrations:list")).status_code == 404
    assert client.get(reverse("integrations:list")).status_code == 302
