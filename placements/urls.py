from django.urls import path

from placements import views

app_name = "placements"
urlpatterns = [
    path("", views.job_order_list, name="list"),
    path("new/", views.job_order_new, name="new"),
    path("<int:pk>/", views.job_order_detail, name="detail"),
    path("<int:pk>/edit/", views.job_order_edit, name="edit"),
    path("<int:pk>/status/", views.job_order_status, name="status"),
]
