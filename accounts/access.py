"""The one place that decides who may see what. Anything a user may not see answers 404, never 403: another
company's rows, and an operator screen that the operator's role may not use (the roles' table is
`accounts/permissions.py`)."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.permissions import Permission, operator_may
from companies.models import Company

M = TypeVar("M", bound=models.Model)
View = Callable[..., HttpResponse]


def _signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def company_required(view: View) -> View:
    """Pass the signed-in user's company to the view; operators and strangers get 404 or the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = _signed_in_user(request)
        if user is None:
            return redirect_to_login(request.get_full_path())
        if not user.is_company_user or user.company is None:
            raise Http404
        return view(request, user.company, *args, **kwargs)

    return wrapper


def company_manager_required(view: View) -> View:
    @wraps(view)
    @company_required
    def wrapper(request: HttpRequest, company: Company, *args: Any, **kwargs: Any) -> HttpResponse:
        assert isinstance(request.user, User)
        if not request.user.can_manage_company:
            raise Http404
        return view(request, company, *args, **kwargs)

    return wrapper


def company_owner_required(view: View) -> View:
    """The company's owners only (e.g. deleting the data the agency holds for the company sooner): other users of
    the company get 404 like strangers."""

    @wraps(view)
    @company_required
    def wrapper(request: HttpRequest, company: Company, *args: Any, **kwargs: Any) -> HttpResponse:
        assert isinstance(request.user, User)
        if request.user.company_role != User.CompanyRole.OWNER:
            raise Http404
        return view(request, company, *args, **kwargs)

    return wrapper


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def operator_required(permission: Permission, *, write: Permission | None = None) -> Callable[[View], View]:
    """Let an operator whose role holds `permission` through; a POST (or any unsafe method) needs `write` when it
    is given. Anonymous users get the login page; company users and operators without the permission get 404.

        @operator_required(Permission.JOB_ORDERS)
        def job_order_list(request): ...

        @operator_required(Permission.COMPANIES_VIEW, write=Permission.COMPANIES_MANAGE)
        def company_detail(request, pk): ...  # an advisor may read it, only an admin may change it
    """
    if not isinstance(permission, Permission) or (write is not None and not isinstance(write, Permission)):
        raise TypeError(
            "operator_required needs a Permission from accounts.permissions: @operator_required(Permission.X)"
        )

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = _signed_in_user(request)
            if user is None:
                return redirect_to_login(request.get_full_path())
            needed = permission if write is None or request.method in SAFE_METHODS else write
            if not operator_may(user, needed):
                raise Http404
            return view(request, *args, **kwargs)

        wrapper.operator_permission = permission  # type: ignore[attr-defined]  # read by the role sweep test
        wrapper.operator_write_permission = write or permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def company_object_or_404(company: Company, model: type[M], **lookup: Any) -> M:
    """Fetch a row that belongs to the company, or 404: every company-owned lookup goes through here."""
    return get_object_or_404(model, company=company, **lookup)


def request_user(request: HttpRequest) -> User:
    """The signed-in staff or company user of a view that one of the decorators above already let through."""
    user = request.user
    assert isinstance(user, User)
    return user
