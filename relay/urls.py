from django.urls import path

from relay import ops as relay_ops
from relay import views

app_name = "relay"
urlpatterns = [
    path("r/<slug:code>", views.landing, name="landing"),
    path("r/<slug:code>/thanks", views.thanks, name="thanks"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("referrals/", relay_ops.referral_list, name="referrals"),
    path("referrals/<int:pk>/invalidate/", relay_ops.referral_invalidate_view, name="referral_invalidate"),
]
