from django.urls import path

from placements import placement_views, views

app_name = "placements"
urlpatterns = [
    path("", views.job_order_list, name="list"),
    path("new/", views.job_order_new, name="new"),
    path("<int:pk>/", views.job_order_detail, name="detail"),
    path("<int:pk>/edit/", views.job_order_edit, name="edit"),
    path("<int:pk>/status/", views.job_order_status, name="status"),
    path("<int:pk>/credit/", placement_views.job_order_credit_reserve, name="credit_reserve"),
    path("<int:pk>/credit/release/", placement_views.job_order_credit_release, name="credit_release"),
    path("placements/", placement_views.placement_list, name="placements"),
    path("placements/<int:pk>/invoice.pdf", placement_views.placement_invoice, name="placement_invoice"),
]
