from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from candidates.consent_texts import consent_rendered, consent_text_current
from candidates.identity import identity_digests, identity_was_erased, phone_held_by_another_verified
from candidates.models import (
    AdvisorInterview,
    Candidate,
    CandidateNote,
    Consent,
    ConsentText,
    ErasedIdentity,
    PipelineEvent,
    PipelineStatus,
)
from candidates.resume import resume_validate
from candidates.selectors import ADVISOR_ROLES
from candidates.tokens import candidate_link
from companies.models import Company, RelayLink
from lib.errors import RuleRefused
from lib.jatext import canonical_email, nfkc, normalize_email
from lib.links import absolute_url
from mailings.services import mail_send
from mailings.services.tracking import email_registered, email_registration_sharing_set
from relay.models import Referral
from relay.services import (
    referral_evaluate,
    referral_reattribute,
    referral_record,
    referral_to_touch,
    referrals_discard_unverified,
    touch_record,
)

PROFILE_FIELDS = Candidate.PROFILE_FIELDS


@dataclass(frozen=True)
class Registration:
    candidate: Candidate
    created: bool


def _absolute(path: str) -> str:
    return absolute_url(path)


def candidate_send_login_link(*, candidate: Candidate, template: str = "candidate_login") -> None:
    # The link itself is made when the mail is delivered (candidates.tokens.candidate_link), never stored.
    mail_send(
        to=candidate.email,
        template=template,
        context={"candidate": candidate, "url": candidate_link(candidate, "login")},
    )


def _send_verification(candidate: Candidate, link: RelayLink) -> None:
    mail_send(
        to=candidate.email,
        template="candidate_verify",
        context={
            "candidate": candidate,
            "company": link.company,
            # Opening it gives the referral to the company whose relay link the person used (link_id).
            "url": candidate_link(candidate, "verify", link_id=link.pk),
        },
    )


def _consent_row(candidate: Candidate, kind: str, granted: bool, channel: str, company_name: str = "") -> Consent:
    # The wording the screen showed, from the same source the form took its labels from (consent_texts.py).
    surface = ConsentText.Surface.REGISTRATION if channel == Consent.Channel.WEB else ConsentText.Surface.MYPAGE
    text = consent_text_current(kind=kind, surface=surface)
    return Consent.objects.create(
        candidate=candidate,
        kind=kind,
        granted=granted,
        version=Consent.current_version(),
        channel=channel,
        consent_text=text,
        wording=consent_rendered(text, company_name=company_name),
    )


def _record_consents(
    candidate: Candidate, *, rechallenge: bool, newsletter: bool, share_with_company: bool, company_name: str = ""
) -> None:
    for kind, granted in (
        (Consent.Kind.SERVICE, True),
        (Consent.Kind.RECHALLENGE, rechallenge),
        (Consent.Kind.NEWSLETTER, newsletter),
        (Consent.Kind.SHARE_WITH_COMPANY, share_with_company),
    ):
        _consent_row(candidate, kind, granted, Consent.Channel.WEB, company_name)


def _same_mailbox(profile: dict[str, Any]) -> Q:
    # email_normalized as well: a row from before canonical forms may have none (see migration 0006).
    return Q(email_canonical=canonical_email(profile["email"])) | Q(email_normalized=profile["email_normalized"])


