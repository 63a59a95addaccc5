"""Operator console: matching with explained scores, proposals (推薦), talent-pool requests and the selection."""

import time

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import operator_required, request_user
from candidates.models import Candidate
from placements.eligibility import introduction_refusal
from placements.forms import IntroductionCommentForm, IntroductionMoveForm, ProposeForm, RequestDeclineForm
from placements.introductions import (
    IntroductionNotAllowed,
    introduction_cancel,
    introduction_comment,
    introduction_move,
    introduction_propose,
    introduction_request_decline,
    selection_moves,
)
from placements.matching import matches_for_candidate, matches_for_job
from placements.models import Introduction, IntroductionRequest, JobOrder


@operator_required
def job_matches(request: HttpRequest, pk: int) -> HttpResponse:
    job_order = get_object_or_404(JobOrder.objects.select_related("company"), pk=pk)
    started = time.perf_counter()
    matches = matches_for_job(job_order)
    elapsed_ms = round(1000 * (time.perf_counter() - started))
    return render(
        request,
        "placements/ops/job_matches.html",
        {
            "job_order": job_order,
            "matches": matches,
            "elapsed_ms": elapsed_ms,
            "proposed": job_order.introductions.count(),
        },
    )


@operator_required
def candidate_matches(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(Candidate, pk=pk)
    return render(
        request,
        "placements/ops/candidate_matches.html",
        {
            "candidate": candidate,
            "matches": matches_for_candidate(candidate),
            "introductions": candidate.introductions.select_related("job_order", "company"),
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def introduction_new(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    job_id, candidate_id, request_id = (params.get(key, "") for key in ("job", "candidate", "request"))
    job_order = get_object_or_404(JobOrder.objects.select_related("company"), pk=job_id) if job_id.isdigit() else None
    candidate = get_object_or_404(Candidate, pk=candidate_id) if candidate_id.isdigit() else None
    pool_request = (
        get_object_or_404(IntroductionRequest, pk=request_id, status=IntroductionRequest.Status.OPEN)
        if request_id.isdigit()
        else None
    )
    if pool_request is not None:
        job_order, candidate = pool_request.job_order, pool_request.candidate
    if job_order is None or candidate is None:
        messages.error(request, _("推薦する求人と求職者を選んでください。"))
        return redirect("ops:introductions")
    form = ProposeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            introduction = introduction_propose(
                job_order=job_order,
                candidate=candidate,
                recommendation=form.cleaned_data["recommendation"],
                actor=request_user(request),
                request=pool_request,
            )
        except IntroductionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s さんに求人「%(title)s」へのご紹介をお送りしました。ご本人の承諾をお待ちください。")
                % {"name": candidate.name, "title": job_order.title},
            )
            return redirect("ops:introduction_detail", pk=introduction.pk)
    return render(
        request,
        "placements/ops/introduction_new.html",
        {
            "form": form,
            "job_order": job_order,
            "candidate": candidate,
            "pool_request": pool_request,
            "refusal": introduction_refusal(candidate, job_order.company)
            if job_order.status == JobOrder.Status.OPEN
            else _("求人「%(title)s」は募集中ではないため、推薦できません。") % {"title": job_order.title},
        },
        status=400 if form.errors else 200,
    )


@operator_required
def introduction_list(request: HttpRequest) -> HttpResponse:
    introductions = Introduction.objects.select_related("job_order", "company", "candidate")
    status = request.GET.get("status", "")
    if status in Introduction.Status.values:
        introductions = introductions.filter(status=status)
    page = Paginator(introductions, 50).get_page(request.GET.get("page"))
    open_requests = (
        IntroductionRequest.objects.filter(status=IntroductionRequest.Status.OPEN)
        .select_related("company", "job_order", "candidate", "requested_by")
        .order_by("created_at", "id")
    )
    return render(
        request,
        "placements/ops/introduction_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Introduction.Status.choices,
            "open_requests": open_requests,
            "decline_form": RequestDeclineForm(),
        },
    )


def _detail(request: HttpRequest, introduction: Introduction, **forms: object) -> HttpResponse:
    context: dict[str, object] = {
        "introduction": introduction,
        "events": introduction.events.select_related("actor"),
        "move_form": IntroductionMoveForm(moves=selection_moves(introduction)),
        "comment_form": IntroductionCommentForm(),
        "provisions": introduction.provision_records.all(),
        **forms,
    }
    return render(request, "placements/ops/introduction_detail.html", context, status=400 if forms else 200)


def _introduction(pk: int) -> Introduction:
    return get_object_or_404(Introduction.objects.select_related("job_order", "company", "candidate"), pk=pk)


@operator_required
def introduction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _introduction(pk))


@operator_required
@require_POST
def introduction_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    introduction = _introduction(pk)
    form = IntroductionMoveForm(request.POST, moves=selection_moves(introduction))
    if not form.is_valid():
        return _detail(request, introduction, move_form=form)
    try:
        introduction = introduction_move(
            introduction=introduction,
            status=form.cleaned_data["status"],
            comment=form.cleaned_data["comment"],
            actor=request_user(request),
        )
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("選考状況を「%(status)s」に更新しました。") % {"status": introduction.get_status_display()}
        )
    return redirect("ops:introduction_detail", pk=introduction.pk)


@operator_required
@require_POST
def introduction_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    introduction = _introduction(pk)
    form = IntroductionCommentForm(request.POST)
    if not form.is_valid():
        return _detail(request, introduction, comment_form=form)
    introduction_comment(introduction=introduction, comment=form.cleaned_data["comment"], actor=request_user(request))
    messages.success(request, _("コメントを記録しました。"))
    return redirect("ops:introduction_detail", pk=introduction.pk)


@operator_required
@require_POST
def introduction_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    introduction = _introduction(pk)
    try:
        introduction_cancel(
            introduction=introduction, actor=request_user(request), comment=request.POST.get("comment", "")
        )
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("推薦を取り下げました。"))
    return redirect("ops:introduction_detail", pk=introduction.pk)


@operator_required
@require_POST
def request_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    pool_request = get_object_or_404(IntroductionRequest, pk=pk)
    form = RequestDeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("企業へのご回答を入力してください。"))
        return redirect("ops:introductions")
    try:
        introduction_request_decline(request=pool_request, actor=request_user(request), note=form.cleaned_data["note"])
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("紹介依頼をお見送りとして回答しました。"))
    return redirect("ops:introductions")
