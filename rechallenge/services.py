"""Re-challenge (再チャレンジ, DESIGN.md §3 rules 8 and 12): who may hear again from the company that rejected them,
the invitations (automatic at 6 and 12 months, or sent by the company after the cool-down), and re-applications.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from applicants.models import Applicant
from audit.services import audit_record
from candidates.models import Candidate, Consent
from companies.models import Company, Contract
from lib.dates import JST, add_months, jst_today
from lib.errors import RuleRefused
from lib.jatext import normalize_email
from lib.links import absolute_reverse
from mailings.identity import operator_identity_block
from mailings.links import SecretLink, param_id, secret_links_extract
from mailings.models import OutboundEmail, Suppression
from mailings.services import mail_send
from mailings.services.outbox import mail_settings_for, outbox_enqueue
from mailings.services.unsubscribe import unsubscribe_link
from placements.models import JobOrder
from placements.selectors.eligibility import rechallenge_allowed
from placements.selectors.guard import guarded_candidate_ids
from rechallenge.models import Reapplication, RechallengeInvitation
from relay.models import Referral

TOKEN_SALT = "rechallenge.invitation"  # noqa: S105 (a signing salt, not a secret)
LINK_MAX_AGE_DAYS = 60
SEND_HOUR = 10  # invitations found by the nightly run wait until a civil hour in Japan
JOBS_IN_EMAIL = 10
# What the company receives about a person who re-applies (第三者提供の記録 lists these items).
PROVIDED_ITEMS = ("name", "furigana", "email", "phone")


class RechallengeNotAllowed(RuleRefused):
    """An invitation or re-application the rules do not allow; the message is shown to the person as is."""


class PlacementGuarded(RechallengeNotAllowed):
    """The person is in the 2-year guard after an indefinite placement (rule 16). The company is not told why:
    that the agency placed the person elsewhere is not the company's to learn."""


def applicant_label(applicant: Applicant) -> str:
    return f"{applicant.name}({applicant.position})" if applicant.position else applicant.name


@dataclass(frozen=True)
class RechallengeCandidate:
    """A person the company rejected who opted in to hear from it again, past the cool-down."""

    referral: Referral
    candidate: Candidate
    applicant: Applicant | None
    rejected_on: date
    first_due_on: date
    second_due_on: date
    sent: frozenset[int]

    @property
    def label(self) -> str:
        """Only what the company already knows: its own applicant's name and position, or an anonymous number."""
        if self.applicant is not None:
            return applicant_label(self.applicant)
        return _("登録者 #%(id)s") % {"id": self.referral.pk}

    def due_sequence(self, today: date) -> int | None:
        """Which invitation is due today: the 12-month one replaces a first one that was never sent."""
        if RechallengeInvitation.Sequence.SECOND in self.sent:
            return None
        if today >= self.second_due_on:
            return RechallengeInvitation.Sequence.SECOND
        if RechallengeInvitation.Sequence.FIRST in self.sent:
            return None
        if today >= self.first_due_on:
            return RechallengeInvitation.Sequence.FIRST
        return None


def _suppressed_addresses(company: Company, emails: set[str]) -> set[str]:
    return Suppression.objects.blocking(company=company, emails=emails).addresses()


def rechallenge_stopped(*, candidate: Candidate, company: Company) -> bool:
    """The person withdrew the re-challenge consent or unsubscribed (from this company or from everything)."""
    if not candidate.current_consents().get(Consent.Kind.RECHALLENGE, False):
        return True
    return bool(_suppressed_addresses(company, {normalize_email(candidate.email)}))


