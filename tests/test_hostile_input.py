"""Hostile input never gives a 500: over-deep JSON, non-hex signatures, NUL bytes and huge page numbers are
refused with a clear 4xx (JSON on /hooks/ and /api/), on SQLite and on PostgreSQL alike."""

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from integrations.models import Integration, WebhookEvent
from integrations.services import integration_create
from lib.jsonsafe import json_too_deep, unstorable_text
from tests.conftest import Tenant, login
from tests.test_api import key_for

DEEP = b"[" * 3000 + b"]" * 3000
KINDS = (Integration.Kind.GREENHOUSE, Integration.Kind.LEVER, Integration.Kind.GENERIC)


def make(tenant: Tenant, kind: str) -> tuple[Integration, str]:
    extra = {"signature_token": "lever-signature-token-123"} if kind == Integration.Kind.LEVER else {}
    created = integration_create(company=tenant.company, kind=kind, name=f"{kind} 本番", actor=tenant.owner, **extra)
    return created.integration, created.secret


def post(client: Client, integration: Integration, body: bytes, **headers: str) -> Any:
    return client.post(integration.endpoint_path, data=body, content_type="application/json", headers=headers)


def sign(secret: str, body: bytes) -> str:
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def lever_body(
    secret: str,
    token: str = "tok-1",  # noqa: S107 (a test delivery id)
    signature: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    triggered_at = int(time.time() * 1000)
    digest = hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()
    body = {"event": "candidateArchiveChange", "token": token, "triggeredAt": triggered_at}
    return {**body, "signature": digest if signature is None else signature, **extra}


# The helpers ----------------------------------------------------------------------------------------------------


def test_depth_is_read_from_brackets_outside_strings() -> None:
    assert json_too_deep(DEEP)
    assert json_too_deep("[" * 65 + "]" * 65) and not json_too_deep("[" * 64 + "]" * 64)
    assert not json_too_deep(json.dumps({"text": "[" * 500, "escaped": '\\"[[[[' * 100}))
    assert unstorable_text({"a": [{"b\x00": 1}]}) and unstorable_text(["\ud800"]) and not unstorable_text({"a": "é"})


# Webhooks --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_3000_deep_body_is_refused_as_too_deep(client: Client, tenant: Tenant, kind: str) -> None:
    integration, secret = make(tenant, kind)
    response = post(client, integration, DEEP, Signature=sign(secret, DEEP))

    assert response.status_code == 400 and response.json()["code"] == "too_deep"
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.BAD_REQUEST


@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["é" * 64, "ｆ" * 64, "sha256", "0" * 63 + "g", "\u3000" + "a" * 64])
def test_a_non_hex_signature_is_refused_with_401(client: Client, tenant: Tenant, signature: str) -> None:
    for kind in KINDS:
        integration, secret = make(tenant, kind)
        if kind == Integration.Kind.LEVER:
            body = json.dumps(lever_body(secret, signature=signature), ensure_ascii=False).encode()
            response = post(client, integration, body)
        else:
            body = b'{"event": "applicant.rejected"}'
            response = client.post(
                integration.endpoint_path,
                data=body,
                content_type="application/json",
                HTTP_SIGNATURE=f"sha256 {signature}",
            )
        assert response.status_code == 401, (kind, response.content)
        assert response.json()["code"] == "invalid_signature"


@pytest.mark.django_db
def test_nul_in_a_signed_body_or_the_url_token_is_refused(client: Client, tenant: Tenant) -> None:
    lever, lever_secret = make(tenant, Integration.Kind.LEVER)
    generic, generic_secret = make(tenant, Integration.Kind.GENERIC)
    lever_nul = json.dumps(lever_body(lever_secret, token="tok\x00")).encode()
    generic_nul = json.dumps({"event": "applicant.rejected", "applicant": {"id": "a\x00", "x\ud800": 1}}).encode()

    assert post(client, lever, lever_nul).json()["code"] == "invalid_characters"
    assert post(client, generic, generic_nul, Signature=sign(generic_secret, generic_nul)).status_code == 400
    assert (
        client.post(f"/hooks/generic/{generic.token}%00/", data=b"{}", content_type="application/json").json()["code"]
        == "not_found"
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = ("event", "action", "token", "triggeredAt", "signature", "applicant", "payload", "data", "id", "event_id")
BODIES = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6).map(lambda d: json.dumps(d).encode()),
    st.integers(min_value=60, max_value=400).map(lambda n: b'{"a":' + b"[" * n + b"]" * n + b"}"),
)


@pytest.mark.django_db
@seed(11_9)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(KINDS),
    body=BODIES,
    signature=st.one_of(st.none(), st.text(max_size=70).filter(lambda s: "\x00" not in s)),
    valid=st.booleans(),
)
def test_fuzzed_deliveries_never_give_a_server_error(
    client: Client, tenant: Tenant, kind: str, body: bytes, signature: str | None, valid: bool
) -> None:
    # The tenant (and so each integration) lives for the whole run: hypothesis calls this once per example.
    integration = Integration.objects.filter(company=tenant.company, kind=kind).first() or make(tenant, kind)[0]
    headers: dict[str, str] = {}
    if kind == Integration.Kind.LEVER and valid:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            body = json.dumps({**data, **lever_body(integration.secret)}).encode()
    elif valid:
        headers["Signature"] = sign(integration.secret, body)
    elif signature is not None:
        headers["Signature"] = signature
    response = client.post(integration.endpoint_path, data=body, content_type="application/json", headers=headers)

    assert response.status_code < 500, response.content
    assert isinstance(response.json(), dict)


# The API ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_deep_json_nul_and_huge_pages_in_its_own_shape(client: Client, tenant: Tenant) -> None:
    auth = {"Authorization": f"Bearer {key_for(tenant)}"}
    deep = client.post("/api/v1/applicants", data=DEEP, content_type="application/json", headers=auth)
    nul_query = client.get("/api/v1/emails", {"applicant_ref": "HR\x00"}, headers=auth)
    nul_code = client.post(
        "/api/v1/relay-links",
        data={"applicant_ref": "a", "link_code": "x\x00"},
        content_type="application/json",
        headers=auth,
    )
    huge = client.get("/api/v1/emails", {"page": str(10**30)}, headers=auth)
    word = client.get("/api/v1/emails", {"page": "abc"}, headers=auth)

    assert deep.status_code == 400 and deep.json()["code"] == "too_deep"
    assert nul_query.status_code == 400 and nul_query.json()["code"] == "invalid_characters"
    assert nul_code.status_code == 404 and nul_code.json()["code"] == "not_found"
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "page"
    assert word.status_code == 422 and word.json()["errors"][0]["field"] == "page"


# The screens -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_html_list_answers_a_page_for_a_huge_or_malformed_page_number(client: Client, tenant: Tenant) -> None:
    login(client, tenant.owner)
    for page in (str(10**30), "abc", "-1", "1e400", "9" * 5000):
        assert client.get("/company/applicants/", {"page": page}).status_code == 200


@pytest.mark.django_db
def test_nul_in_a_form_or_a_query_is_refused_with_a_japanese_page(client: Client, tenant: Tenant) -> None:
    posted = client.post("/accounts/login/", {"username": "a\x00@example.jp", "password": "x"})
    queried = login(client, tenant.owner).get("/company/applicants/", {"q": "山田\x00"})

    for response in (posted, queried):
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
        assert "使用できない文字 (NUL)" in response.content.decode()
