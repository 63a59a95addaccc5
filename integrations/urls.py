from django.urls import URLPattern, URLResolver, path

from integrations.api import api, api_not_found
from integrations.views import company, public

app_name = "integrations"
urlpatterns = [
    path("", company.integration_list, name="list"),
    path("new/", company.integration_new, name="new"),
    path("<int:pk>/", company.integration_detail, name="detail"),
    path("<int:pk>/secret/", company.integration_secret, name="secret"),
    path("<int:pk>/lever/", company.integration_lever, name="lever"),
    path("<int:pk>/herp/", company.integration_herp, name="herp"),
    path("<int:pk>/herp/pull/", company.integration_herp_pull, name="herp_pull"),
    path("<int:pk>/toggle/", company.integration_toggle, name="toggle"),
    path("<int:pk>/events/<int:event_pk>/retry/", company.webhook_event_retry_view, name="event_retry"),
    path("api-keys/", company.api_key_list, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", company.api_key_revoke_view, name="api_key_revoke"),
]

# Outside /company/: the ATS webhook endpoints and the REST API, which authenticate by token or key.
public_urlpatterns: list[URLPattern | URLResolver] = [
    path("hooks/<str:kind>/<str:token>/", public.webhook_receive, name="webhook_receive"),
    path("api/", api.urls),
    path("api/<path:rest>", api_not_found),
]
