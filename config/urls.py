from django.urls import include, path

from candidates import ops as candidate_ops
from companies import ops as company_ops
from insights import ops as insights_ops
from insights.urls import survey_patterns
from integrations import views as integration_views
from integrations.api import api, api_not_found
from lib import views as lib_views
from mailings import views as mailing_views
from placements import ops as placement_ops
from placements import ops_introductions as introduction_ops
from placements import placement_views
from relay import ops as relay_ops

ops_patterns = (
    [
        path("", company_ops.company_list, name="companies"),
        path("companies/new/", company_ops.company_new, name="company_new"),
        path("companies/<int:pk>/", company_ops.company_detail, name="company_detail"),
        path("candidates/", candidate_ops.candidate_list, name="candidates"),
        path("candidates/<int:pk>/", candidate_ops.candidate_detail, name="candidate_detail"),
        path("candidates/<int:pk>/interview/", candidate_ops.candidate_interview, name="candidate_interview"),
        path("candidates/<int:pk>/status/", candidate_ops.candidate_status, name="candidate_status"),
        path("candidates/<int:pk>/advisor/", candidate_ops.candidate_advisor, name="candidate_advisor"),
        path("candidates/<int:pk>/notes/", candidate_ops.candidate_note, name="candidate_note"),
        path("candidates/<int:pk>/resume/", candidate_ops.candidate_resume_upload, name="candidate_resume"),
        path(
            "candidates/<int:pk>/resume/download/",
            candidate_ops.candidate_resume_download,
            name="candidate_resume_download",
        ),
        path(
            "candidates/<int:pk>/resume/delete/", candidate_ops.candidate_resume_remove, name="candidate_resume_delete"
        ),
        path("candidates/<int:pk>/interviews/", candidate_ops.candidate_interview_new, name="candidate_interview_new"),
        path(
            "candidates/<int:pk>/interviews/<int:interview_pk>/status/",
            candidate_ops.candidate_interview_status,
            name="candidate_interview_status",
        ),
        path("candidates/<int:pk>/matches/", introduction_ops.candidate_matches, name="candidate_matches"),
        path("referrals/", relay_ops.referral_list, name="referrals"),
        path("referrals/<int:pk>/invalidate/", relay_ops.referral_invalidate_view, name="referral_invalidate"),
        path("audit/", company_ops.audit_log, name="audit"),
        path("insights/", insights_ops.dashboard, name="insights"),
        path("insights/satisfaction/", insights_ops.satisfaction, name="insights_satisfaction"),
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
        path(
            "introductions/<int:pk>/comment/", introduction_ops.introduction_comment_view, name="introduction_comment"
        ),
        path("introductions/<int:pk>/cancel/", introduction_ops.introduction_cancel_view, name="introduction_cancel"),
        path("requests/<int:pk>/decline/", introduction_ops.request_decline_view, name="request_decline"),
    ],
    "ops",
)

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("relay.urls")),
    path("", include("candidates.urls")),
    path("", include(survey_patterns)),
    path("company/applicants/", include("applicants.urls")),
    path("company/mail/", include("mailings.urls")),
    path("company/integrations/", include("integrations.urls")),
    path("rechallenge/", include("rechallenge.urls")),
    path("company/insights/", include("insights.urls")),
    path("company/jobs/", include("placements.urls")),
    path("company/pool/", include("placements.urls_pool")),
    path("me/introductions/", include("placements.urls_me")),
    path("company/", include("companies.urls")),
    path("ops/", include(ops_patterns)),
    path("healthz", lib_views.healthz, name="healthz"),
    path("terms/", lib_views.terms, name="terms"),
    path("privacy/", lib_views.privacy, name="privacy"),
    path("unsubscribe/<str:token>/", mailing_views.unsubscribe, name="unsubscribe"),
    path("dev/mailbox/", mailing_views.mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:pk>/", mailing_views.mailbox_detail, name="dev_mailbox_detail"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("hooks/<str:kind>/<str:token>/", integration_views.webhook_receive, name="webhook_receive"),
    path("api/", api.urls),
    path("api/<path:rest>", api_not_found),
]
