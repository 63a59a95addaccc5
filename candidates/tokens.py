"""Signed, expiring, single-use links for email verification and passwordless sign-in."""

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

from candidates.models import Candidate
from lib.jatext import normalize_email
from lib.links import absolute_reverse
from mailings.links import LinkMaker, SecretLink, link_maker_register, param_id

PURPOSES = ("verify", "login")


def _state(candidate: Candidate) -> str:
    # Changes when the link is used (verification or sign-in time) or the address changes, so a link works once.
    raw = f"{candidate.email_normalized}|{candidate.email_verified_at}|{candidate.last_login_at}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def candidate_token_make(candidate: Candidate, purpose: str) -> str:
    assert purpose in PURPOSES
    return signing.dumps({"c": str(candidate.public_id), "s": _state(candidate)}, salt=f"candidate.{purpose}")


def candidate_token_read(token: str, purpose: str) -> Candidate | None:
    try:
        data = signing.loads(token, salt=f"candidate.{purpose}", max_age=settings.CANDIDATE_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    candidate = Candidate.objects.filter(public_id=data.get("c")).first()
    if candidate is None or _state(candidate) != data.get("s"):
        return None
    return candidate


# Links in mail are made when the mail is delivered (mailings.links), never stored: the outbox row keeps only
# which candidate and which purpose.
_VIEWS = {"verify": "candidates:verify", "login": "candidates:magic"}


def candidate_link(candidate: Candidate, purpose: str, *, next_path: str = "") -> SecretLink:
    """The verification or sign-in link of a mail to `candidate`, made at delivery."""
    assert purpose in PURPOSES
    params: dict[str, Any] = {"candidate": candidate.pk}
    if next_path:
        params["next"] = next_path
    return SecretLink(f"candidates.{purpose}", params)


def candidate_link_url(candidate: Candidate, purpose: str, *, next_path: str = "") -> str:
    url = absolute_reverse(_VIEWS[purpose], args=[candidate_token_make(candidate, purpose)])
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def _maker(purpose: str) -> LinkMaker:
    def make(params: dict[str, Any], to_email: str) -> str | None:
        candidate_id = param_id(params, "candidate")
        candidate = Candidate.objects.filter(pk=candidate_id).first() if candidate_id else None
        # Never a link for an address the person no longer has (changed or erased since the mail was queued).
        if candidate is None or normalize_email(candidate.email) != normalize_email(to_email):
            return None
        return candidate_link_url(candidate, purpose, next_path=str(params.get("next") or ""))

    return make


def candidate_link_makers_register() -> None:
    for purpose in PURPOSES:
        link_maker_register(f"candidates.{purpose}", _maker(purpose))
