from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import AcceptInvitationForm, LoginForm, ResetPasswordForm
from accounts.models import Invitation, User
from accounts.permissions import operator_home
from accounts.services import invitation_accept
from lib.jatext import normalize_email
from lib.ratelimit import client_ip, rate_limited_render, rate_limits_hit


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        if user.is_operator:
            return redirect(operator_home(user))
        if user.is_company_user:
            return redirect("companies:dashboard")
    return render(request, "home.html")


class LoginView(auth_views.LoginView):
    """django-axes locks a username on one IP after AXES_FAILURE_LIMIT failures; this also caps the attempts
    from one IP across usernames (a password spray), before any password is checked."""

    template_name = "accounts/public/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = rate_limits_hit([("sign_in:ip", client_ip(request))])
        if refusal is None:
            return super().post(request, *args, **kwargs)
        context = self.get_context_data(form=self.get_form())
        return rate_limited_render(request, str(self.template_name), context, refusal, input_kept=False)


logout = auth_views.LogoutView.as_view()


class PasswordResetView(auth_views.PasswordResetView):
    """At most a few reset mails an hour to one address, whoever asks, and a cap per IP; the same page and
    the same counting whether or not the address has an account."""

    def form_valid(self, form: Any) -> HttpResponse:
        refusal = rate_limits_hit(
            [
                ("password_reset:ip", client_ip(self.request)),
                ("password_reset:email", normalize_email(form.cleaned_data["email"])),
            ]
        )
        if refusal is None:
            return super().form_valid(form)
        context = self.get_context_data(form=form)
        return rate_limited_render(self.request, str(self.template_name), context, refusal)


password_reset = PasswordResetView.as_view(
    template_name="accounts/public/password_reset.html",
    form_class=ResetPasswordForm,
    extra_email_context={"site_url": settings.SITE_URL},
    email_template_name="accounts/password_reset_email.txt",
    subject_template_name="accounts/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/public/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/public/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/public/password_reset_complete.html"
)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = Invitation.objects.find_usable(token)
    if found is None:
        return render(request, "accounts/public/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST if request.method == "POST" else None, invitation=found)
    if request.method == "POST" and form.is_valid():
        user = invitation_accept(
            invitation=found, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
        )
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("ようこそ、%(name)s さん。キャリアリレーのご利用を開始しました。") % {"name": user.name}
        )
        return redirect("companies:dashboard")
    return render(request, "accounts/public/invitation.html", {"form": form, "invitation": found})
