from django.urls import path

from candidates.views import me, ops

app_name = "candidates"
urlpatterns = [
    path("me/", me.mypage, name="mypage"),
    path("me/login/", me.login, name="login"),
    path("me/logout/", me.logout, name="logout"),
    path("me/verify/<str:token>/", me.verify, name="verify"),
    path("me/auth/<str:token>/", me.magic, name="magic"),
    path("me/profile/", me.profile_edit, name="profile_edit"),
    path("me/email/<str:token>/", me.email_confirm, name="email_confirm"),
    path("me/consents/", me.consents, name="consents"),
    path("me/data/", me.data_view, name="data"),
    path("me/data.json", me.data_download, name="data_download"),
    path("me/delete/", me.delete_account, name="delete"),
    path("me/resume/", me.resume_upload, name="resume_upload"),
    path("me/resume/delete/", me.resume_delete, name="resume_delete"),
    path("me/resume/download/", me.resume_download, name="resume_download"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("candidates/", ops.candidate_list, name="candidates"),
    path("candidates/<int:pk>/", ops.candidate_detail, name="candidate_detail"),
    path("candidates/<int:pk>/interview/", ops.candidate_interview, name="candidate_interview"),
    path("candidates/<int:pk>/status/", ops.candidate_status, name="candidate_status"),
    path("candidates/<int:pk>/advisor/", ops.candidate_advisor, name="candidate_advisor"),
    path("candidates/<int:pk>/notes/", ops.candidate_note, name="candidate_note"),
    path("candidates/<int:pk>/resume/", ops.candidate_resume_upload, name="candidate_resume"),
    path(
        "candidates/<int:pk>/resume/download/",
        ops.candidate_resume_download,
        name="candidate_resume_download",
    ),
    path("candidates/<int:pk>/resume/delete/", ops.candidate_resume_remove, name="candidate_resume_delete"),
    path("candidates/<int:pk>/interviews/", ops.candidate_interview_new, name="candidate_interview_new"),
    path(
        "candidates/<int:pk>/interviews/<int:interview_pk>/status/",
        ops.candidate_interview_status,
        name="candidate_interview_status",
    ),
]
