"""English is served through Django's i18n from locale/en/LC_MESSAGES/django.po; Japanese stays the default."""

import functools
import html
import os
import re
import tempfile
from pathlib import Path
from typing import Any, cast

import polib
import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from tests.conftest import Tenant

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([^)]+\)s")

JA_HEADING = "次のキャリアを、無料で一緒に考えませんか。"
EN_HEADING = "Let's think about your next career step together — free of charge."


def compile_stale_catalogs() -> None:
    """What scripts/compile_messages.py does, but only for missing or out-of-date .mo files, written atomically."""
    for po_path in LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        fd, tmp = tempfile.mkstemp(suffix=".mo", dir=mo_path.parent)
        os.close(fd)
        try:
            polib.pofile(str(po_path)).save_as_mofile(tmp)
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the web server may run as another user
            os.replace(tmp, mo_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogs() -> None:
    compile_stale_catalogs()
    reset_translation_caches()


def reset_translation_caches() -> None:
    """A catalog loaded before the .mo existed would be cached empty for the rest of the process."""
    vars(trans_real).update(_translations={}, _default=None)
    cast("functools._lru_cache_wrapper[bool]", trans_real.translation_catalog_exists).cache_clear()


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_landing_page_in_english_via_accept_language(client: Client, tenant: Tenant) -> None:
    response = client.get(f"/r/{tenant.link.code}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    text = page_text(response)
    assert '<html lang="en">' in text
    assert EN_HEADING in text
    assert f"To everyone who applied to {tenant.company.name}" in text
    for label in ("Prefecture of residence", "Desired job type", "Phone number", "Agree and register"):
        assert label in text
    assert JA_HEADING not in text
    assert "お住まいの都道府県" not in text


def test_landing_page_defaults_to_japanese(client: Client, tenant: Tenant) -> None:
    response = client.get(f"/r/{tenant.link.code}")

    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="ja">' in text
    assert JA_HEADING in text
    assert "お住まいの都道府県" in text
    assert EN_HEADING not in text
    # The switch button offers English.
    assert 'name="language" value="en">English</button>' in text


def test_language_switch_button_switches_next_page_to_english(client: Client, tenant: Tenant) -> None:
    landing = f"/r/{tenant.link.code}"

    response = client.post("/i18n/setlang/", {"language": "en", "next": landing})

    assert response.status_code == 302
    assert response["Location"] == landing
    assert client.cookies["django_language"].value == "en"
    text = page_text(client.get(landing))
    assert EN_HEADING in text
    assert JA_HEADING not in text
    assert 'name="language" value="ja">日本語</button>' in text

    client.post("/i18n/setlang/", {"language": "ja", "next": landing})
    assert JA_HEADING in page_text(client.get(landing))


@pytest.mark.parametrize(
    ("path", "english"),
    [
        ("/", "How Career Relay works"),
        ("/me/login/", "Send login link"),
        ("/accounts/login/", "Login for companies and operator staff"),
        ("/accounts/password-reset/", "Send reset link"),
        ("/terms/", "Article 13 (Governing Law and Jurisdiction)"),
        ("/privacy/", "Information we do not ask for"),
    ],
)
def test_public_pages_render_in_english(client: Client, path: str, english: str) -> None:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="en">' in text
    assert english in text
    assert "Terms of Use" in text  # footer
    assert "利用規約" not in text


def test_company_dashboard_renders_in_english(owner_client: Client) -> None:
    response = owner_client.get("/company/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    text = page_text(response)
    assert "Free-introduction credits" in text
    assert "Results by link" in text
    assert "無料紹介枠" not in text


def test_gettext_in_python_code_is_translated() -> None:
    from lib.choices import Prefecture

    with translation.override("en"):
        assert str(Prefecture(13).label) == "Tokyo"
        assert translation.gettext("無料紹介枠") == "Free-introduction credits"
        assert translation.ngettext("%(years)s 年", "%(years)s 年", 1) % {"years": 1} == "1 year"
        assert translation.ngettext("%(years)s 年", "%(years)s 年", 3) % {"years": 3} == "3 years"


def test_english_catalog_is_complete_and_keeps_every_format_variable() -> None:
    po = polib.pofile(str(EN_PO))

    assert po.metadata["Language"] == "en"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert not po.metadata_is_fuzzy
    assert len(po) > 0
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po:
        if entry.obsolete:
            continue
        expected = set(PLACEHOLDER.findall(entry.msgid))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for msgstr in translations:
            assert set(PLACEHOLDER.findall(msgstr)) == expected, entry.msgid
            assert msgstr.count("\n") == entry.msgid.count("\n"), entry.msgid


@pytest.mark.django_db
def test_a_candidate_registering_on_the_english_site_gets_the_email_in_english(
    client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    data = {
        "name": "Jane Smith",
        "furigana": "ジェーン スミス",
        "email": "jane@example.jp",
        "phone": "090-3333-4444",
        "prefecture": "13",
        "job_category": "software",
        "years_of_experience": "2",
        "agree_service": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/r/{tenant.link.code}", data, HTTP_ACCEPT_LANGUAGE="en")
    assert len(mail.outbox) == 1
    assert "メールアドレスの確認" not in mail.outbox[0].subject
    assert "Career Relay" in mail.outbox[0].subject
    assert "/me/verify/" in mail.outbox[0].body