def candidate_register(
    *,
    link: RelayLink,
    profile: dict[str, Any],
    rechallenge: bool,
    newsletter: bool,
    applicant_ref: str = "",
    share_with_company: bool = False,
    client_ip: str = "",
    user_agent: str = "",
) -> Registration:
    """Register a person who came through a relay link, or record a touch if they are already registered.

    The same person is the same mailbox (`lib.jatext.canonical_email`: plus tags, Gmail dots, googlemail). A phone
    number is never proved, so a typed phone never merges two registrations nor sends anyone's mail elsewhere;
    whether a phone makes someone "not a new person" is decided when they verify (`candidate_verify_email`).

    - Nobody with this mailbox: a new person, a pending referral to this link's company, a verification mail.
    - An unverified person with this mailbox: that record holds no claim. What was typed now replaces it, the
      pending referral moves to this link's company, and a fresh verification mail names this company.
    - A verified person: a touch, and a sign-in link to the address on file (never to the address just typed).

    Either way one email goes to this mailbox and the page says the same thing, so the form never reveals
    whether an address is registered. `client_ip` and `user_agent` are the request's, for relay's risk signals
    (only their salted hashes are kept).
    """
    existing = Candidate.objects.filter(_same_mailbox(profile)).first()
    if existing is None:
        try:
            with transaction.atomic():
                candidate = Candidate.objects.create(
                    email_normalized=profile["email_normalized"], **{field: profile[field] for field in PROFILE_FIELDS}
                )
                _record_consents(
                    candidate,
                    rechallenge=rechallenge,
                    newsletter=newsletter,
                    share_with_company=share_with_company,
                    company_name=link.company.name,
                )
                referral_record(
                    candidate=candidate,
                    link=link,
                    applicant_ref=applicant_ref,
                    client_ip=client_ip,
                    user_agent=user_agent,
                )
                email_registered(company_id=link.company_id, applicant_ref=applicant_ref, shared=share_with_company)
                _send_verification(candidate, link)
            return Registration(candidate=candidate, created=True)
        except IntegrityError:
            # Someone with the same mailbox registered a moment ago: treat them as that person.
            existing = Candidate.objects.filter(_same_mailbox(profile)).first()
            if existing is None:
                raise
    with transaction.atomic():
        person = _locked(existing)
        if person.email_verified_at is not None:
            touch_record(candidate=person, link=link)
            candidate_send_login_link(candidate=person, template="candidate_already_registered")
            return Registration(candidate=person, created=False)
        for field in PROFILE_FIELDS:
            setattr(person, field, profile[field])
        person.email_normalized = profile["email_normalized"]
        person.save()
        _record_consents(
            person,
            rechallenge=rechallenge,
            newsletter=newsletter,
            share_with_company=share_with_company,
            company_name=link.company.name,
        )
        referral = Referral.objects.filter(candidate=person).first()
        if referral is None:
            referral_record(
                candidate=person, link=link, applicant_ref=applicant_ref, client_ip=client_ip, user_agent=user_agent
            )
        else:
            referral_reattribute(referral=referral, link=link, applicant_ref=applicant_ref)
        email_registered(company_id=link.company_id, applicant_ref=applicant_ref, shared=share_with_company)
        _send_verification(person, link)
    return Registration(candidate=person, created=False)


def _not_a_new_person(candidate: Candidate) -> str:
    """Why this verified person may not be a new counted referral, or "" when they may."""
    if identity_was_erased(email=candidate.email, phone=candidate.phone):
        return "returned_after_erasure"
    if phone_held_by_another_verified(candidate):
        return "phone_of_another_verified_person"
    return ""


def candidate_verify_email(*, candidate: Candidate, link_id: int | None = None) -> Candidate:
    """The person proved their mailbox. Attribution is decided now: the referral belongs to the company whose
    verification mail they opened (`link_id`), and only a new person counts; a deleted account come back, or a
    phone another verified person gave first, makes the referral a touch (the person keeps their account)."""
    with transaction.atomic():
        # Everyone who typed this phone is locked in one order, so two of them verifying at once are serialised
        # and the second sees the first as verified (on PostgreSQL; SQLite serialises every write anyway).
        same_phone = Candidate.objects.select_for_update().filter(phone=candidate.phone).order_by("pk")
        person = next((row for row in same_phone if row.pk == candidate.pk), None) or _locked(candidate)
        first_time = person.email_verified_at is None
        if first_time:
            person.email_verified_at = timezone.now()
            person.save(update_fields=["email_verified_at", "updated_at"])
        candidate.email_verified_at = person.email_verified_at
        referral = Referral.objects.filter(candidate=person).first()
        if referral is None:
            return person
        if first_time and referral.status == Referral.Status.PENDING_VERIFICATION:
            link = RelayLink.objects.filter(pk=link_id).first() if link_id is not None else None
            if link is not None and link.pk != referral.link_id:
                referral = referral_reattribute(referral=referral, link=link)
            reason = _not_a_new_person(person)
            if reason:
                referral_to_touch(referral=referral, reason=reason)
                return person
        referral_evaluate(referral_id=referral.pk)
    return person


