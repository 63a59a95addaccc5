from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant


class DevMail(models.Model):
    """A message caught by the development mailbox (used only when EMAIL_URL is not set)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=300)
    to = models.TextField()
    subject = models.CharField(max_length=500)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("開発用メールボックス")

    def __str__(self) -> str:
        return self.subject


class MailSettings(models.Model):
    """How a company's rejection emails are signed and sent (sender name, reply-to, signature)."""

    company = models.OneToOneField("companies.Company", on_delete=models.CASCADE, related_name="mail_settings")
    sender_name = models.CharField(
        _("差出人名"), max_length=100, blank=True, help_text=_("例: 株式会社テスト商事 採用担当")
    )
    reply_to = models.EmailField(_("返信先メールアドレス"), blank=True)
    signature = models.TextField(_("署名"), blank=True, max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("メール送信設定")

    def __str__(self) -> str:
        return f"{self.company_id} mail settings"


class RejectionTemplate(models.Model):
    """A rejection email a company edits; every save is a new TemplateVersion, and sends name the version."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="rejection_templates")
    name = models.CharField(_("テンプレート名"), max_length=100)
    stage = models.CharField(_("選考段階"), max_length=20, choices=Applicant.Stage.choices)
    track = models.CharField(_("採用区分"), max_length=20, choices=Applicant.Track.choices)
    is_active = models.BooleanField(_("利用中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "track", "name", "id"]
        verbose_name = _("不採用通知テンプレート")
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="rejection_template_name_unique_per_company")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> "TemplateVersion | None":
        return self.versions.order_by("-number").first()


class TemplateVersion(models.Model):
    """One saved text of a template; never edited, so an email can always show exactly what was sent."""

    template = models.ForeignKey(RejectionTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"), max_length=10000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("テンプレートの版")
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="template_version_unique")]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class AutoSendRule(models.Model):
    """What happens when an ATS reports a rejection: which template, how many business days later, at what time."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="auto_send_rules")
    stage = models.CharField(
        _("選考段階"), max_length=20, choices=Applicant.Stage.choices, blank=True, help_text=_("空欄はすべての段階")
    )
    track = models.CharField(
        _("採用区分"), max_length=20, choices=Applicant.Track.choices, blank=True, help_text=_("空欄はすべての区分")
    )
    template = models.ForeignKey(RejectionTemplate, on_delete=models.PROTECT, related_name="+")
    business_days_after = models.PositiveSmallIntegerField(
        _("不採用から何営業日後に送るか"), default=3, validators=[MaxValueValidator(30)]
    )
    send_time = models.TimeField(_("送信時刻"), default=time(10, 0))
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stage", "track", "id"]
        verbose_name = _("自動送信ルール")

    def __str__(self) -> str:
        return f"{self.company_id} {self.stage or '*'} {self.track or '*'} → {self.template_id}"


class OutboundEmail(models.Model):
    """The outbox: one row per email the platform sends for a company, rendered when it is queued.

    The task worker claims due rows (status SENDING) before talking to SMTP and marks them SENT after, so a
    row is handed to SMTP at most once (DESIGN.md §3 rule 12 and issue "Rejection emails that send themselves").
    """

    class Kind(models.TextChoices):
        REJECTION = "rejection", _("不採用通知")
        RECHALLENGE = "rechallenge", _("再チャレンジのご案内")

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗")
        CANCELLED = "cancelled", _("取り消し")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="outbound_emails")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    # Promotional mail (特定電子メール) carries the sender's identity, an unsubscribe link and List-Unsubscribe.
    is_promotional = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    applicant = models.ForeignKey(Applicant, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_emails"
    )
    template_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to_email = models.EmailField(_("宛先"))
    from_name = models.CharField(_("差出人名"), max_length=100, blank=True)
    reply_to = models.EmailField(_("返信先"), blank=True)
    subject = models.CharField(_("件名"), max_length=300)
    body = models.TextField(_("本文"))
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(_("送信予定日時"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("送信試行回数"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("エラー内容"), blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True, db_index=True)
    failed_at = models.DateTimeField(_("失敗日時"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("クリック日時"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登録日時"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("送信メール")
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["company", "status"]),
            models.Index(fields=["company", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.status})"

    @property
    def progress(self) -> tuple[str, str]:
        """How far this email got, for lists: registered beats clicked beats the sending status."""
        if self.registered_at:
            return "registered", str(_("登録"))
        if self.clicked_at:
            return "clicked", str(_("クリック"))
        if self.status == self.Status.FAILED:
            return self.status, str(_("失敗"))
        return self.status, str(self.get_status_display())


class Suppression(models.Model):
    """An address that asked not to receive promotional mail: from one company, or (company empty) from all."""

    email_normalized = models.CharField(max_length=254)
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="suppressions"
    )
    reason = models.CharField(max_length=40, default="unsubscribe")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("配信停止")
        constraints = [
            models.UniqueConstraint(fields=["email_normalized", "company"], name="suppression_unique_per_company"),
            models.UniqueConstraint(
                fields=["email_normalized"], condition=models.Q(company__isnull=True), name="suppression_unique_global"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email_normalized} ({self.company_id or 'all'})"
