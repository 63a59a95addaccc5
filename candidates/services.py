from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from candidates.models import AdvisorInterview, Candidate, CandidateNote, Consent, PipelineEvent, PipelineStatus
from candidates.resume import resume_validate
from candidates.selectors import ADVISOR_ROLES
from candidates.tokens import candidate_link
from companies.models import RelayLink
from lib.jatext import nfkc
from lib.links import absolute_url
from mailings.services import mail_send
from mailings.services.tracking import email_registered, email_registration_sharing_set
from relay.models import Referral
from relay.services import referral_evaluate, referral_record, touch_record

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
        context={"candidate": candidate, "company": link.company, "url": candidate_link(candidate, "verify")},
    )


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

    Either way an email goes out (verification, or a sign-in link to the address on file), and the page says
    the same thing, so the form never reveals whether an address is registered. `client_ip` and `user_agent`
    are the request's, for relay's risk signals (only their salted hashes are kept).
    """
    email_normalized = profile["email_normalized"]
    existing = Candidate.objects.filter(Q(email_normalized=email_normalized) | Q(phone=profile["phone"])).first()
    if existing is None:
        try:
            with transaction.atomic():
                candidate = Candidate.objects.create(
                    email_normalized=email_normalized, **{field: profile[field] for field in PROFILE_FIELDS}
                )
                for kind, granted in (
                    (Consent.Kind.SERVICE, True),
                    (Consent.Kind.RECHALLENGE, rechallenge),
                    (Consent.Kind.NEWSLETTER, newsletter),
                    (Consent.Kind.SHARE_WITH_COMPANY, share_with_company),
                ):
                    Consent.objects.create(
                        candidate=candidate,
                        kind=kind,
                        granted=granted,
                        version=Consent.current_version(),
                        channel=Consent.Channel.WEB,
                    )
                referral_record(
                    candidate=candidate,
                    link=link,
                    applicant_ref=applicant_ref,
                    client_ip=client_ip,
                    user_agent=user_agent,
                )
                email_registered(
                    company_id=link.company_id, applicant_ref=applicant_ref, shared=share_with_company
                )
                _send_verification(candidate, link)
            return Registration(candidate=candidate, created=True)
        except IntegrityError:
            # Someone with the same address or phone registered a moment ago: treat them as that person.
            existing = Candidate.objects.filter(
                Q(email_normalized=email_normalized) | Q(phone=profile["phone"])
            ).first()
            if existing is None:
                raise
    with transaction.atomic():
        touch_record(candidate=existing, link=link)
        if existing.email_verified_at is None:
            referral = Referral.objects.filter(candidate=existing).select_related("link").first()
            _send_verification(existing, referral.link if referral else link)
        else:
            candidate_send_login_link(candidate=existing, template="candidate_already_registered")
    return Registration(candidate=existing, created=False)


def candidate_verify_email(*, candidate: Candidate) -> Candidate:
    if candidate.email_verified_at is None:
        candidate.email_verified_at = timezone.now()
        candidate.save(update_fields=["email_verified_at", "updated_at"])
    referral = Referral.objects.filter(candidate=candidate).first()
    if referral is not None:
        referral_evaluate(referral_id=referral.pk)
    return candidate


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


def candidate_update_profile(*, candidate: Candidate, profile: dict[str, Any]) -> Candidate:
    for field in PROFILE_FIELDS:
        setattr(candidate, field, profile[field])
    candidate.email_normalized = profile["email_normalized"]
    candidate.save()
    return candidate


def candidate_set_consents(*, candidate: Candidate, wanted: dict[str, bool]) -> list[Consent]:
    """Append a consent record for each consent whose state changes; history is never rewritten.

    Giving or withdrawing SHARE_WITH_COMPANY shows or hides the registration on the referring company's outbox.
    """
    current = candidate.current_consents()
    changes = []
    with transaction.atomic():
        for kind, granted in wanted.items():
            if current.get(kind) != granted:
                changes.append(
                    Consent.objects.create(
                        candidate=candidate,
                        kind=kind,
                        granted=granted,
                        version=Consent.current_version(),
                        channel=Consent.Channel.MYPAGE,
                    )
                )
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
        "registered_at": candidate.created_at.isoformat(),
        "email_verified_at": candidate.email_verified_at.isoformat() if candidate.email_verified_at else None,
        "introduced_by_company": referral.company.name if referral else None,
        "consents": [
            {
                "kind": c.kind,
                "granted": c.granted,
                "version": c.version,
                "channel": c.channel,
                "at": c.created_at.isoformat(),
            }
            for c in candidate.consents.order_by("created_at", "id")
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
                "status": i.status,
            }
            for i in interviews
        ],
    }


def candidate_delete(*, candidate: Candidate) -> None:
    """Erase the person; referral rows stay (without the link to the person) so counts and ledgers stay true.

    Notes, interviews and the pipeline history go with the row; the résumé file is removed once that is final.
    """
    referral = Referral.objects.filter(candidate=candidate).first()
    resume_name = candidate.resume.name if candidate.resume else ""
    with transaction.atomic():
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
