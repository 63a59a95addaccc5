from django.urls import path

from placements import views_pool

app_name = "pool"
urlpatterns = [
    path("", views_pool.pool_list, name="list"),
    path("requests/", views_pool.pool_requests, name="requests"),
    path("<str:token>/", views_pool.pool_detail, name="detail"),
]
