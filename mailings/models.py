import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from lib.jatext import normalize_email
from mailings.links import placeholders_mask

if TYPE_CHECKING:
    from companies.models import Company


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
    reason = models.ForeignKey(
        "applicants.RejectionReason",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("選考終了理由"),
        help_text=_("空欄はお祈りメールを送るすべての理由"),
    )
    template = models.ForeignKey(RejectionTemplate, on_delete=models.PROTECT, related_name="+")
    business_days_after = models.PositiveSmallIntegerField(
        _("不採用から何営業日後に送るか"), default=3, validators=[MaxValueValidator(30)]
    )
    send_time = models.TimeField(_("送信時刻"), default=time(10, 0))
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stage", "track", "reason", "id"]
        verbose_name = _("自動送信ルール")

    def __str__(self) -> str:
        return f"{self.company_id} {self.stage or '*'} {self.track or '*'} → {self.template_id}"


class OutboundEmail(models.Model):
    """The outbox: one row per email the platform sends, rendered when it is queued (the one mail pipeline).

    The task worker claims due rows (status SENDING) before talking to SMTP and marks them SENT after, so a
    row is handed to SMTP at most once (DESIGN.md §3 rule 12 and issue "Rejection emails that send themselves").
    Rejection and re-challenge mail is written by a company; every other kind is transactional (a sign-in link,
    a notice) and is rendered from `mailings/email/<kind>.txt`. Transactional mail to a candidate who belongs
    to no company has no company.
    """

    class Kind(models.TextChoices):
        REJECTION = "rejection", _("不採用通知")
        RECHALLENGE = "rechallenge", _("再チャレンジのご案内")
        # Transactional kinds: the value is the name of the template under mailings/email/.
        CANDIDATE_VERIFY = "candidate_verify", _("メールアドレスの確認")
        CANDIDATE_LOGIN = "candidate_login", _("マイページへのログインリンク")
        CANDIDATE_ALREADY_REGISTERED = "candidate_already_registered", _("登録済みのお知らせ")
        COMPANY_INVITATION = "company_invitation", _("メンバーへのご招待")
        INTRODUCTION_PROPOSED = "introduction_proposed", _("企業のご紹介")
        INTRODUCTION_ACCEPTED = "introduction_accepted", _("ご紹介承諾のお知らせ")
        ADVISOR_INTERVIEW_SCHEDULED = "advisor_interview_scheduled", _("キャリア面談の日程のご案内")
        ADVISOR_INTERVIEW_CANCELLED = "advisor_interview_cancelled", _("キャリア面談の取り消し")
        SURVEY_INVITATION = "survey_invitation", _("アンケートのお願い")
        MONTHLY_REPORT = "monthly_report", _("月次レポート")
        RECHALLENGE_REAPPLICATION = "rechallenge_reapplication", _("再応募のお知らせ")

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗")
        CANCELLED = "cancelled", _("取り消し")

    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    kind = models.CharField(_("種類"), max_length=40, choices=Kind.choices)
    # Promotional mail (特定電子メール) carries the sender's identity, an unsubscribe link and List-Unsubscribe.
    is_promotional = models.BooleanField(default=False)
    # The body holds a sign-in link (a one-time login, verification or invitation token): only its owner may read
    # it, so every screen shows `shown_body`, never `body`. Decided when the row is written, never afterwards.
    is_secret = models.BooleanField(default=False)
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
    # How to make each link that acts for its reader, at delivery (mailings.links): maker names and ids only.
    # The body holds numbered placeholders where those links go, so no row ever stores a usable secret link.
    links = models.JSONField(default=list, blank=True)
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
    # The person consented to this company learning that they registered (Consent.Kind.SHARE_WITH_COMPANY).
    # Without it the company sees the registration only inside the aggregates (insights.selectors.registrations),
    # never on this row: its screens and the API read `company_registered_at`, never `registered_at`.
    registration_shared = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("送信メール")
        indexes = [
            # The dispatcher's claim (outbox_claim_next: status, then send_after and id in order) reads this index
            # in order: without `id`, a batch sharing one send_after was sorted afresh on every claim.
            models.Index(fields=["status", "send_after", "id"], name="outbox_claim_order"),
            models.Index(fields=["company", "status"]),
            models.Index(fields=["company", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.status})"

    @property
    def is_transactional(self) -> bool:
        """A notice or sign-in link the platform sends on its own: never promotional, never suppressed."""
        return self.kind not in COMPANY_WRITTEN_KINDS

    @property
    def shown_body(self) -> str:
        """The body as every screen shows it: links made at delivery are never shown (they are not stored), and
        every link of a secret mail is masked too (rows written before links were made at delivery)."""
        body = placeholders_mask(self.body, str(MASKED_LINK))
        return mask_links(body) if self.is_secret else body

    @property
    def company_registered_at(self) -> datetime | None:
        """The registration as the company may see it: only when the person consented to it learning it."""
        return self.registered_at if self.registration_shared else None

    @property
    def progress(self) -> tuple[str, str]:
        """How far this email got, for the operators' lists: registered beats clicked beats the sending status."""
        return self._progress(self.registered_at)

    @property
    def company_progress(self) -> tuple[str, str]:
        """How far this email got, as the company's screens show it: 登録 only for a person who consented."""
        return self._progress(self.company_registered_at)

    def _progress(self, registered_at: datetime | None) -> tuple[str, str]:
        if registered_at:
            return "registered", str(_("登録"))
        if self.clicked_at:
            return "clicked", str(_("クリック"))
        if self.status == self.Status.FAILED:
            return self.status, str(_("失敗"))
        return self.status, str(self.get_status_display())


COMPANY_WRITTEN_KINDS = frozenset({OutboundEmail.Kind.REJECTION, OutboundEmail.Kind.RECHALLENGE})
# The kinds whose link signs its reader in: whoever holds the URL acts as the person it was sent to.
SECRET_KINDS = frozenset(
    {
        OutboundEmail.Kind.CANDIDATE_VERIFY,
        OutboundEmail.Kind.CANDIDATE_LOGIN,
        OutboundEmail.Kind.CANDIDATE_ALREADY_REGISTERED,
        OutboundEmail.Kind.COMPANY_INVITATION,
        OutboundEmail.Kind.SURVEY_INVITATION,
        OutboundEmail.Kind.INTRODUCTION_PROPOSED,
    }
)

_LINK = re.compile(r"https?://\S+")
MASKED_LINK = _("(本人専用のリンクのため表示しません)")


def mask_links(text: str) -> str:
    """Every URL in `text` replaced by a placeholder: a secret mail's link stays with the person it was sent to."""
    return _LINK.sub(str(MASKED_LINK), text)


class SuppressionQuerySet(models.QuerySet["Suppression"]):
    def blocking(self, *, company: "Company | None", emails: Iterable[str] | None = None) -> "SuppressionQuerySet":
        """The unsubscribes that forbid promotional mail from `company` (its own and the global ones), or only the
        global ones when company is None; narrowed to `emails` (normalized here) when given."""
        scope = models.Q(company__isnull=True)
        if company is not None:
            scope |= models.Q(company=company)
        rows = self.filter(scope)
        if emails is not None:
            rows = rows.filter(email_normalized__in={normalize_email(email) for email in emails})
        return rows

    def blocks(self, *, email: str, company: "Company | None") -> bool:
        """May not `company` send promotional mail to `email`? The one question every sender asks."""
        return self.blocking(company=company, emails=[email]).exists()

    def addresses(self) -> set[str]:
        return set(self.values_list("email_normalized", flat=True))


class Suppression(models.Model):
    """An address that asked not to receive promotional mail: from one company, or (company empty) from all."""

    email_normalized = models.CharField(max_length=254)
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="suppressions"
    )
    reason = models.CharField(max_length=40, default="unsubscribe")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionQuerySet.as_manager()

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


