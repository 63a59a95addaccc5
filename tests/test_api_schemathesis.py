"""Schemathesis against the API's own OpenAPI schema (django-ninja, /api/openapi.json), through the WSGI app in
this process with a real API key: valid and invalid requests for every operation, a fixed seed and a bounded
number of examples, so the run takes seconds on SQLite and on PostgreSQL. No request may answer 5xx."""

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.conftest import Tenant
from tests.test_api import applicant, key_for, post_one

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 40
# Text no database stores (lone surrogates, NUL) and numbers no column holds: a lone surrogate in link_code
# answered 500 (UnicodeEncodeError) before; each is sent into every field besides what schemathesis generates.
HOSTILE_TEXT = ("\ud800", "a\udfffb", "\x00", "9" * 400, "-1e400", "１２３")
APPLICANT_FIELDS = ("id", "name", "email", "position", "stage", "track", "rejected_at", "reason", "template")


@pytest.fixture
def api_key(tenant: Tenant) -> str:
    cache.clear()  # the per-key request limit counts in the cache; another test's key may share this one's pk
    return key_for(tenant)


def in_test_transaction(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Django's WSGI app, except that a request does not close the database connection: the real handler would
    close the test's (its transaction looks broken to `close_old_connections`), as Django's test client avoids."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = DJANGO(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


DJANGO = get_wsgi_application()


def server_errors(key: str, known_ref: str, mode: GenerationMode) -> tuple[Counter[int], list[str]]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", in_test_transaction)
    auth = {"Authorization": f"Bearer {key}"}
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the schema itself is valid
        cache.clear()  # each operation starts under the per-key request limit (600 a minute)
        operation = result.ok()
        parameters = {p.name for p in operation.path_parameters}
        strategies = [operation.as_strategy(generation_mode=mode, headers=auth)]
        if "ref" in parameters:
            strategies.append(
                operation.as_strategy(generation_mode=mode, headers=auth, path_parameters={"ref": known_ref})
            )

        @seed(11_10)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: Any) -> None:
            case.headers = {**(case.headers or {}), **auth}
            response = case.call()
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {response.status_code}: {response.text[:300]}")

        try:
            run()
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE  # an operation with no input to get wrong (the summary)
    print(f"schemathesis {mode}: {statuses.total()} requests {dict(statuses)}, {len(failures)} server errors")
    return statuses, failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_error(client: Client, api_key: str, mode: GenerationMode) -> None:
    post_one(client, api_key, id="HR-1")  # so the reads, the correction and the cancel can reach a real row
    statuses, failures = server_errors(api_key, "HR-1", mode)

    assert statuses.total() >= 9 * EXAMPLES_PER_OPERATION // 2
    assert statuses[401] + statuses[429] < statuses.total() // 10  # the key works: the app itself is tested
    if mode == GenerationMode.POSITIVE:
        assert statuses[200] > statuses.total() // 5  # valid requests mostly pass (422: rules beyond the schema)
    assert failures == []


def test_hostile_text_in_every_field_path_and_query_never_gives_a_server_error(client: Client, api_key: str) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    post_one(client, api_key, id="HR-1")

    def send(method: str, path: str, body: Any = None) -> int:
        data = None if body is None else json.dumps(body)  # lone surrogates travel as \\ud800 escapes
        return int(getattr(client, method)(path, data=data, content_type="application/json", headers=auth).status_code)

    answers: list[tuple[str, str, int]] = []
    for text in HOSTILE_TEXT:
        in_url = quote(text.encode("utf-8", "surrogatepass"), safe="")
        for field in APPLICANT_FIELDS:
            answers.append(
                (field, text, send("post", "/api/v1/applicants", {"applicants": [applicant(**{field: text})]}))
            )
        for field in ("name", "email", "stage", "reason", "position"):
            answers.append((f"patch {field}", text, send("patch", "/api/v1/applicants/HR-1", {field: text})))
        answers.append(
            ("link_code", text, send("post", "/api/v1/relay-links", {"applicant_ref": "a", "link_code": text}))
        )
        answers.append(("applicant_refs", text, send("post", "/api/v1/relay-links", {"applicant_refs": [text]})))
        answers.append(("ref", text, send("get", f"/api/v1/applicants/{in_url}")))
        answers.append(("cancel-mail", text, send("post", f"/api/v1/applicants/{in_url}/cancel-mail")))
        answers.append(("email cancel", text, send("post", f"/api/v1/emails/{in_url}/cancel")))
        for name in ("since", "cursor", "status", "applicant_ref", "page", "page_size"):
            for path in ("/api/v1/changes", "/api/v1/emails"):
                response = client.get(f"{path}?{name}={in_url}", headers=auth)
                answers.append((f"{path}?{name}", text, response.status_code))

    assert len(answers) == len(HOSTILE_TEXT) * 31
    assert [answer for answer in answers if answer[2] >= 500] == []
