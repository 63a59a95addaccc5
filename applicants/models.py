import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.jatext import search_key


class ApplicantQuerySet(models.QuerySet["Applicant"]):
    def search(self, query: str) -> "ApplicantQuerySet":
        from lib.jatext import matching_every_word

        return matching_every_word(self, query, "search_text")


def new_applicant_ref() -> str:
    return "cr-" + secrets.token_hex(8)


class ApplicantImport(models.Model):
    """One uploaded applicant CSV: its bytes (so any worker can resume it), progress and row report."""

    class Format(models.TextChoices):
        HERP = "herp", _("HERP Hire")
        HRMOS = "hrmos", _("HRMOS採用")
        GENERIC = "generic", _("その他の CSV (列の対応づけ)")

    class Status(models.TextChoices):
        PREVIEW = "preview", _("確認待ち")
        RUNNING = "running", _("取り込み中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="applicant_imports")
    filename = models.CharField(_("ファイル名"), max_length=255)
    format = models.CharField(_("形式"), max_length=20, choices=Format.choices)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.PREVIEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("応募者の取り込み")

    def __str__(self) -> str:
        return self.filename


class Applicant(models.Model):
    """A person a company rejected (不採用の応募者), as its ATS knows them: the recipient of a rejection email.

    The platform keeps only what the email needs. `ref` is what the personal relay link signs, and what a
    registration through that link stores as `Referral.applicant_ref`, so a referral is tied to this row.
    """

    class Source(models.TextChoices):
        CSV = "csv", _("CSV 取り込み")
        GREENHOUSE = "greenhouse", _("Greenhouse 連携")
        LEVER = "lever", _("Lever 連携")
        WEBHOOK = "webhook", _("汎用 Webhook")
        API = "api", _("API")
        MANUAL = "manual", _("手入力")

    class Stage(models.TextChoices):
        DOCUMENT = "document", _("書類選考")
        FIRST_INTERVIEW = "first_interview", _("一次面接")
        FINAL_INTERVIEW = "final_interview", _("最終面接")
        OTHER = "other", _("その他")

    class Track(models.TextChoices):
        NEW_GRADUATE = "new_graduate", _("新卒")
        MID_CAREER = "mid_career", _("中途")

    # The company's own applicant ids, whichever channel brings them (the API or the generic webhook): one
    # id names one person, so the same rejection reported through both is stored (and mailed) once.
    COMPANY_ID_SYSTEM = "company"

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="applicants")
    source = models.CharField(_("登録元"), max_length=20, choices=Source.choices)
    # Which system the external id belongs to ("herp", "hrmos", "greenhouse", "lever", "generic", "api"…):
    # ids from two systems never collide.
    external_system = models.CharField(_("連携元システム"), max_length=30, blank=True)
    external_id = models.CharField(_("応募者ID(ATS)"), max_length=100, blank=True)
    ref = models.CharField(_("応募者参照キー"), max_length=100, default=new_applicant_ref, editable=False)
    dedupe_key = models.CharField(max_length=400, editable=False)
    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(_("フリガナ"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"))
    email_normalized = models.CharField(max_length=254, editable=False, db_index=True)
    position = models.CharField(_("応募職種"), max_length=200, blank=True)
    stage = models.CharField(_("選考段階"), max_length=20, choices=Stage.choices, default=Stage.DOCUMENT)
    track = models.CharField(_("採用区分"), max_length=20, choices=Track.choices, default=Track.MID_CAREER)
    interview_date = models.DateField(_("面接日"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不採用日時"), null=True, blank=True)
    import_batch = models.ForeignKey(
        ApplicantImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="applicants"
    )
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("不採用応募者")
        constraints = [
            models.UniqueConstraint(fields=["company", "ref"], name="applicant_ref_unique_per_company"),
            models.UniqueConstraint(fields=["company", "dedupe_key"], name="applicant_dedupe_unique_per_company"),
        ]
        indexes = [models.Index(fields=["company", "rejected_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.position})" if self.position else self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = search_key(f"{self.name} {self.name_kana} {self.email} {self.position} {self.external_id}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def dedupe_key_for(*, external_system: str, external_id: str, email_normalized: str, position: str) -> str:
        """Same ATS id in the same system, or without one the same address applying to the same position."""
        if external_id:
            return f"id:{external_system}:{external_id}"
        return f"email:{email_normalized}|{search_key(position)}"
