from django.urls import path

from placements import ops as placement_ops
from placements import ops_introductions as introduction_ops
from placements import placement_views, views, views_introductions, views_me, views_pool

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

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("candidates/<int:pk>/matches/", introduction_ops.candidate_matches, name="candidate_matches"),
    path("jobs/", placement_ops.job_order_list, name="job_orders"),
    path("jobs/new/", placement_ops.job_order_new, name="job_order_new"),
    path("jobs/<int:pk>/", placement_ops.job_order_edit, name="job_order_edit"),
    path("jobs/<int:pk>/status/", placement_ops.job_order_status, name="job_order_status"),
    path("jobs/credit-queue/", placement_views.credit_queue, name="credit_queue"),
    path("jobs/credits/<int:pk>/release/", placement_views.credit_release_ops, name="credit_release"),
    path("placements/", placement_views.placement_list_ops, name="placements"),
    path("placements/new/", placement_views.placement_new, name="placement_new"),
    path("placements/<int:pk>/", placement_views.placement_detail, name="placement_detail"),
    path("placements/<int:pk>/invoice.pdf", placement_views.placement_invoice_ops, name="placement_invoice"),
    path("jobs/<int:pk>/matches/", introduction_ops.job_matches, name="job_matches"),
    path("introductions/", introduction_ops.introduction_list, name="introductions"),
    path("introductions/new/", introduction_ops.introduction_new, name="introduction_new"),
    path("introductions/<int:pk>/", introduction_ops.introduction_detail, name="introduction_detail"),
    path("introductions/<int:pk>/move/", introduction_ops.introduction_move_view, name="introduction_move"),
    path("introductions/<int:pk>/comment/", introduction_ops.introduction_comment_view, name="introduction_comment"),
    path("introductions/<int:pk>/cancel/", introduction_ops.introduction_cancel_view, name="introduction_cancel"),
    path("requests/<int:pk>/decline/", introduction_ops.request_decline_view, name="request_decline"),
]

# The candidate's introductions on My Page, under /me/introductions/ (namespace "introductions_me").
me_urlpatterns = [
    path("", views_me.introduction_list, name="list"),
    path("<int:pk>/", views_me.introduction_detail, name="detail"),
    path("<int:pk>/accept/", views_me.introduction_accept_view, name="accept"),
    path("<int:pk>/decline/", views_me.introduction_decline_view, name="decline"),
]

# The anonymous talent pool for companies, under /company/pool/ (namespace "pool").
pool_urlpatterns = [
    path("", views_pool.pool_list, name="list"),
    path("requests/", views_pool.pool_requests, name="requests"),
    path("<str:token>/", views_pool.pool_detail, name="detail"),
]
