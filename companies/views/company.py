import io
from typing import Any

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from accounts.forms import InviteForm
from accounts.services import invitation_create
from applicants.selectors import held_count
from companies.documents import terms_sheet_response
from companies.forms import CompanyForm, RelayLinkForm
from companies.models import Company, RelayLink, TermsSheet
from companies.selectors import terms_status
from companies.services import TermsRefused, relay_link_create, relay_link_set_active, terms_acknowledge
from insights.selectors.funnel import CompanyFigures, LinkFigures, company_figures, link_figures
from insights.selectors.onboarding import company_setup
from insights.selectors.registrations import (
    MIN_GROUP,
    RegistrationGroup,
    figures_note,
    registrations_by_link,
    registrations_by_month,
    registrations_by_profile,
    registrations_by_template,
)
from insights.selectors.registrations import cutoff as registrations_cutoff
from lib.jatext import normalize_email
from lib.ratelimit import client_ip, rate_limited_render, rate_limits_hit
from relay.selectors import waiting_summary


def link_rows(company: Company, figures: CompanyFigures) -> list[tuple[LinkFigures, RegistrationGroup]]:
    """Each link's clicks beside its registrations as the company may see them (MIN_GROUP, never per person)."""
    groups = {group.key: group for group in registrations_by_link(company)}
    return [(f, groups[f.link.pk]) for f in figures.links if f.link is not None and f.link.pk in groups]


@company_required
def dashboard(request: HttpRequest, company: Company) -> HttpResponse:
    figures = company_figures(company)
    context = {
        "company": company,
        "figures": figures,
        "link_rows": link_rows(company, figures),
        "months": registrations_by_month(company, months=3),
        "min_group": MIN_GROUP,
        "figures_note": figures_note(),
        "held": held_count(company),
        # As the registration counts: to yesterday, small figures as 「5件未満」, the next count by day only.
        "waiting": waiting_summary(company_id=company.pk, registered_before=registrations_cutoff()),
        "terms": terms_status(company),
        "setup": company_setup(company),
        "can_manage": request_user(request).can_manage_company,
    }
    return render(request, "companies/company/dashboard.html", context)


@company_required
def referral_list(request: HttpRequest, company: Company) -> HttpResponse:
    """Registrations as statistics (issue 11 point 6): never a row per person, whose date, link or prefecture
    would let the company match it to a named applicant it mailed."""
    context = {
        "company": company,
        "figures": company_figures(company),
        "by_month": registrations_by_month(company),
        "by_link": registrations_by_link(company),
        "by_template": registrations_by_template(company),
        "by_job_category": registrations_by_profile(company, "job_category"),
        "by_prefecture": registrations_by_profile(company, "prefecture"),
        "min_group": MIN_GROUP,
    }
    return render(request, "companies/company/referral_list.html", context)


@company_required
@require_http_methods(["GET", "POST"])
def link_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = RelayLinkForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST":
        if not request_user(request).can_manage_company:
            raise Http404
        if form.is_valid():
            link = relay_link_create(company=company, label=form.cleaned_data["label"], actor=request_user(request))
            messages.success(request, _("リレーリンク「%(label)s」を作成しました。") % {"label": link.label})
            return redirect("companies:link_detail", pk=link.pk)
    figures = company_figures(company)
    context = {
        "company": company,
        "form": form,
        "figures": figures,
        "link_rows": link_rows(company, figures),
        "min_group": MIN_GROUP,
    }
    return render(request, "companies/company/link_list.html", context)


def rejection_snippet(link: RelayLink) -> str:
    return render_to_string("companies/rejection_snippet.txt", {"link": link, "company": link.company}).strip()


