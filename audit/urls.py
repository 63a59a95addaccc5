from django.urls import path

from audit.views import ops

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("audit/", ops.audit_log, name="audit"),
]
