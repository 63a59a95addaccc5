"""Introductions (推薦, issue 4 item 5): the operator proposes, the candidate accepts or declines on My Page, and only
then does the company see who they are (a ProvisionRecord is written in the same transaction). The company and
the operator then move the selection along; every change leaves an IntroductionEvent and an audit row.
"""

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from candidates.models import Candidate
from candidates.tokens import candidate_link
from companies.models import Company
from lib.errors import RuleRefused
from lib.links import absolute_url
from mailings.services import mail_send
from placements.models import Introduction, IntroductionEvent, IntroductionRequest, JobOrder
from placements.selectors.eligibility import has_service_consent, introduction_refusal
from placements.services.provisions import provision_record_write

S = Introduction.Status

# Every move an introduction can make, in one place. The candidate answers a proposal (accepting starts the
# document screening); the operator may withdraw a proposal nobody answered; the selection moves one step at a
# time and may end at any step with 見送り (the company's decision) or 辞退 (the candidate's).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.DOCUMENT, S.DECLINED, S.CANCELLED}),
    S.DOCUMENT: frozenset({S.INTERVIEW, S.REJECTED, S.WITHDRAWN}),
    S.INTERVIEW: frozenset({S.OFFER, S.REJECTED, S.WITHDRAWN}),
    S.OFFER: frozenset({S.HIRED, S.REJECTED, S.WITHDRAWN}),
}
# Moves only the candidate makes (answering the proposal) or only the operator makes (withdrawing it).
CANDIDATE_MOVES = frozenset({S.DOCUMENT, S.DECLINED})
OPERATOR_ONLY_MOVES = frozenset({S.CANCELLED})
SELECTION_STATUSES = frozenset({S.DOCUMENT, S.INTERVIEW, S.OFFER, S.HIRED, S.REJECTED, S.WITHDRAWN})
OPEN_SELECTION = frozenset({S.DOCUMENT, S.INTERVIEW, S.OFFER})

# What the company receives once the person accepts (第三者提供の記録 lists exactly these).
PROVIDED_ITEMS = (
    "name",
    "furigana",
    "email",
    "phone",
    "prefecture",
    "job_category",
    "years_of_experience",
    "skills",
    "desired_salary",
    "career_summary",
)
PROVISION_PURPOSE = "求人への職業紹介(推薦)のため"
CANDIDATE_LABEL = "求職者本人"


class IntroductionNotAllowed(RuleRefused, ValueError):
    """A proposal, answer or move the rules do not allow; the message is shown to the person as is."""


def selection_moves(introduction: Introduction) -> list[str]:
    """Where the company (or the operator on its behalf) may move this introduction next, in display order."""
    allowed = TRANSITIONS.get(introduction.status, frozenset()) - CANDIDATE_MOVES - OPERATOR_ONLY_MOVES
    return [status for status in S.values if status in allowed]


def _actor_label(actor: User) -> str:
    if actor.is_operator:
        return _("キャリアリレー %(name)s") % {"name": actor.display_name}
    company = actor.company.name if actor.company else ""
    return f"{company} {actor.display_name}".strip()


def _event(introduction: Introduction, *, comment: str = "", actor: User | None = None, label: str = "") -> None:
    IntroductionEvent.objects.create(
        introduction=introduction,
        status=introduction.status,
        comment=comment,
        actor=actor,
        actor_label=label or (_actor_label(actor) if actor else ""),
    )


def _absolute(path: str) -> str:
    return absolute_url(path)


def _locked(introduction: Introduction) -> Introduction:
    return Introduction.objects.select_for_update().select_related("job_order", "company").get(pk=introduction.pk)


