from django.urls import path

from companies.views import company, ops

app_name = "companies"
urlpatterns = [
    path("", company.dashboard, name="dashboard"),
    path("referrals/", company.referral_list, name="referrals"),
    path("links/", company.link_list, name="links"),
    path("links/<int:pk>/", company.link_detail, name="link_detail"),
    path("links/<int:pk>/qr.<str:fmt>", company.link_qr, name="link_qr"),
    path("links/<int:pk>/toggle/", company.link_toggle, name="link_toggle"),
    path("users/", company.users, name="users"),
    path("settings/", company.settings_edit, name="settings"),
    path("terms/", company.terms, name="terms"),
    path("terms/v<int:version>.pdf", company.terms_pdf, name="terms_pdf"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("", ops.company_list, name="companies"),
    path("companies/new/", ops.company_new, name="company_new"),
    path("companies/<int:pk>/", ops.company_detail, name="company_detail"),
    path("companies/<int:pk>/terms/v<int:version>.pdf", ops.company_terms_pdf, name="company_terms_pdf"),
]
