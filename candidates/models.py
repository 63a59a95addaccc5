import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.choices import JobCategory, Prefecture
from lib.jatext import (
    canonical_email,
    format_phone_national,
    matching_every_word,
    nfkc,
    phone_digits,
    phone_fragment,
    search_key,
)


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class CandidateQuerySet(models.QuerySet["Candidate"]):
    def search(self, query: str) -> "CandidateQuerySet":
        """Partial match on name, furigana, email, phone, skills and summary; hiragana finds katakana and vice
        versa; a phone typed with hyphens or brackets (080-5555, (03)1234) finds the number however it was typed."""
        words = [phone_digits(word) if phone_fragment(word) else word for word in nfkc(query).split()]
        return matching_every_word(self, " ".join(words), "search_text")

    def crm_filter(self, criteria: dict[str, Any], *, viewer: Any) -> "CandidateQuerySet":
        """The operator list's filters; `criteria` is `CandidateFilterForm.criteria()` (only valid values)."""
        rows: CandidateQuerySet = self.all()
        if "q" in criteria:
            rows = rows.search(criteria["q"])
        if "skills" in criteria:
            rows = matching_every_word(rows, criteria["skills"], "skills_text")
        exact = {"job_category": "job_category", "prefecture": "prefecture", "status": "pipeline_status"}
        for key, field in exact.items():
            if key in criteria:
                rows = rows.filter(**{field: criteria[key]})
        for name, field in (("experience", "years_of_experience"), ("salary", "desired_salary")):
            target = field
            if criteria.get("sort") != name:
                # A range that matches a good share of the table is far cheaper to check while walking the sort's
                # index than to read through its own index and sort afterwards; SQLite cannot tell the two apart
                # (it has no range statistics), so unless the list is sorted by this column the range is given as
                # an expression no index serves. NULL + 0 stays NULL, so people who left it blank stay out.
                target = f"{field}_value"
                rows = rows.alias(**{target: models.F(field) + 0})
            if f"{name}_min" in criteria:
                rows = rows.filter(**{f"{target}__gte": criteria[f"{name}_min"]})
            if f"{name}_max" in criteria:
                rows = rows.filter(**{f"{target}__lte": criteria[f"{name}_max"]})
        advisor = criteria.get("advisor")
        if advisor == "none":
            rows = rows.filter(advisor__isnull=True)
        elif advisor == "me":
            rows = rows.filter(advisor=viewer)
        elif advisor:
            rows = rows.filter(advisor_id=int(advisor))
        if "company" in criteria:
            rows = rows.filter(referral__company_id=criteria["company"])
        # Whole days in Japan time, as bounds on the indexed column (a __date lookup would defeat the index).
        if "registered_from" in criteria:
            rows = rows.filter(created_at__gte=_start_of_day(criteria["registered_from"]))
        if "registered_to" in criteria:
            rows = rows.filter(created_at__lt=_start_of_day(criteria["registered_to"] + timedelta(days=1)))
        return rows


def resume_upload_to(instance: Any, filename: str) -> str:
    # A random name: the stored path never carries the person's name nor a guessable sequence.
    return f"resumes/{uuid.uuid4().hex}.pdf"


class PipelineStatus(models.TextChoices):
    """Where the agency stands with a candidate, in the order the work usually goes."""

    NEW = "new", _("新規登録")
    ARRANGING = "arranging", _("面談調整中")
    INTERVIEWED = "interviewed", _("面談済")
    INTRODUCING = "introducing", _("紹介中")
    OFFERED = "offered", _("内定")
    HIRED = "hired", _("入社")
    WITHDRAWN = "withdrawn", _("離脱")


PIPELINE_ORDER = [
    PipelineStatus.NEW,
    PipelineStatus.ARRANGING,
    PipelineStatus.INTERVIEWED,
    PipelineStatus.INTRODUCING,
    PipelineStatus.OFFERED,
    PipelineStatus.HIRED,
]
# A candidate who left may come back; the advisor then starts again from the first steps.
REOPEN_TARGETS = [PipelineStatus.NEW, PipelineStatus.ARRANGING]