@company_required
def link_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    link = company_object_or_404(company, RelayLink, pk=pk)
    [figures] = link_figures([link])
    registrations = next(group for group in registrations_by_link(company) if group.key == link.pk)
    qr_svg = segno.make(link.public_url, error="m").svg_inline(scale=5, border=2)
    context = {
        "company": company,
        "link": link,
        "snippet": rejection_snippet(link),
        "qr_svg": qr_svg,
        "figures": figures,
        "registrations": registrations,
        "min_group": MIN_GROUP,
    }
    return render(request, "companies/company/link_detail.html", context)


@company_required
def link_qr(request: HttpRequest, company: Company, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("png", "svg"):
        raise Http404
    link = company_object_or_404(company, RelayLink, pk=pk)
    buffer = io.BytesIO()
    qr = segno.make(link.public_url, error="m")
    if fmt == "svg":
        qr.save(buffer, kind="svg", scale=10, border=4)
        content_type = "image/svg+xml"
    else:
        qr.save(buffer, kind="png", scale=12, border=4)
        content_type = "image/png"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="career-relay-{link.code}.{fmt}"'
    return response


@company_manager_required
@require_POST
def link_toggle(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    link = company_object_or_404(company, RelayLink, pk=pk)
    relay_link_set_active(link=link, active=not link.is_active, actor=request_user(request))
    if link.is_active:
        messages.success(request, _("リンクの受付を再開しました。"))
    else:
        messages.info(request, _("リンクの受付を停止しました。リンクを開いた方には受付終了のご案内が表示されます。"))
    return redirect("companies:link_detail", pk=link.pk)


@company_required
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest, company: Company) -> HttpResponse:
    user = request_user(request)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not user.can_manage_company:
            raise Http404
        if form.is_valid():
            # Otherwise a company user could mail any address again and again with an invitation.
            email = normalize_email(form.cleaned_data["email"])
            refusal = rate_limits_hit([("invitation:sender", str(user.pk)), ("invitation:email", email)])
            if refusal is not None:
                context = _users_context(company, form)
                return rate_limited_render(request, "companies/company/users.html", context, refusal)
            invitation_create(company=company, invited_by=user, **form.cleaned_data)
            messages.success(
                request, _("%(email)s に招待メールをお送りしました。") % {"email": form.cleaned_data["email"]}
            )
            return redirect("companies:users")
    return render(request, "companies/company/users.html", _users_context(company, form))


def _users_context(company: Company, form: InviteForm) -> dict[str, Any]:
    return {
        "company": company,
        "form": form,
        "members": company.users.order_by("date_joined"),
        "invitations": company.invitations.filter(accepted_at__isnull=True),
    }


@company_manager_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, company: Company) -> HttpResponse:
    form = CompanyForm(request.POST if request.method == "POST" else None, instance=company)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("企業情報を更新しました。"))
        return redirect("companies:settings")
    return render(request, "companies/company/settings.html", {"company": company, "form": form})


@company_required
@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest, company: Company) -> HttpResponse:
    """The credit terms sheet: the current version, its history and who confirmed each; POST confirms it."""
    status = terms_status(company)
    user = request_user(request)
    if request.method == "POST":
        sheet_id = request.POST.get("sheet", "")
        sheet = get_object_or_404(TermsSheet, contract__company=company, pk=int(sheet_id) if sheet_id.isdigit() else 0)
        try:
            terms_acknowledge(sheet=sheet, user=user, ip=client_ip(request))
        except TermsRefused as refused:
            messages.error(request, str(refused))
        else:
            confirmed = _("契約条件書(第%(version)s版)の内容を確認しました。") % {"version": sheet.version}
            messages.success(request, confirmed)
        return redirect("companies:terms")
    acknowledged = any(ack.user_id == user.pk for ack in status.acknowledgements)
    return render(
        request,
        "companies/company/terms.html",
        {"company": company, "status": status, "user_acknowledged": acknowledged},
    )


@company_required
def terms_pdf(request: HttpRequest, company: Company, version: int) -> HttpResponse:
    sheet = get_object_or_404(TermsSheet, contract__company=company, version=version)
    return terms_sheet_response(sheet)
