"""Staff sessions end on their own: operators after 30 idle minutes or 12 hours since sign-in, company users
after 2 idle hours or the cookie's 14 days; the sign-in page then says why, in Japanese."""

import datetime as dt

import pytest
from django.test import Client
from time_machine import TimeMachineFixture

from accounts.models import User
from tests.conftest import PASSWORD, Tenant, login

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
IDLE_MESSAGE = "分間操作がなかったため、安全のためログアウトしました。"


def at(clock: TimeMachineFixture, **since_start: float) -> None:
    clock.move_to(START + dt.timedelta(**since_start), tick=False)


def test_an_operator_idle_for_31_minutes_is_signed_out_with_a_japanese_message(
    operator: User, time_machine: TimeMachineFixture
) -> None:
    at(time_machine)
    client = login(Client(), operator)
    assert client.get("/ops/").status_code == 200
    at(time_machine, minutes=31)
    response = client.get("/ops/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "30 " + IDLE_MESSAGE in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_an_operator_active_every_20_minutes_stays_until_12_hours_have_passed(
    operator: User, time_machine: TimeMachineFixture
) -> None:
    at(time_machine)
    client = login(Client(), operator)
    for minutes in range(20, 12 * 60, 20):
        at(time_machine, minutes=minutes)
        assert client.get("/ops/").status_code == 200, minutes
    at(time_machine, hours=12, minutes=1)
    response = client.get("/ops/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "ログインから 12 時間が経ったため、安全のためログアウトしました。" in response.content.decode()


def test_a_company_user_keeps_an_hour_and_a_half_of_idleness_but_not_more_than_two(
    tenant: Tenant, time_machine: TimeMachineFixture
) -> None:
    at(time_machine)
    client = login(Client(), tenant.owner)
    at(time_machine, minutes=90)
    assert client.get("/company/").status_code == 200
    at(time_machine, minutes=90 + 121)
    response = client.get("/company/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "120 " + IDLE_MESSAGE in response.content.decode()


def test_signing_in_again_starts_the_clocks_afresh(operator: User, time_machine: TimeMachineFixture) -> None:
    at(time_machine)
    client = Client()
    assert client.post("/accounts/login/", {"username": operator.email, "password": PASSWORD}).status_code == 302
    at(time_machine, minutes=45)
    assert client.get("/ops/").status_code == 302  # timed out
    assert client.post("/accounts/login/", {"username": operator.email, "password": PASSWORD}).status_code == 302
    at(time_machine, minutes=60)
    assert client.get("/ops/").status_code == 200


def test_a_timed_out_operator_cannot_change_anything_with_the_old_session(
    operator: User, tenant: Tenant, time_machine: TimeMachineFixture
) -> None:
    at(time_machine)
    client = login(Client(), operator)
    at(time_machine, hours=1)
    response = client.post("/ops/companies/new/", {"name": "乗っ取り株式会社", "name_kana": "ノットリ"})

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not tenant.company.__class__.objects.filter(name="乗っ取り株式会社").exists()
