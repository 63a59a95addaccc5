"""Operator console: member companies and their contracts."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import operator_required, request_user
from accounts.forms import InviteForm
from accounts.permissions import Permission, operator_may
from accounts.services import invitation_create
from companies.documents import terms_sheet_response
from companies.forms import CompanyForm, ContractForm
from companies.models import Company, TermsSheet
from companies.selectors import terms_status
from companies.services import ContractChangeRefused, company_create, contract_update
from insights.selectors.funnel import company_figures
from lib.jatext import matching_every_word
from relay.models import CreditEntry
from relay.selectors import waiting_summary


@operator_required(Permission.COMPANIES_VIEW)
def company_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    companies = matching_every_word(Company.objects.select_related("contract"), query, "search_text")
    page = Paginator(companies, 50).get_page(request.GET.get("page"))
    return render(request, "companies/ops/company_list.html", {"page": page, "q": query})


@operator_required(Permission.COMPANIES_MANAGE)
@require_http_methods(["GET", "POST"])
def company_new(request: HttpRequest) -> HttpResponse:
    company_form = CompanyForm(request.POST if request.method == "POST" else None, prefix="company")
    contract_form = ContractForm(request.POST if request.method == "POST" else None, prefix="contract")
    invite_form = InviteForm(request.POST if request.method == "POST" else None, prefix="invite")
    if request.method == "POST" and all(f.is_valid() for f in (company_form, contract_form, invite_form)):
        with transaction.atomic():
            company = company_create(
                **company_form.cleaned_data, contract_terms=contract_form.cleaned_data, actor=request_user(request)
            )
            invitation_create(company=company, invited_by=request_user(request), **invite_form.cleaned_data)
        messages.success(
            request,
            _("%(name)s を登録し、%(email)s に招待メールをお送りしました。")
            % {"name": company.name, "email": invite_form.cleaned_data["email"]},
        )
        return redirect("ops:company_detail", pk=company.pk)
    return render(
        request,
        "companies/ops/company_new.html",
        {"company_form": company_form, "contract_form": contract_form, "invite_form": invite_form},
    )


@operator_required(Permission.COMPANIES_VIEW, write=Permission.COMPANIES_MANAGE)
@require_http_methods(["GET", "POST"])
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.select_related("contract"), pk=pk)
    contract_form = ContractForm(
        request.POST if request.method == "POST" else None, instance=company.contract, prefix="contract"
    )
    invite_form = InviteForm(None, prefix="invite")
    can_manage = operator_may(request.user, Permission.COMPANIES_MANAGE)
    if not can_manage:  # a recruiting advisor reads the terms; only an admin changes them
        for field in contract_form.fields.values():
            field.disabled = True
    if request.method == "POST" and request.POST.get("action") == "invite":
        invite_form = InviteForm(request.POST, prefix="invite")
        contract_form = ContractForm(instance=company.contract, prefix="contract")
        if invite_form.is_valid():
            invitation_create(company=company, invited_by=request_user(request), **invite_form.cleaned_data)
            messages.success(request, _("招待メールをお送りしました。"))
            return redirect("ops:company_detail", pk=company.pk)
    elif request.method == "POST" and contract_form.is_valid():
        try:
            contract_update(contract=company.contract, terms=contract_form.cleaned_data, actor=request_user(request))
        except ContractChangeRefused as refused:  # an operator action this role may not take answers 404
            raise Http404 from refused
        messages.success(request, _("契約条件を更新しました。変更は以後の紹介カウントから適用されます。"))
        return redirect("ops:company_detail", pk=company.pk)
    return render(
        request,
        "companies/ops/company_detail.html",
        {
            "company": company,
            "figures": company_figures(company),
            "contract_form": contract_form,
            "invite_form": invite_form,
            "waiting": waiting_summary(company_id=company.pk),
            "ledger": CreditEntry.objects.filter(company=company).select_related("actor")[:50],
            "members": company.users.order_by("date_joined"),
            "invitations": company.invitations.filter(accepted_at__isnull=True),
            "can_manage": can_manage,
            "terms": terms_status(company),
        },
    )


@operator_required(Permission.COMPANIES_VIEW)
def company_terms_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    sheet = get_object_or_404(TermsSheet, contract__company_id=pk, version=version)
    return terms_sheet_response(sheet)
