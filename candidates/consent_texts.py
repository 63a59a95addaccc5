"""The exact wording of every consent the person is asked for, versioned (DESIGN.md §3 rules 11 and 15).

`WORDING` is the one source: the registration form and My Page's consent settings take their labels and help texts
from `consent_text_current`, which returns the `ConsentText` row holding exactly this wording (a new version is
published the first time a changed wording is shown; a row is never edited), and each `Consent` row points at
the row it was given on, with the text as rendered for the person (`Consent.wording`). So what was shown is what
is stored, and a change of wording is provable as a new version.

A text may carry `%(company)s` (the company the person came from), filled in when it is shown.
"""

import hashlib
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import get_language

from candidates.models import Consent, ConsentText

K = Consent.Kind
REG = ConsentText.Surface.REGISTRATION
MY = ConsentText.Surface.MYPAGE
DEFAULT_LANGUAGE = "ja"

# (kind, surface) → language → (label, help text)
WORDING: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    (K.SERVICE, REG): {
        "ja": (
            "利用規約と個人情報の取扱いに同意し、ご紹介のためにプロフィールを導入企業へ提供することに同意します(必須)",
            "",
        ),
        "en": (
            "I agree to the Terms of Use and the Handling of Personal Information, and consent to my profile being "
            "shared with member companies for referral purposes (required)",
            "",
        ),
    },
    (K.RECHALLENGE, REG): {
        "ja": (
            "今回ご縁のなかった企業から、将来あらためて選考のご案内(再チャレンジ)を受け取る"
            "(任意。その企業に、ご登録いただいたことが伝わります)",
            "",
        ),
        "en": (
            "Receive a future invitation to apply again (re-challenge) from the company that didn't work out this "
            "time (optional; that company will learn that you registered)",
            "",
        ),
    },
    (K.NEWSLETTER, REG): {
        "ja": ("キャリアリレーからの求人情報・お知らせメールを受け取る(任意)", ""),
        "en": ("Receive job information and news emails from Career Relay (optional)", ""),
    },
    (K.SHARE_WITH_COMPANY, REG): {
        "ja": ("ご登録いただいたことを %(company)s に知らせてよい(任意)", ""),
        "en": ("You may tell %(company)s that I registered (optional)", ""),
    },
    (K.SERVICE, MY): {
        "ja": ("プロフィールを導入企業へのご紹介のために提供する", "オフにすると、企業へのご紹介を停止します。"),
        "en": (
            "Share my profile with member companies for referrals",
            "If you turn this off, we will stop referring you to companies.",
        ),
    },
    (K.RECHALLENGE, MY): {
        "ja": ("不採用となった企業からの再チャレンジのご案内を受け取る", ""),
        "en": ("Receive re-challenge invitations from companies that turned me down", ""),
    },
    (K.NEWSLETTER, MY): {
        "ja": ("求人情報・お知らせメールを受け取る", ""),
        "en": ("Receive job information and news emails", ""),
    },
    (K.SHARE_WITH_COMPANY, MY): {
        "ja": (
            "ご登録いただいたことを、ご案内元の企業に知らせる",
            "オフのあいだ、企業にはお名前を伴わない件数(5件未満は非表示)だけが伝わります。",
        ),
        "en": (
            "Let the company that referred me know that I registered",
            "While this is off, the company only sees counts without names (counts under 5 are hidden).",
        ),
    },
}

# Filled in for %(company)s when no company is known.
COMPANY_FALLBACK = {"ja": "ご案内元の企業", "en": "the company that referred me"}


def wording_digest(text: str, note: str) -> str:
    return hashlib.sha256(f"{text}\n{note}".encode()).hexdigest()


def language_of(language: str | None = None) -> str:
    code = (language or get_language() or DEFAULT_LANGUAGE).split("-")[0].lower()
    return code if code in ("ja", "en") else DEFAULT_LANGUAGE


def consent_text_current(*, kind: str, surface: str, language: str | None = None) -> ConsentText:
    """The row of the wording shown now; publishes a new version if the wording in `WORDING` changed."""
    return consent_texts_current(kinds=[kind], surface=surface, language=language)[kind]


def consent_texts_current(*, kinds: Iterable[str], surface: str, language: str | None = None) -> dict[str, ConsentText]:
    """`consent_text_current` of several kinds in one query (a form shows four consents on every page view): each
    kind's latest version, or a new one published when the wording in `WORDING` changed."""
    lang = language_of(language)
    wanted = list(kinds)
    latest: dict[str, ConsentText] = {}
    for row in ConsentText.objects.filter(kind__in=wanted, surface=surface, language=lang).order_by("kind", "-version"):
        latest.setdefault(row.kind, row)
    found = {}
    for kind in wanted:
        text, note = WORDING[(kind, surface)][lang]
        current = latest.get(kind)
        if current is None or current.sha256 != wording_digest(text, note):
            current = consent_text_publish(kind=kind, surface=surface, language=lang, text=text, note=note)
        found[kind] = current
    return found


def consent_text_publish(*, kind: str, surface: str, language: str, text: str, note: str = "") -> ConsentText:
    """The latest version if it holds exactly this wording, else a new version (never an edit in place)."""
    digest = wording_digest(text, note)
    rows = ConsentText.objects.filter(kind=kind, surface=surface, language=language)
    latest = rows.order_by("-version").first()
    if latest is not None and latest.sha256 == digest:
        return latest
    try:
        with transaction.atomic():
            return ConsentText.objects.create(
                kind=kind,
                surface=surface,
                language=language,
                version=(latest.version + 1) if latest else 1,
                text=text,
                note=note,
                sha256=digest,
            )
    except IntegrityError:  # another request published the same version a moment ago
        return rows.order_by("-version").first() or consent_text_publish(
            kind=kind, surface=surface, language=language, text=text, note=note
        )


def consent_label(row: ConsentText, *, company_name: str = "") -> str:
    """The label as the person read it, with the company's name filled in."""
    company = company_name or COMPANY_FALLBACK.get(row.language, COMPANY_FALLBACK[DEFAULT_LANGUAGE])
    return row.text.replace("%(company)s", company)


def consent_rendered(row: ConsentText, *, company_name: str = "") -> str:
    """Everything the person read of one consent: the label, then the help text (stored as `Consent.wording`)."""
    label = consent_label(row, company_name=company_name)
    return f"{label}\n{row.note}" if row.note else label
