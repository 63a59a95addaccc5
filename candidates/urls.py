from django.urls import path

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
