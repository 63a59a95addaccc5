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


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        if user.is_operator:
            return redirect(operator_home(user))
        if user.is_company_user:
            return redirect("companies:dashboard")
    return render(request, "home.html")


class LoginView(auth_views.LoginView):
    template_name = "accounts/public/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


logout = auth_views.LogoutView.as_view()

password_reset = auth_views.PasswordResetView.as_view(
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
