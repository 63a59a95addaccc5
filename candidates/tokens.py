"""Signed, expiring, single-use links for email verification and passwordless sign-in."""

import hashlib

from django.conf import settings
from django.core import signing

from candidates.models import Candidate

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
