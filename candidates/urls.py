from django.urls import path

from candidates import ops as candidate_ops
from candidates import views

app_name = "candidates"
urlpatterns = [
    path("me/", views.mypage, name="mypage"),
    path("me/login/", views.login, name="login"),
    path("me/logout/", views.logout, name="logout"),
    path("me/verify/<str:token>/", views.verify, name="verify"),
    path("me/auth/<str:token>/", views.magic, name="magic"),
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("me/consents/", views.consents, name="consents"),
    path("me/data.json", views.data_download, name="data_download"),
    path("me/delete/", views.delete_account, name="delete"),
    path("me/resume/", views.resume_upload, name="resume_upload"),
    path("me/resume/delete/", views.resume_delete, name="resume_delete"),
    path("me/resume/download/", views.resume_download, name="resume_download"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("candidates/", candidate_ops.candidate_list, name="candidates"),
    path("candidates/<int:pk>/", candidate_ops.candidate_detail, name="candidate_detail"),
    path("candidates/<int:pk>/interview/", candidate_ops.candidate_interview, name="candidate_interview"),
    path("candidates/<int:pk>/status/", candidate_ops.candidate_status, name="candidate_status"),
    path("candidates/<int:pk>/advisor/", candidate_ops.candidate_advisor, name="candidate_advisor"),
    path("candidates/<int:pk>/notes/", candidate_ops.candidate_note, name="candidate_note"),
    path("candidates/<int:pk>/resume/", candidate_ops.candidate_resume_upload, name="candidate_resume"),
    path(
        "candidates/<int:pk>/resume/download/",
        candidate_ops.candidate_resume_download,
        name="candidate_resume_download",
    ),
    path("candidates/<int:pk>/resume/delete/", candidate_ops.candidate_resume_remove, name="candidate_resume_delete"),
    path("candidates/<int:pk>/interviews/", candidate_ops.candidate_interview_new, name="candidate_interview_new"),
    path(
        "candidates/<int:pk>/interviews/<int:interview_pk>/status/",
        candidate_ops.candidate_interview_status,
        name="candidate_interview_status",
    ),
]
