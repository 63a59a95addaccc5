from django.urls import path

from relay import views

app_name = "relay"
urlpatterns = [
    path("r/<slug:code>", views.landing, name="landing"),
    path("r/<slug:code>/thanks", views.thanks, name="thanks"),
]
