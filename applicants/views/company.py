from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    company_manager_required,
    company_object_or_404,
    company_owner_required,
    company_required,
    request_user,
)
from applicants.csvfile import CsvFileError
from applicants.forms import (
    ApplicantFilterForm,
    ApplicantForm,
    AtsMappingForm,
    HoldReleaseForm,
    ImportPresetForm,
    ImportUploadForm,
    RejectionReasonForm,
    RetentionDeleteForm,
)
from applicants.models import (
    IMPORT_FIELDS,
    RETENTION_REASONS,
    Applicant,
    ApplicantImport,
    AtsMapping,
    ImportPreset,
    RejectionReason,
)
from applicants.problems import issue_message, row_text
from applicants.selectors import (
    ats_mappings_for,
    held_applicants,
    held_count,
    reason_usage,
    rejection_reasons_for,
    unmapped_reason_texts,
    vocabulary_reading,
)
from applicants.services import (
    ReasonRefused,
    applicant_holds_release,
    applicant_import_discard,
    applicant_import_resume,
    applicant_import_start,
    applicant_import_upload,
    applicant_record,
    ats_mapping_delete,
    ats_mapping_save,
    import_preset_save,
    rejection_reason_create,
    rejection_reason_delete,
    rejection_reason_update,
)
from companies.models import Company, RelayLink
from mailings.models import OutboundEmail
from relay.entrusted import entrusted_applicants_chosen, entrusted_applicants_delete, retention_summary

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
    applicants = Applicant.objects.filter(company=company).company_visible()
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
    reason = data.get("reason") or ""
    if reason == ApplicantFilterForm.HELD:
        applicants = applicants.exclude(hold="").filter(closed_at__isnull=True, erased_at__isnull=True)
    elif reason == ApplicantFilterForm.CLOSED:
        applicants = applicants.filter(Q(closed_at__isnull=False) | Q(erased_at__isnull=False))
    elif reason.isdigit():
        applicants = applicants.filter(reason_id=int(reason))
    return applicants


@company_required
def applicant_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = ApplicantFilterForm(request.GET or None, company=company)
    applicants = filtered_applicants(company, form).select_related("import_batch", "reason")
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
    return render(
        request,
        "applicants/company/applicant_list.html",
        {"company": company, "form": form, "page": page, "held_count": held_count(company)},
    )


