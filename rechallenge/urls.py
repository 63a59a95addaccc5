from django.urls import path

from rechallenge import views

app_name = "rechallenge"
urlpatterns = [
    path("company/", views.company_overview, name="company"),
    path("company/invite/<int:referral_pk>/", views.company_invite, name="company_invite"),
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/jobs/<int:job_pk>/", views.reapply, name="reapply"),
]
