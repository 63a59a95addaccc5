from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from lib.choices import JobCategory, Prefecture


class Click(models.Model):
    """One visit of a relay landing page per browser session; nothing about the visitor is kept."""

    link = models.ForeignKey("companies.RelayLink", on_delete=models.CASCADE, related_name="clicks")
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    has_applicant_ref = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["company", "created_at"])]

    def __str__(self) -> str:
        return f"click {self.link_id} {self.created_at:%Y-%m-%d}"


class RiskSignal(models.TextChoices):
    """Why a referral looks risky (or, for the last one, why it looks genuine). Weights are in relay/risk.py."""

    BURST = "burst", _("短時間に登録が集中")
    SHARED_IP = "shared_ip", _("同じIPアドレスからの登録")
    SHARED_DEVICE = "shared_device", _("同じ端末(IPとブラウザ)からの登録")
    DISPOSABLE_DOMAIN = "disposable_domain", _("使い捨てメールのドメイン")
    NEW_DOMAIN = "new_domain", _("初めて見るメールのドメイン")
    REREGISTRATION = "reregistration", _("退会した人の再登録")
    MAIL_VOLUME = "mail_volume", _("送信したお祈りメールに比べて登録が多い")
    FAST_VERIFICATION = "fast_verification", _("確認メールの送信から数秒で確認")
    PERSONAL_LINK_MAILED = "personal_link_mailed", _("お祈りメールを送った応募者の個人リンク(低リスク)")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def counted(self) -> "ReferralQuerySet":
        return self.filter(status=Referral.Status.COUNTED)


class Referral(models.Model):
    """The first company whose link brought a candidate (first company wins; one per candidate)."""

    class Status(models.TextChoices):
        PENDING_VERIFICATION = "pending", _("メール確認待ち")
        PENDING_INTERVIEW = "awaiting_interview", _("初回面談待ち")
        # Verified, waiting for the contract's cooling-off delay (`count_after`) before it counts.
        COOLING_OFF = "cooling_off", _("確認中")
        # High risk: waits for an operator admin's review in the queue (/ops/referrals/review/).
        IN_REVIEW = "in_review", _("運営で確認中")
        # An admin held it in the queue: it never counts until an admin confirms it.
        HELD = "held", _("保留中")
        COUNTED = "counted", _("カウント済み")
        INVALIDATED = "invalidated", _("無効")

    candidate = models.OneToOneField(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="referrals")
    link = models.ForeignKey("companies.RelayLink", on_delete=models.PROTECT, related_name="referrals")
    applicant_ref = models.CharField(_("応募者ID(ATS)"), max_length=100, blank=True)
    status = models.CharField(
        _("ステータス"), max_length=20, choices=Status.choices, default=Status.PENDING_VERIFICATION
    )
    job_category = models.CharField(_("希望職種"), max_length=20, blank=True, choices=JobCategory.choices)
    prefecture = models.PositiveSmallIntegerField(_("都道府県"), null=True, blank=True, choices=Prefecture.choices)
    registered_at = models.DateTimeField(_("登録日時"), db_index=True)
    counted_at = models.DateTimeField(_("カウント日時"), null=True, blank=True)
    invalidated_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)
    invalidation_reason = models.TextField(_("無効化の理由"), blank=True)
    # Risk (relay/risk.py): salted one-way hashes of the registering request, never the raw IP or User-Agent.
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    user_agent_hash = models.CharField(max_length=64, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("リスクスコア"), default=0, db_index=True)
    # Signal codes (RiskSignal) between commas, ",burst,shared_ip,", so a filter is a portable `contains`.
    risk_codes = models.CharField(max_length=300, blank=True, default="")
    count_after = models.DateTimeField(_("カウント予定日時"), null=True, blank=True, db_index=True)
    reviewed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("紹介")
        indexes = [
            # The dashboards' counted figures (status counted, counted before a moment) read this index alone.
            models.Index(fields=["company", "status", "counted_at"], name="referral_status_counted"),
            models.Index(fields=["link", "status"]),
            # Period figures of the KPI dashboard (insights.selectors.metrics) read one company's date range.
            models.Index(fields=["company", "registered_at"], name="referral_company_registered"),
            models.Index(fields=["company", "counted_at"], name="referral_company_counted"),
        ]

    def __str__(self) -> str:
        return f"{self.company} #{self.pk}"

    @property
    def risk_signals(self) -> list["RiskSignal"]:
        return [RiskSignal(code) for code in self.risk_codes.split(",") if code in RiskSignal.values]

    @property
    def is_waiting(self) -> bool:
        """Verified and not counted yet only because of the cooling-off delay or a review."""
        return self.status in WAITING_STATUSES


WAITING_STATUSES = (Referral.Status.COOLING_OFF, Referral.Status.IN_REVIEW, Referral.Status.HELD)
REVIEW_STATUSES = (Referral.Status.IN_REVIEW, Referral.Status.HELD)


