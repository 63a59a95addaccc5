"""Risk signals of a referral (issue 11): which registrations look farmed, scored for the operator's review queue.

A referral is assessed when it is recorded (registration) and again each time it is about to count (verification,
the end of the cooling-off delay), so a burst that is only visible after its first registrations still catches
them before they count. What is kept is the score and the signal codes on the referral, plus salted one-way hashes
of the registering request's IP address and User-Agent: never the raw values.

Weights: a single weak signal never sends a referral to review; two independent ones, or one strong one, do.
A registration through the personal link of an applicant the company really rejected and mailed lowers the
score: that is the case the product exists for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.conf import settings
from django.db.models import Count, Q
from django.utils.crypto import salted_hmac

from mailings.models import OutboundEmail
from relay.models import Referral, RiskSignal

WEIGHTS: dict[RiskSignal, int] = {
    RiskSignal.BURST: 40,
    RiskSignal.SHARED_IP: 25,
    RiskSignal.SHARED_DEVICE: 25,
    RiskSignal.DISPOSABLE_DOMAIN: 40,
    RiskSignal.NEW_DOMAIN: 10,
    RiskSignal.REREGISTRATION: 50,
    RiskSignal.MAIL_VOLUME: 20,
    RiskSignal.FAST_VERIFICATION: 25,
    RiskSignal.PERSONAL_LINK_MAILED: -40,
}

# Registrations within an hour before or after this one, on the same link / across the company's links.
BURST_PER_HOUR_LINK = 10
BURST_PER_HOUR_COMPANY = 30
BURST_WINDOW = timedelta(hours=1)
# Other referrals from the same IP (or the same IP and browser) within this window, network-wide.
SHARED_WINDOW = timedelta(days=7)
# The company's registrations in the last 30 days against the rejection mails it sent in them.
MAIL_VOLUME_WINDOW = timedelta(days=30)
MAIL_VOLUME_FLOOR = 10
# A person reads the mail and clicks; a script verifies within moments of the mail leaving.
FAST_VERIFICATION_SECONDS = 10


def request_hash(value: str, *, purpose: str) -> str:
    """A salted one-way hash (HMAC with the secret key) of a request fact; "" for an empty value."""
    if not value:
        return ""
    return salted_hmac(f"relay.risk.{purpose}", value, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class RiskAssessment:
    signals: tuple[RiskSignal, ...]
    score: int

    @property
    def codes(self) -> str:
        return f",{','.join(self.signals)}," if self.signals else ""

    @property
    def needs_review(self) -> bool:
        # settings.RELAY_REVIEW_SCORE (default 50): a referral scoring this or more waits for an admin's review.
        threshold: int = settings.RELAY_REVIEW_SCORE
        return self.score >= threshold


def risk_score(signals: Iterable[RiskSignal]) -> int:
    return max(0, min(100, sum(WEIGHTS[signal] for signal in signals)))


def _domain(referral: Referral) -> str:
    candidate = referral.candidate
    address = candidate.email_normalized if candidate is not None else ""
    return address.rpartition("@")[2].lower()


def _burst(referral: Referral) -> bool:
    moment = referral.registered_at
    window = Q(registered_at__gte=moment - BURST_WINDOW, registered_at__lte=moment + BURST_WINDOW)
    counts = Referral.objects.filter(window, company_id=referral.company_id).aggregate(
        before_link=Count("id", filter=Q(link_id=referral.link_id, registered_at__lte=moment)),
        after_link=Count("id", filter=Q(link_id=referral.link_id, registered_at__gte=moment)),
        before_company=Count("id", filter=Q(registered_at__lte=moment)),
        after_company=Count("id", filter=Q(registered_at__gte=moment)),
    )
    per_link: int = max(counts["before_link"], counts["after_link"])
    per_company: int = max(counts["before_company"], counts["after_company"])
    return per_link >= BURST_PER_HOUR_LINK or per_company >= BURST_PER_HOUR_COMPANY


def _sharing(referral: Referral) -> tuple[bool, bool]:
    """(another referral came from the same IP, another from the same IP and browser) within SHARED_WINDOW."""
    if not referral.ip_hash:
        return False, False
    moment = referral.registered_at
    others = Referral.objects.filter(
        ip_hash=referral.ip_hash,
        registered_at__gte=moment - SHARED_WINDOW,
        registered_at__lte=moment + SHARED_WINDOW,
    ).exclude(pk=referral.pk)
    counts = others.aggregate(
        ip=Count("id"),
        device=Count("id", filter=Q(user_agent_hash=referral.user_agent_hash) & ~Q(user_agent_hash="")),
    )
    return counts["ip"] > 0, counts["device"] > 0


def _new_domain(referral: Referral, domain: str) -> bool:
    if not domain:
        return False
    seen_before = (
        Referral.objects.filter(
            candidate__email_normalized__endswith=f"@{domain}", registered_at__lt=referral.registered_at
        )
        .exclude(pk=referral.pk)
        .exists()
    )
    return not seen_before


def _mail_volume(referral: Referral) -> bool:
    since = referral.registered_at - MAIL_VOLUME_WINDOW
    registrations = Referral.objects.filter(
        company_id=referral.company_id, registered_at__gte=since, registered_at__lte=referral.registered_at
    ).count()
    if registrations <= MAIL_VOLUME_FLOOR:
        return False
    mails = OutboundEmail.objects.filter(
        company_id=referral.company_id,
        kind=OutboundEmail.Kind.REJECTION,
        status=OutboundEmail.Status.SENT,
        sent_at__gte=since,
    ).count()
    return registrations > mails


def _fast_verification(referral: Referral) -> bool:
    candidate = referral.candidate
    if candidate is None or candidate.email_verified_at is None:
        return False
    mail = (
        OutboundEmail.objects.filter(candidate_id=candidate.pk, kind=OutboundEmail.Kind.CANDIDATE_VERIFY)
        .order_by("created_at")
        .values("sent_at", "created_at")
        .first()
    )
    mailed_at: datetime = (mail["sent_at"] or mail["created_at"]) if mail else referral.registered_at
    return candidate.email_verified_at - mailed_at < timedelta(seconds=FAST_VERIFICATION_SECONDS)


def _personal_link_mailed(referral: Referral) -> bool:
    """The applicant_ref of a signed personal link names an applicant this company rejected and really mailed."""
    if not referral.applicant_ref:
        return False
    return OutboundEmail.objects.filter(
        company_id=referral.company_id,
        kind=OutboundEmail.Kind.REJECTION,
        status=OutboundEmail.Status.SENT,
        applicant__ref=referral.applicant_ref,
    ).exists()


def risk_signals(*, referral: Referral, reregistration: bool) -> list[RiskSignal]:
    """Every signal that holds for the referral now. `reregistration`: the person matches the hash of an erased
    identity (decided at registration by the identity rules, which pass it to `referral_record`)."""
    domain = _domain(referral)
    shared_ip, shared_device = _sharing(referral)
    facts = {
        RiskSignal.BURST: _burst(referral),
        RiskSignal.SHARED_IP: shared_ip,
        RiskSignal.SHARED_DEVICE: shared_device,
        RiskSignal.DISPOSABLE_DOMAIN: bool(domain) and domain in DISPOSABLE_DOMAINS,
        RiskSignal.NEW_DOMAIN: _new_domain(referral, domain),
        RiskSignal.REREGISTRATION: reregistration,
        RiskSignal.MAIL_VOLUME: _mail_volume(referral),
        RiskSignal.FAST_VERIFICATION: _fast_verification(referral),
        RiskSignal.PERSONAL_LINK_MAILED: _personal_link_mailed(referral),
    }
    return [signal for signal, holds in facts.items() if holds]


def risk_assess(*, referral: Referral, reregistration: bool | None = None) -> RiskAssessment:
    """Score the referral now. A re-registration, once known, stays: it cannot be derived again later."""
    if reregistration is None:
        reregistration = RiskSignal.REREGISTRATION in referral.risk_signals
    signals = tuple(risk_signals(referral=referral, reregistration=reregistration))
    return RiskAssessment(signals=signals, score=risk_score(signals))
