from django.urls import path

from placements.views import company, me, ops

app_name = "placements"
urlpatterns = [
    path("", company.job_order_list, name="list"),
    path("new/", company.job_order_new, name="new"),
    path("<int:pk>/", company.job_order_detail, name="detail"),
    path("<int:pk>/edit/", company.job_order_edit, name="edit"),
    path("<int:pk>/status/", company.job_order_status, name="status"),
    path("<int:pk>/credit/", company.job_order_credit_reserve, name="credit_reserve"),
    path("<int:pk>/credit/release/", company.job_order_credit_release, name="credit_release"),
    path("placements/", company.placement_list, name="placements"),
    path("placements/<int:pk>/invoice.pdf", company.placement_invoice, name="placement_invoice"),
    path("placements/credit-notes/<int:pk>.pdf", company.placement_credit_note, name="placement_credit_note"),
    path("introductions/", company.introduction_list, name="introductions"),
    path("introductions/<int:pk>/", company.introduction_detail, name="introduction_detail"),
    path("introductions/<int:pk>/move/", company.introduction_move_view, name="introduction_move"),
    path("introductions/<int:pk>/comment/", company.introduction_comment_view, name="introduction_comment"),
    path("exclusions/", company.exclusions, name="exclusions"),
    path("exclusions/search/", company.exclusion_search, name="exclusion_search"),
    path("exclusions/<int:pk>/delete/", company.exclusion_delete, name="exclusion_delete"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("candidates/<int:pk>/matches/", ops.candidate_matches, name="candidate_matches"),
    path("jobs/", ops.job_order_list, name="job_orders"),
    path("jobs/new/", ops.job_order_new, name="job_order_new"),
    path("jobs/<int:pk>/", ops.job_order_edit, name="job_order_edit"),
    path("jobs/<int:pk>/status/", ops.job_order_status, name="job_order_status"),
    path("jobs/credit-queue/", ops.credit_queue, name="credit_queue"),
    path("jobs/credits/<int:pk>/release/", ops.credit_release_ops, name="credit_release"),
    path("placements/", ops.placement_list_ops, name="placements"),
    path("placements/new/", ops.placement_new, name="placement_new"),
    path("placements/<int:pk>/", ops.placement_detail, name="placement_detail"),
    path("placements/<int:pk>/invoice.pdf", ops.placement_invoice_ops, name="placement_invoice"),
    path("placements/credit-notes/<int:pk>.pdf", ops.placement_credit_note_ops, name="placement_credit_note"),
    path("jobs/<int:pk>/matches/", ops.job_matches, name="job_matches"),
    path("introductions/", ops.introduction_list, name="introductions"),
    path("introductions/new/", ops.introduction_new, name="introduction_new"),
    path("introductions/<int:pk>/", ops.introduction_detail, name="introduction_detail"),
    path("introductions/<int:pk>/move/", ops.introduction_move_view, name="introduction_move"),
    path("introductions/<int:pk>/comment/", ops.introduction_comment_view, name="introduction_comment"),
    path("introductions/<int:pk>/cancel/", ops.introduction_cancel_view, name="introduction_cancel"),
    path("requests/<int:pk>/decline/", ops.request_decline_view, name="request_decline"),
    path("pool/", ops.pool_review_list, name="pool_review_list"),
    path("pool/<int:pk>/", ops.pool_review, name="pool_review"),
    path("books/", ops.books_index, name="books"),
    path("books/job-orders/", ops.book_job_orders, name="book_job_orders"),
    path("books/job-seekers/", ops.book_job_seekers, name="book_job_seekers"),
    path("books/fees/", ops.book_fees, name="book_fees"),
    path("reports/annual/", ops.report_annual, name="report_annual"),
    path("reports/disclosure/", ops.report_disclosure, name="report_disclosure"),
    path("provisions/", ops.provision_list_ops, name="provisions"),
    path("provisions/export.csv", ops.provision_export_ops, name="provisions_csv"),
]

# The candidate's introductions on My Page, under /me/introductions/ (namespace "introductions_me").
me_urlpatterns = [
    path("", me.introduction_list, name="list"),
    path("<int:pk>/", me.introduction_detail, name="detail"),
    path("<int:pk>/accept/", me.introduction_accept_view, name="accept"),
    path("<int:pk>/decline/", me.introduction_decline_view, name="decline"),
    path("job-change/", me.job_change_request_view, name="job_change"),
]

# The anonymous talent pool for companies, under /company/pool/ (namespace "pool").
pool_urlpatterns = [
    path("", company.pool_list, name="list"),
    path("requests/", company.pool_requests, name="requests"),
    path("<str:token>/", company.pool_detail, name="detail"),
]

# The company's 確認記録 of what it received, under /company/provisions/ (namespace "provisions").
provision_urlpatterns = [
    path("", company.provision_list, name="list"),
    path("export.csv", company.provision_export, name="export"),
    path("<int:pk>/", company.provision_detail, name="detail"),
]
