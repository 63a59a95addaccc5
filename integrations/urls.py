from django.urls import URLPattern, URLResolver, path

from integrations import views
from integrations.api import api, api_not_found

app_name = "integrations"
urlpatterns = [
    path("", views.integration_list, name="list"),
    path("new/", views.integration_new, name="new"),
    path("<int:pk>/", views.integration_detail, name="detail"),
    path("<int:pk>/secret/", views.integration_secret, name="secret"),
    path("<int:pk>/lever/", views.integration_lever, name="lever"),
    path("<int:pk>/toggle/", views.integration_toggle, name="toggle"),
    path("<int:pk>/events/<int:event_pk>/retry/", views.webhook_event_retry_view, name="event_retry"),
    path("api-keys/", views.api_key_list, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]

# Outside /company/: the ATS webhook endpoints and the REST API, which authenticate by token or key.
public_urlpatterns: list[URLPattern | URLResolver] = [
    path("hooks/<str:kind>/<str:token>/", views.webhook_receive, name="webhook_receive"),
    path("api/", api.urls),
    path("api/<path:rest>", api_not_found),
]
