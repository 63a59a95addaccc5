import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.jatext import nfkc, normalize_email, search_key

# The fields an imported row can fill (the keys of an ImportPreset's mapping), in the order a mapping form shows
# them, with the label every screen and row report uses.
IMPORT_FIELDS: dict[str, object] = {
    "external_id": _("応募者ID"),
    "name": _("氏名"),
    "last_name": _("姓"),
    "first_name": _("名"),
    "name_kana": _("フリガナ"),
    "last_name_kana": _("セイ"),
    "first_name_kana": _("メイ"),
    "email": _("メールアドレス"),
    "position": _("応募職種"),
    "stage": _("選考段階"),
    "track": _("採用区分"),
    "interview_date": _("面接日"),
    "rejected_at": _("不採用日"),
    "outcome": _("選考終了理由"),
    "status": _("選考ステータス"),
    "withdrawn_at": _("辞退日"),
    "hired_at": _("入社日"),
}


# Why a row was wiped at the end of the data we hold for a company (relay/entrusted.py, DESIGN.md rule 14). Only a
# person who registered keeps such a row (for the referral's count): the company never sees it, or the rows it still
# sees would tell it who registered.
RETENTION_EXPIRED = "委託データの保管期間の満了"
RETENTION_EARLY = "企業のご依頼による委託データの削除"
RETENTION_REASONS = (RETENTION_EXPIRED, RETENTION_EARLY)


class ApplicantQuerySet(models.QuerySet["Applicant"]):
    def search(self, query: str) -> "ApplicantQuerySet":
        from lib.jatext import matching_every_word

        return matching_every_word(self, query, "search_text")

    def company_visible(self) -> "ApplicantQuerySet":
        """What the company's screens and the API show: everything but the rows kept after the retention term."""
        return self.exclude(erased_at__isnull=False, closed_reason__in=RETENTION_REASONS)