def rechallenge_candidates(
    *, company: Company, today: date | None = None, looking_back: bool = False
) -> list[RechallengeCandidate]:
    """Opted-in, not erased, not unsubscribed people this company rejected, whose cool-down has passed in Japan,
    and who are not in the 2-year guard after an indefinite placement (rule 16). `looking_back` (a KPI of a past
    period): the guard counts only placements recorded by `today`. Who qualifies is decided in one query by
    `placements.selectors.eligibility.rechallenge_allowed` (the KPIs count the same with
    `rechallenge_eligible_counts`); this adds what an invitation needs."""
    today = today or jst_today()
    contract = Contract.objects.filter(company=company).first() or Contract(company=company)
    guarded = guarded_candidate_ids(today, recorded_by=today if looking_back else None)
    referrals = list(
        rechallenge_allowed(company, today=today)
        .exclude(candidate_id__in=guarded)
        .select_related("candidate", "company")
        .order_by("registered_at", "pk")
    )
    if not referrals:
        return []
    refs = {r.applicant_ref for r in referrals if r.applicant_ref}
    applicants = {a.ref: a for a in Applicant.objects.filter(company=company, ref__in=refs)} if refs else {}
    sent: dict[int, set[int]] = {}
    for candidate_id, sequence in RechallengeInvitation.objects.filter(
        company=company, candidate_id__in=[r.candidate_id for r in referrals]
    ).values_list("candidate_id", "sequence"):
        if candidate_id is not None:
            sent.setdefault(candidate_id, set()).add(sequence)
    found = []
    for referral in referrals:
        candidate = referral.candidate
        assert candidate is not None
        applicant = applicants.get(referral.applicant_ref) if referral.applicant_ref else None
        rejected_at = (applicant.rejected_at if applicant else None) or referral.registered_at
        rejected_on = timezone.localtime(rejected_at, JST).date()
        found.append(
            RechallengeCandidate(
                referral=referral,
                candidate=candidate,
                applicant=applicant,
                rejected_on=rejected_on,
                first_due_on=add_months(rejected_on, contract.rechallenge_first_months),
                second_due_on=add_months(rejected_on, contract.rechallenge_second_months),
                sent=frozenset(sent.get(candidate.pk, set())),
            )
        )
    return found


def rechallenge_token(invitation: RechallengeInvitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=TOKEN_SALT)


class TokenExpired(RuleRefused):
    """The signed link is older than it may be."""


def rechallenge_token_read(token: str) -> RechallengeInvitation | None:
    """The invitation a link belongs to; None for a forged or mangled link; TokenExpired after 60 days."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=timedelta(days=LINK_MAX_AGE_DAYS))
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        return None
    invitation_id = data.get("i") if isinstance(data, dict) else None
    if not isinstance(invitation_id, int):
        return None
    return (
        RechallengeInvitation.objects.select_related("candidate", "company", "outbound_email")
        .filter(pk=invitation_id, candidate__isnull=False)
        .first()
    )


def rechallenge_page_url(invitation: RechallengeInvitation) -> str:
    return absolute_reverse("rechallenge:page", args=[rechallenge_token(invitation)])


RECHALLENGE_LINK = "rechallenge.page"


def rechallenge_link_make(params: dict[str, Any], to_email: str) -> str | None:
    """The invitation page's link, made when the mail is delivered (the outbox row never holds it)."""
    invitation_id = param_id(params, "invitation")
    if invitation_id is None:
        return None
    invitation = RechallengeInvitation.objects.filter(pk=invitation_id, candidate__isnull=False).first()
    return rechallenge_page_url(invitation) if invitation is not None else None


def _render_invitation(
    invitation: RechallengeInvitation, job_orders: list[JobOrder]
) -> tuple[str, str, list[dict[str, Any]]]:
    candidate, company = invitation.candidate, invitation.company
    assert candidate is not None
    mail_settings = mail_settings_for(company)
    context = {
        "candidate": candidate,
        "company": company,
        "sender_name": mail_settings.sender_name or company.name,
        "signature": mail_settings.signature,
        "company_contact": mail_settings.reply_to or settings.OPERATOR_CONTACT_EMAIL,
        "job_orders": job_orders[:JOBS_IN_EMAIL],
        "more_jobs": max(len(job_orders) - JOBS_IN_EMAIL, 0),
        "sequence": invitation.sequence,
        # Links that act for the candidate are made at delivery (mailings.links); the row keeps placeholders.
        "url": SecretLink(RECHALLENGE_LINK, {"invitation": invitation.pk}),
        "link_days": LINK_MAX_AGE_DAYS,
        "unsubscribe_company_url": unsubscribe_link(company=company),
        "unsubscribe_all_url": unsubscribe_link(company=None),
        "consents_url": absolute_reverse("candidates:consents"),
        "operator_identity": operator_identity_block(language=settings.LANGUAGE_CODE),
    }
    context, links = secret_links_extract(context)
    # Candidates do not record a language; the invitation goes out in the site's language (Japanese).
    with translation.override(settings.LANGUAGE_CODE):
        rendered = render_to_string("rechallenge/email/invitation.txt", context).strip()
    subject, _sep, body = rendered.partition("\n")
    return subject.strip(), body.strip() + "\n", links


