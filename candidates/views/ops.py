"""Operator console: the candidate CRM (search, filters, pipeline, notes, advisors, résumés, interviews)."""

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_required, request_user
from accounts.permissions import Permission
from candidates.forms import (
    AdvisorForm,
    CandidateFilterForm,
    InterviewForm,
    InterviewStatusForm,
    NoteForm,
    PipelineForm,
    ResumeForm,
)
from candidates.models import AdvisorInterview, Candidate, Consent, PipelineStatus
from candidates.selectors import advisor_choices, candidate_timeline, consent_history
from candidates.services import (
    advisor_interview_schedule,
    advisor_interview_set_status,
    candidate_assign_advisor,
    candidate_note_add,
    candidate_pipeline_move,
    candidate_record_interview,
    candidate_resume_delete,
    candidate_resume_save,
)
from companies.models import Company
from lib.pagination import CappedPaginator
from relay.models import Referral, Touch

PER_PAGE = 50


@operator_required(Permission.CANDIDATES)
def candidate_list(request: HttpRequest) -> HttpResponse:
    advisors = list(advisor_choices())
    form = CandidateFilterForm(
        request.GET, advisors=advisors, companies=Company.objects.only("pk", "name").order_by("name", "pk")
    )
    criteria = form.criteria()
    order = CandidateFilterForm.SORTS[criteria.get("sort", "new")]
    rows = (
        Candidate.objects.crm_filter(criteria, viewer=request_user(request))
        .select_related("referral__company", "advisor")
        .order_by(*order)
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "candidates/ops/candidate_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(criteria.keys() - {"sort"})},
    )


def _detail(request: HttpRequest, candidate: Candidate, status: int = 200, **forms: Any) -> HttpResponse:
    advisors = list(advisor_choices())
    viewer = request_user(request)
    default_advisor = viewer if viewer in advisors else candidate.advisor
    forms.setdefault("pipeline_form", PipelineForm(candidate=candidate))
    forms.setdefault("advisor_form", AdvisorForm(advisors=advisors, initial={"advisor": candidate.advisor_id}))
    forms.setdefault("note_form", NoteForm())
    forms.setdefault("resume_form", ResumeForm())
    forms.setdefault(
        "interview_form",
        InterviewForm(
            advisors=advisors,
            initial={"advisor": default_advisor.pk if default_advisor else None, "duration_minutes": 60},
        ),
    )
    context = {
        "candidate": candidate,
        "referral": Referral.objects.filter(candidate=candidate).select_related("company", "link").first(),
        "touches": Touch.objects.filter(candidate=candidate).select_related("link__company"),
        "consents": candidate.current_consents(),
        "consent_history": consent_history(candidate),
        "kinds": dict(Consent.Kind.choices),
        "interviews": candidate.interviews.select_related("advisor").order_by("-starts_at", "-id"),
        "notes": candidate.notes.select_related("author"),
        "timeline": candidate_timeline(candidate),
        "statuses": PipelineStatus,
        **forms,
    }
    return render(request, "candidates/ops/candidate_detail.html", context, status=status)


def _candidate(pk: int) -> Candidate:
    return get_object_or_404(Candidate.objects.select_related("advisor"), pk=pk)


