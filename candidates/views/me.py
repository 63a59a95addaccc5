import json
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from candidates.forms import ConsentForm, DeleteAccountForm, EmailForm, ProfileForm, ResumeForm
from candidates.models import Candidate, Consent
from candidates.selectors import candidate_upcoming_interviews, consent_history
from candidates.services import (
    EmailChangeRefused,
    candidate_delete,
    candidate_email_change_confirm,
    candidate_export,
    candidate_resume_delete,
    candidate_resume_save,
    candidate_send_login_link,
    candidate_set_consents,
    candidate_update_profile,
    candidate_verify_email,
)
from candidates.session import candidate_login, candidate_logout, candidate_required
from candidates.tokens import candidate_token_open, candidate_token_read
from candidates.views.ops import resume_response
from insights.services import survey_status
from lib.jatext import normalize_email
from lib.ratelimit import client_ip, rate_limited_render, rate_limits_hit
from relay.models import Referral


def verify(request: HttpRequest, token: str) -> HttpResponse:
    opened = candidate_token_open(token, "verify")
    if opened is None:
        return render(request, "candidates/me/link_invalid.html", status=400)
    candidate = candidate_verify_email(candidate=opened.candidate, link_id=opened.link_id)
    candidate_login(request, candidate)
    messages.success(request, _("メールアドレスの確認が完了しました。ご登録ありがとうございます。"))
    survey = survey_status(candidate=candidate)
    if survey is not None and not survey.answered:
        messages.info(
            request,
            _("よろしければ、%(name)s の選考についての1分ほどのアンケート(任意・匿名)にもご協力ください。")
            % {"name": survey.company.name},
        )
    return redirect("candidates:mypage")


def magic(request: HttpRequest, token: str) -> HttpResponse:
    candidate = candidate_token_read(token, "login")
    if candidate is None:
        return render(request, "candidates/me/link_invalid.html", status=400)
    if candidate.email_verified_at is None:
        # Opening a link sent to the address proves it as well as the verification link does.
        candidate_verify_email(candidate=candidate)
    candidate_login(request, candidate)
    # Links in our own emails may land on a page of My Page (e.g. the survey); nothing outside it.
    target = request.GET.get("next", "")
    if target.startswith("/me/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("candidates:mypage")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Counted whether or not the address is registered, so the limit itself reveals nothing.
        refusal = rate_limits_hit(
            [("candidate_login:ip", client_ip(request)), ("candidate_login:email", form.cleaned_data["email"])]
        )
        if refusal is not None:
            return rate_limited_render(request, "candidates/me/login.html", {"form": form}, refusal)
        candidate = Candidate.objects.filter(email_normalized=form.cleaned_data["email"]).first()
        if candidate is not None:
            candidate_send_login_link(candidate=candidate)
        # The same answer whether or not the address is registered.
        return render(request, "candidates/me/login_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "candidates/me/login.html", {"form": form})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    candidate_logout(request)
    messages.info(request, _("ログアウトしました。"))
    return redirect("candidates:login")


def _mypage(request: HttpRequest, candidate: Candidate, resume_form: ResumeForm | None = None) -> HttpResponse:
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    return render(
        request,
        "candidates/me/mypage.html",
        {
            "candidate": candidate,
            "referral": referral,
            "consents": candidate.current_consents(),
            "survey": survey_status(candidate=candidate),
            "interviews": candidate_upcoming_interviews(candidate=candidate),
            "resume_form": resume_form or ResumeForm(),
        },
        status=200 if resume_form is None else 400,
    )


@candidate_required
def mypage(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    return _mypage(request, candidate)


@candidate_required
@require_POST
def resume_upload(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    form = ResumeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            candidate_resume_save(candidate=candidate, file=form.cleaned_data["file"], actor=None)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("履歴書をお預かりしました。担当アドバイザーが拝見いたします。"))
            return redirect("candidates:mypage")
    return _mypage(request, candidate, resume_form=form)


@candidate_required
@require_POST
def resume_delete(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    candidate_resume_delete(candidate=candidate, actor=None)
    messages.success(request, _("履歴書を削除しました。"))
    return redirect("candidates:mypage")


@candidate_required
def resume_download(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    return cast(HttpResponse, resume_response(candidate))


@candidate_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=candidate)
    if request.method == "POST" and form.is_valid():
        new_email = normalize_email(form.cleaned_data["email"])
        if new_email != candidate.email_normalized:
            # Each change mails the new address: a signed-in person must not turn it into a mail cannon.
            refusal = rate_limits_hit(
                [("email_change:candidate", str(candidate.pk)), ("email_change:email", new_email)]
            )
            if refusal is not None:
                context = {"form": form, "candidate": candidate}
                return rate_limited_render(request, "candidates/me/profile_edit.html", context, refusal)
        update = candidate_update_profile(candidate=candidate, profile=form.cleaned_data)
        messages.success(request, _("プロフィールを更新しました。"))
        if update.email_pending:
            messages.info(
                request,
                _(
                    "新しいメールアドレス(%(email)s)に確認用のリンクをお送りしました。リンクを開くまでは、"
                    "これまでのメールアドレス(%(current)s)が引き続きご登録のアドレスです。"
                )
                % {"email": update.email_pending, "current": update.candidate.email},
            )
        return redirect("candidates:mypage")
    return render(request, "candidates/me/profile_edit.html", {"form": form, "candidate": candidate})


def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to a new address: opening it makes that address the one we write to."""
    candidate = candidate_token_read(token, "email")
    if candidate is None or not candidate.pending_email:
        return render(request, "candidates/me/link_invalid.html", status=400)
    try:
        candidate = candidate_email_change_confirm(candidate=candidate)
    except EmailChangeRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("メールアドレスを %(email)s に変更しました。") % {"email": candidate.email})
    candidate_login(request, candidate)
    return redirect("candidates:mypage")


@candidate_required
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    form = ConsentForm(request.POST if request.method == "POST" else None, initial=candidate.current_consents())
    if request.method == "POST" and form.is_valid():
        changes = candidate_set_consents(candidate=candidate, wanted=form.cleaned_data)
        if changes:
            messages.success(request, _("同意の設定を更新しました。"))
        return redirect("candidates:mypage")
    history = consent_history(candidate, limit=50)
    return render(
        request,
        "candidates/me/consents.html",
        {"form": form, "candidate": candidate, "history": history, "kinds": dict(Consent.Kind.choices)},
    )


@candidate_required
def data_view(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    """Everything we hold about the person, readable: labels instead of codes, to read, print or save as PDF;
    the same as `data_download`'s JSON, which stays for machines."""
    export = candidate_export(candidate=candidate)
    context = {
        "candidate": candidate,
        "export": export,
        "consents": consent_history(candidate),
        # 第三者提供の記録, read through the relation (this app need not know placements).
        "provisions": candidate.provision_records.select_related("company").order_by("created_at", "id"),
        "interviews": candidate.interviews.order_by("starts_at", "id"),
    }
    return render(request, "candidates/me/data.html", context)


@candidate_required
def data_download(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    payload = json.dumps(candidate_export(candidate=candidate), ensure_ascii=False, indent=2)
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="career-relay-data-{stamp}.json"'
    return response


@candidate_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest, candidate: Candidate) -> HttpResponse:
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        candidate_delete(candidate=candidate)
        candidate_logout(request)
        return render(request, "candidates/me/deleted.html")
    return render(request, "candidates/me/delete.html", {"form": form, "candidate": candidate})