class SendBatch(models.Model):
    """A confirmed batch send, written in the request that confirmed it, then expanded into outbox rows.

    Expansion runs in idempotent chunks (one rejection mail per applicant, whatever runs twice), each committing
    its progress with a heartbeat; a batch silent for STALLED_AFTER lost its worker and the per-minute sweep
    resumes it, so a crash or a queue outage delays a send and never loses it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("送信予約の準備中")
        DONE = "done", _("送信予約済み")
        FAILED = "failed", _("送信予約できませんでした")

    STALLED_AFTER = timedelta(seconds=60)

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="send_batches")
    link = models.ForeignKey("companies.RelayLink", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # [[applicant id, template version id], …] exactly as the person confirmed them.
    assignments = models.JSONField(default=list)
    schedule = models.JSONField(default=dict)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("件数"), default=0)
    next_index = models.PositiveIntegerField(default=0)
    queued_count = models.PositiveIntegerField(_("送信予約した件数"), default=0)
    left_out_count = models.PositiveIntegerField(_("送らなかった件数"), default=0)
    versions_used = models.JSONField(default=list)  # template version ids the queued mails were written from
    error = models.TextField(_("エラー内容"), blank=True)
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("一括送信")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="send_batch_status_heartbeat")]

    def __str__(self) -> str:
        return f"send batch {self.pk} ({self.total})"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.next_index / self.total))

    @property
    def is_stalled(self) -> bool:
        return (
            self.status == self.Status.PENDING
            and self.heartbeat_at is not None
            and timezone.now() - self.heartbeat_at > self.STALLED_AFTER
        )


class UnsubscribeToken(models.Model):
    """An unsubscribe link's token: a random value, of which only the SHA-256 digest is kept, standing for an
    address and a scope (one company, or every sender when company is empty). The link itself says nothing."""

    digest = models.CharField(max_length=64, unique=True)
    email_normalized = models.CharField(max_length=254)
    company = models.ForeignKey("companies.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("配信停止リンク")

    def __str__(self) -> str:
        return f"unsubscribe token {self.pk}"
