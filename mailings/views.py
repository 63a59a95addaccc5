from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import company_manager_required, company_object_or_404, company_required, request_user
from applicants.models import Applicant, ApplicantImport
from companies.models import Company, RelayLink
from lib.jatext import nfkc
from mailings import sending
from mailings.dispatch import outbox_cancel, outbox_resend
from mailings.merge import render_merge
from mailings.models import DevMail, OutboundEmail
from mailings.outbox import default_link, merge_values
from mailings.sending import personal_links_csv, sending_plan
from mailings.sending_forms import OutboxFilterForm, SendForm
from mailings.unsubscribe import suppression_add, unsubscribe_read


def _enabled() -> None:
    if not settings.DEV_MAILBOX:
        raise Http404


def mailbox(request: HttpRequest) -> HttpResponse:
    _enabled()
    return render(request, "mailings/mailbox.html", {"mails": DevMail.objects.all()[:100]})


def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _enabled()
    return render(request, "mailings/mailbox_detail.html", {"mail": get_object_or_404(DevMail, pk=pk)})


@csrf_exempt  # RFC 8058 one-click unsubscribe is a POST from the mail client, which has no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Works without signing in. GET asks for confirmation (link scanners must not unsubscribe anyone); POST does it."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "mailings/unsubscribe_invalid.html", status=404)
    company = Company.objects.filter(pk=found.company_id).first() if found.company_id else None
    if found.company_id and company is None:
        return render(request, "mailings/unsubscribe_invalid.html", status=404)
    if request.method == "POST":
        suppression_add(email=found.email_normalized, company=company)
        return render(request, "mailings/unsubscribe_done.html", {"company": company})
    return render(request, "mailings/unsubscribe_confirm.html", {"company": company, "token": token})


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
        applicants = list(batch.applicants.filter(company=company).order_by("id"))
        return Chosen(applicants=applicants, requested=len(applicants), batch=batch, ids=[])
    ids = sorted({int(v) for v in data.getlist("applicant") if v.strip().isdigit() and len(v.strip()) < 19})
    applicants = sending.applicants_by_ids(company=company, ids=ids)
    return Chosen(applicants=applicants, requested=len(ids), batch=None, ids=ids)


SKIPPED_SHOWN = 200


@company_manager_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest, company: Company) -> HttpResponse:
    chosen = _chosen(request, company)
    plan = sending_plan(company=company, applicants=chosen.applicants, requested=chosen.requested)
    form = SendForm(request.POST if request.method == "POST" else None, company=company)
    preview = None
    if request.method == "POST" and plan.eligible and form.is_valid():
        version = form.version
        if version is None:
            form.add_error("template", _("このテンプレートには保存された本文がありません。"))
        elif request.POST.get("confirm") == "1":
            if len(plan.eligible) > sending.BACKGROUND_THRESHOLD:
                sending.rejection_emails_send_later(
                    company=company,
                    applicants=plan.eligible,
                    version=version,
                    link=form.cleaned_data["link"],
                    schedule=form.schedule,
                    actor=request_user(request),
                )
                messages.success(
                    request,
                    _("%(n)s 件のお祈りメールの送信予約を受け付けました。数分で送信状況に反映されます。")
                    % {"n": intcomma(len(plan.eligible))},
                )
            else:
                result = sending.rejection_emails_send(
                    company=company,
                    applicants=plan.eligible,
                    version=version,
                    link=form.cleaned_data["link"],
                    schedule=form.schedule,
                    actor=request_user(request),
                )
                messages.success(
                    request, _("%(n)s 件のお祈りメールを送信予約しました。") % {"n": intcomma(result.queued)}
                )
            return redirect("mailings:outbox")
        else:
            first = plan.eligible[0]
            values = merge_values(applicant=first, link=form.cleaned_data["link"])
            preview = {
                "applicant": first,
                "subject": render_merge(version.subject, values),
                "body": render_merge(version.body, values),
                "send_after": form.schedule.send_after_for(first, now=timezone.now()),
            }
    return render(
        request,
        "mailings/send.html",
        {
            "company": company,
            "chosen": chosen,
            "plan": plan,
            "skipped_shown": plan.skipped[:SKIPPED_SHOWN],
            "form": form,
            "preview": preview,
            "has_templates": form.fields["template"].queryset.exists(),  # type: ignore[attr-defined]
        },
    )


def _filtered_outbox(company: Company, form: OutboxFilterForm) -> QuerySet[OutboundEmail]:
    emails = OutboundEmail.objects.filter(company=company).select_related("applicant")
    if not form.is_valid():
        return emails
    status, kind, query = form.cleaned_data["status"], form.cleaned_data["kind"], form.cleaned_data["q"]
    if status == "clicked":
        emails = emails.filter(clicked_at__isnull=False, registered_at__isnull=True)
    elif status == "registered":
        emails = emails.filter(registered_at__isnull=False)
    elif status:
        emails = emails.filter(status=status)
    if kind:
        emails = emails.filter(kind=kind)
    for word in nfkc(query).split():
        emails = emails.filter(
            Q(to_email__icontains=word)
            | Q(subject__icontains=word)
            | Q(applicant__name__icontains=word)
            | Q(applicant__external_id__icontains=word)
        )
    return emails


@company_required
def outbox(request: HttpRequest, company: Company) -> HttpResponse:
    form = OutboxFilterForm(request.GET)
    emails = _filtered_outbox(company, form)
    page = Paginator(emails, 50).get_page(request.GET.get("page"))
    counts = dict(
        OutboundEmail.objects.filter(company=company).values_list("status").annotate(n=Count("id")).order_by()
    )
    return render(request, "mailings/outbox.html", {"company": company, "form": form, "page": page, "counts": counts})


@company_required
def email_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    email = company_object_or_404(company, OutboundEmail, pk=pk)
    return render(request, "mailings/email_detail.html", {"company": company, "email": email})


@company_manager_required
@require_POST
def email_resend(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    email = company_object_or_404(company, OutboundEmail, pk=pk)
    if outbox_resend(email=email, actor=request_user(request)):
        messages.success(request, _("再送を受け付けました。まもなく送信されます。"))
    else:
        messages.error(request, _("このメールは失敗の状態ではないため、再送できません。"))
    return redirect("mailings:email_detail", pk=email.pk)


@company_manager_required
@require_POST
def email_cancel(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    email = company_object_or_404(company, OutboundEmail, pk=pk)
    if outbox_cancel(email=email, actor=request_user(request)):
        messages.success(request, _("送信を取り消しました。"))
    else:
        messages.error(request, _("このメールはすでに送信処理に入っているため、取り消せません。"))
    return redirect("mailings:email_detail", pk=email.pk)


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
    content = personal_links_csv(applicants=chosen.applicants, link=link, encoding=encoding)
    response = HttpResponse(
        content, content_type=f"text/csv; charset={'Shift_JIS' if encoding == 'cp932' else 'utf-8'}"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="personal-links-{stamp}.csv"'
    return response
