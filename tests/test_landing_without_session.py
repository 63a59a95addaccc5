"""The relay landing keeps no server-side session for an anonymous visitor, and renders its form once (issue 14,
point 3).

Every visitor of a pasted relay link used to leave a session row that nothing deleted. What the landing must
remember between requests (the click already recorded, a personal link's applicant reference) is now in signed
cookies; a forged or tampered cookie is read as no cookie.
"""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.test import Client

from relay.models import Click, Referral
from relay.views.public import CLICKED_COOKIE, REF_COOKIE_PREFIX
from tests.conftest import Tenant
from tests.outbox_support import make_applicant
from tests.test_registration import form_data

pytestmark = pytest.mark.django_db


def test_visiting_reloading_and_registering_leave_no_session_row(client: Client, tenant: Tenant) -> None:
    applicant = make_applicant(tenant.company)
    personal = tenant.link.personal_url(applicant.ref).removeprefix("http://testserver")

    landing = client.get(personal)
    assert landing.status_code == 302
    assert client.get(landing["Location"]).status_code == 200
    assert client.get(landing["Location"]).status_code == 200
    registered = client.post(f"/r/{tenant.link.code}", form_data())

    assert registered.status_code == 302
    assert Session.objects.count() == 0
    assert "sessionid" not in client.cookies
    referral = Referral.objects.get(company=tenant.company)
    assert referral.applicant_ref == applicant.ref  # the reference came back from the cookie


def test_the_applicant_reference_is_forgotten_once_its_person_has_registered(client: Client, tenant: Tenant) -> None:
    applicant = make_applicant(tenant.company)
    landing = client.get(tenant.link.personal_url(applicant.ref).removeprefix("http://testserver"))
    client.get(landing["Location"])

    registered = client.post(f"/r/{tenant.link.code}", form_data())
    client.post(f"/r/{tenant.link.code}", form_data(email="family@example.jp", phone="090-7777-8888"))

    assert registered.cookies[REF_COOKIE_PREFIX + tenant.link.code]["max-age"] == 0
    refs = set(Referral.objects.filter(company=tenant.company).values_list("applicant_ref", flat=True))
    assert refs == {applicant.ref, ""}  # the second person in the same browser is not taken for the applicant


def test_a_reload_is_one_click_and_another_browser_is_another(client: Client, tenant: Tenant) -> None:
    client.get(f"/r/{tenant.link.code}")
    client.get(f"/r/{tenant.link.code}")
    Client().get(f"/r/{tenant.link.code}")

    assert Click.objects.filter(link=tenant.link).count() == 2


def test_each_link_is_remembered_apart(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    for _ in range(2):
        client.get(f"/r/{tenant.link.code}")
        client.get(f"/r/{outsider.link.code}")

    assert Click.objects.filter(link=tenant.link).count() == 1
    assert Click.objects.filter(link=outsider.link).count() == 1


def test_a_tampered_cookie_counts_as_none_and_never_fails_the_page(client: Client, tenant: Tenant) -> None:
    client.get(f"/r/{tenant.link.code}")
    client.cookies[CLICKED_COOKIE] = client.cookies[CLICKED_COOKIE].value.replace(tenant.link.code, "other-link")
    # A reference signed for the cookie but not by the link (a forged personal link) is no reference.
    name = REF_COOKIE_PREFIX + tenant.link.code
    client.cookies[name] = signing.get_cookie_signer(salt=name + name).sign("forged")  # as set_signed_cookie signs

    response = client.get(f"/r/{tenant.link.code}")

    assert response.status_code == 200
    assert Click.objects.filter(link=tenant.link).count() == 2
    assert Click.objects.filter(link=tenant.link, has_applicant_ref=True).count() == 0


def test_the_cookies_are_http_only_and_same_site(client: Client, tenant: Tenant) -> None:
    applicant = make_applicant(tenant.company)
    redirect = client.get(tenant.link.personal_url(applicant.ref).removeprefix("http://testserver"))
    page = client.get(redirect["Location"])

    for response, name in ((redirect, REF_COOKIE_PREFIX + tenant.link.code), (page, CLICKED_COOKIE)):
        cookie = response.cookies[name]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_the_daily_job_clears_expired_sessions_and_keeps_live_ones() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from lib.periodic import JOBS
    from lib.tasks import clear_expired_sessions

    now = timezone.now()
    Session.objects.create(session_key="expired" * 4, session_data="", expire_date=now - timedelta(seconds=1))
    Session.objects.create(session_key="current" * 4, session_data="", expire_date=now + timedelta(days=1))

    clear_expired_sessions.call()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" * 4]
    assert "lib.tasks.clear_expired_sessions" in {job.task_path for job in JOBS}


# --- the registration form, rendered once per wording and language ------------------------------------------------


def _page(client: Client, tenant: Tenant, *, language: str = "ja") -> str:
    page = client.get(f"/r/{tenant.link.code}", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_the_cached_form_is_the_form_each_visitor_would_get(client: Client, tenant: Tenant) -> None:
    cache.clear()
    first = _page(client, tenant)
    client.cookies.clear()
    again = _page(client, tenant)

    assert again == first
    assert 'name="agree_service"' in first and "必須" in first


def test_each_company_and_each_language_has_its_own_form(client: Client, tenant: Tenant, outsider: Tenant) -> None:
    cache.clear()
    ours = _page(client, tenant)
    theirs = _page(client, outsider)
    english = _page(client, tenant, language="en")

    assert f"ご登録いただいたことを {tenant.company.name} に知らせてよい" in ours
    assert f"ご登録いただいたことを {outsider.company.name} に知らせてよい" in theirs
    assert tenant.company.name not in theirs.split('id="register"')[1]
    assert "I agree to the Terms of Use" in english and "I agree to the Terms of Use" not in ours


def test_a_form_sent_back_with_errors_keeps_what_was_typed(client: Client, tenant: Tenant) -> None:
    cache.clear()
    _page(client, tenant)  # the empty form is cached now

    response = client.post(f"/r/{tenant.link.code}", form_data(email="not-an-address", skills="営業10年"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "営業10年" in page and 'class="error"' in page
    assert not Referral.objects.exists()
