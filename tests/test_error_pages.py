"""Dead ends speak Japanese and show the way on: 400, 403, 404 and 500 pages with DEBUG off."""

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path


def _explode(request: Any) -> Any:
    raise RuntimeError("boom")


urlpatterns: list[Any] = [path("explode/", _explode)]


@pytest.mark.django_db
def test_a_wrong_relay_code_answers_a_japanese_404_page_with_a_way_on(client: Client, settings: Any) -> None:
    settings.DEBUG = False

    response = client.get("/r/doesnotexist/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "お探しのページが見つかりませんでした" in body
    assert "Not Found" not in body
    assert 'href="/"' in body or "トップページへ" in body


@pytest.mark.django_db
def test_another_companys_page_answers_the_same_japanese_404(
    outsider_client: Client, tenant: Any, settings: Any
) -> None:
    settings.DEBUG = False
    applicant_list = "/company/applicants/999999/"

    response = outsider_client.get(applicant_list)

    assert response.status_code == 404
    assert "お探しのページが見つかりませんでした" in response.content.decode()


@pytest.mark.django_db
def test_an_unhandled_error_answers_a_japanese_500_page(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get("/explode/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "ただいまページを表示できません" in body
    assert "Server Error" not in body


def test_the_500_page_renders_without_a_request_or_a_database() -> None:
    # No django_db mark: pytest-django makes any database query here raise, as an outage would.
    body = render_to_string("500.html")

    assert "申し訳ございません" in body


@pytest.mark.django_db
def test_a_stale_form_answers_a_japanese_403_page(client: Client, settings: Any) -> None:
    settings.DEBUG = False
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert "このページは表示できません" in response.content.decode()
