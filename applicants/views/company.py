from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from applicants.csvfile import CsvFileError
from applicants.forms import ApplicantFilterForm, ApplicantForm, ImportPresetForm, ImportUploadForm
from applicants.models import IMPORT_FIELDS, Applicant, ApplicantImport, ImportPreset
from applicants.problems import issue_message, row_text
from applicants.services import (
    applicant_import_discard,
    applicant_import_resume,
    applicant_import_start,
    applicant_import_upload,
    applicant_record,
    import_preset_save,
)
from companies.models import Company, RelayLink
from mailings.models import OutboundEmail

ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM付き)", "cp932": "Shift_JIS (CP932)"}
DELIMITER_LABELS = {",": "カンマ区切り", "\t": "タブ区切り", ";": "セミコロン区切り"}


# --- imports ------------------------------------------------------------------------------------------------------


@company_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest, company: Company) -> HttpResponse:
    user = request_user(request)
    form = ImportUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        company=company,
    )
    if request.method == "POST":
        if not user.can_manage_company:
            raise Http404
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = applicant_import_upload(
                    company=company,
                    filename=upload.name,
                    content=upload.read(),
                    preset=form.cleaned_data["preset"],
                    default_stage=form.cleaned_data["default_stage"],
                    default_track=form.cleaned_data["default_track"],
                    actor=user,
                )
            except CsvFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect("applicants:import_detail", pk=batch.pk)
    imports = ApplicantImport.objects.filter(company=company).select_related("created_by")
    page = Paginator(imports, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "applicants/company/import_list.html",
        {"company": company, "form": form, "page": page, "presets": ImportPreset.objects.filter(company=company)},
    )


@company_required
def import_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    batch = company_object_or_404(company, ApplicantImport, pk=pk)
    context = {
        "company": company,
        "batch": batch,
        "encoding_label": ENCODING_LABELS.get(batch.encoding, batch.encoding),
        "delimiter_label": DELIMITER_LABELS.get(batch.delimiter, batch.delimiter),
        "column_labels": _column_labels(batch),
    }
    if batch.status == ApplicantImport.Status.PREVIEW:
        context["preview_rows"] = [
            row | {"message": row_text(row["number"], row["problems"]) if row.get("problems") else ""}
            for row in batch.preview_rows
        ]
        return render(request, "applicants/company/import_preview.html", context)
    if getattr(request, "htmx", False):
        if batch.status == ApplicantImport.Status.RUNNING:
            return render(request, "applicants/company/_import_progress.html", context)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # finished: reload once to show the row report
        return response
    kind = request.GET.get("kind", "")
    issues = batch.issues.all()
    if kind in dict(batch.issues.model.Kind.choices):
        issues = issues.filter(kind=kind)
    issue_page = Paginator(issues, 100).get_page(request.GET.get("page"))
    context |= {
        "issues": issue_page,
        "issue_lines": [(issue, issue_message(issue)) for issue in issue_page],
        "kind": kind,
        "kinds": batch.issues.model.Kind.choices,
    }
    return render(request, "applicants/company/import_report.html", context)


def _column_labels(batch: ApplicantImport) -> list[tuple[str, str]]:
    return [(str(IMPORT_FIELDS[name]), header) for name, header in batch.columns.items() if name in IMPORT_FIELDS]