def new_applicant_ref() -> str:
    return "cr-" + secrets.token_hex(8)


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
        # The steps Japanese ATSs (HERP Hire, HRMOS採用, Greenhouse and Lever as used in Japan) name, in order.
        DOCUMENT = "document", _("書類選考")
        CASUAL_INTERVIEW = "casual_interview", _("カジュアル面談")
        APTITUDE_TEST = "aptitude_test", _("適性検査")
        FIRST_INTERVIEW = "first_interview", _("一次面接")
        SECOND_INTERVIEW = "second_interview", _("二次面接")
        LATER_INTERVIEW = "later_interview", _("三次以降・役員面接")
        FINAL_INTERVIEW = "final_interview", _("最終面接")
        GROUP_DISCUSSION = "group_discussion", _("グループディスカッション")
        OTHER = "other", _("その他")

    class Hold(models.TextChoices):
        """Why a rejection mail waits for a person instead of going (DESIGN.md §3 rule 13: fail closed)."""

        NONE = "", _("なし")
        UNKNOWN_REASON = "unknown_reason", _("選考終了理由の確認待ち")
        UNVERIFIED = "unverified", _("ATS での確認待ち")
        DATE_OUT_OF_RANGE = "date_out_of_range", _("不採用日の確認待ち")

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
    # Why selection ended, in the company's vocabulary (None: not known yet, so never mailed), and the words the
    # ATS or file used for it, so a person can map them.
    reason = models.ForeignKey(
        "RejectionReason",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applicants",
        verbose_name=_("選考終了理由"),
    )
    reason_text = models.CharField(_("ATS での選考終了理由"), max_length=200, blank=True)
    hold = models.CharField(_("確認待ち"), max_length=30, choices=Hold.choices, blank=True, default="")
    hold_detail = models.CharField(_("確認待ちの詳細"), max_length=500, blank=True)
    # The ATS says the person may not be e-mailed (Greenhouse `can_email: false`): recorded, never mailed.
    can_email = models.BooleanField(_("メール送信可"), default=True)
    # The ATS's id of the person (Greenhouse candidate, Lever contact, HERP candidate): one person may have
    # several applications, and a hire or deletion names the person.
    person_id = models.CharField(_("候補者ID(ATS)"), max_length=100, blank=True, db_index=True)
    # The rejection no longer stands (un-rejected, hired, deleted in the ATS): nothing is mailed any more.
    closed_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True)
    closed_reason = models.CharField(_("取り消しの理由"), max_length=300, blank=True)
    erased_at = models.DateTimeField(_("個人情報の削除日時"), null=True, blank=True)
    # The company downloaded this person's personal link for its own mail merge.
    link_exported_at = models.DateTimeField(_("個人用リンクの書き出し日時"), null=True, blank=True)
    import_batch = models.ForeignKey(
        "ApplicantImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="applicants"
    )
    # The spreadsheet row (header = 1) it came from, so the report can say "same person as row 12".
    import_row = models.PositiveIntegerField(_("取り込み元の行"), null=True, blank=True)
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
        indexes = [
            models.Index(fields=["company", "rejected_at"]),
            models.Index(fields=["company", "updated_at", "id"]),
            models.Index(fields=["company", "hold"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.position})" if self.position else self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.refresh_search_text()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def refresh_search_text(self) -> None:
        self.search_text = search_text_for(
            name=self.name,
            name_kana=self.name_kana,
            email=self.email,
            position=self.position,
            external_id=self.external_id,
        )

    @property
    def mail_refusal(self) -> str | None:
        """Why no rejection mail may go to this person now, or None when one may (DESIGN.md §3 rule 13)."""
        if self.erased_at is not None:
            return str(_("ATS で削除された応募者のため、メールは送りません。"))
        if self.closed_at is not None:
            return self.closed_reason or str(_("ATS で選考結果が取り消されたため、メールは送りません。"))
        if not self.can_email:
            return str(_("ATS でメール送信不可 (can_email: false) とされているため、メールは送りません。"))
        if self.hold:
            label = str(self.Hold(self.hold).label)
            return f"{label}: {self.hold_detail}" if self.hold_detail else label
        reason = self.reason
        if reason is None:
            return str(_("選考終了理由が確認できないため、メールは送りません。"))
        if not reason.sends_mail:
            return str(_("選考終了理由が「%(reason)s」のため、お祈りメールの対象外です。") % {"reason": reason.name})
        return None

    @staticmethod
    def dedupe_key_for(*, external_system: str, external_id: str, email_normalized: str, position: str) -> str:
        """Same ATS id in the same system, or without one the same address applying to the same position."""
        if external_id:
            return f"id:{external_system}:{external_id}"
        return f"email:{email_normalized}|{search_key(position)}"


def search_text_for(*, name: str, name_kana: str, email: str, position: str, external_id: str) -> str:
    return search_key(f"{name} {name_kana} {email} {position} {external_id}")


@dataclass(frozen=True, slots=True)
class NormalizedApplicant:
    """An applicant's identity the way it is stored and compared, whichever way it arrives (form, API, CSV)."""

    external_system: str
    external_id: str
    name: str
    name_kana: str
    email: str
    position: str
    dedupe_key: str

    @property
    def search_text(self) -> str:
        # Computed on use: a CSV preview normalises every row but stores none.
        return search_text_for(
            name=self.name,
            name_kana=self.name_kana,
            email=self.email,
            position=self.position,
            external_id=self.external_id,
        )


def applicant_normalized(
    *, name: str, email: str, external_system: str = "", external_id: str = "", name_kana: str = "", position: str = ""
) -> NormalizedApplicant:
    """NFKC, normalised address and the de-duplication key: the one normalisation every way in shares."""
    external_id = nfkc(external_id)
    email_normalized = normalize_email(email)
    position = nfkc(position)
    name = nfkc(name)
    name_kana = nfkc(name_kana)
    return NormalizedApplicant(
        external_system=external_system,
        external_id=external_id,
        name=name,
        name_kana=name_kana,
        email=email_normalized,
        position=position,
        dedupe_key=Applicant.dedupe_key_for(
            external_system=external_system,
            external_id=external_id,
            email_normalized=email_normalized,
            position=position,
        ),
    )


class RejectionReason(models.Model):
    """Why a selection ended, in a company's own vocabulary, and whether it means "send a rejection mail".

    Every company starts with HERP Hire's four (不採用 / 応募者辞退 / 入社決定 / 非選考対象); only 不採用 sends.
    A company adds its own and maps the ATS's words onto them (AtsMapping).
    """

    class Code(models.TextChoices):
        REJECTED = "rejected", _("不採用")
        WITHDRAWN = "withdrawn", _("応募者辞退")
        HIRED = "hired", _("入社決定")
        NOT_SCREENED = "not_screened", _("非選考対象")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="rejection_reasons")
    name = models.CharField(_("理由"), max_length=50)
    # Set on the four standard reasons, so code can find them whatever the company renamed them to.
    code = models.CharField(_("標準の理由"), max_length=20, choices=Code.choices, blank=True)
    sends_mail = models.BooleanField(_("お祈りメールを送る"), default=False)
    position = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("選考終了理由")
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="rejection_reason_name_unique_per_company"),
            models.UniqueConstraint(
                fields=["company", "code"], condition=~models.Q(code=""), name="rejection_reason_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


STANDARD_REASONS: tuple[tuple[str, bool], ...] = (
    (RejectionReason.Code.REJECTED, True),
    (RejectionReason.Code.WITHDRAWN, False),
    (RejectionReason.Code.HIRED, False),
    (RejectionReason.Code.NOT_SCREENED, False),
)


class AtsMapping(models.Model):
    """How a company's ATS names things, mapped onto ours: a stage name, a job (name or id) or a selection-end
    reason. Greenhouse, Lever, HERP Hire, the generic webhook, the API and CSV files all read the same table."""

    class Kind(models.TextChoices):
        STAGE = "stage", _("選考段階")
        TRACK = "track", _("採用区分 (求人名・求人ID)")
        REASON = "reason", _("選考終了理由")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="ats_mappings")
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    # The ATS's words as typed, and the key they are compared by (NFKC, lower case, no spaces).
    label = models.CharField(_("ATS での表記"), max_length=200)
    match = models.CharField(max_length=200, editable=False)
    stage = models.CharField(_("選考段階"), max_length=20, choices=Applicant.Stage.choices, blank=True)
    track = models.CharField(_("採用区分"), max_length=20, choices=Applicant.Track.choices, blank=True)
    reason = models.ForeignKey(
        RejectionReason,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mappings",
        verbose_name=_("選考終了理由"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "label", "id"]
        verbose_name = _("ATS の表記の対応づけ")
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "match"], name="ats_mapping_unique_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label}"

    @property
    def target_label(self) -> str:
        if self.kind == self.Kind.STAGE:
            return str(Applicant.Stage(self.stage).label) if self.stage else ""
        if self.kind == self.Kind.TRACK:
            return str(Applicant.Track(self.track).label) if self.track else ""
        return self.reason.name if self.reason else ""