def candidates_expire_unverified(*, now: datetime | None = None) -> int:
    """Unverified registrations whose verification link has expired go, with their pending referral: an
    unverified record holds no claim and keeps nobody's address. Returns how many people went."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.CANDIDATE_LINK_MAX_AGE)
    with transaction.atomic():
        ids = list(
            Candidate.objects.filter(email_verified_at__isnull=True, updated_at__lt=cutoff).values_list("pk", flat=True)
        )
        if not ids:
            return 0
        referrals_discard_unverified(candidate_ids=ids)
        Candidate.objects.filter(pk__in=ids, email_verified_at__isnull=True).delete()
        audit_record(
            actor=None, actor_label="自動処理", action="candidate.expire_unverified", detail={"count": len(ids)}
        )
    return len(ids)


def candidate_record_interview(*, candidate: Candidate, actor: User, held_at: Any = None) -> Candidate:
    """The advisor's first interview (面談) took place; under the stricter contract rule this counts the referral."""
    if candidate.first_interview_at is None:
        candidate.first_interview_at = held_at or timezone.now()
        candidate.save(update_fields=["first_interview_at", "updated_at"])
        referral = Referral.objects.filter(candidate=candidate).first()
        audit_record(
            actor=actor,
            action="candidate.first_interview",
            target=candidate,
            company=referral.company if referral else None,
        )
        if referral is not None:
            referral_evaluate(referral_id=referral.pk)
    return candidate


@dataclass(frozen=True)
class ProfileUpdate:
    candidate: Candidate
    # The new address a confirmation link went to; the old one stays in force until it is opened.
    email_pending: str = ""


def candidate_update_profile(*, candidate: Candidate, profile: dict[str, Any]) -> ProfileUpdate:
    """Save My Page's profile. A new mailbox is not taken on trust: it becomes the address only when the link
    mailed to it is opened (`candidate_email_change_confirm`); the same mailbox typed differently is saved."""
    new_email = profile["email"]
    changes_mailbox = canonical_email(new_email) != canonical_email(candidate.email)
    with transaction.atomic():
        person = _locked(candidate)
        for field in PROFILE_FIELDS:
            if field != "email" or not changes_mailbox:
                setattr(person, field, profile[field])
        if not changes_mailbox:
            person.email_normalized = profile["email_normalized"]
        elif person.pending_email != new_email:
            person.pending_email = new_email
        person.save()
        if changes_mailbox:
            mail_send(
                to=new_email,
                template="candidate_verify",
                context={"candidate": person, "email_change": True, "url": candidate_link(person, "email")},
            )
            audit_record(actor=None, actor_label=SELF_LABEL, action="candidate.email_change_request", target=person)
    return ProfileUpdate(candidate=person, email_pending=new_email if changes_mailbox else "")


class EmailChangeRefused(RuleRefused):
    pass


def candidate_email_change_confirm(*, candidate: Candidate) -> Candidate:
    """The link mailed to the new address was opened: it becomes the address. The old mailbox is remembered only
    as a one-way hash, so registering with it again is not a new person either."""
    with transaction.atomic():
        person = _locked(candidate)
        new_email = person.pending_email
        if not new_email:
            return person
        others = Candidate.objects.filter(email_canonical=canonical_email(new_email)).exclude(pk=person.pk)
        # The person just proved this mailbox: an unverified record of it held no claim and gives way.
        squatted = list(others.filter(email_verified_at__isnull=True).values_list("pk", flat=True))
        if squatted:
            referrals_discard_unverified(candidate_ids=squatted)
            Candidate.objects.filter(pk__in=squatted).delete()
        taken = others.exists()
        if taken:  # someone else proved it since the request: the person keeps their address
            person.pending_email = ""
            person.save(update_fields=["pending_email", "updated_at"])
        else:
            _email_change_apply(person, new_email)
    if taken:
        raise EmailChangeRefused(
            _("このメールアドレスには変更できませんでした。これまでのメールアドレスのままご利用いただけます。")
        )
    return person


def _email_change_apply(person: Candidate, new_email: str) -> None:
    referral = Referral.objects.filter(candidate=person).select_related("company").first()
    _remember_identity(email=person.email, phone=None, company=referral.company if referral else None)
    person.email = new_email
    person.email_normalized = normalize_email(new_email)
    person.email_canonical = canonical_email(new_email)
    person.pending_email = ""
    person.save()
    audit_record(actor=None, actor_label=SELF_LABEL, action="candidate.email_change", target=person)


def _remember_identity(*, email: str | None, phone: str | None, company: Company | None) -> None:
    digests = identity_digests(email=email or "", phone=phone or "")
    for kind, value in ((ErasedIdentity.Kind.EMAIL, email), (ErasedIdentity.Kind.PHONE, phone)):
        if value:
            ErasedIdentity.objects.get_or_create(kind=kind, digest=digests[kind], defaults={"company": company})


