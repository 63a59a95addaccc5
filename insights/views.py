from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import company_required
from candidates.models import Candidate
from candidates.session import candidate_required
from companies.models import Company
from insights import charts
from insights.forms import PeriodForm, SurveyForm
from insights.kpis import MIN_ANSWERS, period_from_request, satisfaction_summary
from insights.services import SurveyAlreadyAnswered, SurveyNotAvailable, survey_response_create, survey_status


@candidate_required
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    status = survey_status(candidate=candidate)
    if status is None:
        return render(request, "insights/survey_unavailable.html", {"candidate": candidate})
    if status.answered:
        if request.method == "POST":
            messages.info(request, _("このアンケートにはすでにご回答いただいています。ご協力ありがとうございました。"))
        return render(request, "insights/survey_thanks.html", {"candidate": candidate, "company": status.company})
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_create(candidate=candidate, answers=form.cleaned_data)
        except SurveyAlreadyAnswered:
            messages.info(request, _("このアンケートにはすでにご回答いただいています。ご協力ありがとうございました。"))
        except SurveyNotAvailable:
            return render(request, "insights/survey_unavailable.html", {"candidate": candidate})
        else:
            messages.success(request, _("アンケートにご回答いただき、ありがとうございました。"))
        return redirect("survey:answer")
    return render(
        request,
        "insights/survey.html",
        {"candidate": candidate, "company": status.company, "form": form, "min_answers": MIN_ANSWERS},
    )


def satisfaction_context(request: HttpRequest, company: Company | None) -> dict[str, object]:
    period, period_form = period_from_request(request.GET)
    summary = satisfaction_summary(company, period)
    previous = satisfaction_summary(company, period.previous(), with_comments=False)
    change = summary.nps - previous.nps if summary.nps is not None and previous.nps is not None else None
    return {
        "period": period,
        "period_form": period_form,
        "custom": PeriodForm.CUSTOM,
        "summary": summary,
        "previous": previous,
        "change": change,
        "bars": charts.distribution_bars(summary.distribution),
        "chart_width": charts.WIDTH,
        "min_answers": MIN_ANSWERS,
    }


@company_required
def satisfaction(request: HttpRequest, company: Company) -> HttpResponse:
    return render(
        request,
        "insights/satisfaction.html",
        {"company": company, **satisfaction_context(request, company)},
    )
