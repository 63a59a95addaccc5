"""The outbox screens (issue 15, point 8): a list that keeps itself current while mail is in flight, and a colour
for every status."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from mailings.models import OutboundEmail
from tests.conftest import Tenant
from tests.outbox_support import make_applicant, make_version
from tests.test_outbox import DUMMY_TASKS, queue

pytestmark = pytest.mark.django_db


def test_the_list_refreshes_itself_while_mail_waits_and_stops_when_all_is_sent(
    owner_client: Client, tenant: Tenant, settings: Any
) -> None:
    settings.TASKS = DUMMY_TASKS
    email = queue(tenant)

    page = owner_client.get("/company/mail/outbox/?status=").content.decode()
    assert re.search(r'<div id="outbox-live" hx-get="/company/mail/outbox/\?status=" hx-trigger="every 5s"', page)

    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.SENT)
    page = owner_client.get("/company/mail/outbox/").content.decode()
    assert '<div id="outbox-live">' in page and "every 5s" not in page.split('id="outbox-live"')[1][:200]


def test_the_operators_outbox_refreshes_too_and_shows_mail_being_sent(
    operator_client: Client, tenant: Tenant, settings: Any
) -> None:
    settings.TASKS = DUMMY_TASKS
    email = queue(tenant)
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.SENDING)

    page = operator_client.get("/ops/mail/").content.decode()

    assert 'hx-trigger="every 5s"' in page
    assert '<div class="label">送信中</div><div class="value">1</div>' in page
    assert '<span class="badge sending">送信中</span>' in page


def test_every_status_a_mail_can_show_has_its_own_colour() -> None:
    css = (Path(django_settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    shown = {status for status, _label in OutboundEmail.Status.choices} | {"clicked", "registered"}

    for status in shown:
        assert re.search(rf"\.badge\.{status} \{{[^}}]*background", css), status


def test_another_companys_user_cannot_open_our_mail_and_does_not_see_it_listed(
    outsider_client: Client, tenant: Tenant, settings: Any
) -> None:
    settings.TASKS = DUMMY_TASKS
    applicant = make_applicant(tenant.company, email="ours@example.jp")
    make_version(tenant.company)
    email = queue(tenant, email="ours2@example.jp")

    assert outsider_client.get(f"/company/mail/outbox/{email.pk}/").status_code == 404
    assert applicant.email not in outsider_client.get("/company/mail/outbox/").content.decode()
