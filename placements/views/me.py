"""My Page: introductions the agency proposed to the person, to accept or decline (rule 10's disclosure step)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from candidates.models import Candidate
from candidates.session import candidate_required
from placements.forms import AcceptForm
from placements.models import PROVIDED_ITEM_LABELS, Introduction
from placements.services.guard import job_change_request_record
from placements.services.introductions import (
    PROVIDED_ITEMS,
    IntroductionNotAllowed,
    introduction_accept,
    introduction_decline,
)

# The person sees the steps of their selection, not the notes the company and the agency write to each other.
HIDDEN_FROM_CANDIDATE = frozenset({Introduction.Status.CANCELLED})


def _own(candidate: Candidate, pk: int) -> Introduction:
    return get_object_or_404(
        Introduction.objects.select_related("job_order", "company").exclude(status__in=HIDDEN_FROM_CANDIDATE),
        pk=pk,
        candidate=candidate,
    )


@candidate_required
def introduction_list(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    introductions = (
        Introduction.objects.filter(candidate=candidate)
        .exclude(status__in=HIDDEN_FROM_CANDIDATE)
        .select_related("job_order", "company")
    )
    return render(request, "placements/me/list.html", {"candidate": candidate, "introductions": introductions})


def _steps(introduction: Introduction) -> list[tuple[str, object]]:
    """Each status once, when it was reached (comments the two sides exchanged stay between them)."""
    steps: list[tuple[str, object]] = []
    previous = ""
    for status, at in introduction.events.values_list("status", "created_at"):
        if status != previous:
            steps.append((str(Introduction.Status(status).label), at))
        previous = status
    return steps


def _detail(request: HttpRequest, candidate: Candidate, introduction: Introduction, form: AcceptForm) -> HttpResponse:
    return render(
        request,
        "placements/me/detail.html",
        {
            "candidate": candidate,
            "introduction": introduction,
            "job": introduction.job_order,
            "items": [PROVIDED_ITEM_LABELS[item] for item in PROVIDED_ITEMS],
            "steps": _steps(introduction),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@candidate_required
def introduction_detail(request: HttpRequest, candidate: Candidate, pk: int) -> HttpResponse:
    return _detail(request, candidate, _own(candidate, pk), AcceptForm())


@candidate_required
@require_POST
def introduction_accept_view(request: HttpRequest, candidate: Candidate, pk: int) -> HttpResponse:
    introduction = _own(candidate, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _detail(request, candidate, introduction, form)
    try:
        introduction_accept(introduction=introduction, candidate=candidate)
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("ご紹介を承諾いただきました。%(company)s へプロフィールをお渡しし、書類選考に進みます。")
            % {"company": introduction.company.name},
        )
    return redirect("introductions_me:detail", pk=introduction.pk)


@candidate_required
@require_http_methods(["GET", "POST"])
def introduction_decline_view(request: HttpRequest, candidate: Candidate, pk: int) -> HttpResponse:
    introduction = _own(candidate, pk)
    if request.method == "POST":
        try:
            introduction_decline(introduction=introduction, candidate=candidate)
        except IntroductionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("このご紹介をお断りしました。企業にあなたの情報が伝わることはありません。"))
        return redirect("introductions_me:detail", pk=introduction.pk)
    return render(request, "placements/me/decline.html", {"candidate": candidate, "introduction": introduction})


@candidate_required
@require_POST
def job_change_request_view(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    """「転職の相談をしたい」: the person's own request lifts the 2-year guard after their placement (rule 16)."""
    if job_change_request_record(candidate=candidate):
        messages.success(
            request,
            _("転職のご相談のお申し出を承りました。担当のキャリアアドバイザーより、あらためてご連絡いたします。"),
        )
    return redirect("candidates:mypage")
