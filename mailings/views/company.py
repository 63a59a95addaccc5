"""The company's mail screens under /company/mail/: rejection templates, mail settings, auto-send rules,
sending rejection emails and the outbox (every e-mail sent for the company, transactional ones included)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from accounts.models import User
from applicants.models import Applicant, ApplicantImport
from companies.models import Company, RelayLink
from insights.selectors.registrations import MIN_GROUP, registrations_by_template
from mailings.forms import (
    AutoSendRuleForm,
    MailSettingsForm,
    RejectionTemplateForm,
    RuleTimingForm,
    SendForm,
)
from mailings.identity import operator_identity_block
from mailings.library import LIBRARY, LIBRARY_BY_KEY
from mailings.merge import BODY_ONLY_FIELDS, merge_tokens, render_merge, template_text_errors
from mailings.models import AutoSendRule, OutboundEmail, RejectionTemplate, SendBatch, TemplateVersion
from mailings.selectors import rule_coverage, rule_example, rule_explanation, rule_rows, send_batches_recent
from mailings.services import sending
from mailings.services.outbox import (
    MAIL_SETTINGS_REQUIRED,
    default_link,
    mail_settings_for,
    mail_settings_missing,
    mail_settings_missing_fields,
    merge_values,
)
from mailings.services.sending import MailNotReady, personal_links_csv, sending_plan
from mailings.services.templates import (
    auto_send_rule_delete,
    auto_send_rule_save,
    library_entry_text,
    mail_settings_update,
    rejection_template_create,
    rejection_template_restore,
    rejection_template_set_active,
    rejection_template_update,
    rejection_templates_ensure_library,
    template_text_clean,
)
from mailings.views.outbox import email_action, email_detail_page, outbox_page

# The preview's applicant: realistic, and obviously nobody real. Its link carries this reference, which no
# applicant row ever has (real ones are "cr-" + 16 hex digits), so a click on a preview ties to nobody.
SAMPLE_REF = "cr-preview-sample"


def sample_values(company: Company, *, track: str = "") -> dict[str, str]:
    """What the merge fields become in the preview: a sample applicant, the company's real link and signature."""
    interview = timezone.localdate() - timedelta(days=5)
    try:
        link = default_link(company).personal_url(SAMPLE_REF)
    except RelayLink.DoesNotExist:
        link = _("(リレーリンクがまだありません。リレーリンクの画面で作成してください)")
    signature = mail_settings_for(company).signature
    return {
        "応募者名": "山田 花子",
        "応募職種": _("総合職") if track == Applicant.Track.NEW_GRADUATE else _("法人営業"),
        "企業名": company.name,
        "面接日": f"{interview.year}年{interview.month}月{interview.day}日",
        "リレーリンク": link,
        "署名": signature or _("(署名が未設定です。メール送信設定で登録してください)"),
    }


def _editor_context(company: Company, form: RejectionTemplateForm, **extra: object) -> dict[str, object]:
    subject, body = template_text_clean(subject=form["subject"].value() or "", body=form["body"].value() or "")
    return {
        "company": company,
        "form": form,
        "preview": _rendered(company, subject=subject, body=body, track=form["track"].value() or ""),
        "merge_tokens": merge_tokens(),
        "body_only_tokens": ["{{" + name + "}}" for name in BODY_ONLY_FIELDS],
        "signature_missing": not mail_settings_for(company).signature,
        **extra,
    }


def _ensure_library(company: Company, user: User) -> None:
    # Companies created before the library (or one of its stages) existed get it the first time anyone opens a
    # mail screen; cheap when nothing is missing.
    rejection_templates_ensure_library(company=company, actor=user)


