from django.urls import URLPattern, path

from mailings.views import company, ops, public

app_name = "mailings"
urlpatterns: list[URLPattern] = [
    path("templates/", company.template_list, name="templates"),
    path("templates/new/", company.template_create, name="template_create"),
    path("templates/preview/", company.template_preview, name="template_preview"),
    path("templates/<int:pk>/", company.template_detail, name="template_detail"),
    path("templates/<int:pk>/toggle/", company.template_toggle, name="template_toggle"),
    path("templates/<int:pk>/versions/", company.template_versions, name="template_versions"),
    path("templates/<int:pk>/versions/<int:number>/", company.template_version, name="template_version"),
    path(
        "templates/<int:pk>/versions/<int:number>/restore/",
        company.template_restore,
        name="template_restore",
    ),
    path("settings/", company.mail_settings, name="mail_settings"),
    path("rules/", company.rule_list, name="rules"),
    path("rules/explain/", company.rule_explain, name="rule_explain"),
    path("rules/<int:pk>/", company.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", company.rule_delete, name="rule_delete"),
    path("send/", company.send, name="send"),
    path("outbox/", company.outbox, name="outbox"),
    path("outbox/<int:pk>/", company.email_detail, name="email_detail"),
    path("outbox/<int:pk>/resend/", company.email_resend, name="email_resend"),
    path("outbox/<int:pk>/cancel/", company.email_cancel, name="email_cancel"),
    path("links.csv", company.links_csv, name="links_csv"),
]

# Outside /company/: the unsubscribe link in every promotional e-mail, and the development mailbox.
public_urlpatterns = [
    path("unsubscribe/<str:token>/", public.unsubscribe, name="unsubscribe"),
    path("dev/mailbox/", public.mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:pk>/", public.mailbox_detail, name="dev_mailbox_detail"),
]

# Under /ops/, in the "ops" namespace that config/urls.py gives every app's operator routes.
ops_urlpatterns = [
    path("mail/", ops.outbox, name="outbox"),
    path("mail/<int:pk>/", ops.email_detail, name="outbox_email"),
    path("mail/<int:pk>/resend/", ops.email_resend, name="outbox_email_resend"),
    path("mail/<int:pk>/cancel/", ops.email_cancel, name="outbox_email_cancel"),
]
