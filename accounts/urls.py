from django.urls import path

from accounts.views import public

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