@company_required
def template_list(request: HttpRequest, company: Company) -> HttpResponse:
    _ensure_library(company, request_user(request))
    templates = RejectionTemplate.objects.filter(company=company)
    stages, tracks = list(Applicant.Stage.values), list(Applicant.Track.values)
    ordered = sorted(
        templates.prefetch_related("versions"),
        key=lambda template: (stages.index(template.stage), tracks.index(template.track), template.name),
    )
    rows = [(template, max(template.versions.all(), key=lambda v: v.number, default=None)) for template in ordered]
    return render(
        request,
        "mailings/company/template_list.html",
        {"company": company, "rows": rows, "signature_missing": not mail_settings_for(company).signature},
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method == "POST":
        form = RejectionTemplateForm(request.POST, company=company)
        if form.is_valid():
            data = form.cleaned_data
            try:
                template = rejection_template_create(company=company, actor=request_user(request), **data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("テンプレート「%(name)s」を作成しました。") % {"name": template.name})
                return redirect("mailings:template_detail", pk=template.pk)
    else:
        entry = LIBRARY_BY_KEY.get(request.GET.get("library", ""))
        initial: dict[str, str] = {}
        if entry is not None:
            subject, body = library_entry_text(entry)
            initial = {"name": _("%(name)s(コピー)") % {"name": entry.name}, "stage": entry.stage, "track": entry.track}
            initial |= {"subject": subject, "body": body}
        form = RejectionTemplateForm(initial=initial, company=company)
    return render(
        request,
        "mailings/company/template_create.html",
        _editor_context(company, form, library=LIBRARY, chosen=request.GET.get("library", "")),
    )


@company_required
@require_http_methods(["GET", "POST"])
def template_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    template = company_object_or_404(company, RejectionTemplate, pk=pk)
    current = template.current_version
    user = request_user(request)
    if request.method == "POST":
        if not user.can_manage_company:
            raise Http404
        form = RejectionTemplateForm(request.POST, company=company, template=template)
        if form.is_valid():
            try:
                version = rejection_template_update(template=template, actor=user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if version is None and (template.name, template.stage, template.track) != (
                    form.cleaned_data["name"],
                    form.cleaned_data["stage"],
                    form.cleaned_data["track"],
                ):
                    messages.success(request, _("テンプレート名・選考段階・採用区分を保存しました。"))
                elif version is None:
                    messages.info(request, _("件名と本文に変更がないため、新しい版は作成していません。"))
                else:
                    messages.success(request, _("第%(number)s版として保存しました。") % {"number": version.number})
                return redirect("mailings:template_detail", pk=template.pk)
    else:
        initial = {"name": template.name, "stage": template.stage, "track": template.track}
        if current is not None:
            initial |= {"subject": current.subject, "body": current.body}
        form = RejectionTemplateForm(initial=initial, company=company, template=template)
    rules = AutoSendRule.objects.filter(company=company, template=template, is_active=True).count()
    return render(
        request,
        "mailings/company/template_detail.html",
        _editor_context(company, form, template=template, current=current, rules_using=rules),
    )


def _rendered(company: Company, *, subject: str, body: str, track: str) -> dict[str, object]:
    values = sample_values(company, track=track)
    return {
        "subject": render_merge(subject, values),
        "body": render_merge(body, values),
        # Added to every rejection mail when it is queued (mailings/identity.py): shown, never editable.
        "operator_identity": operator_identity_block(language=django_settings.LANGUAGE_CODE),
        "errors": [
            message for messages in template_text_errors(subject=subject, body=body).values() for message in messages
        ],
    }


@company_required
@require_POST
def template_preview(request: HttpRequest, company: Company) -> HttpResponse:
    """The editor posts what is typed (htmx, as the user types); the sample applicant's email comes back."""
    subject, body = template_text_clean(subject=request.POST.get("subject", ""), body=request.POST.get("body", ""))
    track = request.POST.get("track", "")
    return render(
        request,
        "mailings/company/_template_preview.html",
        {"preview": _rendered(company, subject=subject, body=body, track=track)},
    )


@company_manager_required
@require_POST
def template_toggle(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    template = company_object_or_404(company, RejectionTemplate, pk=pk)
    template = rejection_template_set_active(
        template=template, active=not template.is_active, actor=request_user(request)
    )
    if template.is_active:
        messages.success(request, _("テンプレート「%(name)s」を利用中にしました。") % {"name": template.name})
    else:
        messages.info(
            request,
            _("テンプレート「%(name)s」を停止しました。このテンプレートを使う自動送信ルールは適用されなくなります。")
            % {"name": template.name},
        )
    return redirect("mailings:template_detail", pk=template.pk)


@company_required
def template_versions(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    template = company_object_or_404(company, RejectionTemplate, pk=pk)
    versions = template.versions.select_related("created_by")
    return render(
        request,
        "mailings/company/template_versions.html",
        {"company": company, "template": template, "versions": versions, "current": template.current_version},
    )


def _version_or_404(company: Company, pk: int, number: int) -> TemplateVersion:
    template = company_object_or_404(company, RejectionTemplate, pk=pk)
    version = template.versions.filter(number=number).select_related("created_by").first()
    if version is None:
        raise Http404
    return version


@company_required
def template_version(request: HttpRequest, company: Company, pk: int, number: int) -> HttpResponse:
    version = _version_or_404(company, pk, number)
    template = version.template
    return render(
        request,
        "mailings/company/template_version.html",
        {
            "company": company,
            "template": template,
            "version": version,
            "current": template.current_version,
            "preview": _rendered(company, subject=version.subject, body=version.body, track=template.track),
        },
    )


@company_manager_required
@require_POST
def template_restore(request: HttpRequest, company: Company, pk: int, number: int) -> HttpResponse:
    version = _version_or_404(company, pk, number)
    current = version.template.current_version
    if current is not None and current.pk == version.pk:
        messages.info(request, _("第%(number)s版はすでに現在の版です。") % {"number": version.number})
        return redirect("mailings:template_detail", pk=pk)
    try:
        restored = rejection_template_restore(version=version, actor=request_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("mailings:template_version", pk=pk, number=number)
    messages.success(
        request,
        _("第%(old)s版の内容を第%(new)s版として復元しました。") % {"old": version.number, "new": restored.number},
    )
    return redirect("mailings:template_detail", pk=pk)


@company_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: HttpRequest, company: Company) -> HttpResponse:
    settings = mail_settings_for(company)
    initial = {"sender_name": settings.sender_name, "reply_to": settings.reply_to, "signature": settings.signature}
    form = MailSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not request_user(request).can_manage_company:
            raise Http404
        if form.is_valid():
            mail_settings_update(company=company, actor=request_user(request), **form.cleaned_data)
            messages.success(request, _("メール送信設定を保存しました。"))
            return redirect("mailings:mail_settings")
    return render(
        request,
        "mailings/company/mail_settings.html",
        {"company": company, "form": form, "settings": settings, "settings_missing": mail_settings_missing(company)},
    )


def _timing(form: AutoSendRuleForm) -> dict[str, object] | None:
    """The plain-words timing and the example date of what the rule form holds now; None while it is incomplete."""
    timing = RuleTimingForm(
        {"business_days_after": form["business_days_after"].value(), "send_time": form["send_time"].value()}
    )
    if not timing.is_valid():
        return None
    rule = AutoSendRule(**timing.cleaned_data)
    now = timezone.now()
    return {
        "explanation": rule_explanation(rule),
        "rejected_at": timezone.localtime(now),
        "sent_at": rule_example(rule, rejected_at=now),
    }


@company_required
@require_POST
def rule_explain(request: HttpRequest, company: Company) -> HttpResponse:
    """The rule form posts its timing (htmx, as the user types); the explanation and an example date come back."""
    form = AutoSendRuleForm(request.POST, company=company)
    return render(request, "mailings/company/_rule_explain.html", {"timing": _timing(form)})


@company_required
@require_http_methods(["GET", "POST"])
def rule_list(request: HttpRequest, company: Company) -> HttpResponse:
    _ensure_library(company, request_user(request))
    form = AutoSendRuleForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST":
        if not request_user(request).can_manage_company:
            raise Http404
        rule = _rule_saved(form, company=company, actor=request_user(request))
        if rule is not None:
            messages.success(
                request, _("自動送信ルールを追加しました。%(explanation)s。") % {"explanation": rule_explanation(rule)}
            )
            return redirect("mailings:rules")
    return render(
        request,
        "mailings/company/rule_list.html",
        {
            "company": company,
            "form": form,
            "timing": _timing(form),
            "rows": rule_rows(company),
            "coverage": rule_coverage(company),
            "settings_missing": mail_settings_missing(company),
        },
    )


def _rule_saved(
    form: AutoSendRuleForm, *, company: Company, actor: User, rule: AutoSendRule | None = None
) -> AutoSendRule | None:
    """The saved rule, or None with the reason on the form (bad input, or mail not signed yet)."""
    if not form.is_valid():
        return None
    try:
        return auto_send_rule_save(company=company, rule=rule, actor=actor, **form.cleaned_data)
    except MailNotReady as error:
        form.add_error("is_active", str(error))
        return None


@company_manager_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    rule = company_object_or_404(company, AutoSendRule, pk=pk)
    form = AutoSendRuleForm(request.POST if request.method == "POST" else None, instance=rule, company=company)
    if request.method == "POST":
        saved = _rule_saved(form, company=company, actor=request_user(request), rule=rule)
        if saved is not None:
            messages.success(
                request, _("自動送信ルールを保存しました。%(explanation)s。") % {"explanation": rule_explanation(saved)}
            )
            return redirect("mailings:rules")
    return render(
        request,
        "mailings/company/rule_edit.html",
        {
            "company": company,
            "form": form,
            "rule": rule,
            "timing": _timing(form),
            "settings_missing": mail_settings_missing(company),
        },
    )


@company_manager_required
@require_POST
def rule_delete(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    rule = company_object_or_404(company, AutoSendRule, pk=pk)
    auto_send_rule_delete(rule=rule, actor=request_user(request))
    messages.info(request, _("自動送信ルールを削除しました。"))
    return redirect("mailings:rules")


# --- sending rejection emails (company screens) ----------------------------------------------------------------------


@dataclass
class Chosen:
    applicants: list[Applicant]
    requested: int
    batch: ApplicantImport | None
    ids: list[int]

    def query(self) -> str:
        if self.batch is not None:
            return urlencode({"import": self.batch.pk})
        return urlencode([("applicant", pk) for pk in self.ids])


def _chosen(request: HttpRequest, company: Company) -> Chosen:
    """Applicants from `?import=<id>` or repeated `applicant=<id>`; other companies' ids are simply not found."""
    data = request.POST if request.method == "POST" else request.GET
    import_id = data.get("import", "").strip()
    if import_id:
        if not import_id.isdigit():
            raise Http404
        batch = company_object_or_404(company, ApplicantImport, pk=int(import_id))
        applicants = list(batch.applicants.filter(company=company).select_related("reason").order_by("id"))
        return Chosen(applicants=applicants, requested=len(applicants), batch=batch, ids=[])
    ids = sorted({int(v) for v in data.getlist("applicant") if v.strip().isdigit() and len(v.strip()) < 19})
    applicants = sending.applicants_by_ids(company=company, ids=ids)
    return Chosen(applicants=applicants, requested=len(ids), batch=None, ids=ids)


SKIPPED_SHOWN = 200
NAMES_SHOWN = 100
PREVIEW_LINES = 8


@dataclass
class GroupPreview:
    """One template's recipients on the confirmation screen, with the mail one of them will get."""

    group: sending.TemplateGroup
    applicant: Applicant
    subject: str
    opening: str  # the first lines of the rendered body
    more_lines: bool
    send_after: datetime

    @property
    def names_shown(self) -> list[Applicant]:
        return self.group.applicants[:NAMES_SHOWN]

    @property
    def names_hidden(self) -> int:
        return max(len(self.group.applicants) - NAMES_SHOWN, 0)


def _group_previews(groups: list[sending.TemplateGroup], form: SendForm) -> list[GroupPreview]:
    now = timezone.now()
    previews = []
    for group in groups:
        first = group.applicants[0]
        values = merge_values(applicant=first, link=form.cleaned_data["link"])
        lines = render_merge(group.version.body, values).split("\n")
        previews.append(
            GroupPreview(
                group=group,
                applicant=first,
                subject=render_merge(group.version.subject, values),
                opening="\n".join(lines[:PREVIEW_LINES]),
                more_lines=len(lines) > PREVIEW_LINES,
                send_after=form.schedule.send_after_for(first, now=now),
            )
        )
    return previews


def _settings_saved(request: HttpRequest, company: Company, form: MailSettingsForm) -> bool:
    """The inline readiness form of the send screen: saves exactly the settings it asked for."""
    if not form.is_valid():
        return False
    current = mail_settings_for(company)
    values = {name: getattr(current, name) for name in MAIL_SETTINGS_REQUIRED} | form.cleaned_data
    mail_settings_update(company=company, actor=request_user(request), **values)
    messages.success(request, _("メール送信設定を保存しました。送信内容をご確認のうえ、送信してください。"))
    return True


def _sent(request: HttpRequest, company: Company, confirmed: list[sending.Assignment], form: SendForm) -> bool:
    """Queue (or hand to the worker) exactly the confirmed mails; False with a message when nothing may go."""
    link, schedule, actor = form.cleaned_data["link"], form.schedule, request_user(request)
    large = len(confirmed) > sending.BACKGROUND_THRESHOLD
    try:
        batch = sending.send_batch_create(
            company=company, assignments=confirmed, link=link, schedule=schedule, actor=actor, in_request=not large
        )
    except sending.MailNotReady as error:
        messages.error(request, str(error))
        return False
    if large:
        messages.success(
            request,
            _(
                "%(n)s 件のお祈りメールの送信予約を受け付けました。"
                "準備の進み具合は、この画面の上部でご確認いただけます。"
            )
            % {"n": intcomma(batch.total)},
        )
        return True
    batch = sending.send_batch_expand(batch_id=batch.pk)
    if batch.status == SendBatch.Status.FAILED:
        messages.error(request, batch.error)
        return False
    messages.success(request, _("%(n)s 件のお祈りメールを送信予約しました。") % {"n": intcomma(batch.queued_count)})
    if batch.left_out_count:
        messages.warning(
            request,
            _("確認後に送信できなくなった %(n)s 件(選考結果の取り消し・送信済みなど)は送っていません。")
            % {"n": intcomma(batch.left_out_count)},
        )
    return True


@company_manager_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest, company: Company) -> HttpResponse:
    """Choose the link and timing, confirm who gets which template (and who gets nothing, and why), then send.

    Each applicant's template comes from the company's rules and templates; the confirmation asks for any
    missing mail settings inline, and applicants dated in the future or over 90 days ago go only if ticked."""
    _ensure_library(company, request_user(request))
    chosen = _chosen(request, company)
    plan = sending_plan(company=company, applicants=chosen.applicants, requested=chosen.requested)
    posted = request.method == "POST"
    form = SendForm(request.POST if posted else None, company=company)
    missing = mail_settings_missing_fields(company)
    settings_form = MailSettingsForm(prefix="mail", only=missing)
    if posted and request.POST.get("step") == "settings" and missing:
        settings_form = MailSettingsForm(request.POST, prefix="mail", only=missing)
        if _settings_saved(request, company, settings_form):
            missing = mail_settings_missing_fields(company)
            settings_form = MailSettingsForm(prefix="mail", only=missing)
    dated_ids = {int(v) for v in request.POST.getlist("dated") if v.isdigit() and len(v) < 19} if posted else set()
    previews = None
    if posted and (plan.assignments or plan.dated) and form.is_valid():
        if request.POST.get("confirm") == "1":
            confirmed = plan.confirmed(dated_ids)
            if missing:
                messages.error(
                    request, _("メール送信設定が未設定のため、まだ送信していません。下の欄に入力してください。")
                )
            elif request.POST.get("plan") != plan.fingerprint():
                messages.warning(
                    request,
                    _(
                        "確認画面を表示した後に、送信する応募者または送るテンプレートが変わりました。まだ送信していません。内容をもう一度ご確認ください。"
                    ),
                )
            elif not confirmed:
                messages.error(
                    request,
                    _(
                        "送信する応募者がいません。不採用日の確認が必要な方に送る場合は、チェックを入れてから送信してください。"
                    ),
                )
            elif _sent(request, company, confirmed, form):
                return redirect("mailings:outbox")
        previews = _group_previews(plan.groups(), form)
    return render(
        request,
        "mailings/company/send.html",
        {
            "company": company,
            "chosen": chosen,
            "plan": plan,
            "groups": plan.groups(),
            "skipped_shown": plan.skipped[:SKIPPED_SHOWN],
            "form": form,
            "previews": previews,
            "dated_ids": dated_ids,
            "fingerprint": plan.fingerprint(),
            "settings_missing": missing,
            "settings_form": settings_form,
            "has_templates": RejectionTemplate.objects.filter(company=company, is_active=True).exists(),
        },
    )


@company_required
def outbox(request: HttpRequest, company: Company) -> HttpResponse:
    batches = send_batches_recent(company=company)
    pending = any(batch.status == SendBatch.Status.PENDING for batch in batches)
    # Registrations only in aggregate: the rows name 登録 just for people who consented (issue 11 point 6).
    return outbox_page(
        request,
        OutboundEmail.objects.filter(company=company),
        company=company,
        batches=batches,
        batches_pending=pending,
        by_template=registrations_by_template(company),
        min_group=MIN_GROUP,
    )


@company_required
def email_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return email_detail_page(request, company_object_or_404(company, OutboundEmail, pk=pk), company=company)


@company_manager_required
@require_POST
def email_resend(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    email = company_object_or_404(company, OutboundEmail, pk=pk)
    return email_action(request, email, action="resend", detail_url="mailings:email_detail")


@company_manager_required
@require_POST
def email_cancel(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    email = company_object_or_404(company, OutboundEmail, pk=pk)
    return email_action(request, email, action="cancel", detail_url="mailings:email_detail")


@company_required
def links_csv(request: HttpRequest, company: Company) -> HttpResponse:
    chosen = _chosen(request, company)
    link_id = request.GET.get("link", "").strip()
    if link_id:
        if not link_id.isdigit():
            raise Http404
        link = company_object_or_404(company, RelayLink, pk=int(link_id))
    else:
        try:
            link = default_link(company)
        except RelayLink.DoesNotExist:
            raise Http404 from None
    encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8"
    content = personal_links_csv(
        applicants=chosen.applicants, link=link, encoding=encoding, actor=request_user(request)
    )
    response = HttpResponse(
        content, content_type=f"text/csv; charset={'Shift_JIS' if encoding == 'cp932' else 'utf-8'}"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="personal-links-{stamp}.csv"'
    return response