def rechallenge_idempotency_key(*, candidate: Candidate, company: Company, sequence: int) -> str:
    return f"rechallenge:{candidate.pk}:{company.pk}:{sequence}"


def _civil_send_time(now: datetime) -> datetime:
    local = timezone.localtime(now, JST)
    if local.hour >= SEND_HOUR:
        return now
    return local.replace(hour=SEND_HOUR, minute=0, second=0, microsecond=0)


def _open_job_orders(company: Company) -> list[JobOrder]:
    return list(JobOrder.objects.filter(company=company).open().order_by("-updated_at", "-pk"))


def rechallenge_invite(
    *,
    company: Company,
    referral: Referral,
    actor: User | None = None,
    now: datetime | None = None,
) -> RechallengeInvitation | None:
    """Queue the invitation due for this person now (#1 after the cool-down, #2 after the second term), once.

    `actor` is the company manager who sent it by hand; without one it is the daily run.
    Raises RechallengeNotAllowed when nothing may be sent (no open job order, not eligible, both already sent).
    Returns None when the outbox refused it because the address unsubscribed a moment ago.
    """
    now = now or timezone.now()
    today = jst_today(now)
    job_orders = _open_job_orders(company)
    if not job_orders:
        raise RechallengeNotAllowed(_("募集中の求人がないため、再チャレンジのご案内はお送りできません。"))
    if referral.candidate_id and guarded_candidate_ids(today, [referral.candidate_id]).exists():
        raise PlacementGuarded(_("この方には、現在ご案内をお送りできません。"))
    eligible = next(
        (c for c in rechallenge_candidates(company=company, today=today) if c.referral.pk == referral.pk), None
    )
    if eligible is None:
        raise RechallengeNotAllowed(_("この方には、現在ご案内をお送りできません。"))
    sequence = eligible.due_sequence(today)
    if sequence is None:
        raise RechallengeNotAllowed(_("この方へのご案内はすでにお送りしています。"))
    return _invite(eligible=eligible, sequence=sequence, job_orders=job_orders, actor=actor, now=now)


def _invite(
    *, eligible: RechallengeCandidate, sequence: int, job_orders: list[JobOrder], actor: User | None, now: datetime
) -> RechallengeInvitation | None:
    candidate, referral, company = eligible.candidate, eligible.referral, eligible.referral.company
    manual = actor is not None
    with transaction.atomic():
        try:
            with transaction.atomic():
                invitation = RechallengeInvitation.objects.create(
                    candidate=candidate,
                    company=company,
                    referral=referral,
                    sequence=sequence,
                    trigger=RechallengeInvitation.Trigger.MANUAL if manual else RechallengeInvitation.Trigger.SCHEDULE,
                    created_by=actor,
                )
        except IntegrityError:
            # The daily run and a manager's click raced for the same invitation: the first one stands.
            return RechallengeInvitation.objects.get(candidate=candidate, company=company, sequence=sequence)
        subject, body, links = _render_invitation(invitation, job_orders)
        email = outbox_enqueue(
            company=company,
            kind=OutboundEmail.Kind.RECHALLENGE,
            idempotency_key=rechallenge_idempotency_key(candidate=candidate, company=company, sequence=sequence),
            to_email=candidate.email,
            subject=subject,
            body=body,
            send_after=now if manual else _civil_send_time(now),
            is_promotional=True,
            candidate=candidate,
            actor=actor,
            links=links,
        )
        if email is None:
            transaction.set_rollback(True)
            return None
        invitation.outbound_email = email
        invitation.save(update_fields=["outbound_email"])
        audit_record(
            actor=actor,
            action="rechallenge.invite",
            target=invitation,
            company=company,
            detail={"referral": referral.pk, "sequence": sequence, "trigger": invitation.trigger},
        )
    return invitation


