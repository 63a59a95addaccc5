"""Japanese input the way Japanese users type it: full-width digits, half-width kana, hyphens of every kind."""

import re
import unicodedata
from typing import Any, TypeVar

import jaconv
import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet

RowSet = TypeVar("RowSet", bound=QuerySet[Any])

_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30fc\uff0d\ufe63]")
_KATAKANA_NAME = re.compile(r"^[\u30a0-\u30ff\u3000 ]+$")


def nfkc(value: str) -> str:
    """Fold full-width ASCII and half-width katakana into their ordinary forms, collapse spaces."""
    # split() breaks on exactly the characters the regex \s matches (checked over every code point) and is
    # faster: CSV imports run this on every cell.
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def normalize_email(value: str) -> str:
    return nfkc(value).replace(" ", "").lower()


# Domains that deliver to one mailbox under two names. Japanese carrier domains (docomo.ne.jp, ezweb.ne.jp,
# au.com, softbank.ne.jp) are not folded: their dots are part of the name, and ezweb/au are separate addresses.
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Providers whose mailbox ignores dots in the local part.
_DOTLESS_DOMAINS = frozenset({"gmail.com"})


# Japanese mobile carriers' domains. Addresses they issued before 2009 may break RFC 5322 (two dots in a row, a dot
# just before the @, as in `ichiro..test.@docomo.ne.jp`); the carriers still deliver to them, and their owners still
# use them, so they are accepted as typed.
_CARRIER_DOMAINS = frozenset(
    {"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp", "disney.ne.jp"}
)
_CARRIER_DOMAIN_SUFFIXES = (".vodafone.ne.jp", ".pdx.ne.jp")
_CARRIER_LOCAL_PART = re.compile(r"[a-z0-9][a-z0-9._\-/?]{0,63}", re.IGNORECASE)


def email_address_valid(address: str) -> bool:
    """Whether mail can be sent to `address` (already normalised): RFC 5322 as Django checks it, or an address a
    Japanese carrier issued in its older, looser form."""
    if len(address) > 254:
        return False
    try:
        validate_email(address)
    except ValidationError:
        local, at, domain = address.rpartition("@")
        domain = domain.lower()
        carrier = domain in _CARRIER_DOMAINS or domain.endswith(_CARRIER_DOMAIN_SUFFIXES)
        return bool(at) and carrier and _CARRIER_LOCAL_PART.fullmatch(local) is not None
    return True


# Besides letters and spaces, what real names contain: 中黒 (ド・ゴール), apostrophes and hyphens (O'Brien,
# Jean-Luc), a dot (J. Smith).
_NAME_PUNCTUATION = frozenset("・･'’-.")


def personal_name_valid(name: str) -> bool:
    """Whether `name` (NFKC) reads as a person's name: letters of any script (kanji, kana, Latin…), with spaces
    and the punctuation names use; no digits, symbols or emoji, and at least one letter."""
    if not any(unicodedata.category(char).startswith("L") for char in name):
        return False
    return all(unicodedata.category(char)[0] in "LM" or char.isspace() or char in _NAME_PUNCTUATION for char in name)


def canonical_email(value: str) -> str:
    """One form per mailbox, for telling people apart (never for mailing: we write to the address typed).

    NFKC and lower case; a plus tag is dropped (`name+1@` is `name@` at Gmail, Outlook/Hotmail, iCloud, Yahoo!
    and most other providers, and the carriers allow no `+` at all); Gmail ignores dots and `googlemail.com` is
    `gmail.com`. Two different people can share a canonical form only if a provider gave one of them a name
    that another provider would treat as a tag, which no provider we know does."""
    address = normalize_email(value)
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return address
    domain = _DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def normalize_phone(value: str) -> str | None:
    """Return the E.164 form of a Japanese (or international) number, or None when it is not a phone number."""
    text = _DASHES.sub("-", nfkc(value))
    if not text or not re.fullmatch(r"[0-9+\-() ]{6,25}", text):
        return None
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone_national(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, "JP")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 81:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_PHONE_FRAGMENT = re.compile(r"\+?[0-9(][0-9\-()]*")


def phone_digits(value: str) -> str:
    """A phone number or part of one as digits only, in the national form people type (+81 80… is 080…): how
    phones are searched, whatever hyphens, brackets or widths were typed or stored."""
    text = _DASHES.sub("-", nfkc(value)).replace(" ", "")
    digits = re.sub(r"[^0-9+]", "", text)
    if digits.startswith("+81"):
        return "0" + digits[3:]
    return digits.lstrip("+")


def phone_fragment(word: str) -> bool:
    """Whether a typed search word is written as (part of) a phone number: digits with a hyphen or brackets, or
    a leading +. Plain digits are left alone; they already match the phone's digits as they are."""
    text = _DASHES.sub("-", nfkc(word))
    shaped = bool(_PHONE_FRAGMENT.fullmatch(text)) and any(char.isdigit() for char in text)
    return shaped and any(mark in text for mark in "-()+")


def normalize_furigana(value: str) -> str | None:
    """Accept hiragana or katakana (either width) and return full-width katakana, or None if it is not kana."""
    text = jaconv.hira2kata(nfkc(value)).replace("\u3000", " ")
    text = text.replace("-", "ー")
    if not text or not _KATAKANA_NAME.fullmatch(text):
        return None
    return text


def search_key(value: str) -> str:
    """A form of text for partial matching: NFKC, lower case, hiragana folded into katakana."""
    return jaconv.hira2kata(nfkc(value)).lower()


def matching_every_word(queryset: RowSet, query: str, *fields: str) -> RowSet:
    """Rows where each typed word appears in at least one of the `search_key`-normalised text fields."""
    for word in search_key(query).split():
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__contains": word})
        queryset = queryset.filter(condition)
    return queryset


def split_skills(value: str) -> list[str]:
    """Skills typed with 、 , / ; (either width) or new lines, de-duplicated case-blind in the order given."""
    parts = re.split(r"[,、/;\n]+", unicodedata.normalize("NFKC", value or ""))
    skills: dict[str, str] = {}
    for part in parts:
        skill = nfkc(part)
        if skill:
            skills.setdefault(skill.lower(), skill)
    return list(skills.values())
