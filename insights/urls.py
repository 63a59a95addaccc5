from django.urls import path

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

# The candidate's side lives on My Page (/me/), in its own namespace.
survey_patterns = (
    [path("me/survey/", views.survey, name="answer")],
    "survey",
)