@company_required
def applicant_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    applicant = company_object_or_404(company, Applicant, pk=pk)
    if applicant.erased_at is not None and applicant.closed_reason in RETENTION_REASONS:
        raise Http404
    from mailings.services.outbox import applicant_personal_url

    try:
        personal_url = applicant_personal_url(applicant=applicant)
    except RelayLink.DoesNotExist:
        personal_url = ""
    emails = list(applicant.emails.select_related("template_version__template").order_by("-created_at"))
    rejection_sent = any(
        email.kind == OutboundEmail.Kind.REJECTION and email.status == OutboundEmail.Status.SENT for email in emails
    )
    return render(
        request,
        "applicants/company/applicant_detail.html",
        {
            "company": company,
            "applicant": applicant,
            "personal_url": personal_url,
            "emails": emails,
            # The company mailed the link itself: we cannot know whether it went, and whether the person then
            # registered stays theirs (never shown here).
            "link_exported": applicant.link_exported_at is not None and not rejection_sent,
            "mail_refusal": applicant.mail_refusal,
        },
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


# --- rejection reasons, ATS mappings and the 確認待ち review ----------------------------------------------------


def _reason_area(company: Company, tab: str) -> dict[str, object]:
    """What every page of the reasons area shows: its tabs, with how many applicants wait for review."""
    return {"company": company, "tab": tab, "held_count": held_count(company)}


@company_required
@require_http_methods(["GET", "POST"])
def reason_list(request: HttpRequest, company: Company) -> HttpResponse:
    user = request_user(request)
    form = RejectionReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not user.can_manage_company:
            raise Http404
        if form.is_valid():
            try:
                reason = rejection_reason_create(
                    company=company,
                    name=form.cleaned_data["name"],
                    sends_mail=form.cleaned_data["sends_mail"],
                    actor=user,
                )
            except ReasonRefused as error:
                form.add_error("name", str(error))
            else:
                messages.success(request, _("選考終了理由「%(name)s」を追加しました。") % {"name": reason.name})
                return redirect("applicants:reasons")
    usage = reason_usage(company)
    rows = [(reason, usage.get(reason.pk, 0)) for reason in rejection_reasons_for(company)]
    return render(
        request, "applicants/company/reason_list.html", _reason_area(company, "reasons") | {"form": form, "rows": rows}
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def reason_edit(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    reason = company_object_or_404(company, RejectionReason, pk=pk)
    form = RejectionReasonForm(
        request.POST if request.method == "POST" else None,
        initial={"name": reason.name, "sends_mail": reason.sends_mail},
    )
    if request.method == "POST" and form.is_valid():
        try:
            rejection_reason_update(
                reason=reason,
                name=form.cleaned_data["name"],
                sends_mail=form.cleaned_data["sends_mail"],
                actor=request_user(request),
            )
        except ReasonRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("選考終了理由「%(name)s」を保存しました。") % {"name": reason.name})
            return redirect("applicants:reasons")
    return render(
        request,
        "applicants/company/reason_edit.html",
        _reason_area(company, "reasons") | {"form": form, "reason": reason},
    )


@company_manager_required
@require_POST
def reason_toggle(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    reason = company_object_or_404(company, RejectionReason, pk=pk)
    try:
        rejection_reason_update(reason=reason, sends_mail=not reason.sends_mail, actor=request_user(request))
    except ReasonRefused as error:
        messages.error(request, str(error))
    else:
        if reason.sends_mail:
            messages.success(
                request, _("「%(name)s」の応募者にお祈りメールを送るようにしました。") % {"name": reason.name}
            )
        else:
            messages.info(request, _("「%(name)s」の応募者にはお祈りメールを送りません。") % {"name": reason.name})
    return redirect("applicants:reasons")


@company_manager_required
@require_POST
def reason_delete(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    reason = company_object_or_404(company, RejectionReason, pk=pk)
    name = reason.name
    try:
        rejection_reason_delete(reason=reason, actor=request_user(request))
    except ReasonRefused as error:
        messages.error(request, str(error))
    else:
        messages.info(request, _("選考終了理由「%(name)s」を削除しました。") % {"name": name})
    return redirect("applicants:reasons")


def _save_mapping(request: HttpRequest, company: Company, form: AtsMappingForm, mapping: AtsMapping | None) -> bool:
    data = form.cleaned_data
    try:
        saved = ats_mapping_save(
            company=company,
            kind=data["kind"],
            label=data["label"],
            stage=data["stage"],
            track=data["track"],
            reason_id=data["reason"].pk if data["reason"] else None,
            mapping=mapping,
            actor=request_user(request),
        )
    except ReasonRefused as error:
        form.add_error("label", str(error))
        return False
    messages.success(
        request,
        _("「%(label)s」を「%(target)s」として扱います。") % {"label": saved.label, "target": saved.target_label},
    )
    return True


@company_required
@require_http_methods(["GET", "POST"])
def mapping_list(request: HttpRequest, company: Company) -> HttpResponse:
    user = request_user(request)
    if request.method == "POST":
        if not user.can_manage_company:
            raise Http404
        form = AtsMappingForm(request.POST, company=company)
        if form.is_valid() and _save_mapping(request, company, form, None):
            return redirect("applicants:mappings")
    else:
        # Arriving from the review list with words to map: the form starts filled in.
        kind = request.GET.get("kind", "")
        initial = {"kind": kind if kind in AtsMapping.Kind.values else AtsMapping.Kind.REASON}
        if request.GET.get("label"):
            initial["label"] = request.GET["label"][:200]
        form = AtsMappingForm(initial=initial, company=company)
    trial_text = request.GET.get("try", "").strip()[:200]
    mappings = list(ats_mappings_for(company))
    groups = [
        (kind, label, [mapping for mapping in mappings if mapping.kind == kind])
        for kind, label in AtsMapping.Kind.choices
    ]
    return render(
        request,
        "applicants/company/mapping_list.html",
        _reason_area(company, "mappings")
        | {
            "form": form,
            "groups": groups,
            "trial_text": trial_text,
            "trial": vocabulary_reading(company, trial_text) if trial_text else None,
        },
    )


@company_manager_required
@require_http_methods(["GET", "POST"])
def mapping_edit(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    mapping = company_object_or_404(company, AtsMapping, pk=pk)
    form = AtsMappingForm(request.POST if request.method == "POST" else None, company=company, mapping=mapping)
    if request.method == "POST" and form.is_valid() and _save_mapping(request, company, form, mapping):
        return redirect("applicants:mappings")
    return render(
        request,
        "applicants/company/mapping_edit.html",
        _reason_area(company, "mappings") | {"form": form, "mapping": mapping},
    )


@company_manager_required
@require_POST
def mapping_delete(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    mapping = company_object_or_404(company, AtsMapping, pk=pk)
    label = mapping.label
    ats_mapping_delete(mapping=mapping, actor=request_user(request))
    messages.info(request, _("「%(label)s」の対応づけを削除しました。") % {"label": label})
    return redirect("applicants:mappings")


RELEASED_SHOWN = 200  # ids carried to the send screen after a review decision


def _ids(values: list[str]) -> list[int]:
    return sorted({int(value) for value in values if value.strip().isdigit() and len(value.strip()) < 19})


@company_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, company: Company) -> HttpResponse:
    """確認待ち: applicants whose rejection mail waits for the company to say why selection ended."""
    user = request_user(request)
    form = HoldReleaseForm(request.POST if request.method == "POST" else None, company=company)
    if request.method == "POST":
        if not user.can_manage_company:
            raise Http404
        ids = _ids(request.POST.getlist("applicant"))
        if not ids:
            messages.error(request, _("確定する応募者を選んでください。"))
        elif form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                result = applicant_holds_release(
                    company=company,
                    applicants=list(Applicant.objects.filter(company=company, pk__in=ids)),
                    reason_id=reason.pk,
                    remember=form.cleaned_data["remember"],
                    actor=user,
                )
            except ReasonRefused as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("%(n)s 名の選考終了理由を「%(reason)s」として確定しました。")
                    % {"n": len(result.released), "reason": reason.name},
                )
                if result.remembered:
                    messages.info(
                        request,
                        _("「%(words)s」は今後「%(reason)s」として扱います。")
                        % {"words": "」「".join(result.remembered), "reason": reason.name},
                    )
                query = "&".join(f"released={a.pk}" for a in result.released[:RELEASED_SHOWN])
                return redirect(f"{reverse('applicants:review')}?{query}")
        else:
            messages.error(request, _("確定する選考終了理由を選んでください。"))
    held = held_applicants(company).select_related("import_batch")
    page = Paginator(held, 100).get_page(request.GET.get("page"))
    released_ids = _ids(request.GET.getlist("released"))[:RELEASED_SHOWN]
    sendable = list(
        Applicant.objects.filter(
            company=company,
            pk__in=released_ids,
            hold="",
            reason__sends_mail=True,
            closed_at__isnull=True,
            erased_at__isnull=True,
            can_email=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    send_query = "&".join(f"applicant={pk}" for pk in sendable)
    return render(
        request,
        "applicants/company/review.html",
        _reason_area(company, "review")
        | {
            "form": form,
            "page": page,
            "reasons": rejection_reasons_for(company),
            "unmapped": unmapped_reason_texts(company),
            "sendable_count": len(sendable),
            "send_query": send_query,
            "unknown_reason": Applicant.Hold.UNKNOWN_REASON,
        },
    )


# --- data we hold for the company (委託, DESIGN.md rule 14) ---------------------------------------------------------


@company_required
def retention(request: HttpRequest, company: Company) -> HttpResponse:
    """What the agency holds for the company, and until when; owners may ask for an earlier deletion."""
    return render(
        request,
        "applicants/company/retention.html",
        {"company": company, "summary": retention_summary(company), "form": RetentionDeleteForm()},
    )


@company_owner_required
@require_POST
def retention_delete(request: HttpRequest, company: Company) -> HttpResponse:
    """Step 1 shows how many people the choice covers; step 2 (`confirm`) deletes them."""
    form = RetentionDeleteForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "applicants/company/retention.html",
            {"company": company, "summary": retention_summary(company), "form": form},
            status=400,
        )
    days, ids = form.cleaned_data["older_than_days"], form.cleaned_data["applicant"] or None
    if not form.cleaned_data["confirm"]:
        chosen = entrusted_applicants_chosen(company=company, older_than_days=days, applicant_ids=ids)
        return render(
            request,
            "applicants/company/retention_confirm.html",
            {"company": company, "days": days, "ids": ids or [], "count": chosen.count()},
        )
    removed = entrusted_applicants_delete(
        company=company, actor=request_user(request), older_than_days=days, applicant_ids=ids
    )
    messages.success(request, _("応募者 %(count)s 名のデータを削除しました。") % {"count": removed.total})
    return redirect("applicants:retention")
