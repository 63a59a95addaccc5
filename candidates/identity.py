"""Who is the same person: canonical forms and the one-way hashes a deleted person leaves behind."""

from django.conf import settings
from django.db.models import Q
from django.utils.crypto import salted_hmac

from candidates.models import Candidate, ErasedIdentity
from lib.jatext import canonical_email


def identity_digest(kind: str, value: str) -> str:
    """HMAC-SHA256 of a canonical e-mail or an E.164 phone, keyed by ERASURE_HASH_KEY (else SECRET_KEY)."""
    secret = settings.ERASURE_HASH_KEY or settings.SECRET_KEY
    return salted_hmac(f"candidates.erased_identity.{kind}", value, secret=secret, algorithm="sha256").hexdigest()


def identity_digests(*, email: str, phone: str) -> dict[str, str]:
    return {
        ErasedIdentity.Kind.EMAIL: identity_digest(ErasedIdentity.Kind.EMAIL, canonical_email(email)),
        ErasedIdentity.Kind.PHONE: identity_digest(ErasedIdentity.Kind.PHONE, phone),
    }


def identity_was_erased(*, email: str, phone: str) -> bool:
    """True when a deleted account had this mailbox or this phone number."""
    matches = Q()
    for kind, digest in identity_digests(email=email, phone=phone).items():
        matches |= Q(kind=kind, digest=digest)
    return ErasedIdentity.objects.filter(matches).exists()


def phone_held_by_another_verified(candidate: Candidate) -> bool:
    """Another person verified their address earlier with this phone number: a second account, not a new person."""
    return (
        Candidate.objects.filter(phone=candidate.phone, email_verified_at__isnull=False)
        .exclude(pk=candidate.pk)
        .exists()
    )
