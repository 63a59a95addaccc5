import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lib.links import absolute_url

API_KEY_PREFIX = "cr_live_"


def new_endpoint_token() -> str:
    # 32 random bytes (256 bits): the URL alone names the integration and cannot be guessed or enumerated.
    return secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


class Integration(models.Model):
    """An ATS connection: an endpoint the ATS posts rejection events to, and the secret that signs them.

    Secrets are kept as typed, not hashed and not encrypted. HMAC verification needs the key itself, so a
    hash is impossible; encrypting it with a key derived from SECRET_KEY would only help against a leak of
    the database alone, while tying every integration to the current SECRET_KEY (a rotation would silently
    break every ATS webhook). Instead a secret is shown in full only once, displayed masked afterwards,
    never logged, and regenerable at any time.
    """

    class Kind(models.TextChoices):
        GREENHOUSE = "greenhouse", _("Greenhouse")
        LEVER = "lever", _("Lever")
        HERP = "herp", _("HERP Hire")
        GENERIC = "generic", _("汎用 Webhook (JSON)")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(_("連携先"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名前"), max_length=60)
    token = models.CharField(max_length=64, unique=True, default=new_endpoint_token, editable=False)
    # Greenhouse and the generic event: the secret we generate. Lever: the signature token Lever shows.
    secret = models.CharField(_("署名シークレット"), max_length=200)
    lever_api_key = models.CharField(
        _("Lever API キー"),
        max_length=200,
        blank=True,
        help_text=_("設定すると、Lever の通知に含まれない氏名とメールアドレスを Lever から取得します。"),
    )
    herp_api_key = models.CharField(
        _("HERP Hire API キー"),
        max_length=300,
        blank=True,
        help_text=_("HERP Hire の「設定 › API」で発行したキーです。選考が終了した応募を定期的に取得します。"),
    )
    # HERP Hire: the `updatedAt` of the newest candidacy read, so the next pull asks only for what changed since.
    cursor = models.CharField(_("取得済みの位置"), max_length=100, blank=True, editable=False)
    polled_at = models.DateTimeField(_("最終取得日時"), null=True, blank=True)
    poll_error = models.CharField(_("取得時のエラー"), max_length=500, blank=True)
    # A vendor API said "too many requests": nothing is asked of it before this moment.
    backoff_until = models.DateTimeField(_("再試行を待つ期限"), null=True, blank=True)
    is_enabled = models.BooleanField(_("有効"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    secret_rotated_at = models.DateTimeField(_("シークレット更新日時"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ATS 連携")
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="integration_name_unique_per_company")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("integrations:detail", args=[self.pk])

    @property
    def endpoint_path(self) -> str:
        return reverse("webhook_receive", args=[self.kind, self.token])

    @property
    def endpoint_url(self) -> str:
        return absolute_url(self.endpoint_path)

    @property
    def secret_hint(self) -> str:
        return f"…{self.secret[-4:]}" if len(self.secret) > 8 else "…"


class WebhookEvent(models.Model):
    """One delivery to an integration's endpoint, whatever became of it: the log the company reads.

    `dedupe_key` is set only on the delivery that took effect; the unique constraint makes a replay of the
    same event (or two copies arriving at once) unable to take effect twice.
    """

    class Status(models.TextChoices):
        PROCESSED = "processed", _("処理済み")
        DUPLICATE = "duplicate", _("重複 (処理済みのイベント)")
        IGNORED = "ignored", _("対象外")
        APPLICANT_MISSING = "applicant_missing", _("応募者情報が見つかりません")
        HELD = "held", _("確認待ち (メールは送っていません)")
        CANCELLED = "cancelled", _("取り消し (送信予定のメールを止めました)")
        STALE = "stale", _("古すぎる通知 (再送の疑い)")
        BAD_SIGNATURE = "bad_signature", _("署名が不正")
        BAD_REQUEST = "bad_request", _("形式が不正")
        DISABLED = "disabled", _("停止中の連携")

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="events")
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="webhook_events")
    received_at = models.DateTimeField(_("受信日時"), auto_now_add=True, db_index=True)
    status = models.CharField(_("結果"), max_length=20, choices=Status.choices)
    http_status = models.PositiveSmallIntegerField(_("応答コード"))
    event_type = models.CharField(_("イベント"), max_length=60, blank=True)
    event_id = models.CharField(_("イベントID"), max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=300, null=True, blank=True, editable=False)
    # Lever: the signed delivery token, accepted once whatever the body says (a replay with another id fails).
    delivery_token = models.CharField(max_length=200, null=True, blank=True, editable=False)
    reason = models.CharField(_("詳細"), max_length=500, blank=True)
    external_id = models.CharField(_("応募者ID(ATS)"), max_length=100, blank=True)
    applicant = models.ForeignKey(
        "applicants.Applicant", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    email = models.ForeignKey(
        "mailings.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    # Only for an event whose applicant was not found: the ids and times needed to process it again later
    # (never personal data: Lever's payload has none).
    retry_data = models.JSONField(null=True, blank=True, editable=False)
    retried_at = models.DateTimeField(_("再処理日時"), null=True, blank=True)
    # Refusals (bad signature, stale, malformed, disabled) are one row per integration, result and hour that
    # counts them and keeps the last reason, so a flood of forged requests cannot fill the table.
    refusal_key = models.CharField(max_length=60, null=True, blank=True, editable=False)
    repeat_count = models.PositiveIntegerField(_("件数"), default=1)
    last_received_at = models.DateTimeField(_("最終受信日時"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Webhook 受信ログ")
        constraints = [
            models.UniqueConstraint(fields=["integration", "refusal_key"], name="webhook_refusals_one_row_an_hour"),
            models.UniqueConstraint(fields=["integration", "dedupe_key"], name="webhook_event_takes_effect_once"),
            models.UniqueConstraint(
                fields=["integration", "delivery_token"], name="webhook_delivery_token_accepted_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id} {self.event_type} {self.status}"

    @property
    def can_retry(self) -> bool:
        retryable = (self.Status.APPLICANT_MISSING, self.Status.HELD)
        return self.status in retryable and self.retry_data is not None and not self.retried_at


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> "ApiKeyQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A company's REST API key. Only its SHA-256 is stored: the key is random (256 bits), so a slow hash
    adds nothing, and a database leak does not reveal a usable key. `prefix` identifies it in lists."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("名前"), max_length=60)
    prefix = models.CharField(_("キーの先頭"), max_length=24)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API キー")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
