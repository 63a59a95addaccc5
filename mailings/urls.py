from django.urls import path

from mailings import template_views, views

app_name = "mailings"
urlpatterns: list = [
    path("templates/", template_views.template_list, name="templates"),
    path("templates/new/", template_views.template_create, name="template_create"),
    path("templates/preview/", template_views.template_preview, name="template_preview"),
    path("templates/<int:pk>/", template_views.template_detail, name="template_detail"),
    path("templates/<int:pk>/toggle/", template_views.template_toggle, name="template_toggle"),
    path("templates/<int:pk>/versions/", template_views.template_versions, name="template_versions"),
    path("templates/<int:pk>/versions/<int:number>/", template_views.template_version, name="template_version"),
    path(
        "templates/<int:pk>/versions/<int:number>/restore/",
        template_views.template_restore,
        name="template_restore",
    ),
    path("settings/", template_views.mail_settings, name="mail_settings"),
    path("rules/", template_views.rule_list, name="rules"),
    path("rules/explain/", template_views.rule_explain, name="rule_explain"),
    path("rules/<int:pk>/", template_views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", template_views.rule_delete, name="rule_delete"),
    path("send/", views.send, name="send"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.email_detail, name="email_detail"),
    path("outbox/<int:pk>/resend/", views.email_resend, name="email_resend"),
    path("outbox/<int:pk>/cancel/", views.email_cancel, name="email_cancel"),
    path("links.csv", views.links_csv, name="links_csv"),
]

# Outside /company/: the unsubscribe link in every promotional e-mail, and the development mailbox.
public_urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("dev/mailbox/", views.mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:pk>/", views.mailbox_detail, name="dev_mailbox_detail"),
]