def rechallenge_invitations_send(*, now: datetime | None = None) -> int:
    """The daily run: every due invitation of every company with an open job order, each exactly once."""
    now = now or timezone.now()
    today = jst_today(now)
    queued = 0
    companies = Company.objects.filter(job_orders__status=JobOrder.Status.OPEN).distinct().order_by("pk")
    for company in companies:
        job_orders = _open_job_orders(company)
        for eligible in rechallenge_candidates(company=company, today=today):
            sequence = eligible.due_sequence(today)
            if sequence is None:
                continue
            invitation = _invite(eligible=eligible, sequence=sequence, job_orders=job_orders, actor=None, now=now)
            if invitation is not None:
                queued += 1
    return queued


def rechallenge_click(*, invitation: RechallengeInvitation) -> RechallengeInvitation:
    """The first time the person opens their re-challenge page."""
    clicked = timezone.now()
    if RechallengeInvitation.objects.filter(pk=invitation.pk, clicked_at__isnull=True).update(clicked_at=clicked):
        invitation.clicked_at = clicked
        if invitation.outbound_email_id:
            OutboundEmail.objects.filter(pk=invitation.outbound_email_id, clicked_at__isnull=True).update(
                clicked_at=clicked
            )
    return invitation


@dataclass(frozen=True)
class Reapplied:
    reapplication: Reapplication
    created: bool


def rechallenge_reapply(*, invitation: RechallengeInvitation, job_order: JobOrder) -> Reapplied:
    """Record the re-application once, record what was provided to the company, and tell the company's owners."""
    candidate, company = invitation.candidate, invitation.company
    if candidate is None or rechallenge_stopped(candidate=candidate, company=company):
        raise RechallengeNotAllowed(_("再チャレンジのご案内は停止されているため、再応募はお受けできません。"))
    if job_order.company_id != company.pk or job_order.status != JobOrder.Status.OPEN:
        raise RechallengeNotAllowed(_("この求人の募集は終了しました。ほかの求人をご覧ください。"))
    existing = Reapplication.objects.filter(candidate=candidate, job_order=job_order).first()
    if existing is not None:
        return Reapplied(reapplication=existing, created=False)
    try:
        with transaction.atomic():
            reapplication = Reapplication.objects.create(
                candidate=candidate,
                company=company,
                job_order=job_order,
                invitation=invitation,
                provided_items=list(PROVIDED_ITEMS),
            )
            audit_record(
                actor=None,
                actor_label="求職者本人",
                action="rechallenge.reapply",
                target=reapplication,
                company=company,
                detail={
                    "candidate": candidate.pk,
                    "job_order": job_order.pk,
                    "invitation": invitation.pk,
                    "provided_to": company.name,
                    "provided_items": list(PROVIDED_ITEMS),
                },
            )
            owners = company.users.filter(is_active=True, company_role=User.CompanyRole.OWNER).order_by("pk")
            for owner in owners:
                mail_send(
                    to=owner.email,
                    template="rechallenge_reapplication",
                    context={
                        "owner": owner,
                        "company": company,
                        "candidate": candidate,
                        "job_order": job_order,
                        "url": absolute_reverse("rechallenge:company"),
                    },
                    # Company users have no recorded language either; the request's may be the candidate's.
                    language=settings.LANGUAGE_CODE,
                )
    except IntegrityError:
        return Reapplied(
            reapplication=Reapplication.objects.get(candidate=candidate, job_order=job_order), created=False
        )
    return Reapplied(reapplication=reapplication, created=True)
