"""The operator console's staff page (/ops/staff/): who works in the console and in which role. Admins only."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_required, request_user
from accounts.forms import OperatorUpdateForm
from accounts.models import User
from accounts.permissions import PERMISSION_LABELS, ROLE_PERMISSIONS, Permission
from accounts.services import StaffChangeRefused, operator_update


def _staff_page(
    request: HttpRequest, *, status: int = 200, failed: tuple[int, OperatorUpdateForm] | None = None
) -> HttpResponse:
    staff = User.objects.exclude(operator_role="").order_by("-is_active", "operator_role", "name", "pk")
    rows = [
        (
            person,
            failed[1]
            if failed and failed[0] == person.pk
            else OperatorUpdateForm(
                initial={"operator_role": person.operator_role, "is_active": person.is_active},
                auto_id=f"id_{person.pk}_%s",
            ),
        )
        for person in staff
    ]
    permissions = [
        (PERMISSION_LABELS[permission], [role in ROLE_PERMISSIONS[permission] for role in User.OperatorRole])
        for permission in Permission
    ]
    return render(
        request,
        "accounts/ops/staff.html",
        {"rows": rows, "roles": User.OperatorRole.choices, "permissions": permissions, "me": request_user(request)},
        status=status,
    )


@operator_required(Permission.STAFF)
def staff_list(request: HttpRequest) -> HttpResponse:
    return _staff_page(request)


@operator_required(Permission.STAFF)
@require_POST
def staff_update(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User.objects.exclude(operator_role=""), pk=pk)
    form = OperatorUpdateForm(request.POST, auto_id=f"id_{person.pk}_%s")
    if form.is_valid():
        try:
            operator_update(
                user=person,
                role=form.cleaned_data["operator_role"],
                is_active=form.cleaned_data["is_active"],
                actor=request_user(request),
            )
        except StaffChangeRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("%(name)s さんの設定を保存しました。") % {"name": person.display_name})
            return redirect("ops:staff")
    return _staff_page(request, status=400, failed=(person.pk, form))
