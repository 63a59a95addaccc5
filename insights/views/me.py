"""The candidate's satisfaction survey on My Page (/me/survey/)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from candidates.models import Candidate
from candidates.session import candidate_required
from insights.forms import SurveyForm
from insights.selectors.kpis import MIN_ANSWERS
from insights.services import (
    SurveyAlreadyAnswered,
    SurveyNotAvailable,
    survey_response_create,
    survey_status,
)


@candidate_required
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    status = survey_status(candidate=candidate)
    if status is None:
        return render(request, "insights/me/survey_unavailable.html", {"candidate": candidate})
    if status.answered:
        if request.method == "POST":
            messages.info(request, _("このアンケートにはすでにご回答いただいています。ご協力ありがとうございました。"))
        return render(request, "insights/me/survey_thanks.html", {"candidate": candidate, "company": status.company})
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_create(candidate=candidate, answers=form.cleaned_data)
        except SurveyAlreadyAnswered:
            messages.info(request, _("このアンケートにはすでにご回答いただいています。ご協力ありがとうございました。"))
        except SurveyNotAvailable:
            return render(request, "insights/me/survey_unavailable.html", {"candidate": candidate})
        else:
            messages.success(request, _("アンケートにご回答いただき、ありがとうございました。"))
        return redirect("survey:answer")
    return render(
        request,
        "insights/me/survey.html",
        {"candidate": candidate, "company": status.company, "form": form, "min_answers": MIN_ANSWERS},
    )
