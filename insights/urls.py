from django.urls import path

from insights.views import company, me, ops

app_name = "insights"
urlpatterns = [
    path("", company.dashboard, name="dashboard"),
    path("export.csv", company.export_csv, name="export_csv"),
    path("costs/", company.costs, name="costs"),
    path("satisfaction/", company.satisfaction, name="satisfaction"),
    path("report/", company.report, name="report"),
    path("report.pdf", company.report_pdf, name="report_pdf"),
    path("report.csv", company.report_csv, name="report_csv"),
]

# The candidate's side lives on My Page (/me/survey/), in the "survey" namespace.
me_urlpatterns = [path("me/survey/", me.survey, name="answer")]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("insights/", ops.dashboard, name="insights"),
    path("insights/satisfaction/", ops.satisfaction, name="insights_satisfaction"),
]
