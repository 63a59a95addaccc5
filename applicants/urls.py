from django.urls import path

from applicants import views

app_name = "applicants"
urlpatterns = [
    path("", views.applicant_list, name="list"),
    path("new/", views.applicant_add, name="add"),
    path("<int:pk>/", views.applicant_detail, name="detail"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/start/", views.import_start, name="import_start"),
    path("imports/<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("imports/presets/", views.preset_list, name="presets"),
    path("imports/presets/<int:pk>/", views.preset_edit, name="preset_edit"),
    path("imports/presets/<int:pk>/delete/", views.preset_delete, name="preset_delete"),
]