class Touch(models.Model):
    """A registered person who arrived again through a link: recorded, never counted."""

    candidate = models.ForeignKey("candidates.Candidate", on_delete=models.CASCADE, related_name="touches")
    link = models.ForeignKey("companies.RelayLink", on_delete=models.CASCADE, related_name="touches")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"touch {self.candidate_id} via {self.link_id}"


class CreditEntryQuerySet(models.QuerySet["CreditEntry"]):
    def open_lots(self) -> "CreditEntryQuerySet":
        """Credits free to use: a grant, or a release that handed a reserved credit back, that is not applied
        to a debt and not closed by a later entry (a reservation, a use, an expiry or a reversal)."""
        return self.filter(kind__in=[CreditEntry.Kind.GRANT, CreditEntry.Kind.RELEASE], applied_to_debt=False).exclude(
            closed_by__isnull=False
        )

    def open_reservations(self) -> "CreditEntryQuerySet":
        """Reservations neither released nor consumed yet: credits committed to a job order."""
        return self.filter(kind=CreditEntry.Kind.RESERVE).exclude(closed_by__isnull=False)

    def summary(self) -> "CreditSummary":
        totals = self.aggregate(
            earned=Count("id", filter=Q(kind=CreditEntry.Kind.GRANT)),
            reversed=Count("id", filter=Q(kind=CreditEntry.Kind.REVERSAL)),
            expired=Count("id", filter=Q(kind=CreditEntry.Kind.EXPIRY)),
            used=Count("id", filter=Q(kind=CreditEntry.Kind.USE)),
            reserves=Count("id", filter=Q(kind=CreditEntry.Kind.RESERVE)),
            releases=Count("id", filter=Q(kind=CreditEntry.Kind.RELEASE)),
            balance=Sum("amount", default=0),
        )
        return CreditSummary(
            earned=totals["earned"],
            reversed=totals["reversed"],
            expired=totals["expired"],
            used=totals["used"],
            balance=totals["balance"],
            # Every reservation ends in exactly one release or use, so the difference is what is still held.
            reserved=totals["reserves"] - totals["releases"] - totals["used"],
        )


@dataclass(frozen=True)
class CreditSummary:
    """DESIGN.md §5 credit figures. `balance` is what is free to reserve (negative: a debt from reversals);
    always `balance + reserved + used + expired == earned - reversed`."""

    earned: int
    reversed: int
    expired: int
    used: int
    balance: int
    reserved: int = 0

    @property
    def available(self) -> int:
        return max(self.balance, 0)

    @property
    def blocked(self) -> bool:
        return self.balance < 0


class CreditEntry(models.Model):
    """The append-only credit ledger (無料紹介枠). A company's balance is the sum of amounts.

    Each grant is a lot of one credit; an entry that removes a credit names the lot it closes, so expiry
    and use always take a credit that still exists. A grant made while the balance is negative pays the
    debt off and never becomes a usable lot.

    Using a credit (rule 6) is a chain on one lot: RESERVE (-1) closes the open lot and commits it to a job
    order (a reserved credit never expires and is never reversed while reserved); it ends either with
    USE (0, the credit was already taken off the balance) when a hire on that order is recorded, or with
    RELEASE (+1), which hands the credit back as a new open lot carrying the original expiry date (and, like
    a grant, pays off a debt instead when the balance is negative).
    """

    class Kind(models.TextChoices):
        GRANT = "grant", _("獲得")
        REVERSAL = "reversal", _("取消(紹介の無効化)")
        EXPIRY = "expiry", _("有効期限切れ")
        USE = "use", _("利用")
        RESERVE = "reserve", _("確保(求人での利用予定)")
        RELEASE = "release", _("確保の解除")

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="credit_entries")
    kind = models.CharField(_("種別"), max_length=10, choices=Kind.choices)
    amount = models.SmallIntegerField(_("増減"))
    lot = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="closed_by")
    applied_to_debt = models.BooleanField(default=False)
    milestone = models.PositiveIntegerField(_("達成人数"), null=True, blank=True)
    referrals_per_credit = models.PositiveSmallIntegerField(
        _("獲得時の条件(紹介人数/枠)"), null=True, blank=True, help_text=_("この枠を獲得した時点の契約条件です。")
    )
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True, db_index=True)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("理由"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("無料紹介枠の台帳")
        constraints = [
            models.CheckConstraint(condition=Q(amount__in=[-1, 0, 1]), name="credit_entry_amount_is_unit"),
            models.CheckConstraint(
                condition=Q(kind="grant", amount=1, lot__isnull=True)
                | Q(kind="release", amount=1, lot__isnull=False)
                | Q(kind="reserve", amount=-1, lot__isnull=False)
                | Q(kind="use", amount=0, lot__isnull=False)
                | (Q(kind__in=["reversal", "expiry"]) & Q(amount__lte=0)),
                name="credit_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.kind} {self.amount:+d}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("CreditEntry is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("CreditEntry is append-only")
