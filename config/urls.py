"""The site's URL map: only includes. Each app's urls.py owns its routes, one list per audience."""

from django.urls import include, path

from accounts import urls as accounts_urls
from audit import urls as audit_urls
from candidates import urls as candidates_urls
from companies import urls as companies_urls
from insights import urls as insights_urls
from integrations import urls as integrations_urls
from lib import urls as lib_urls
from mailings import urls as mailings_urls
from placements import urls as placements_urls
from relay import urls as relay_urls

# Every operator screen, from every app, answers under /ops/ in one "ops" namespace.
ops_urlpatterns = [
    *companies_urls.ops_urlpatterns,
    *candidates_urls.ops_urlpatterns,
    *relay_urls.ops_urlpatterns,
    *audit_urls.ops_urlpatterns,
    *insights_urls.ops_urlpatterns,
    *placements_urls.ops_urlpatterns,
    *mailings_urls.ops_urlpatterns,
    *accounts_urls.ops_urlpatterns,
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("relay.urls")),
    path("", include("candidates.urls")),
    path("", include((insights_urls.me_urlpatterns, "survey"))),
    path("company/applicants/", include("applicants.urls")),
    path("company/mail/", include("mailings.urls")),
    path("company/integrations/", include("integrations.urls")),
    path("rechallenge/", include("rechallenge.urls")),
    path("company/insights/", include("insights.urls")),
    path("company/jobs/", include("placements.urls")),
    path("company/pool/", include((placements_urls.pool_urlpatterns, "pool"))),
    path("company/provisions/", include((placements_urls.provision_urlpatterns, "provisions"))),
    path("me/introductions/", include((placements_urls.me_urlpatterns, "introductions_me"))),
    path("company/", include("companies.urls")),
    path("ops/", include((ops_urlpatterns, "ops"))),
    path("", include(lib_urls)),
    path("", include(mailings_urls.public_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(integrations_urls.public_urlpatterns)),
]

# The Japanese 500 page, or the 503 page when the database or Redis is down (lib/views.py).
handler500 = "lib.views.server_error"
