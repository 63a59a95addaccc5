"""The anonymised talent pool for company users (rule 10) and their introduction requests."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import company_required
from accounts.models import User
from companies.models import Company
from placements.forms import PoolFilterForm, PoolRequestForm
from placements.introductions import IntroductionNotAllowed
from placements.models import IntroductionRequest
from placements.pool import PoolFilters, introduction_request_create, pool_candidate, pool_page, pool_profile


@company_required
def pool_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = PoolFilterForm(request.GET or None)
    filters = PoolFilters()
    if form.is_valid():
        filters = PoolFilters(
            job_category=form.cleaned_data["job_category"],
            prefecture=form.cleaned_data["prefecture"],
            skills=form.cleaned_data["skills"],
            min_years=form.cleaned_data["min_years"],
            max_salary=form.cleaned_data["max_salary"],
        )
    start_text = request.GET.get("start", "")
    start = int(start_text) if start_text.isdigit() else 0
    people, next_start = pool_page(company, filters, start=start)
    query = request.GET.copy()
    query.pop("start", None)
    return render(
        request,
        "placements/pool/list.html",
        {
            "company": company,
            "form": form,
            "profiles": [pool_profile(company, candidate) for candidate in people],
            "query": query.urlencode(),
            "start": start,
            "next_start": next_start,
        },
    )


@company_required
@require_http_methods(["GET", "POST"])
def pool_detail(request: HttpRequest, company: Company, token: str) -> HttpResponse:
    candidate = pool_candidate(company, token)
    if candidate is None:
        raise Http404
    form = PoolRequestForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        try:
            introduction_request_create(
                company=company,
                token=token,
                job_order=form.cleaned_data["job_order"],
                message=form.cleaned_data["message"],
                actor=user,
            )
        except IntroductionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "紹介のご依頼を承りました。キャリアアドバイザーがご本人に意向を確認し、"
                    "ご本人が承諾された場合にプロフィールを開示いたします。"
                ),
            )
            return redirect("pool:requests")
    return render(
        request,
        "placements/pool/detail.html",
        {"company": company, "profile": pool_profile(company, candidate), "form": form},
        status=400 if form.errors else 200,
    )


@company_required
def pool_requests(request: HttpRequest, company: Company) -> HttpResponse:
    rows = IntroductionRequest.objects.filter(company=company).select_related("job_order", "introduction")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "placements/pool/requests.html", {"company": company, "page": page})