@operator_required(Permission.CANDIDATES)
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _candidate(pk))


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_interview(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a first interview that was never scheduled here (e.g. a phone call that turned into one)."""
    candidate = _candidate(pk)
    if candidate.first_interview_at is not None:
        messages.info(request, _("初回面談はすでに記録されています。"))
    else:
        candidate_record_interview(candidate=candidate, actor=request_user(request))
        if candidate.pipeline_is_before(PipelineStatus.INTERVIEWED):
            candidate_pipeline_move(candidate=candidate, status=PipelineStatus.INTERVIEWED, actor=request_user(request))
        messages.success(request, _("初回面談の実施を記録しました。"))
    return redirect("ops:candidate_detail", pk=candidate.pk)


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_status(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    form = PipelineForm(request.POST, candidate=candidate)
    if form.is_valid():
        try:
            candidate_pipeline_move(
                candidate=candidate,
                status=form.cleaned_data["status"],
                actor=request_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("ステータスを「%(status)s」に変更しました。") % {"status": candidate.get_pipeline_status_display()},
            )
            return redirect("ops:candidate_detail", pk=candidate.pk)
    return _detail(request, candidate, status=400, pipeline_form=form)


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_advisor(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    advisors = list(advisor_choices())
    form = AdvisorForm(request.POST, advisors=advisors)
    if form.is_valid():
        chosen = next((u for u in advisors if u.pk == form.cleaned_data["advisor"]), None)
        try:
            candidate_assign_advisor(candidate=candidate, advisor=chosen, actor=request_user(request))
        except ValidationError as error:
            form.add_error("advisor", error)
        else:
            if chosen is None:
                messages.success(request, _("担当アドバイザーを未割当にしました。"))
            else:
                messages.success(
                    request, _("担当アドバイザーを %(name)s に設定しました。") % {"name": chosen.display_name}
                )
            return redirect("ops:candidate_detail", pk=candidate.pk)
    return _detail(request, candidate, status=400, advisor_form=form)


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_note(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            candidate_note_add(candidate=candidate, author=request_user(request), body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages.success(request, _("メモを追加しました。"))
            return redirect("ops:candidate_detail", pk=candidate.pk)
    return _detail(request, candidate, status=400, note_form=form)


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_resume_upload(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    form = ResumeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            candidate_resume_save(candidate=candidate, file=form.cleaned_data["file"], actor=request_user(request))
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("履歴書を登録しました。"))
            return redirect("ops:candidate_detail", pk=candidate.pk)
    return _detail(request, candidate, status=400, resume_form=form)


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_resume_remove(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    candidate_resume_delete(candidate=candidate, actor=request_user(request))
    messages.success(request, _("履歴書を削除しました。"))
    return redirect("ops:candidate_detail", pk=candidate.pk)


def resume_response(candidate: Candidate) -> FileResponse:
    """The stored PDF as a download, never shown inline, so a crafted file cannot run in our origin."""
    if not candidate.resume:
        raise Http404
    try:
        handle = candidate.resume.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=candidate.resume_filename or "resume.pdf", content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@operator_required(Permission.CANDIDATES)
def candidate_resume_download(request: HttpRequest, pk: int) -> HttpResponse:
    # A streamed file, not an HttpResponse; the access decorators are typed for the common case.
    return cast(HttpResponse, resume_response(_candidate(pk)))


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_interview_new(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    advisors = list(advisor_choices())
    form = InterviewForm(request.POST, advisors=advisors)
    if form.is_valid():
        data = form.cleaned_data
        advisor = next(u for u in advisors if u.pk == data["advisor"])
        try:
            interview = advisor_interview_schedule(
                candidate=candidate,
                advisor=advisor,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                method=data["method"],
                location=data["location"],
                note=data["note"],
                actor=request_user(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(at)s に面談を設定し、ご本人に確認メールをお送りしました。")
                % {"at": f"{timezone.localtime(interview.starts_at):%Y/%m/%d %H:%M}"},
            )
            return redirect("ops:candidate_detail", pk=candidate.pk)
    return _detail(request, candidate, status=400, interview_form=form)


@operator_required(Permission.CANDIDATES)
@require_POST
def candidate_interview_status(request: HttpRequest, pk: int, interview_pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    interview = get_object_or_404(AdvisorInterview, pk=interview_pk, candidate=candidate)
    form = InterviewStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("面談の状態が正しくありません。"))
        return redirect("ops:candidate_detail", pk=candidate.pk)
    try:
        advisor_interview_set_status(
            interview=interview, status=form.cleaned_data["status"], actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("面談を「%(status)s」にしました。") % {"status": interview.get_status_display()})
    return redirect("ops:candidate_detail", pk=candidate.pk)
