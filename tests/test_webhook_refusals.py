"""Forged or broken webhook deliveries are counted per endpoint, result and hour, not logged one row each
(issue 11, point 7: before, every forged request wrote a row)."""

import pytest
import time_machine
from django.test import Client

from integrations.models import Integration, WebhookEvent
from tests.conftest import Tenant
from tests.test_webhooks import dumps, make_integration, post, signed

pytestmark = pytest.mark.django_db


def test_two_hundred_forged_requests_make_one_row_that_counts_them(client: Client, tenant: Tenant) -> None:
    integration, _secret = make_integration(tenant, Integration.Kind.GENERIC)
    answers = [post(client, integration, dumps({"n": n}), Signature="sha256 " + "0" * 64) for n in range(200)]

    assert {answer.status_code for answer in answers} == {401}
    [row] = WebhookEvent.objects.all()  # before: 200 rows
    assert (row.status, row.repeat_count, row.http_status) == ("bad_signature", 200, 401)
    assert row.last_received_at is not None and row.last_received_at >= row.received_at


def test_each_result_and_hour_has_its_own_row_with_the_last_reason(client: Client, tenant: Tenant) -> None:
    integration, secret = make_integration(tenant, Integration.Kind.GENERIC)
    with time_machine.travel("2026-12-03 10:10 +09:00", tick=False):
        post(client, integration, b"{}")  # no signature
        post(client, integration, b"{}", Signature="sha256 " + "f" * 64)
        post(client, integration, b"not json", Signature=signed(secret, b"not json"))
    with time_machine.travel("2026-12-03 11:05 +09:00", tick=False):
        post(client, integration, b"{}")

    rows = list(WebhookEvent.objects.order_by("received_at", "status").values_list("status", "repeat_count", "reason"))
    assert [(status, count) for status, count, _ in rows] == [
        ("bad_request", 1),
        ("bad_signature", 2),
        ("bad_signature", 1),
    ]
    assert "シークレットをご確認ください" in rows[1][2]  # the last of the hour: the wrong signature


def test_another_endpoints_refusals_are_counted_apart(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    ours, _ = make_integration(tenant, Integration.Kind.GENERIC)
    theirs, _ = make_integration(outsider, Integration.Kind.GENERIC)
    for integration in (ours, theirs, ours):
        post(client, integration, b"{}")

    assert sorted(WebhookEvent.objects.values_list("company_id", "repeat_count")) == sorted(
        [(tenant.company.pk, 2), (outsider.company.pk, 1)]
    )


def test_the_company_log_shows_how_many_were_refused(owner_client: Client, tenant: Tenant) -> None:
    integration, _ = make_integration(tenant, Integration.Kind.GENERIC)
    for _ in range(3):
        post(Client(), integration, b"{}")

    page = owner_client.get(f"/company/integrations/{integration.pk}/").content.decode()

    assert "この1時間に 3 件" in page