def candidate_set_consents(*, candidate: Candidate, wanted: dict[str, bool]) -> list[Consent]:
    """Append a consent record for each consent whose state changes; history is never rewritten.

    Giving or withdrawing SHARE_WITH_COMPANY shows or hides the registration on the referring company's outbox.
    """
    current = candidate.current_consents()
    changes = []
    with transaction.atomic():
        for kind, granted in wanted.items():
            if current.get(kind) != granted:
                changes.append(_consent_row(candidate, kind, granted, Consent.Channel.MYPAGE))
                if kind == Consent.Kind.SHARE_WITH_COMPANY:
                    for referral in Referral.objects.filter(candidate=candidate).exclude(applicant_ref=""):
                        email_registration_sharing_set(
                            company_id=referral.company_id, applicant_ref=referral.applicant_ref, shared=granted
                        )
    return changes


def candidate_export(*, candidate: Candidate) -> dict[str, Any]:
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    interviews = candidate.interviews.order_by("starts_at", "id")
    return {
        "profile": {field: getattr(candidate, field) for field in PROFILE_FIELDS},
        # What the codes above mean, as the screens say them (the codes stay for machines).
        "profile_labels": {
            "prefecture": candidate.get_prefecture_display(),
            "job_category": candidate.get_job_category_display(),
            "phone": candidate.phone_display,
        },
        "email_change_awaiting_confirmation": candidate.pending_email or None,
        "registered_at": candidate.created_at.isoformat(),
        "email_verified_at": candidate.email_verified_at.isoformat() if candidate.email_verified_at else None,
        "introduced_by_company": referral.company.name if referral else None,
        "consents": [
            {
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "granted": c.granted,
                "version": c.version,
                "channel": c.channel,
                "channel_label": c.get_channel_display(),
                "at": c.created_at.isoformat(),
                # The exact text the person was shown (None: given before wordings were kept).
                "text": c.agreed_text or None,
                "text_version": c.consent_text.version if c.consent_text else None,
                "text_language": c.consent_text.language if c.consent_text else None,
                "text_sha256": c.consent_text.sha256 if c.consent_text else None,
            }
            for c in candidate.consents.select_related("consent_text").order_by("created_at", "id")
        ],
        # 第三者提供の記録 (APPI 33条5項): read through the relation, so this app need not know placements.
        "provision_records": [
            {
                "provided_at": r.created_at.isoformat(),
                "recipient": r.company_name or r.company.name,
                "items": list(r.items),
                "purpose": r.purpose,
                "consent_version": r.consent_version,
                "consent_text": r.consent_wording,
                "consent_given_at": r.consent_at.isoformat() if r.consent_at else None,
            }
            for r in candidate.provision_records.select_related("company").order_by("created_at", "id")
        ],
        "resume": {
            "filename": candidate.resume_filename,
            "uploaded_at": candidate.resume_uploaded_at.isoformat() if candidate.resume_uploaded_at else None,
        }
        if candidate.resume
        else None,
        "interviews": [
            {
                "starts_at": i.starts_at.isoformat(),
                "duration_minutes": i.duration_minutes,
                "method": i.method,
                "method_label": i.get_method_display(),
                "status": i.status,
                "status_label": i.get_status_display(),
            }
            for i in interviews
        ],
    }


def candidate_delete(*, candidate: Candidate) -> None:
    """Erase the person; referral rows stay (without the link to the person) so counts and ledgers stay true.

    What stays of the person is a salted one-way hash of their mailbox and phone (`ErasedIdentity`): enough to
    know that a later registration with either is not a new person, nothing that tells who they were.

    Notes, interviews and the pipeline history go with the row; the résumé file is removed once that is final.
    The 第三者提供の記録 of disclosures to companies are a legal record and stay, named by their own snapshot, for
    3 years (placements: `ProvisionRecord`, marked on this row's pre_delete; DESIGN.md §3 rule 15).
    """
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    resume_name = candidate.resume.name if candidate.resume else ""
    with transaction.atomic():
        # Only a verified person leaves a trace: an unverified record never proved the address was theirs.
        if candidate.email_verified_at is not None:
            _remember_identity(
                email=candidate.email, phone=candidate.phone, company=referral.company if referral else None
            )
        audit_record(
            actor=None,
            actor_label="求職者本人",
            action="candidate.delete",
            company=referral.company if referral else None,
            detail={"referral": referral.pk if referral else None},
        )
        CandidateNote.objects.filter(candidate=candidate).delete()
        candidate.delete()
        if resume_name:
            _delete_file_after_commit(resume_name)


# --- Candidate CRM (operator staff) --------------------------------------------------------------------------

SELF_LABEL = "求職者本人"


