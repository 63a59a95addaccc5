from django.urls import path

from companies import ops as company_ops
from companies import views

app_name = "companies"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("referrals/", views.referral_list, name="referrals"),
    path("links/", views.link_list, name="links"),
    path("links/<int:pk>/", views.link_detail, name="link_detail"),
    path("links/<int:pk>/qr.<str:fmt>", views.link_qr, name="link_qr"),
    path("links/<int:pk>/toggle/", views.link_toggle, name="link_toggle"),
    path("users/", views.users, name="users"),
    path("settings/", views.settings_edit, name="settings"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("", company_ops.company_list, name="companies"),
    path("companies/new/", company_ops.company_new, name="company_new"),
    path("companies/<int:pk>/", company_ops.company_detail, name="company_detail"),
    path("audit/", company_ops.audit_log, name="audit"),
]
