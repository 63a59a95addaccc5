import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lib.jatext import search_key
from lib.links import absolute_url

APPLICANT_REF_SALT = "relay.applicant-ref"


class Company(models.Model):
    name = models.CharField(_("企業名"), max_length=200)
    name_kana = models.CharField(_("企業名(カナ)"), max_length=200, blank=True)
    landing_message = models.TextField(
        _("応募者へのメッセージ"),
        blank=True,
        max_length=1000,
        help_text=_("リレーリンクのページに表示される、応募者の方への一言です。"),
    )
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("導入企業")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = search_key(f"{self.name} {self.name_kana}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


REFUND_UNITS = ("days", "months")


def default_refund_schedule() -> list[dict[str, Any]]:
    """返戻金 by default: leaving within 1 month of the start date refunds 80 %, within 3 months 50 %."""
    return [{"within": 1, "unit": "months", "percent": 80}, {"within": 3, "unit": "months", "percent": 50}]


def validate_refund_schedule(value: Any) -> None:
    """Rows of {within, unit (days|months), percent}; periods strictly longer and percentages not higher
    down the list, so the first row that matches a leaving date is always the one that applies."""
    if not isinstance(value, list):
        raise ValidationError(_("返戻金規定の形式が正しくありません。"))
    previous: tuple[int, int] | None = None
    previous_percent, previous_within, previous_unit = 100, 0, ""
    for row in value:
        if not isinstance(row, dict) or set(row) != {"within", "unit", "percent"}:
            raise ValidationError(_("返戻金規定の形式が正しくありません。"))
        within, unit, percent = row["within"], row["unit"], row["percent"]
        if unit not in REFUND_UNITS or type(within) is not int or type(percent) is not int:
            raise ValidationError(_("返戻金規定の形式が正しくありません。"))
        if not 1 <= within <= (3660 if unit == "days" else 120) or not 0 <= percent <= 100:
            raise ValidationError(_("返戻金規定の期間は 1 以上、返戻率は 0〜100% で指定してください。"))
        # Across units, compare in days with a month counted as 28–31 days: "30日" after "1か月" is ambiguous.
        span = (within * 28, within * 31) if unit == "months" else (within, within)
        if previous is not None:
            longer = within > previous_within if unit == previous_unit else span[0] > previous[1]
            if not longer or percent > previous_percent:
                raise ValidationError(_("返戻金規定は、期間の短い順に、返戻率が下がっていくように指定してください。"))
        previous, previous_percent, previous_within, previous_unit = span, percent, within, unit


class Contract(models.Model):
    """Per-company contract terms (DESIGN.md §3): every number here is negotiable."""

    class CountingRule(models.TextChoices):
        VERIFIED = "verified", _("メール確認済みの登録でカウント")
        FIRST_INTERVIEW = "first_interview", _("アドバイザーとの初回面談後にカウント")

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="contract")
    referrals_per_credit = models.PositiveSmallIntegerField(
        _("無料紹介枠1件あたりの紹介人数"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    credit_validity_months = models.PositiveSmallIntegerField(
        _("無料紹介枠の有効期間(月)"),
        default=12,
        validators=[MaxValueValidator(120)],
        help_text=_("0 を指定すると無期限になります。"),
    )
    counting_rule = models.CharField(
        _("紹介カウントの条件"), max_length=20, choices=CountingRule.choices, default=CountingRule.VERIFIED
    )
    cooling_off_hours = models.PositiveSmallIntegerField(
        _("カウントまでの確認期間(時間)"),
        default=72,
        validators=[MaxValueValidator(720)],
        help_text=_("メール確認からこの時間が過ぎると紹介がカウントされます。0 を指定するとすぐにカウントします。"),
    )
    entrusted_data_retention_days = models.PositiveSmallIntegerField(
        _("お預かりした応募者データの保管期間(日)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(1095)],
        help_text=_(
            "企業から委託を受けてお預かりした不採用応募者のデータは、最後のメール送信(送信がなければ取り込み)から"
            "この日数が過ぎると削除します。"
        ),
    )
    rechallenge_first_months = models.PositiveSmallIntegerField(
        _("再チャレンジのご案内(1回目)までの月数"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("不採用からこの月数が過ぎると、企業は再チャレンジのご案内を送れます(クールダウン期間)。"),
    )
    rechallenge_second_months = models.PositiveSmallIntegerField(
        _("再チャレンジのご案内(2回目)までの月数"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("不採用からこの月数が過ぎると、2回目のご案内を自動でお送りします。"),
    )
    fee_rate_percent = models.DecimalField(
        _("紹介手数料率(%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("35"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("理論年収に対する割合です(例: 35)。"),
    )
    minimum_fee_yen = models.PositiveIntegerField(
        _("最低手数料(円・税抜)"),
        default=0,
        validators=[MaxValueValidator(100_000_000)],
        help_text=_("0 の場合、最低手数料は設けません。"),
    )
    refund_schedule = models.JSONField(
        _("返戻金規定"),
        default=default_refund_schedule,
        validators=[validate_refund_schedule],
    )
    consumption_tax_percent = models.DecimalField(
        _("消費税率(%)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
    )
    starts_on = models.DateField(_("契約開始日"), null=True, blank=True)
    note = models.TextField(_("契約メモ"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("契約条件")

    def __str__(self) -> str:
        return f"{self.company} の契約条件"


class ContractRatioChange(models.Model):
    """One epoch of a contract's ratio (DESIGN.md §3 rule 4: a change applies to later counts only).

    Written by `relay.ledger` under the contract lock: the company's first epoch when it is created, and one per
    change of `referrals_per_credit`, with what had been counted and owed at that moment. Referrals counted in an
    epoch earn credits at that epoch's ratio (the first epoch also covers everything counted before it)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="ratio_changes")
    started_at = models.DateTimeField(_("適用開始日時"), db_index=True)
    referrals_per_credit = models.PositiveSmallIntegerField(_("無料紹介枠1件あたりの紹介人数"))
    counted_at_start = models.PositiveIntegerField(_("変更時点のカウント済み紹介数"))
    owed_at_start = models.PositiveIntegerField(_("変更時点の獲得済み無料紹介枠"))

    class Meta:
        verbose_name = _("紹介人数条件の変更履歴")
        ordering = ("started_at", "id")

    def __str__(self) -> str:
        return f"{self.contract} / {self.started_at:%Y-%m-%d %H:%M} から {self.referrals_per_credit} 人で1枠"


def new_link_code() -> str:
    # 10 characters of a 31-letter alphabet without look-alikes: easy to read aloud, ~49 bits.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class RelayLinkQuerySet(models.QuerySet["RelayLink"]):
    def active(self) -> "RelayLinkQuerySet":
        return self.filter(is_active=True)


class RelayLink(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="links")
    code = models.CharField(
        _("リンクコード"),
        max_length=32,
        unique=True,
        default=new_link_code,
        validators=[RegexValidator(r"^[a-z0-9-]{3,32}$")],
    )
    label = models.CharField(_("キャンペーン名"), max_length=60, help_text=_("例: 2027新卒、エンジニア中途"))
    is_active = models.BooleanField(_("受付中"), default=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = RelayLinkQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("リレーリンク")
        constraints = [models.UniqueConstraint(fields=["company", "label"], name="relay_link_label_unique_per_company")]

    def __str__(self) -> str:
        return f"{self.company} / {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("relay:landing", args=[self.code])

    @property
    def public_url(self) -> str:
        return absolute_url(self.get_absolute_url())

    def sign_applicant_ref(self, applicant_ref: str) -> str:
        """An unforgeable token tying a registration to the company's own rejected application (its ATS id)."""
        return signing.dumps(applicant_ref, salt=f"{APPLICANT_REF_SALT}:{self.code}", compress=True)

    def read_applicant_ref(self, token: str) -> str | None:
        try:
            value = signing.loads(token, salt=f"{APPLICANT_REF_SALT}:{self.code}")
        except signing.BadSignature:
            return None
        return value if isinstance(value, str) and len(value) <= 100 else None

    def personal_url(self, applicant_ref: str) -> str:
        return f"{self.public_url}?ref={self.sign_applicant_ref(applicant_ref)}"


class TermsSheet(models.Model):
    """One version of the company's credit terms sheet (無料紹介枠に関する契約条件書): what counts, the ratio, the
    cooling-off, expiry, claw-back on invalidation and a negative balance, stated in advance (a term of a 違約金
    kind must be). Written only by `companies.services.terms_sheet_issue`, from the contract by
    `companies.terms.terms_sheet_text`, when the company is created and whenever its terms change; never changed."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="terms_sheets")
    version = models.PositiveIntegerField(_("版"))
    terms = models.JSONField(_("契約条件(作成時点)"))
    text = models.TextField(_("本文"))
    sha256 = models.CharField(_("本文の SHA-256"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("契約条件書")
        constraints = [models.UniqueConstraint(fields=["contract", "version"], name="terms_sheet_version_unique")]

    def __str__(self) -> str:
        return f"{self.contract.company} 契約条件書 第{self.version}版"


class TermsAcknowledgement(models.Model):
    """A company owner or admin confirmed that they read a version of the terms sheet: who, when, from where."""

    sheet = models.ForeignKey(TermsSheet, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_label = models.CharField(_("確認した方"), max_length=300)
    at = models.DateTimeField(_("確認日時"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP アドレス"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("契約条件書の確認")
        constraints = [models.UniqueConstraint(fields=["sheet", "user"], name="terms_acknowledged_once_per_user")]

    def __str__(self) -> str:
        return f"{self.sheet} / {self.user_label}"