class ImportPreset(models.Model):
    """A company's saved column mapping for CSVs from a system we do not recognise: our field → their header."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="import_presets")
    name = models.CharField(_("プリセット名"), max_length=100)
    # {"name": "氏名", "email": "E-mail", ...}: keys are IMPORT_FIELDS.
    mapping = models.JSONField(_("列の対応づけ"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("列の対応づけプリセット")
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="import_preset_name_unique_per_company")
        ]

    def __str__(self) -> str:
        return self.name


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
    preset = models.ForeignKey(
        ImportPreset,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        verbose_name=_("プリセット"),
    )
    encoding = models.CharField(_("文字コード"), max_length=20, blank=True)
    delimiter = models.CharField(_("区切り文字"), max_length=1, default=",")
    # The mapping in force when the file was uploaded (our field → header), so editing a preset later
    # cannot change how an import that is already under way reads the rest of its rows.
    columns = models.JSONField(_("列の対応づけ"), default=dict)
    default_stage = models.CharField(
        _("選考段階(ファイルにない場合)"), max_length=20, choices=Applicant.Stage.choices, default="document"
    )
    default_track = models.CharField(
        _("採用区分(ファイルにない場合)"), max_length=20, choices=Applicant.Track.choices, default="mid_career"
    )
    file_size = models.PositiveIntegerField(_("ファイルサイズ"), default=0)
    total_rows = models.PositiveIntegerField(_("データ行数"), default=0)
    preview_valid = models.PositiveIntegerField(default=0)
    preview_invalid = models.PositiveIntegerField(default=0)
    preview_duplicates = models.PositiveIntegerField(default=0)
    preview_not_rejected = models.PositiveIntegerField(default=0)
    preview_held = models.PositiveIntegerField(default=0)
    preview_rows = models.JSONField(default=list)
    # Progress, committed with each chunk: the index (0-based, among data records) of the next record to read.
    next_record = models.PositiveIntegerField(default=0)
    stored_count = models.PositiveIntegerField(_("登録件数"), default=0)
    duplicate_count = models.PositiveIntegerField(_("重複件数"), default=0)
    invalid_count = models.PositiveIntegerField(_("エラー件数"), default=0)
    not_rejected_count = models.PositiveIntegerField(_("対象外の件数"), default=0)
    held_count = models.PositiveIntegerField(_("確認待ちの件数"), default=0)
    error = models.TextField(_("エラー内容"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    # Every chunk commits a heartbeat within seconds; a running import silent for this long lost its worker, and the
    # per-minute job resumes it, so an import never waits more than about two minutes after a crash.
    STALLED_AFTER = timedelta(seconds=60)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("応募者の取り込み")

    def __str__(self) -> str:
        return self.filename

    @property
    def processed_rows(self) -> int:
        return self.stored_count + self.duplicate_count + self.invalid_count + self.not_rejected_count

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total_rows else min(100, round(100 * self.next_record / self.total_rows))

    @property
    def is_stalled(self) -> bool:
        """Running, but no chunk committed for a while: its worker stopped and it waits for the automatic resume."""
        return (
            self.status == self.Status.RUNNING
            and self.heartbeat_at is not None
            and timezone.now() - self.heartbeat_at > self.STALLED_AFTER
        )

    @property
    def can_resume(self) -> bool:
        return self.status in (self.Status.RUNNING, self.Status.FAILED) and self.next_record < self.total_rows


class ApplicantImportFile(models.Model):
    """The uploaded bytes, in the database so that any worker on any machine can process or resume the import.

    A separate table so that listing imports never loads megabytes of CSV.
    """

    batch = models.OneToOneField(ApplicantImport, on_delete=models.CASCADE, related_name="file")
    content = models.BinaryField()

    class Meta:
        verbose_name = _("取り込みファイル")

    def __str__(self) -> str:
        return f"file of import {self.batch_id}"


class ImportRowIssue(models.Model):
    """One row the import did not store, and why: the row-by-row report."""

    class Kind(models.TextChoices):
        INVALID = "invalid", _("エラー")
        DUPLICATE_IN_FILE = "duplicate_in_file", _("ファイル内の重複")
        DUPLICATE_EXISTING = "duplicate_existing", _("登録済みと重複")
        NOT_REJECTED = "not_rejected", _("対象外")

    batch = models.ForeignKey(ApplicantImport, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField(_("行"))
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    message = models.TextField(_("内容"))  # as written when stored (the uploader's language); see `details`
    details = models.JSONField(default=list)  # [[code, {values}], …]: applicants.problems.issue_message renders them

    class Meta:
        ordering = ["row_number", "id"]
        verbose_name = _("取り込めなかった行")
        constraints = [models.UniqueConstraint(fields=["batch", "row_number", "kind"], name="import_row_issue_unique")]

    def __str__(self) -> str:
        return self.message
