from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

NPS_MIN, NPS_MAX = 0, 10
SCALE_MIN, SCALE_MAX = 1, 5
COMMENT_MAX_LENGTH = 500


class ContactSpeed(models.IntegerChoices):
    VERY_SLOW = 1, _("とても遅かった")
    SLOW = 2, _("やや遅かった")
    NORMAL = 3, _("ふつう")
    FAST = 4, _("やや早かった")
    VERY_FAST = 5, _("とても早かった")


class Agreement(models.IntegerChoices):
    NOT_AT_ALL = 1, _("まったくそう思わない")
    NOT_REALLY = 2, _("あまりそう思わない")
    NEUTRAL = 3, _("どちらともいえない")
    SOMEWHAT = 4, _("ややそう思う")
    STRONGLY = 5, _("とてもそう思う")


class Interest(models.IntegerChoices):
    NONE = 1, _("まったく関心がない")
    LITTLE = 2, _("あまり関心がない")
    NEUTRAL = 3, _("どちらともいえない")
    SOME = 4, _("やや関心がある")
    STRONG = 5, _("とても関心がある")


class SurveyResponseQuerySet(models.QuerySet["SurveyResponse"]):
    def counted(self) -> "SurveyResponseQuerySet":
        """Answers the KPIs use: not those of a registration the operator invalidated (fake or duplicate).

        An answer whose candidate has deleted their account stays: the person is gone, the answer is anonymous.
        """
        return self.exclude(candidate__referral__status="invalidated")


class SurveyResponse(models.Model):
    """A rejected candidate's answer about the selection experience with the company that rejected them.

    Holds nothing about the person but the link to the candidate, which becomes empty when they delete their
    account, so the answer keeps counting. Companies only ever see aggregates; nobody edits an answer.
    """

    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="survey_responses")
    nps = models.PositiveSmallIntegerField(
        _("この企業を友人・知人に勧めたい度合い(0〜10)"),
        validators=[MinValueValidator(NPS_MIN), MaxValueValidator(NPS_MAX)],
    )
    contact_speed = models.PositiveSmallIntegerField(_("選考結果のご連絡の速さ"), choices=ContactSpeed.choices)
    contact_courtesy = models.PositiveSmallIntegerField(_("ご連絡の丁寧さ・誠実さ"), choices=Agreement.choices)
    future_interest = models.PositiveSmallIntegerField(_("今後のこの企業への関心"), choices=Interest.choices)
    comment = models.TextField(_("ご意見・ご感想"), blank=True, max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("回答日時"), auto_now_add=True, db_index=True)

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("満足度アンケートの回答")
        indexes = [models.Index(fields=["company", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "company"], name="survey_response_one_per_candidate"),
            models.CheckConstraint(condition=Q(nps__gte=NPS_MIN, nps__lte=NPS_MAX), name="survey_response_nps_range"),
            models.CheckConstraint(
                condition=Q(contact_speed__gte=SCALE_MIN, contact_speed__lte=SCALE_MAX)
                & Q(contact_courtesy__gte=SCALE_MIN, contact_courtesy__lte=SCALE_MAX)
                & Q(future_interest__gte=SCALE_MIN, future_interest__lte=SCALE_MAX),
                name="survey_response_scales_range",
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.company_id} #{self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("SurveyResponse is never edited")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class SurveyInvitation(models.Model):
    """The one later email inviting a candidate to the survey; its row makes sure it goes out only once."""

    candidate = models.OneToOneField("candidates.Candidate", on_delete=models.CASCADE, related_name="survey_invitation")
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("送信日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("満足度アンケートのご案内")

    def __str__(self) -> str:
        return f"survey invitation {self.candidate_id}"


YEN_MAX = 100_000_000_000  # 1,000億円: above is a typo


class RecruitingCostProfile(models.Model):
    """What a company declares once about its recruiting costs, for the cost reduction rate (DESIGN.md §5)."""

    company = models.OneToOneField("companies.Company", on_delete=models.CASCADE, related_name="recruiting_costs")
    yearly_spend_yen = models.PositiveBigIntegerField(
        _("年間の採用費(円)"),
        validators=[MaxValueValidator(YEN_MAX)],
        help_text=_("求人広告・人材紹介手数料など、採用にかかる1年間の費用の合計です。"),
    )
    average_fee_yen = models.PositiveBigIntegerField(
        _("人材紹介手数料の平均(円・1名あたり)"), validators=[MaxValueValidator(YEN_MAX)]
    )
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("採用費の申告")

    def __str__(self) -> str:
        return f"recruiting costs {self.company_id}"


class MonthlyReport(models.Model):
    """The monthly summary email of one company for one calendar month: at most one, ever."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="monthly_reports")
    month = models.DateField(_("対象月"), help_text=_("対象月の1日"))
    recipients = models.PositiveIntegerField(_("送信先の数"), default=0)
    created_at = models.DateTimeField(_("送信日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("月次レポート")
        constraints = [models.UniqueConstraint(fields=["company", "month"], name="monthly_report_once_per_month")]

    def __str__(self) -> str:
        return f"monthly report {self.company_id} {self.month:%Y-%m}"