def _delete_file_after_commit(name: str) -> None:
    from django.core.files.storage import default_storage

    transaction.on_commit(lambda: default_storage.delete(name))


def _locked(candidate: Candidate) -> Candidate:
    return Candidate.objects.select_for_update().get(pk=candidate.pk)


def candidate_pipeline_move(*, candidate: Candidate, status: str, actor: User | None, reason: str = "") -> Candidate:
    """Move the pipeline status if the step is allowed (see `Candidate.pipeline_can_move_to`); 離脱 needs a reason."""
    reason = nfkc(reason)
    with transaction.atomic():
        locked = _locked(candidate)
        if status not in PipelineStatus.values or not locked.pipeline_can_move_to(status):
            raise ValidationError(
                _("「%(current)s」から「%(target)s」へは変更できません。")
                % {
                    "current": locked.get_pipeline_status_display(),
                    "target": dict(PipelineStatus.choices).get(status, status),
                },
                code="transition",
            )
        if status == PipelineStatus.WITHDRAWN and not reason:
            raise ValidationError(_("離脱の理由を入力してください。"), code="reason")
        previous = locked.pipeline_status
        locked.pipeline_status = status
        locked.pipeline_changed_at = timezone.now()
        locked.withdrawal_reason = reason if status == PipelineStatus.WITHDRAWN else ""
        locked.save(update_fields=["pipeline_status", "pipeline_changed_at", "withdrawal_reason", "updated_at"])
        PipelineEvent.objects.create(
            candidate=locked, from_status=previous, to_status=status, reason=locked.withdrawal_reason, actor=actor
        )
        # The reason is the person's own story: it stays on the event (erased with them), not in the audit log.
        audit_record(
            actor=actor,
            actor_label="" if actor else SELF_LABEL,
            action="candidate.pipeline_move",
            target=locked,
            detail={"from": previous, "to": status},
        )
    candidate.pipeline_status = locked.pipeline_status
    candidate.pipeline_changed_at = locked.pipeline_changed_at
    candidate.withdrawal_reason = locked.withdrawal_reason
    return locked


def _advance_to(candidate: Candidate, status: str, actor: User | None) -> None:
    if candidate.pipeline_is_before(status):
        candidate_pipeline_move(candidate=candidate, status=status, actor=actor)


def candidate_assign_advisor(*, candidate: Candidate, advisor: User | None, actor: User) -> Candidate:
    """Give the candidate a career advisor (or none). Only career advisors and admins can be chosen."""
    if advisor is not None and not (advisor.is_active and advisor.operator_role in ADVISOR_ROLES):
        raise ValidationError(_("担当にはキャリアアドバイザーまたは管理者を選んでください。"), code="role")
    with transaction.atomic():
        locked = _locked(candidate)
        previous = locked.advisor
        if (previous.pk if previous else None) == (advisor.pk if advisor else None):
            return locked
        locked.advisor = advisor
        locked.save(update_fields=["advisor", "updated_at"])
        audit_record(
            actor=actor,
            action="candidate.advisor_assign",
            target=locked,
            detail={
                "from": previous.pk if previous else None,
                "from_name": previous.display_name if previous else "",
                "to": advisor.pk if advisor else None,
                "to_name": advisor.display_name if advisor else "",
            },
        )
    candidate.advisor = advisor
    return locked


def candidate_note_add(*, candidate: Candidate, author: User, body: str) -> CandidateNote:
    body = body.strip()
    if not body:
        raise ValidationError(_("メモの内容を入力してください。"), code="empty")
    with transaction.atomic():
        note = CandidateNote.objects.create(candidate=candidate, author=author, body=body)
        audit_record(actor=author, action="candidate.note_add", target=candidate, detail={"note": note.pk})
    return note


def _resume_display_name(uploaded_name: str) -> str:
    name = nfkc(PurePath(uploaded_name.replace("\\", "/")).name).replace('"', "")[:150] or "resume.pdf"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def candidate_resume_save(*, candidate: Candidate, file: UploadedFile[bytes], actor: User | None) -> Candidate:
    """Store a new résumé PDF (checked by content and size), replacing the previous one.

    `actor=None` means the candidate on My Page.
    """
    size = file.size or 0
    resume_validate(file, size=size)
    old_name = candidate.resume.name if candidate.resume else ""
    candidate.resume.save("resume.pdf", file, save=False)
    new_name = candidate.resume.name or ""
    try:
        with transaction.atomic():
            candidate.resume_filename = _resume_display_name(file.name or "")
            candidate.resume_size = size
            candidate.resume_uploaded_at = timezone.now()
            candidate.save(
                update_fields=["resume", "resume_filename", "resume_size", "resume_uploaded_at", "updated_at"]
            )
            # Size only: the file name often carries the person's name, and audit rows outlive the person.
            audit_record(
                actor=actor,
                actor_label="" if actor else SELF_LABEL,
                action="candidate.resume_upload",
                target=candidate,
                detail={"size": size, "replaced": bool(old_name)},
            )
            if old_name:
                _delete_file_after_commit(old_name)
    except Exception:
        candidate.resume.storage.delete(new_name)
        raise
    return candidate


