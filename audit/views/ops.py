"""The operator's audit log (/ops/audit/)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import operator_required
from accounts.permissions import Permission
from audit.models import AuditEntry


@operator_required(Permission.AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("company")
    company_id = request.GET.get("company", "")
    if company_id.isdigit():
        entries = entries.filter(company_id=int(company_id))
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "audit/ops/log.html", {"page": page, "action": action, "company_id": company_id})