class Candidate(models.Model):
    """A person who registered through a relay link. Signs in by emailed magic link, never by password."""

    PipelineStatus = PipelineStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("氏名"), max_length=100)
    furigana = models.CharField(_("フリガナ"), max_length=100)
    email = models.EmailField(_("メールアドレス"))
    email_normalized = models.CharField(max_length=254, unique=True, editable=False)
    # One form per mailbox (lib.jatext.canonical_email): who is the same person. Mail goes to `email`, as typed.
    # Null only for a row registered before canonical forms whose mailbox an earlier row already had.
    email_canonical = models.CharField(max_length=254, unique=True, null=True, editable=False)
    # Not unique: nobody verifies a phone, so a typed number never merges two people (see candidate_register).
    phone = models.CharField(_("電話番号"), max_length=20, db_index=True, help_text=_("E.164 形式で保存します。"))
    # A new address asked for on My Page; `email` stays in force until a link mailed here is opened.
    pending_email = models.EmailField(_("確認待ちの新しいメールアドレス"), blank=True)
    prefecture = models.PositiveSmallIntegerField(_("お住まいの都道府県"), choices=Prefecture.choices)
    job_category = models.CharField(_("希望職種"), max_length=20, choices=JobCategory.choices)
    years_of_experience = models.PositiveSmallIntegerField(_("社会人経験年数"), validators=[MaxValueValidator(60)])
    skills = models.TextField(_("スキル・資格"), blank=True, max_length=1000)
    desired_salary = models.PositiveIntegerField(
        _("希望年収(万円)"), null=True, blank=True, validators=[MaxValueValidator(10000)]
    )
    career_summary = models.TextField(_("職務経歴の概要"), blank=True, max_length=3000)
    email_verified_at = models.DateTimeField(_("メール確認日時"), null=True, blank=True)
    first_interview_at = models.DateTimeField(_("初回面談日時"), null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    search_text = models.TextField(editable=False, default="")
    skills_text = models.TextField(editable=False, default="")
    pipeline_status = models.CharField(
        _("ステータス"), max_length=20, choices=PipelineStatus.choices, default=PipelineStatus.NEW
    )
    pipeline_changed_at = models.DateTimeField(_("ステータス更新日時"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("離脱の理由"), max_length=500, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当アドバイザー"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="advised_candidates",
        db_index=False,  # covered by the (advisor, created_at) index below
    )
    resume = models.FileField(_("履歴書・職務経歴書(PDF)"), upload_to=resume_upload_to, blank=True, max_length=200)
    resume_filename = models.CharField(_("履歴書のファイル名"), max_length=200, blank=True)
    resume_size = models.PositiveIntegerField(_("履歴書のサイズ"), null=True, blank=True)
    resume_uploaded_at = models.DateTimeField(_("履歴書の登録日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CandidateQuerySet.as_manager()

    # What the person tells us about themselves: the registration form, My Page and the data export.
    PROFILE_FIELDS = (
        "name",
        "furigana",
        "email",
        "phone",
        "prefecture",
        "job_category",
        "years_of_experience",
        "skills",
        "desired_salary",
        "career_summary",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("求職者")
        # The CRM list always sorts by registration date within a filter: one composite index per common filter.
        indexes = [
            models.Index(fields=["pipeline_status", "created_at"], name="cand_status_created"),
            models.Index(fields=["advisor", "created_at"], name="cand_advisor_created"),
            models.Index(fields=["prefecture", "job_category", "created_at"], name="cand_pref_job_created"),
            models.Index(fields=["job_category", "created_at"], name="cand_job_created"),
            models.Index(fields=["furigana", "id"], name="cand_furigana"),
            # The salary sort's index (NULLS LAST) differs per database: see migration 0004.
            models.Index(
                models.F("years_of_experience").desc(),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="cand_experience_sort",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.refresh_search_text()
        if self._state.adding or self.email_canonical is not None:
            self.email_canonical = canonical_email(self.email)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "email" in update_fields:  # type: ignore[operator]
                kwargs["update_fields"] = [*update_fields, "email_canonical"]  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def refresh_search_text(self) -> None:
        """Recompute the normalised search columns; `save` does it, bulk loads must call it themselves."""
        self.search_text = search_key(
            " ".join(
                [
                    self.name,
                    self.name.replace(" ", ""),
                    self.furigana,
                    self.furigana.replace(" ", ""),
                    self.email,
                    phone_digits(format_phone_national(self.phone)) if self.phone else "",
                    self.skills,
                    self.career_summary,
                ]
            )
        )
        self.skills_text = search_key(self.skills)

    def pipeline_can_move_to(self, status: str) -> bool:
        """Any step forward; 離脱 from anywhere; back from 離脱 only to the first steps."""
        current = self.pipeline_status
        if status == current:
            return False
        if status == PipelineStatus.WITHDRAWN:
            return True
        if current == PipelineStatus.WITHDRAWN:
            return status in REOPEN_TARGETS
        return PIPELINE_ORDER.index(PipelineStatus(status)) > PIPELINE_ORDER.index(PipelineStatus(current))

    def pipeline_is_before(self, status: str) -> bool:
        """True when the candidate is on an earlier step of the ordinary path (never when withdrawn)."""
        if self.pipeline_status == PipelineStatus.WITHDRAWN:
            return False
        return PIPELINE_ORDER.index(PipelineStatus(self.pipeline_status)) < PIPELINE_ORDER.index(PipelineStatus(status))

    def pipeline_targets(self) -> list[tuple[str, Any]]:
        return [(value, label) for value, label in PipelineStatus.choices if self.pipeline_can_move_to(value)]

    @property
    def phone_display(self) -> str:
        return format_phone_national(self.phone)

    @property
    def skill_list(self) -> list[str]:
        from lib.jatext import split_skills

        return split_skills(self.skills)

    def current_consents(self) -> dict[str, bool]:
        state = {kind: False for kind in Consent.Kind.values}
        for consent in self.consents.order_by("created_at", "id"):
            state[consent.kind] = consent.granted
        return state

    def consents_to_service(self) -> bool:
        """The latest decision on the service consent: registering requires it; withdrawing it stops counting."""
        return self.current_consents()[Consent.Kind.SERVICE]


class Consent(models.Model):
    """Every consent decision with the document version, time and channel (APPI); history is never edited."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("利用規約・個人情報の取扱いへの同意と、ご紹介のための導入企業へのプロフィール提供")
        RECHALLENGE = "rechallenge", _("不採用となった企業からの再チャレンジのご案内")
        NEWSLETTER = "newsletter", _("キャリアリレーからのお知らせ・求人情報メール")
        # Off unless the person ticks it: the company that rejected them learns of their registration only then
        # (its outbox shows 登録 for them); otherwise only in aggregates (insights.selectors.registrations).
        SHARE_WITH_COMPANY = "share_with_company", _("ご登録いただいたことを、ご案内元の企業に知らせること")

    class Channel(models.TextChoices):
        WEB = "web", _("Web フォーム")
        MYPAGE = "mypage", _("マイページ")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    granted = models.BooleanField()
    version = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The exact wording the person was shown (candidates/consent_texts.py): the versioned row, and the text as
    # rendered for them (with the company's name filled in). Rows from before wordings were kept may lack it.
    consent_text = models.ForeignKey(
        "candidates.ConsentText", null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    wording = models.TextField(_("同意した文言"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("同意記録")
        # A person's latest decision on one kind, read per referral by the re-challenge eligibility.
        indexes = [
            models.Index(
                "candidate",
                "kind",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="consent_latest_decision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {'同意' if self.granted else '不同意'} ({self.version})"

    @staticmethod
    def current_version() -> str:
        return f"terms:{settings.TERMS_VERSION}/privacy:{settings.PRIVACY_VERSION}"

    @property
    def agreed_text(self) -> str:
        """What the person read when giving or refusing this consent ("" if it was never recorded)."""
        if self.wording:
            return self.wording
        if self.consent_text is not None:
            return f"{self.consent_text.text}\n{self.consent_text.note}".strip()
        return ""


class ConsentText(models.Model):
    """One version of the exact wording of a consent, as a screen shows it. Never edited: a change is a new row."""

    class Surface(models.TextChoices):
        REGISTRATION = "registration", _("登録フォーム")
        MYPAGE = "mypage", _("マイページの同意の設定")

    kind = models.CharField(max_length=20, choices=Consent.Kind.choices)
    surface = models.CharField(max_length=20, choices=Surface.choices)
    language = models.CharField(max_length=10)
    version = models.PositiveIntegerField()
    text = models.TextField(_("文言"))
    note = models.TextField(_("補足の文言"), blank=True)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "surface", "language", "-version"]
        verbose_name = _("同意の文言")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "surface", "language", "version"], name="consent_text_one_version_per_wording"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.surface}/{self.language} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A consent wording is never edited: publish a new version instead.")
        super().save(*args, **kwargs)


class PipelineEvent(models.Model):
    """One move of a candidate's pipeline status; the reason stays with the person and goes when they do."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="pipeline_events")
    from_status = models.CharField(max_length=20, choices=PipelineStatus.choices)
    to_status = models.CharField(max_length=20, choices=PipelineStatus.choices)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ステータス履歴")

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.from_status} → {self.to_status}"


class CandidateNote(models.Model):
    """An operator's note about a candidate. Never shown to the candidate or to companies."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(_("メモ"), max_length=5000)
    created_at = models.DateTimeField(_("記入日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("メモ")

    def __str__(self) -> str:
        return f"note {self.pk} on {self.candidate_id}"


class AdvisorInterview(models.Model):
    """A career interview (面談) between a candidate and their advisor."""

    class Method(models.TextChoices):
        ONLINE = "online", _("オンライン")
        IN_PERSON = "in_person", _("対面")
        PHONE = "phone", _("電話")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("予定")
        HELD = "held", _("実施済み")
        CANCELLED = "cancelled", _("キャンセル")
        NO_SHOW = "no_show", _("不参加")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="interviews")
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当アドバイザー"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="advisor_interviews",
    )
    starts_at = models.DateTimeField(_("開始日時"))
    duration_minutes = models.PositiveSmallIntegerField(_("所要時間(分)"), default=60)
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices)
    location = models.CharField(_("場所・URL"), max_length=500, blank=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    note = models.TextField(_("メモ"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("面談")
        indexes = [
            models.Index(fields=["candidate", "starts_at"], name="interview_cand_starts"),
            models.Index(fields=["status", "starts_at"], name="interview_status_starts"),
        ]

    def __str__(self) -> str:
        return f"interview {self.pk} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def location_is_url(self) -> bool:
        return self.location.startswith(("https://", "http://"))


class ErasedIdentity(models.Model):
    """A salted one-way hash of a deleted person's canonical e-mail or phone (candidates.identity).

    Nothing can be read back from it; it only answers "was this address or number here before?", so a person who
    deletes their account and registers again is a touch, never a new counted referral (one person, one count)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("メールアドレス")
        PHONE = "phone", _("電話番号")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    digest = models.CharField(max_length=64)
    # The company the erased person's referral belonged to: the company a return would have been farmed for.
    company = models.ForeignKey("companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    erased_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("退会者の照合用ハッシュ")
        constraints = [models.UniqueConstraint(fields=["kind", "digest"], name="erased_identity_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.digest[:8]}"
