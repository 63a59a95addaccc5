from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lib.choices import JobCategory, Prefecture
from lib.jatext import search_key, split_skills

SALARY_MAX_MAN_YEN = 10000  # 1億円: anything above is a typo in 円 instead of 万円


def _salary_amount(man_yen: int) -> str:
    # Japanese readers count salaries in 万円 (the unit is in the message); others read the full yen amount.
    if (translation.get_language() or "ja").startswith("ja"):
        return f"{man_yen:,}"
    return f"{man_yen * 10000:,}"


class JobOrderQuerySet(models.QuerySet["JobOrder"]):
    def open(self) -> "JobOrderQuerySet":
        return self.filter(status=JobOrder.Status.OPEN)


class JobOrder(models.Model):
    """A position a company is hiring for (求人): what the agency introduces candidates to and re-challenges target."""

    class Status(models.TextChoices):
        OPEN = "open", _("募集中")
        PAUSED = "paused", _("一時停止")
        CLOSED = "closed", _("募集終了")

    class Remote(models.TextChoices):
        ONSITE = "onsite", _("出社")
        PARTIAL = "partial", _("リモート可")
        FULL = "full", _("フルリモート")

    class EmploymentType(models.TextChoices):
        FULL_TIME = "full_time", _("正社員")
        CONTRACT = "contract", _("契約社員")
        PART_TIME = "part_time", _("パート・アルバイト")
        FREELANCE = "freelance", _("業務委託")
        OTHER = "other", _("その他")

    class ContractTerm(models.TextChoices):
        INDEFINITE = "indefinite", _("期間の定めなし(無期)")
        FIXED = "fixed", _("期間の定めあり(有期)")

    class Renewal(models.TextChoices):
        AUTOMATIC = "automatic", _("自動的に更新する")
        POSSIBLE = "possible", _("更新する場合がある")
        NONE = "none", _("契約の更新はしない")

    class RenewalLimit(models.TextChoices):
        NONE = "none", _("上限なし")
        TIMES = "times", _("更新回数の上限あり")
        YEARS = "years", _("通算契約期間の上限あり")

    class Presence(models.TextChoices):
        YES = "yes", _("あり")
        NO = "no", _("なし")

    class Insurance(models.TextChoices):
        EMPLOYMENT = "employment", _("雇用保険")
        WORKERS = "workers", _("労災保険")
        HEALTH = "health", _("健康保険")
        PENSION = "pension", _("厚生年金")

    class SmokingMeasure(models.TextChoices):
        NO_SMOKING = "no_smoking", _("屋内全面禁煙")
        SMOKING_ROOM = "smoking_room", _("屋内原則禁煙(喫煙専用室あり)")
        OUTDOOR = "outdoor", _("敷地内禁煙(屋外に喫煙場所あり)")
        PREMISES = "premises", _("敷地内全面禁煙")
        OTHER = "other", _("その他(補足欄に記載)")

    # A closed order may be reopened (the same position is hired for again); every other move is one step.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.PAUSED, Status.CLOSED}),
        Status.PAUSED: frozenset({Status.OPEN, Status.CLOSED}),
        Status.CLOSED: frozenset({Status.OPEN}),
    }

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="job_orders")
    title = models.CharField(_("求人名"), max_length=200, help_text=_("例: バックエンドエンジニア(Python)"))
    job_category = models.CharField(_("職種"), max_length=20, choices=JobCategory.choices)
    employment_type = models.CharField(
        _("雇用形態"), max_length=20, choices=EmploymentType.choices, default=EmploymentType.FULL_TIME
    )
    prefecture = models.PositiveSmallIntegerField(
        _("勤務地(都道府県)"),
        choices=Prefecture.choices,
        null=True,
        blank=True,
        help_text=_("フルリモートの場合は空欄でもかまいません。"),
    )
    remote = models.CharField(_("リモート勤務"), max_length=10, choices=Remote.choices, default=Remote.ONSITE)
    salary_min = models.PositiveIntegerField(
        _("想定年収の下限(万円)"), validators=[MinValueValidator(1), MaxValueValidator(SALARY_MAX_MAN_YEN)]
    )
    salary_max = models.PositiveIntegerField(
        _("想定年収の上限(万円)"), validators=[MinValueValidator(1), MaxValueValidator(SALARY_MAX_MAN_YEN)]
    )
    required_skills = models.TextField(_("必須スキル・経験"), max_length=2000)
    preferred_skills = models.TextField(_("歓迎スキル・経験"), blank=True, max_length=2000)
    description = models.TextField(_("仕事内容"), max_length=5000)
    status = models.CharField(_("募集状況"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # 労働条件明示 (職業安定法5条の3, 施行規則4条の2, with the April 2024 additions; DESIGN.md rule 17). Blank
    # until written: an order whose conditions are incomplete cannot be introduced (`working_conditions_missing`).
    duties_change_scope = models.TextField(
        _("業務内容の変更の範囲"),
        blank=True,
        max_length=1000,
        help_text=_(
            "雇入れ直後の業務内容に加え、将来の配置転換などで変わり得る範囲をご記入ください(例: 会社の定める業務)。"
        ),
    )
    workplace = models.CharField(
        _("就業場所"),
        blank=True,
        max_length=300,
        help_text=_("雇入れ直後の就業場所の住所をご記入ください(例: 東京都千代田区丸の内1-1-1 本社)。"),
    )
    workplace_change_scope = models.TextField(
        _("就業場所の変更の範囲"),
        blank=True,
        max_length=1000,
        help_text=_(
            "転勤やテレワークなどで変わり得る範囲をご記入ください(例: 会社の定める事業所、テレワークを行う場所)。"
        ),
    )
    contract_term = models.CharField(_("契約期間"), max_length=10, choices=ContractTerm.choices, blank=True)
    contract_period = models.CharField(
        _("有期の場合の契約期間"), blank=True, max_length=200, help_text=_("例: 1年(2026年4月1日〜2027年3月31日)")
    )
    renewal = models.CharField(_("契約更新の有無"), max_length=10, choices=Renewal.choices, blank=True)
    renewal_limit = models.CharField(_("更新上限"), max_length=10, choices=RenewalLimit.choices, blank=True)
    renewal_limit_value = models.PositiveSmallIntegerField(
        _("更新上限の回数・年数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("更新上限を「更新回数」または「通算契約期間」にした場合に、その回数または年数をご記入ください。"),
    )
    probation = models.CharField(_("試用期間"), max_length=10, choices=Presence.choices, blank=True)
    probation_period = models.CharField(_("試用期間の長さ"), blank=True, max_length=100, help_text=_("例: 3か月"))
    probation_terms = models.TextField(
        _("試用期間中の労働条件"),
        blank=True,
        max_length=1000,
        help_text=_("本採用後と異なる場合はその内容を、同じ場合は「本採用後と同じ」とご記入ください。"),
    )
    work_hours = models.CharField(
        _("始業・終業の時刻"),
        blank=True,
        max_length=300,
        help_text=_("例: 9:00〜18:00(フレックスタイム制の場合はコアタイムも)"),
    )
    overtime = models.CharField(_("時間外労働"), blank=True, max_length=300, help_text=_("例: あり(月平均20時間)"))
    breaks = models.CharField(_("休憩時間"), blank=True, max_length=200, help_text=_("例: 60分"))
    holidays = models.CharField(
        _("休日"), blank=True, max_length=300, help_text=_("例: 完全週休2日制(土・日)、祝日、年末年始")
    )
    base_pay = models.CharField(
        _("賃金(基本給)"), blank=True, max_length=300, help_text=_("例: 月給30万円〜45万円(経験・能力を考慮して決定)")
    )
    fixed_overtime = models.CharField(_("固定残業代"), max_length=10, choices=Presence.choices, blank=True)
    fixed_overtime_hours = models.PositiveSmallIntegerField(
        _("固定残業代に含む時間外労働(時間/月)"), null=True, blank=True, validators=[MaxValueValidator(200)]
    )
    fixed_overtime_yen = models.PositiveIntegerField(
        _("固定残業代の金額(円/月)"), null=True, blank=True, validators=[MaxValueValidator(10_000_000)]
    )
    fixed_overtime_excess_paid = models.BooleanField(
        _("固定残業時間を超える時間外労働の割増賃金は追加で支給する"), default=False
    )
    insurances = models.CharField(_("加入保険"), blank=True, max_length=100)
    smoking_measure = models.CharField(_("受動喫煙防止措置"), max_length=20, choices=SmokingMeasure.choices, blank=True)
    smoking_note = models.CharField(
        _("受動喫煙防止措置の補足"), blank=True, max_length=300, help_text=_("例: 屋外に喫煙所あり")
    )
    recruiter_name = models.CharField(
        _("募集者の氏名または名称"), blank=True, max_length=200, help_text=_("通常は貴社の正式名称です。")
    )
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = JobOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("求人")
        indexes = [models.Index(fields=["company", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(salary_min__lte=models.F("salary_max")), name="job_order_salary_range_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(prefecture__isnull=False) | models.Q(remote="full"),
                name="job_order_has_place_or_full_remote",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = search_key(f"{self.title} {self.required_skills} {self.preferred_skills}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.salary_min is not None and self.salary_max is not None and self.salary_min > self.salary_max:
            errors["salary_max"] = _("年収の上限は下限以上の金額を入力してください。")
        if self.prefecture is None and self.remote != self.Remote.FULL:
            errors["prefecture"] = _("勤務地の都道府県を選んでください(フルリモートの場合は不要です)。")
        if errors:
            raise ValidationError(errors)

    @property
    def insurance_list(self) -> list[str]:
        return [code for code in self.insurances.split(",") if code in self.Insurance.values]

    @property
    def insurance_display(self) -> str:
        return "・".join(str(self.Insurance(code).label) for code in self.insurance_list)

    def working_conditions_missing(self) -> list[tuple[str, str]]:
        """What the order still lacks of the legal working conditions (労働条件明示), as (field, Japanese message).

        Empty when a candidate may be introduced (DESIGN.md rule 17). The form raises the same messages for the
        conditional items (有期 → 更新の有無・上限, 試用期間あり → 期間・条件, 固定残業代あり → 時間・金額・超過分).
        """
        missing: list[tuple[str, str]] = []

        def need(field: str, message: object) -> None:
            value = getattr(self, field)
            if value is None or (isinstance(value, str) and not value.strip()):
                missing.append((field, str(message)))

        need("description", _("業務内容(仕事内容)をご記入ください。"))
        need("duties_change_scope", _("業務内容の変更の範囲をご記入ください。"))
        need("workplace", _("就業場所をご記入ください。"))
        need("workplace_change_scope", _("就業場所の変更の範囲をご記入ください。"))
        need("contract_term", _("契約期間(無期・有期)を選んでください。"))
        if self.contract_term == self.ContractTerm.FIXED:
            need("contract_period", _("有期契約の契約期間をご記入ください。"))
            need("renewal", _("有期契約の場合は、契約更新の有無を選んでください。"))
            if self.renewal and self.renewal != self.Renewal.NONE:
                need("renewal_limit", _("有期契約を更新する場合は、更新上限(上限なしを含む)を選んでください。"))
                if self.renewal_limit in (self.RenewalLimit.TIMES, self.RenewalLimit.YEARS):
                    need("renewal_limit_value", _("更新上限の回数または通算契約期間(年)をご記入ください。"))
        need("probation", _("試用期間の有無を選んでください。"))
        if self.probation == self.Presence.YES:
            need("probation_period", _("試用期間の長さをご記入ください。"))
            need("probation_terms", _("試用期間中の労働条件をご記入ください。"))
        need("work_hours", _("始業・終業の時刻をご記入ください。"))
        need("overtime", _("時間外労働の有無(ある場合は目安の時間)をご記入ください。"))
        need("breaks", _("休憩時間をご記入ください。"))
        need("holidays", _("休日をご記入ください。"))
        need("base_pay", _("賃金(基本給)をご記入ください。"))
        need("fixed_overtime", _("固定残業代の有無を選んでください。"))
        if self.fixed_overtime == self.Presence.YES:
            need("fixed_overtime_hours", _("固定残業代に含まれる時間外労働の時間数をご記入ください。"))
            need("fixed_overtime_yen", _("固定残業代の金額をご記入ください。"))
            if not self.fixed_overtime_excess_paid:
                missing.append(
                    (
                        "fixed_overtime_excess_paid",
                        str(_("固定残業時間を超える時間外労働の割増賃金を追加で支給する旨を明示してください。")),
                    )
                )
        if not self.insurance_list:
            missing.append(("insurances", str(_("加入保険を選んでください。"))))
        need("smoking_measure", _("受動喫煙防止措置を選んでください。"))
        if self.smoking_measure == self.SmokingMeasure.OTHER:
            need("smoking_note", _("受動喫煙防止措置の内容を補足欄にご記入ください。"))
        need("recruiter_name", _("募集者の氏名または名称をご記入ください。"))
        return missing

    @property
    def working_conditions_complete(self) -> bool:
        return not self.working_conditions_missing()

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def location_display(self) -> str:
        if self.remote == self.Remote.FULL:
            return str(self.Remote.FULL.label)
        place = self.get_prefecture_display() if self.prefecture else ""
        if self.remote == self.Remote.PARTIAL:
            return f"{place}({self.Remote.PARTIAL.label})" if place else str(self.Remote.PARTIAL.label)
        return str(place)

    @property
    def salary_display(self) -> str:
        if self.salary_min == self.salary_max:
            return _("%(amount)s万円") % {"amount": _salary_amount(self.salary_min)}
        return _("%(low)s〜%(high)s万円") % {
            "low": _salary_amount(self.salary_min),
            "high": _salary_amount(self.salary_max),
        }

    @property
    def required_skill_list(self) -> list[str]:
        return split_skills(self.required_skills)

    @property
    def preferred_skill_list(self) -> list[str]:
        return split_skills(self.preferred_skills)


class Introduction(models.Model):
    """The operator's proposal of a candidate for a job order (推薦), and the company's selection that follows.

    The company sees who the candidate is only once they accept (`accepted_at`); a ProvisionRecord is written
    at that moment. The row outlives the candidate's account so fees, credits and KPIs stay right.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("ご本人の承諾待ち")
        DECLINED = "declined", _("ご本人が辞退")
        CANCELLED = "cancelled", _("推薦の取り下げ")
        DOCUMENT = "document", _("書類選考")
        INTERVIEW = "interview", _("面接")
        OFFER = "offer", _("内定")
        HIRED = "hired", _("入社")
        REJECTED = "rejected", _("見送り")
        WITHDRAWN = "withdrawn", _("辞退")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="introductions")
    job_order = models.ForeignKey(JobOrder, on_delete=models.PROTECT, related_name="introductions")
    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="introductions"
    )
    status = models.CharField(_("状況"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    recommendation = models.TextField(_("推薦コメント"), blank=True, max_length=3000)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("推薦日時"), auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(_("ご本人の承諾日時"), null=True, blank=True)
    responded_at = models.DateTimeField(_("ご本人の回答日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("推薦")
        indexes = [models.Index(fields=["company", "status"]), models.Index(fields=["job_order", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["job_order", "candidate"], name="introduction_once_per_job_and_candidate")
        ]

    def __str__(self) -> str:
        return f"introduction {self.pk} ({self.status})"

    @property
    def identity_disclosed(self) -> bool:
        return self.accepted_at is not None


class IntroductionEvent(models.Model):
    """One step of an introduction's history, with the comment either side left; both sides read it."""

    introduction = models.ForeignKey(Introduction, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("状況"), max_length=12, choices=Introduction.Status.choices)
    comment = models.TextField(_("コメント"), blank=True, max_length=3000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("推薦の履歴")

    def __str__(self) -> str:
        return f"{self.introduction_id} → {self.status}"


class ProvisionRecord(models.Model):
    """第三者提供の記録 (APPI 29条): which personal data went to which company, when, on which consent, by whom.

    A legal record, so it outlives the person's account (DESIGN.md §3 rule 15): the person is named by the
    snapshot taken at the disclosure (`candidate_*`), the company by its name at the time, the consent by its
    version and exact wording. When the person deletes their account `candidate` becomes empty and
    `candidate_deleted_at` is set (placements/apps.py, on Candidate's pre_delete); the record is purged
    `RETENTION_YEARS` after both the disclosure and the deletion (`provision_records_purge`, daily).
    The same row is the company's 確認記録 (APPI 30条): the agency provided it, with the person's consent.
    """

    RETENTION_YEARS = 3

    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="provision_records"
    )
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="provision_records")
    introduction = models.ForeignKey(
        Introduction, null=True, blank=True, on_delete=models.SET_NULL, related_name="provision_records"
    )
    items = models.JSONField(_("提供した項目"), default=list)
    purpose = models.CharField(_("提供の目的"), max_length=200)
    # Who was disclosed, as they were then: enough to name them for the retention period, nothing more.
    candidate_name = models.CharField(_("本人の氏名"), max_length=100, blank=True)
    candidate_furigana = models.CharField(_("本人のフリガナ"), max_length=100, blank=True)
    candidate_email = models.EmailField(_("本人のメールアドレス(提供時)"), blank=True)
    candidate_deleted_at = models.DateTimeField(_("本人のアカウント削除日時"), null=True, blank=True)
    company_name = models.CharField(_("提供先の名称(提供時)"), max_length=200, blank=True)
    # The consent relied on; the row goes with the account, its version and wording stay here.
    consent = models.ForeignKey(
        "candidates.Consent", null=True, blank=True, on_delete=models.SET_NULL, related_name="provision_records"
    )
    consent_version = models.CharField(_("同意の版"), max_length=64, blank=True)
    consent_wording = models.TextField(_("同意の文言"), blank=True)
    consent_at = models.DateTimeField(_("同意の日時"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("提供を行った者"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提供日時"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("第三者提供の記録")

    def __str__(self) -> str:
        return f"provision {self.candidate_id} → {self.company_id}"

    @property
    def item_labels(self) -> list[str]:
        return [str(PROVIDED_ITEM_LABELS.get(item, item)) for item in self.items]


# What each provided item is called on the records' screens and CSVs (and the candidate's introduction page).
PROVIDED_ITEM_LABELS = {
    "name": _("氏名"),
    "furigana": _("フリガナ"),
    "email": _("メールアドレス"),
    "phone": _("電話番号"),
    "prefecture": _("お住まいの都道府県"),
    "job_category": _("希望職種"),
    "years_of_experience": _("社会人経験年数"),
    "skills": _("スキル・資格"),
    "desired_salary": _("希望年収"),
    "career_summary": _("職務経歴の概要"),
}


class CreditReservation(models.Model):
    """A free-introduction credit committed to one job order (DESIGN.md rule 6; ledger chain in CreditEntry).

    Reserved → consumed when a hire on the order is recorded (fee waived), or → released (credit handed back
    with its original expiry) when the company cancels before any introduction went past the candidate's
    consent, or when the operator releases it with a reason.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", _("確保中")
        CONSUMED = "consumed", _("利用済み(入社により消化)")
        RELEASED = "released", _("解除(枠をお戻ししました)")

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="credit_reservations")
    job_order = models.ForeignKey(JobOrder, on_delete=models.PROTECT, related_name="credit_reservations")
    status = models.CharField(_("状況"), max_length=10, choices=Status.choices, default=Status.RESERVED)
    reserve_entry = models.OneToOneField(
        "relay.CreditEntry", on_delete=models.PROTECT, related_name="reservation", verbose_name=_("確保の記録")
    )
    close_entry = models.OneToOneField(
        "relay.CreditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reserved_at = models.DateTimeField(_("確保日時"), auto_now_add=True, db_index=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("確定・解除日時"), null=True, blank=True)
    close_reason = models.TextField(_("解除の理由"), blank=True)

    class Meta:
        ordering = ["reserved_at", "id"]
        verbose_name = _("無料紹介枠の確保")
        constraints = [
            # One live (or spent) credit per job order; a released one may be followed by a new reservation.
            models.UniqueConstraint(
                fields=["job_order"],
                condition=models.Q(status__in=["reserved", "consumed"]),
                name="credit_reservation_one_per_job_order",
            )
        ]

    def __str__(self) -> str:
        return f"credit reservation {self.pk} ({self.status})"


class Placement(models.Model):
    """A hire (入社) and what it costs (DESIGN.md rule 7). Amounts are integer yen, fixed when recorded, with the
    contract terms of that day copied in so a later change of contract never alters an issued invoice."""

    introduction = models.OneToOneField(Introduction, on_delete=models.PROTECT, related_name="placement")
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="placements")
    job_order = models.ForeignKey(JobOrder, on_delete=models.PROTECT, related_name="placements")
    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="placements"
    )
    start_date = models.DateField(_("入社日"))
    annual_salary_yen = models.PositiveIntegerField(_("理論年収(円)"))
    fee_rate_bp = models.PositiveIntegerField(_("手数料率(ベーシスポイント)"))
    minimum_fee_yen = models.PositiveIntegerField(_("最低手数料(円)"), default=0)
    tax_rate_bp = models.PositiveIntegerField(_("消費税率(ベーシスポイント)"))
    refund_schedule = models.JSONField(_("返戻金規定"), default=list)
    minimum_applied = models.BooleanField(_("最低手数料を適用"), default=False)
    fee_yen = models.PositiveIntegerField(_("紹介手数料(税抜)"))
    tax_yen = models.PositiveIntegerField(_("消費税"))
    total_yen = models.PositiveIntegerField(_("請求額(税込)"))
    waived = models.BooleanField(_("無料紹介枠の適用"), default=False)
    saving_yen = models.PositiveIntegerField(_("削減額(税抜)"), default=0)
    credit_reservation = models.OneToOneField(
        CreditReservation, null=True, blank=True, on_delete=models.PROTECT, related_name="placement"
    )
    invoiced_on = models.DateField(_("請求日"))
    due_on = models.DateField(_("お支払期限"))
    left_on = models.DateField(_("退職日"), null=True, blank=True)
    # 無期雇用 (a 正社員 order by default): for 2 years from start_date the agency may not encourage the person to
    # change jobs (許可条件, from 2025-01-01; DESIGN.md rule 16, placements/selectors/guard.py).
    indefinite = models.BooleanField(_("無期雇用"), default=True)
    refund_percent = models.PositiveSmallIntegerField(_("返戻率(%)"), default=0)
    refund_yen = models.PositiveIntegerField(_("返戻金(税抜)"), default=0)
    refund_tax_yen = models.PositiveIntegerField(_("返戻金の消費税"), default=0)
    refund_total_yen = models.PositiveIntegerField(_("返戻金(税込)"), default=0)
    refund_recorded_at = models.DateTimeField(_("返戻金の計算日時"), null=True, blank=True)
    # Who issued the invoice and to whom, as they were on the day it was issued (placements/documents/parties.py):
    # the PDF reads these, never today's settings, so a re-download is the document that was issued (rule 15).
    issuer = models.JSONField(_("発行者(発行時点)"), default=dict)
    recipient = models.JSONField(_("宛先(発行時点)"), default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("成約")
        indexes = [models.Index(fields=["company", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_yen=models.F("fee_yen") + models.F("tax_yen")), name="placement_total_adds_up"
            ),
            models.CheckConstraint(
                condition=models.Q(waived=False) | models.Q(fee_yen=0, tax_yen=0), name="placement_waived_costs_nothing"
            ),
            models.CheckConstraint(
                condition=models.Q(refund_yen__lte=models.F("fee_yen")), name="placement_refund_within_fee"
            ),
        ]

    def __str__(self) -> str:
        return self.invoice_number

    @property
    def invoice_number(self) -> str:
        # Derived from fields that never change once recorded, so a re-issued PDF carries the same number.
        return f"CR-{self.invoiced_on:%Y%m}-{self.pk:06d}"

    @property
    def net_fee_yen(self) -> int:
        """Fee excl. tax after any refund: what the agency finally earns from this hire."""
        return self.fee_yen - self.refund_yen

    @property
    def net_total_yen(self) -> int:
        return self.total_yen - self.refund_total_yen


class CreditNote(models.Model):
    """A refund (返戻金) as the qualified return invoice (適格返還請求書) the company receives: the amount returned per
    tax rate and its tax, the original invoice and the issuer as they were on the day. Never changed: a corrected
    refund issues a new note that names the one it replaces (`replaces`)."""

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="credit_notes")
    issued_on = models.DateField(_("発行日"))
    left_on = models.DateField(_("退職日"))
    refund_percent = models.PositiveSmallIntegerField(_("返戻率(%)"))
    tax_rate_bp = models.PositiveIntegerField(_("消費税率(ベーシスポイント)"))
    refund_yen = models.PositiveIntegerField(_("返還額(税抜)"))
    tax_yen = models.PositiveIntegerField(_("返還額の消費税"))
    total_yen = models.PositiveIntegerField(_("返還額(税込)"))
    issuer = models.JSONField(_("発行者(発行時点)"), default=dict)
    recipient = models.JSONField(_("宛先(発行時点)"), default=dict)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("訂正前")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("返還請求書")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_yen=models.F("refund_yen") + models.F("tax_yen")),
                name="credit_note_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"CN-{self.issued_on:%Y%m}-{self.pk:06d}"

    @property
    def is_current(self) -> bool:
        """Not corrected by a later note."""
        return not hasattr(self, "replaced_by")


class CompanyExclusion(models.Model):
    """A competitor that must never receive candidates who came through this company's relay (rule 9)."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="exclusions")
    excluded = models.ForeignKey(
        "companies.Company", verbose_name=_("除外する企業"), on_delete=models.CASCADE, related_name="excluded_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["excluded__name", "id"]
        verbose_name = _("紹介先の除外設定")
        constraints = [
            models.UniqueConstraint(fields=["company", "excluded"], name="company_exclusion_once"),
            models.CheckConstraint(
                condition=~models.Q(company=models.F("excluded")), name="company_exclusion_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} ✕ {self.excluded_id}"


class IntroductionRequest(models.Model):
    """A company's request from the anonymised talent pool (rule 10): the operator turns it into a proposal."""

    class Status(models.TextChoices):
        OPEN = "open", _("対応待ち")
        PROPOSED = "proposed", _("ご本人に打診済み")
        DECLINED = "declined", _("お見送り")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="introduction_requests")
    job_order = models.ForeignKey(JobOrder, verbose_name=_("求人"), on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="introduction_requests"
    )
    profile_label = models.CharField(_("プロフィール"), max_length=200)
    message = models.TextField(_("運営へのメッセージ"), blank=True, max_length=2000)
    status = models.CharField(_("状況"), max_length=10, choices=Status.choices, default=Status.OPEN)
    introduction = models.OneToOneField(
        Introduction, null=True, blank=True, on_delete=models.SET_NULL, related_name="request"
    )
    operator_note = models.TextField(_("運営からの回答"), blank=True, max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("依頼日時"), auto_now_add=True, db_index=True)
    handled_at = models.DateTimeField(_("対応日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("紹介依頼")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["job_order", "candidate"],
                condition=models.Q(status="open"),
                name="introduction_request_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"request {self.pk} ({self.status})"


class PoolListing(models.Model):
    """A person's anonymous profile in the talent pool: its redacted text, and whether an advisor listed it.

    The redacted text is what companies read and what their search matches, never the person's own fields. It
    is recomputed when the person's text changes (the profile then waits for review again) and when the member
    companies' names change (`roster_digest`), so a new member's name is blacked out in every profile.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("確認待ち")
        LISTED = "listed", _("掲載中")
        WITHHELD = "withheld", _("掲載しない")

    candidate = models.OneToOneField(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="pool_listing", verbose_name=_("求職者")
    )
    state = models.CharField(_("掲載状況"), max_length=10, choices=State.choices, default=State.PENDING)
    redacted_summary = models.TextField(_("公開する職務経歴の概要"), blank=True, max_length=3000)
    redacted_skills = models.TextField(_("公開するスキル"), blank=True)
    search_text = models.TextField(editable=False, default="")
    summary_edited = models.BooleanField(_("アドバイザーが編集済み"), default=False)
    source_digest = models.CharField(max_length=64, editable=False, default="")
    roster_digest = models.CharField(max_length=64, editable=False, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["updated_at", "id"]
        verbose_name = _("人材プールの掲載")
        indexes = [models.Index(fields=["state", "updated_at"], name="pool_listing_state")]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.state}"

    @property
    def skills(self) -> list[str]:
        return [skill for skill in self.redacted_skills.split("\n") if skill]

    def refresh_search_text(self) -> None:
        self.search_text = search_key(f"{self.redacted_skills}\n{self.redacted_summary}")


class BookSnapshot(models.Model):
    """A statutory book's row (求人管理簿・求職管理簿, 職業安定法施行規則24条の8) kept after its source row went.

    Written in the same transaction as the deletion of a job order or of a person's account (signals in
    `placements/apps.py`), so the book keeps the entry for `BOOK_RETENTION_YEARS` after completion, as the law
    asks, even when the person asked to be erased (a legal obligation outranks the erasure, APPI 18条3項1号).
    `data` holds the cells as the book shows them; `placement_ids` lets the fee book name the person it placed.
    After `keep_until` the daily `book_snapshots_purge` deletes it.
    """

    class Book(models.TextChoices):
        JOB_ORDERS = "job_orders", _("求人管理簿")
        JOB_SEEKERS = "job_seekers", _("求職管理簿")

    book = models.CharField(_("管理簿"), max_length=20, choices=Book.choices)
    source_id = models.PositiveBigIntegerField(_("元の番号"))
    data = models.JSONField(_("記載内容"), default=dict)
    placement_ids = models.JSONField(default=list)
    received_on = models.DateField(_("受付年月日"))
    completed_on = models.DateField(_("完了日"))
    keep_until = models.DateField(_("保存期限"), db_index=True)
    created_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("管理簿の保存記録")
        constraints = [models.UniqueConstraint(fields=["book", "source_id"], name="book_snapshot_once")]

    def __str__(self) -> str:
        return f"{self.book} #{self.source_id}"


class JobChangeRequest(models.Model):
    """The person's own request, made on My Page, to hear about other jobs while the 2-year guard of an
    indefinite placement runs (rule 16): only this lifts the guard, and only for that placement."""

    candidate = models.ForeignKey("candidates.Candidate", on_delete=models.CASCADE, related_name="job_change_requests")
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="job_change_requests")
    created_at = models.DateTimeField(_("ご本人からの申し出日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("転職相談のお申し出")
        constraints = [
            models.UniqueConstraint(fields=["candidate", "placement"], name="job_change_request_once_per_placement")
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} / {self.placement_id}"
