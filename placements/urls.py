from django.urls import path

from placements import placement_views, views, views_introductions

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
    path("introductions/", views_introductions.introduction_list, name="introductions"),
    path("introductions/<int:pk>/", views_introductions.introduction_detail, name="introduction_detail"),
    path("introductions/<int:pk>/move/", views_introductions.introduction_move_view, name="introduction_move"),
    path("introductions/<int:pk>/comment/", views_introductions.introduction_comment_view, name="introduction_comment"),
    path("exclusions/", views_introductions.exclusions, name="exclusions"),
    path("exclusions/<int:pk>/delete/", views_introductions.exclusion_delete, name="exclusion_delete"),
]
