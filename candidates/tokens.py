"""Signed, expiring, single-use links for email verification, passwordless sign-in and a change of address."""

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

from candidates.models import Candidate
from lib.jatext import normalize_email
from lib.links import absolute_reverse
from mailings.links import LinkMaker, SecretLink, link_maker_register, param_id

PURPOSES = ("verify", "login", "email")


def _state(candidate: Candidate) -> str:
    # Changes when the link is used (verification or sign-in time) or the address changes, so a link works once.
    raw = f"{candidate.email_normalized}|{candidate.email_verified_at}|{candidate.last_login_at}"
    if candidate.pending_email:  # a newer request for a new address replaces the older one's link
        raw += f"|{candidate.pending_email}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def candidate_token_make(candidate: Candidate, purpose: str, *, link_id: int | None = None) -> str:
    """`link_id`: the relay link a verification mail names; opening it attributes the person to that link."""
    assert purpose in PURPOSES
    payload: dict[str, object] = {"c": str(candidate.public_id), "s": _state(candidate)}
    if link_id is not None:
        payload["l"] = link_id
    return signing.dumps(payload, salt=f"candidate.{purpose}")


@dataclass(frozen=True)
class CandidateToken:
    candidate: Candidate
    link_id: int | None


def candidate_token_open(token: str, purpose: str) -> CandidateToken | None:
    try:
        data = signing.loads(token, salt=f"candidate.{purpose}", max_age=settings.CANDIDATE_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    candidate = Candidate.objects.filter(public_id=data["c"]).first()
    if candidate is None or _state(candidate) != data.get("s"):
        return None
    link_id = data.get("l")
    return CandidateToken(candidate=candidate, link_id=link_id if isinstance(link_id, int) else None)


def candidate_token_read(token: str, purpose: str) -> Candidate | None:
    opened = candidate_token_open(token, purpose)
    return opened.candidate if opened else None


# Links in mail are made when the mail is delivered (mailings.links), never stored: the outbox row keeps only
# which candidate, which purpose and (for a verification) which relay link the mail names.
_VIEWS = {"verify": "candidates:verify", "login": "candidates:magic", "email": "candidates:email_confirm"}


def candidate_link(
    candidate: Candidate, purpose: str, *, next_path: str = "", link_id: int | None = None
) -> SecretLink:
    """The verification, sign-in or address-change link of a mail to `candidate`, made at delivery."""
    assert purpose in PURPOSES
    params: dict[str, Any] = {"candidate": candidate.pk}
    if next_path:
        params["next"] = next_path
    if link_id is not None:
        params["link"] = link_id
    return SecretLink(f"candidates.{purpose}", params)


def candidate_link_url(candidate: Candidate, purpose: str, *, next_path: str = "", link_id: int | None = None) -> str:
    url = absolute_reverse(_VIEWS[purpose], args=[candidate_token_make(candidate, purpose, link_id=link_id)])
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def _maker(purpose: str) -> LinkMaker:
    def make(params: dict[str, Any], to_email: str) -> str | None:
        candidate_id = param_id(params, "candidate")
        candidate = Candidate.objects.filter(pk=candidate_id).first() if candidate_id else None
        if candidate is None:
            return None
        # Never a link for an address the person no longer has (changed or erased since the mail was queued); an
        # address-change link goes only to the address still waiting for confirmation.
        address = candidate.pending_email if purpose == "email" else candidate.email
        if not address or normalize_email(address) != normalize_email(to_email):
            return None
        link_id = param_id(params, "link")
        return candidate_link_url(candidate, purpose, next_path=str(params.get("next") or ""), link_id=link_id or None)

    return make


def candidate_link_makers_register() -> None:
    for purpose in PURPOSES:
        link_maker_register(f"candidates.{purpose}", _maker(purpose))
