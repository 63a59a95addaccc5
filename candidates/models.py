import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.choices import JobCategory, Prefecture
from lib.jatext import format_phone_national, matching_every_word, search_key


class CandidateQuerySet(models.QuerySet["Candidate"]):
    def search(self, query: str) -> "CandidateQuerySet":
        """Partial match on name, furigana, email, skills and summary; hiragana finds katakana and vice versa."""
        return matching_every_word(self, query, "search_text")


class Candidate(models.Model):
    """A person who registered through a relay link. Signs in by emailed magic link, never by password."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("氏名"), max_length=100)
    furigana = models.CharField(_("フリガナ"), max_length=100)
    email = models.EmailField(_("メールアドレス"))
    email_normalized = models.CharField(max_length=254, unique=True, editable=False)
    phone = models.CharField(_("電話番号"), max_length=20, unique=True, help_text=_("E.164 形式で保存します。"))
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

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = search_key(
            " ".join(
                [
                    self.name,
                    self.name.replace(" ", ""),
                    self.furigana,
                    self.furigana.replace(" ", ""),
                    self.email,
                    self.skills,
                    self.career_summary,
                ]
            )
        )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

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


class Consent(models.Model):
    """Every consent decision with the document version, time and channel (APPI); history is never edited."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("利用規約・個人情報の取扱いへの同意と、ご紹介のための導入企業へのプロフィール提供")
        RECHALLENGE = "rechallenge", _("不採用となった企業からの再チャレンジのご案内")
        NEWSLETTER = "newsletter", _("キャリアリレーからのお知らせ・求人情報メール")

    class Channel(models.TextChoices):
        WEB = "web", _("Web フォーム")
        MYPAGE = "mypage", _("マイページ")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    granted = models.BooleanField()
    version = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("同意記録")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {'同意' if self.granted else '不同意'} ({self.version})"

    @staticmethod
    def current_version() -> str:
        return f"terms:{settings.TERMS_VERSION}/privacy:{settings.PRIVACY_VERSION}"
