from django.urls import path

from insights import ops as insights_ops
from insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("costs/", views.costs, name="costs"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("report/", views.report, name="report"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("report.csv", views.report_csv, name="report_csv"),
]

# The candidate's side lives on My Page (/me/survey/), in the "survey" namespace.
me_urlpatterns = [path("me/survey/", views.survey, name="answer")]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("insights/", insights_ops.dashboard, name="insights"),
    path("insights/satisfaction/", insights_ops.satisfaction, name="insights_satisfaction"),
]
