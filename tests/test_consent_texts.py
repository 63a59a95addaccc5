"""Consent wording pinned (DESIGN.md §3 rule 11): every consent row proves the exact text the person was shown.

The registration form and My Page take their consent labels from the active `ConsentText`; each `Consent` row
points at that row and keeps the text as rendered. A changed wording is a new version; a version never changes."""

import json
from typing import Any

import pytest
from django.test import Client

from candidates.consent_texts import (
    WORDING,
    consent_text_current,
    consent_text_publish,
    consent_texts_current,
    wording_digest,
)
from candidates.models import Candidate, Consent, ConsentText
from candidates.services import candidate_set_consents
from candidates.tokens import candidate_token_make
from tests.conftest import Tenant, register_verified
from tests.fixture_types import CaptureOnCommit
from tests.test_registration import form_data

pytestmark = pytest.mark.django_db

REG, MY = ConsentText.Surface.REGISTRATION, ConsentText.Surface.MYPAGE


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


def test_the_migration_created_version_one_of_every_wording_in_both_languages() -> None:
    for (kind, surface), languages in WORDING.items():
        for language, (text, note) in languages.items():
            row = ConsentText.objects.get(kind=kind, surface=surface, language=language, version=1)
            assert (row.text, row.note, row.sha256) == (text, note, wording_digest(text, note))


def test_a_registration_stores_the_exact_text_the_form_showed(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    page = client.get(f"/r/{tenant.link.code}").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/r/{tenant.link.code}", form_data(agree_share_with_company="on"))
    consents = {c.kind: c for c in Consent.objects.filter(candidate=Candidate.objects.get())}
    assert set(consents) == set(Consent.Kind.values)
    for kind, consent in consents.items():
        assert consent.consent_text == consent_text_current(kind=kind, surface=REG, language="ja")
        assert consent.wording and consent.wording in page, kind  # shown == stored, word for word
    share = consents[Consent.Kind.SHARE_WITH_COMPANY]
    assert share.wording == f"ご登録いただいたことを {tenant.company.name} に知らせてよい(任意)"


def test_a_registration_in_english_stores_the_english_text(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    page = client.get(f"/r/{tenant.link.code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/r/{tenant.link.code}", form_data(), HTTP_ACCEPT_LANGUAGE="en")
    service = Consent.objects.get(kind=Consent.Kind.SERVICE)
    assert service.consent_text is not None and service.consent_text.language == "en"
    assert service.wording.startswith("I agree to the Terms of Use") and service.wording in page


def test_my_page_changes_record_the_my_page_wording_with_its_help_text(tenant: Tenant) -> None:
    person = register_verified(tenant.link)
    me = signed_in(person)
    page = me.get("/me/consents/").content.decode()
    me.post("/me/consents/", {"service": "on", "share_with_company": "on"})
    share = Consent.objects.filter(candidate=person, kind=Consent.Kind.SHARE_WITH_COMPANY).latest("id")
    assert share.channel == Consent.Channel.MYPAGE and share.consent_text is not None
    assert share.consent_text.surface == MY
    label, note = WORDING[(Consent.Kind.SHARE_WITH_COMPANY, MY)]["ja"]
    assert share.wording == f"{label}\n{note}" and label in page and note in page


def test_my_page_history_and_the_download_show_the_text_agreed(tenant: Tenant) -> None:
    person = register_verified(tenant.link)
    me = signed_in(person)
    history = me.get("/me/consents/").content.decode()
    service_text = WORDING[(Consent.Kind.SERVICE, REG)]["ja"][0]
    assert service_text in history and "文言 第1版" in history
    exported = json.loads(me.get("/me/data.json").content)["consents"]
    service = next(c for c in exported if c["kind"] == Consent.Kind.SERVICE)
    row = ConsentText.objects.get(kind=Consent.Kind.SERVICE, surface=REG, language="ja", version=1)
    assert (service["text"], service["text_version"], service["text_sha256"]) == (service_text, 1, row.sha256)


def test_changing_the_wording_publishes_a_new_version_and_old_consents_keep_theirs(
    tenant: Tenant, monkeypatch: Any
) -> None:
    person = register_verified(tenant.link)
    [before] = candidate_set_consents(candidate=person, wanted={Consent.Kind.NEWSLETTER: True})
    v1 = before.consent_text
    old_text = WORDING[(Consent.Kind.NEWSLETTER, MY)]["ja"][0]
    assert v1 is not None and (v1.surface, v1.version, before.wording) == (MY, 1, old_text)

    new_text = "キャリアリレーからの求人情報・イベントのお知らせメールを受け取る"
    monkeypatch.setitem(WORDING, (Consent.Kind.NEWSLETTER, MY), {"ja": (new_text, ""), "en": ("News", "")})
    [after] = candidate_set_consents(candidate=person, wanted={Consent.Kind.NEWSLETTER: False})
    assert after.consent_text is not None and after.consent_text.version == 2 and after.wording == new_text

    v1.refresh_from_db()
    before.refresh_from_db()
    assert v1.text == old_text and before.consent_text == v1 and before.wording == old_text
    # Showing the same wording again reuses the version; it never makes another.
    assert consent_text_current(kind=Consent.Kind.NEWSLETTER, surface=MY, language="ja") == after.consent_text
    assert ConsentText.objects.filter(kind=Consent.Kind.NEWSLETTER, surface=MY, language="ja").count() == 2


def test_a_wording_is_never_edited_in_place() -> None:
    row = consent_text_publish(kind=Consent.Kind.NEWSLETTER, surface=MY, language="ja", text="別の文言")
    row.text = "こっそり書き換えた文言"
    with pytest.raises(ValueError):
        row.save()
    row.refresh_from_db()
    assert row.text == "別の文言"


def test_a_consent_from_before_wordings_were_kept_says_so_instead_of_guessing(tenant: Tenant) -> None:
    person = register_verified(tenant.link)
    Consent.objects.filter(candidate=person).update(consent_text=None, wording="")
    me = signed_in(person)
    assert "文言の記録はありません" in me.get("/me/consents/").content.decode()
    exported = json.loads(me.get("/me/data.json").content)["consents"]
    assert {c["text"] for c in exported} == {None}


def test_the_forms_read_every_current_wording_in_one_query_and_publish_a_changed_one(
    monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    kinds = list(Consent.Kind.values)
    with django_assert_num_queries(1):
        rows = consent_texts_current(kinds=kinds, surface=REG, language="ja")
    assert rows == {kind: consent_text_current(kind=kind, surface=REG, language="ja") for kind in kinds}

    new_text = "キャリアリレーからの求人情報・イベントのお知らせメールを受け取る(任意)"
    monkeypatch.setitem(WORDING, (Consent.Kind.NEWSLETTER, REG), {"ja": (new_text, ""), "en": ("News", "")})
    changed = consent_texts_current(kinds=kinds, surface=REG, language="ja")

    assert changed[Consent.Kind.NEWSLETTER].text == new_text and changed[Consent.Kind.NEWSLETTER].version == 2
    assert {kind: row for kind, row in changed.items() if kind != Consent.Kind.NEWSLETTER} == {
        kind: row for kind, row in rows.items() if kind != Consent.Kind.NEWSLETTER
    }