def introduction_propose(
    *,
    job_order: JobOrder,
    candidate: Candidate | None,
    recommendation: str,
    actor: User,
    request: IntroductionRequest | None = None,
) -> Introduction:
    """Propose a person for an open order; refused with a Japanese reason when rules 9–11 say no."""
    refusal = introduction_refusal(candidate, job_order.company)
    if refusal:
        raise IntroductionNotAllowed(refusal)
    assert candidate is not None
    if Introduction.objects.filter(job_order=job_order, candidate=candidate).exists():
        raise IntroductionNotAllowed(_("この求職者は、すでにこの求人に推薦されています。"))
    try:
        with transaction.atomic():
            # The order as it is now (it may have been paused since the screen was drawn), locked until commit.
            job_order = JobOrder.objects.select_for_update().select_related("company").get(pk=job_order.pk)
            company = job_order.company
            if job_order.status != JobOrder.Status.OPEN:
                raise IntroductionNotAllowed(
                    _("求人「%(title)s」は募集中ではないため、推薦できません。") % {"title": job_order.title}
                )
            refusal = working_conditions_refusal(job_order)
            if refusal:
                raise IntroductionNotAllowed(refusal)
            introduction = Introduction.objects.create(
                company=company,
                job_order=job_order,
                candidate=candidate,
                recommendation=recommendation,
                proposed_by=actor,
            )
            _event(introduction, actor=actor)
            if request is not None:
                IntroductionRequest.objects.filter(pk=request.pk).update(
                    status=IntroductionRequest.Status.PROPOSED,
                    introduction=introduction,
                    handled_by=actor,
                    handled_at=timezone.now(),
                )
            audit_record(
                actor=actor,
                action="introduction.propose",
                target=introduction,
                company=company,
                detail={"job_order": job_order.pk, "request": request.pk if request else None},
            )
            page = reverse("introductions_me:detail", args=[introduction.pk])
            mail_send(
                to=candidate.email,
                template="introduction_proposed",
                context={
                    "candidate": candidate,
                    "company": company,
                    "job_order": job_order,
                    # A sign-in link to the page, made when the mail is delivered (never stored).
                    "url": candidate_link(candidate, "login", next_path=page),
                },
            )
    except IntegrityError:
        raise IntroductionNotAllowed(_("この求職者は、すでにこの求人に推薦されています。")) from None
    return introduction


def working_conditions_refusal(job_order: JobOrder) -> str:
    """Why no one may be introduced to this order yet (rule 17: 労働条件明示 first), or "" when it is complete."""
    missing = job_order.working_conditions_missing()
    if not missing:
        return ""
    labels = "・".join(
        str(getattr(JobOrder._meta.get_field(field), "verbose_name", field)) for field, _message in missing
    )
    return _(
        "求人「%(title)s」は労働条件明示の項目(%(items)s)が未入力のため、推薦できません。求人の編集画面で入力してください。"
    ) % {"title": job_order.title, "items": labels}


def _answerable(introduction: Introduction, candidate: Candidate) -> None:
    if introduction.candidate_id != candidate.pk:
        raise IntroductionNotAllowed(_("このご紹介は見つかりませんでした。"))
    if introduction.status != S.PROPOSED:
        raise IntroductionNotAllowed(
            _("このご紹介には、すでにご回答いただいています(現在の状況: %(status)s)。")
            % {"status": introduction.get_status_display()}
        )


def introduction_accept(*, introduction: Introduction, candidate: Candidate) -> Introduction:
    """The person agrees: the company now sees who they are, and the disclosure is recorded (APPI)."""
    with transaction.atomic():
        introduction = _locked(introduction)
        _answerable(introduction, candidate)
        if introduction.job_order.status != JobOrder.Status.OPEN:
            raise IntroductionNotAllowed(
                _("申し訳ございません。この求人の募集は終了または一時停止されたため、ご紹介を進めることができません。")
            )
        if introduction.job_order.working_conditions_missing():
            # The order's conditions were emptied since the proposal: the person must see them whole first.
            raise IntroductionNotAllowed(
                _(
                    "申し訳ございません。この求人の労働条件の記載を企業に確認しているため、現在はご承諾いただけません。担当のキャリアアドバイザーにお問い合わせください。"
                )
            )
        if not has_service_consent(candidate):
            raise IntroductionNotAllowed(
                _("現在の同意の設定では、企業へプロフィールをお渡しできません。同意の設定をご確認ください。")
            )
        if introduction_refusal(candidate, introduction.company):
            # Rule 9 changed since the proposal (e.g. the referring company excluded this one): no disclosure.
            raise IntroductionNotAllowed(
                _(
                    "申し訳ございません。このご紹介は現在お受けいただけません。担当のキャリアアドバイザーにお問い合わせください。"
                )
            )
        now = timezone.now()
        introduction.status = S.DOCUMENT
        introduction.accepted_at = now
        introduction.responded_at = now
        introduction.save(update_fields=["status", "accepted_at", "responded_at", "updated_at"])
        _event(introduction, label=CANDIDATE_LABEL, comment=_("ご本人がご紹介を承諾されました。"))
        # Provided by the agency on the person's acceptance; the proposing advisor is who acted for it.
        proposer = introduction.proposed_by
        provision_record_write(
            candidate=candidate,
            introduction=introduction,
            items=list(PROVIDED_ITEMS),
            purpose=PROVISION_PURPOSE,
            actor=proposer,
            actor_label=proposer.display_name if proposer else settings.OPERATOR_NAME,
        )
        audit_record(
            actor=None,
            actor_label=CANDIDATE_LABEL,
            action="introduction.accept",
            target=introduction,
            company=introduction.company,
            detail={"job_order": introduction.job_order_id, "provided": list(PROVIDED_ITEMS)},
        )
        url = _absolute(reverse("placements:introduction_detail", args=[introduction.pk]))
        for user in introduction.company.users.filter(is_active=True):
            mail_send(
                to=user.email,
                template="introduction_accepted",
                context={"user": user, "job_order": introduction.job_order, "url": url},
            )
    return introduction


