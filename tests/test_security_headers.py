"""Browser hardening on every kind of page: a strict Content-Security-Policy (only our own scripts and styles),
Permissions-Policy with every powerful feature off, Referrer-Policy, and `Cache-Control: no-store` wherever
the answer may hold personal data (signed-in staff, a candidate's session, token pages, the API)."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from lib.middleware import holds_personal_data
from tests.conftest import Tenant, login, register_verified
from tests.test_api import key_for
from tests.test_mypage import signed_in

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def pages(client: Client, operator: User, tenant: Tenant) -> dict[str, Any]:
    """Representative answers, one per audience: anonymous, company, operator, candidate, API."""
    anonymous = Client()
    candidate = register_verified(tenant.link)
    me = signed_in(candidate)
    api_key = key_for(tenant)
    return {
        "landing": anonymous.get(f"/r/{tenant.link.code}"),
        "login": anonymous.get("/accounts/login/"),
        "terms": anonymous.get("/terms/"),
        "company dashboard": login(Client(), tenant.owner).get("/company/"),
        "company applicants": login(Client(), tenant.owner).get("/company/applicants/"),
        "ops companies": login(Client(), operator).get("/ops/"),
        "ops candidate": login(Client(), operator).get(f"/ops/candidates/{candidate.pk}/"),
        "my page": me.get("/me/"),
        "my profile": me.get("/me/profile/"),
        "api": anonymous.get("/api/v1/emails", headers={"Authorization": f"Bearer {api_key}"}),
        "api unauthenticated": anonymous.get("/api/v1/emails"),
    }


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_every_page_has_a_strict_csp_permissions_policy_and_referrer_policy(
    client: Client, operator: User, tenant: Tenant
) -> None:
    answers = pages(client, operator, tenant)
    for name, response in answers.items():
        assert response.status_code < 400 or name == "api unauthenticated", (name, response.status_code)
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], name
        assert policy["style-src"] == ["'self'"], name
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], name
        assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"], name
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], name
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], name
        permissions = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions, (name, feature)
        assert response["Referrer-Policy"] == "same-origin", name


def test_pages_with_personal_data_are_never_stored_and_public_pages_may_be(
    client: Client, operator: User, tenant: Tenant
) -> None:
    answers = pages(client, operator, tenant)
    private = {name for name in answers if name not in ("landing", "terms")}
    for name in private:
        assert answers[name]["Cache-Control"] == "no-store", name
    for name in ("landing", "terms"):
        assert "no-store" not in answers[name].get("Cache-Control", ""), name


def test_token_pages_a_post_and_a_signed_in_visit_to_a_public_page_are_no_store(client: Client, tenant: Tenant) -> None:
    assert Client().get("/rechallenge/not-a-real-token/")["Cache-Control"] == "no-store"
    assert Client().get("/unsubscribe/not-a-real-token/")["Cache-Control"] == "no-store"
    assert Client().get(f"/r/{tenant.link.code}/thanks")["Cache-Control"] == "no-store"
    assert Client().post(f"/r/{tenant.link.code}", {"name": "山田"})["Cache-Control"] == "no-store"
    assert login(Client(), tenant.owner).get("/terms/")["Cache-Control"] == "no-store"
    me = signed_in(register_verified(tenant.link))
    assert me.get("/privacy/")["Cache-Control"] == "no-store"


def test_the_rule_is_decided_by_path_method_user_and_candidate_session(rf: Any, tenant: Tenant) -> None:
    from django.contrib.auth.models import AnonymousUser

    def request(method: str, path: str, *, user: Any = None, session: dict[str, str] | None = None) -> Any:
        made = getattr(rf, method)(path)
        made.user = user or AnonymousUser()
        made.session = session or {}
        return made

    assert not holds_personal_data(request("get", "/"))
    assert not holds_personal_data(request("get", "/r/abc"))
    assert holds_personal_data(request("get", "/r/abc/thanks"))
    assert holds_personal_data(request("post", "/r/abc"))
    assert holds_personal_data(request("get", "/terms/", user=tenant.owner))
    assert holds_personal_data(request("get", "/terms/", session={"candidate_public_id": "x"}))
    for prefix in ("/company/", "/ops/", "/me/", "/api/v1/emails", "/rechallenge/t/", "/invite/t/"):
        assert holds_personal_data(request("get", prefix)), prefix


# The templates themselves -----------------------------------------------------------------------------------

TEMPLATES = [
    path
    for path in ROOT.rglob("*.html")
    if not {".venv", "staticfiles", "node_modules"} & set(path.relative_to(ROOT).parts)
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
INLINE_STYLE = re.compile(r"""<style|\sstyle\s*=\s*["']""", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:|\shx-on", re.IGNORECASE)


def test_no_template_has_an_inline_script_handler_style_or_javascript_url() -> None:
    assert len(TEMPLATES) > 50
    offenders = [
        f"{path.relative_to(ROOT)}: {pattern.pattern}"
        for path in TEMPLATES
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE, SCRIPT_URL)
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_checks_recognise_what_the_csp_would_block() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>") and not INLINE_SCRIPT.search('<script src="/a.js">')
    assert INLINE_HANDLER.search('<input onclick="x()">') and not INLINE_HANDLER.search('<a data-confirm="x">')
    assert INLINE_STYLE.search('<p style="color:red">') and INLINE_STYLE.search("<style>p{}</style>")
    assert SCRIPT_URL.search('<a href="javascript:void(0)">') and SCRIPT_URL.search('<b hx-on:click="x">')


def test_the_progress_bar_keeps_its_width_through_a_data_attribute(owner_client: Client) -> None:
    page = owner_client.get("/company/").content.decode()
    assert re.search(r'<span data-percent="\d+"></span>', page)
    assert 'src="/static/js/app.js"' in page and "includeIndicatorStyles" in page
