from django.urls import path

from lib import views

# Pages that belong to no app: the load balancer's health check and the legal pages.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("terms/", views.terms, name="terms"),
    path("privacy/", views.privacy, name="privacy"),
]
