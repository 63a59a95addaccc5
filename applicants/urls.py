from django.urls import path

from applicants.views import company

app_name = "applicants"
urlpatterns = [
    path("", company.applicant_list, name="list"),
    path("new/", company.applicant_add, name="add"),
    path("<int:pk>/", company.applicant_detail, name="detail"),
    path("imports/", company.import_list, name="imports"),
    path("imports/<int:pk>/", company.import_detail, name="import_detail"),
    path("imports/<int:pk>/start/", company.import_start, name="import_start"),
    path("imports/<int:pk>/resume/", company.import_resume, name="import_resume"),
    path("imports/<int:pk>/discard/", company.import_discard, name="import_discard"),
    path("imports/presets/", company.preset_list, name="presets"),
    path("imports/presets/<int:pk>/", company.preset_edit, name="preset_edit"),
    path("imports/presets/<int:pk>/delete/", company.preset_delete, name="preset_delete"),
    path("reasons/", company.reason_list, name="reasons"),
    path("reasons/<int:pk>/", company.reason_edit, name="reason_edit"),
    path("reasons/<int:pk>/toggle/", company.reason_toggle, name="reason_toggle"),
    path("reasons/<int:pk>/delete/", company.reason_delete, name="reason_delete"),
    path("reasons/mappings/", company.mapping_list, name="mappings"),
    path("reasons/mappings/<int:pk>/", company.mapping_edit, name="mapping_edit"),
    path("reasons/mappings/<int:pk>/delete/", company.mapping_delete, name="mapping_delete"),
    path("review/", company.review, name="review"),
    path("retention/", company.retention, name="retention"),
    path("retention/delete/", company.retention_delete, name="retention_delete"),
]
