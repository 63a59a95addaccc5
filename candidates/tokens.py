"""Signed, expiring, single-use links for email verification, passwordless sign-in and a change of address."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from candidates.models import Candidate

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
