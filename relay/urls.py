from django.urls import path

from relay.views import ops, public

app_name = "relay"
urlpatterns = [
    path("r/<slug:code>", public.landing, name="landing"),
    path("r/<slug:code>/thanks", public.thanks, name="thanks"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("referrals/", ops.referral_list, name="referrals"),
    path("referrals/review/", ops.referral_review, name="referral_review"),
    path("referrals/<int:pk>/invalidate/", ops.referral_invalidate_view, name="referral_invalidate"),
]
