"""Candidate sign-in lives in the session, apart from staff and company users' Django auth."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from candidates.models import Candidate

SESSION_KEY = "candidate_public_id"


def candidate_login(request: HttpRequest, candidate: Candidate) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(candidate.public_id)
    candidate.last_login_at = timezone.now()
    candidate.save(update_fields=["last_login_at"])


def candidate_logout(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_candidate(request: HttpRequest) -> Candidate | None:
    public_id = request.session.get(SESSION_KEY)
    if not public_id:
        return None
    return Candidate.objects.filter(public_id=public_id).first()


def candidate_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        candidate = current_candidate(request)
        if candidate is None:
            return redirect("candidates:login")
        return view(request, candidate, *args, **kwargs)

    return wrapper
