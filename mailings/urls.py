from django.urls import path

from mailings import views

app_name = "mailings"
urlpatterns: list = [
    path("send/", views.send, name="send"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.email_detail, name="email_detail"),
    path("outbox/<int:pk>/resend/", views.email_resend, name="email_resend"),
    path("outbox/<int:pk>/cancel/", views.email_cancel, name="email_cancel"),
    path("links.csv", views.links_csv, name="links_csv"),
]