@company_manager_required
@require_POST
def import_start(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    batch = company_object_or_404(company, ApplicantImport, pk=pk)
    batch = applicant_import_start(batch=batch, actor=request_user(request))
    messages.success(request, _("取り込みを開始しました。件数が多い場合は数十秒ほどかかります。"))
    return redirect("applicants:import_detail", pk=batch.pk)


@company_manager_required
@require_POST
def import_resume(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    batch = company_object_or_404(company, ApplicantImport, pk=pk)
    if batch.can_resume:
        applicant_import_resume(batch=batch, actor=request_user(request))
        messages.success(request, _("中断したところから取り込みを再開しました。"))
    return redirect("applicants:import_detail", pk=batch.pk)


@company_manager_required
@require_POST
def import_discard(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    batch = company_object_or_404(company, ApplicantImport, pk=pk)
    if batch.status != ApplicantImport.Status.PREVIEW:
        messages.error(request, _("取り込みを開始したファイルは取り消せません。"))
        return redirect("applicants:import_detail", pk=batch.pk)
    applicant_import_discard(batch=batch, actor=request_user(request))
    messages.info(request, _("アップロードしたファイルを取り消しました。応募者は登録されていません。"))
    return redirect("applicants:imports")


# --- presets ------------------------------------------------------------------------------------------------------


@company_required
@require_http_methods(["GET", "POST"])
def preset_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = ImportPresetForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST":
        if not request_user(request).can_manage_company:
            raise Http404
        if form.is_valid():
            preset = import_preset_save(
                company=company, name=form.cleaned_data["name"], mapping=form.mapping(), actor=request_user(request)
            )
            messages.success(request, _("プリセット「%(name)s」を保存しました。") % {"name": preset.name})
            return redirect("applicants:presets")
    presets = ImportPreset.objects.filter(company=company)
    return render(
        request, "applicants/company/preset_list.html", {"company": company, "form": form, "presets": presets}
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def preset_edit(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    preset = company_object_or_404(company, ImportPreset, pk=pk)
    form = ImportPresetForm(request.POST if request.method == "POST" else None, company=company, preset=preset)
    if request.method == "POST" and form.is_valid():
        import_preset_save(
            company=company,
            name=form.cleaned_data["name"],
            mapping=form.mapping(),
            preset=preset,
            actor=request_user(request),
        )
        messages.success(request, _("プリセット「%(name)s」を保存しました。") % {"name": preset.name})
        return redirect("applicants:presets")
    return render(request, "applicants/company/preset_edit.html", {"company": company, "form": form, "preset": preset})


@company_manager_required
@require_POST
def preset_delete(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    preset = company_object_or_404(company, ImportPreset, pk=pk)
    name = preset.name
    preset.delete()
    messages.info(request, _("プリセット「%(name)s」を削除しました。") % {"name": name})
    return redirect("applicants:presets")


# --- applicants ---------------------------------------------------------------------------------------------------


def _rejection_emails(status: str | None = None) -> QuerySet[OutboundEmail]:
    emails = OutboundEmail.objects.filter(applicant=OuterRef("pk"), kind=OutboundEmail.Kind.REJECTION)
    return emails.filter(status=status) if status else emails


def filtered_applicants(company: Company, form: ApplicantFilterForm) -> QuerySet[Applicant]:
    applicants = Applicant.objects.filter(company=company)
    if not form.is_valid():
        return applicants
    data = form.cleaned_data
    if data["q"]:
        applicants = applicants.search(data["q"])
    if data["batch"]:
        applicants = applicants.filter(import_batch=data["batch"])
    if data["stage"]:
        applicants = applicants.filter(stage=data["stage"])
    if data["track"]:
        applicants = applicants.filter(track=data["track"])
    if data["mail"] == "sent":
        applicants = applicants.filter(Exists(_rejection_emails(OutboundEmail.Status.SENT)))
    elif data["mail"] == "queued":
        applicants = applicants.filter(
            Exists(_rejection_emails().filter(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING]))
        )
    elif data["mail"] == "none":
        applicants = applicants.exclude(Exists(_rejection_emails()))
    return applicants


@company_required
def applicant_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = ApplicantFilterForm(request.GET or None, company=company)
    applicants = filtered_applicants(company, form).select_related("import_batch")
    applicants = applicants.prefetch_related(
        Prefetch(
            "emails",
            queryset=OutboundEmail.objects.filter(kind=OutboundEmail.Kind.REJECTION).only(
                "pk", "applicant_id", "status", "sent_at", "send_after"
            ),
            to_attr="rejection_emails",
        )
    )
    page = Paginator(applicants, 50).get_page(request.GET.get("page"))
    return render(request, "applicants/company/applicant_list.html", {"company": company, "form": form, "page": page})


@company_required
def applicant_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    applicant = company_object_or_404(company, Applicant, pk=pk)
    from mailings.services.outbox import applicant_personal_url

    try:
        personal_url = applicant_personal_url(applicant=applicant)
    except RelayLink.DoesNotExist:
        personal_url = ""
    emails = applicant.emails.select_related("template_version__template").order_by("-created_at")
    return render(
        request,
        "applicants/company/applicant_detail.html",
        {"company": company, "applicant": applicant, "personal_url": personal_url, "emails": emails},
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def applicant_add(request: HttpRequest, company: Company) -> HttpResponse:
    form = ApplicantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rejected_on = data["rejected_on"]
        recorded = applicant_record(
            company=company,
            source=Applicant.Source.MANUAL,
            name=data["name"],
            name_kana=data["name_kana"],
            email=data["email"],
            position=data["position"],
            stage=data["stage"],
            track=data["track"],
            external_system="manual" if data["external_id"] else "",
            external_id=data["external_id"],
            interview_date=data["interview_date"],
            rejected_at=timezone.make_aware(datetime.combine(rejected_on, time(0))) if rejected_on else timezone.now(),
            actor=request_user(request),
        )
        if recorded.created:
            messages.success(request, _("%(name)s 様を登録しました。") % {"name": recorded.applicant.name})
        else:
            messages.info(request, _("同じ応募者がすでに登録されています。登録済みの内容を表示しています。"))
        return redirect("applicants:detail", pk=recorded.applicant.pk)
    return render(request, "applicants/company/applicant_add.html", {"company": company, "form": form})