def introduction_decline(*, introduction: Introduction, candidate: Candidate) -> Introduction:
    """The person says no: nothing about them ever reaches the company."""
    with transaction.atomic():
        introduction = _locked(introduction)
        _answerable(introduction, candidate)
        introduction.status = S.DECLINED
        introduction.responded_at = timezone.now()
        introduction.save(update_fields=["status", "responded_at", "updated_at"])
        _event(introduction, label=CANDIDATE_LABEL)
        audit_record(
            actor=None,
            actor_label=CANDIDATE_LABEL,
            action="introduction.decline",
            target=introduction,
            company=introduction.company,
            detail={"job_order": introduction.job_order_id},
        )
    return introduction


def introduction_cancel(*, introduction: Introduction, actor: User, comment: str = "") -> Introduction:
    """The operator withdraws a proposal the person has not answered yet."""
    with transaction.atomic():
        introduction = _locked(introduction)
        if introduction.status != S.PROPOSED:
            raise IntroductionNotAllowed(_("ご本人が回答済みの推薦は取り下げられません。"))
        introduction.status = S.CANCELLED
        introduction.save(update_fields=["status", "updated_at"])
        _event(introduction, actor=actor, comment=comment)
        audit_record(
            actor=actor,
            action="introduction.cancel",
            target=introduction,
            company=introduction.company,
            detail={"job_order": introduction.job_order_id},
        )
    return introduction


def _may_act(introduction: Introduction, actor: User) -> None:
    if actor.is_operator:
        return
    if not actor.is_company_user or actor.company_id != introduction.company_id or not introduction.identity_disclosed:
        raise IntroductionNotAllowed(_("このご紹介は見つかりませんでした。"))


def introduction_move(*, introduction: Introduction, status: str, actor: User, comment: str = "") -> Introduction:
    """Move the selection one step (書類選考 → 面接 → 内定 → 入社), or end it with 見送り / 辞退."""
    if status not in S.values:
        raise IntroductionNotAllowed(_("選考状況の指定が正しくありません。"))
    with transaction.atomic():
        introduction = _locked(introduction)
        _may_act(introduction, actor)
        if status not in selection_moves(introduction):
            raise IntroductionNotAllowed(
                _("「%(current)s」の推薦を「%(wanted)s」にすることはできません。")
                % {"current": introduction.get_status_display(), "wanted": S(status).label}
            )
        before = introduction.status
        introduction.status = status
        introduction.save(update_fields=["status", "updated_at"])
        _event(introduction, actor=actor, comment=comment)
        audit_record(
            actor=actor,
            action=f"introduction.{status}",
            target=introduction,
            company=introduction.company,
            detail={"from": before, "to": status, "job_order": introduction.job_order_id},
        )
    return introduction


def introduction_comment(*, introduction: Introduction, actor: User, comment: str) -> Introduction:
    """A note in the shared history without a change of status (e.g. 面接日程の連絡)."""
    if not comment.strip():
        raise IntroductionNotAllowed(_("コメントを入力してください。"))
    with transaction.atomic():
        introduction = _locked(introduction)
        _may_act(introduction, actor)
        _event(introduction, actor=actor, comment=comment)
        audit_record(
            actor=actor, action="introduction.comment", target=introduction, company=introduction.company, detail={}
        )
    return introduction


def provided_profile(introduction: Introduction) -> dict[str, Any] | None:
    """What the company may read about the person: nothing before acceptance or after the person left."""
    candidate = introduction.candidate
    if not introduction.identity_disclosed or candidate is None:
        return None
    return {field: getattr(candidate, field) for field in PROVIDED_ITEMS}


def introduction_request_decline(*, request: IntroductionRequest, actor: User, note: str) -> IntroductionRequest:
    """The operator answers a talent-pool request with お見送り (e.g. the person is no longer looking)."""
    with transaction.atomic():
        request = IntroductionRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != IntroductionRequest.Status.OPEN:
            raise IntroductionNotAllowed(_("この紹介依頼は対応済みです。"))
        request.status = IntroductionRequest.Status.DECLINED
        request.operator_note = note
        request.handled_by = actor
        request.handled_at = timezone.now()
        request.save(update_fields=["status", "operator_note", "handled_by", "handled_at"])
        audit_record(
            actor=actor,
            action="introduction_request.decline",
            target=request,
            company=request.company,
            detail={"job_order": request.job_order_id},
        )
    return request


def pending_count(company: Company) -> int:
    """How many proposals wait for the person's answer: the only thing a company learns about them."""
    return Introduction.objects.filter(company=company, status=S.PROPOSED).count()