def candidate_resume_delete(*, candidate: Candidate, actor: User | None) -> Candidate:
    if not candidate.resume:
        return candidate
    old_name = candidate.resume.name or ""
    with transaction.atomic():
        candidate.resume = ""  # type: ignore[assignment]
        candidate.resume_filename = ""
        candidate.resume_size = None
        candidate.resume_uploaded_at = None
        candidate.save(update_fields=["resume", "resume_filename", "resume_size", "resume_uploaded_at", "updated_at"])
        audit_record(
            actor=actor, actor_label="" if actor else SELF_LABEL, action="candidate.resume_delete", target=candidate
        )
        _delete_file_after_commit(old_name)
    return candidate


def advisor_interview_schedule(
    *,
    candidate: Candidate,
    advisor: User,
    starts_at: datetime,
    duration_minutes: int,
    method: str,
    location: str,
    note: str,
    actor: User,
) -> AdvisorInterview:
    """Book a career interview, move a new candidate to 面談調整中 and send the candidate a confirmation."""
    if not (advisor.is_active and advisor.operator_role in ADVISOR_ROLES):
        raise ValidationError(_("面談の担当にはキャリアアドバイザーまたは管理者を選んでください。"), code="role")
    with transaction.atomic():
        interview = AdvisorInterview.objects.create(
            candidate=candidate,
            advisor=advisor,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            method=method,
            location=location.strip(),
            note=note.strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="candidate.interview_schedule",
            target=candidate,
            detail={
                "interview": interview.pk,
                "starts_at": starts_at.isoformat(),
                "method": method,
                "advisor": advisor.display_name,
            },
        )
        _advance_to(candidate, PipelineStatus.ARRANGING, actor)
        mail_send(
            to=candidate.email,
            template="advisor_interview_scheduled",
            context={
                "candidate": candidate,
                "interview": interview,
                "url": _absolute(reverse("candidates:mypage")),
            },
        )
    return interview


INTERVIEW_OUTCOMES = (
    AdvisorInterview.Status.HELD,
    AdvisorInterview.Status.CANCELLED,
    AdvisorInterview.Status.NO_SHOW,
)


def advisor_interview_set_status(*, interview: AdvisorInterview, status: str, actor: User) -> AdvisorInterview:
    """Close a scheduled interview as held, cancelled or no-show.

    Held records the first interview (which may count the referral under the stricter contract rule) and moves
    the candidate to 面談済; cancelled tells the candidate.
    """
    if status not in INTERVIEW_OUTCOMES:
        raise ValidationError(_("面談の状態が正しくありません。"), code="status")
    now = timezone.now()
    with transaction.atomic():
        locked = AdvisorInterview.objects.select_for_update().select_related("candidate").get(pk=interview.pk)
        if locked.status != AdvisorInterview.Status.SCHEDULED:
            raise ValidationError(
                _("この面談はすでに「%(status)s」です。") % {"status": locked.get_status_display()}, code="closed"
            )
        if status in (AdvisorInterview.Status.HELD, AdvisorInterview.Status.NO_SHOW) and locked.starts_at > now:
            raise ValidationError(_("開始時刻前の面談は、実施済み・不参加にできません。"), code="future")
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        candidate = locked.candidate
        audit_record(
            actor=actor,
            action=f"candidate.interview_{status}",
            target=candidate,
            detail={"interview": locked.pk, "starts_at": locked.starts_at.isoformat()},
        )
        if status == AdvisorInterview.Status.HELD:
            candidate_record_interview(candidate=candidate, actor=actor, held_at=locked.starts_at)
            _advance_to(candidate, PipelineStatus.INTERVIEWED, actor)
        elif status == AdvisorInterview.Status.CANCELLED and locked.starts_at > now:
            mail_send(
                to=candidate.email,
                template="advisor_interview_cancelled",
                context={"candidate": candidate, "interview": locked},
            )
    interview.status = locked.status
    return locked
