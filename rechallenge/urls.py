from django.urls import path

from rechallenge.views import company, public

app_name = "rechallenge"
urlpatterns = [
    path("company/", company.company_overview, name="company"),
    path("company/invite/<int:referral_pk>/", company.company_invite, name="company_invite"),
    path("<str:token>/", public.page, name="page"),
    path("<str:token>/jobs/<int:job_pk>/", public.reapply, name="reapply"),
]
