from django.urls import path

from accounts.views import ops, public

app_name = "accounts"
urlpatterns = [
    path("", public.home, name="home"),
    path("accounts/login/", public.LoginView.as_view(), name="login"),
    path("accounts/logout/", public.logout, name="logout"),
    path("accounts/password-reset/", public.password_reset, name="password_reset"),
    path("accounts/password-reset/sent/", public.password_reset_done, name="password_reset_done"),
    path("accounts/password-reset/<uidb64>/<token>/", public.password_reset_confirm, name="password_reset_confirm"),
    path("accounts/password-reset/done/", public.password_reset_complete, name="password_reset_complete"),
    path("invite/<str:token>/", public.invitation, name="invitation"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("staff/", ops.staff_list, name="staff"),
    path("staff/<int:pk>/", ops.staff_update, name="staff_update"),
]
