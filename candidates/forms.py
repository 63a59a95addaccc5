import hashlib
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import F
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from candidates.consent_texts import consent_label, consent_texts_current
from candidates.models import Candidate, Consent, ConsentText
from lib.choices import JobCategory, Prefecture
from lib.forms import NormalizedEmailField, widgets_named_by_labels
from lib.jatext import (
    canonical_email,
    email_address_valid,
    nfkc,
    normalize_email,
    normalize_furigana,
    normalize_phone,
    personal_name_valid,
    split_skills,
)

# What an empty required field says: which field, politely (never the generic 「このフィールドは必須です。」).
REQUIRED_MESSAGES = {
    "name": _("お名前をご入力ください。"),
    "furigana": _("フリガナをご入力ください。"),
    "email": _("メールアドレスをご入力ください。"),
    "phone": _("電話番号をご入力ください。"),
    "prefecture": _("お住まいの都道府県をお選びください。"),
    "job_category": _("希望職種をお選びください。"),
    "years_of_experience": _("経験年数をご入力ください(未経験の方は 0)。"),
}
CHOICE_MESSAGES = {
    "prefecture": _("お住まいの都道府県を一覧からお選びください。"),
    "job_category": _("希望職種を一覧からお選びください。"),
}


class ProfileForm(forms.ModelForm[Candidate]):
    """Name, furigana, contact and career basics. Nothing a placement agency may not collect (職業安定法)."""

    prefecture = forms.TypedChoiceField(
        label=_("お住まいの都道府県"), coerce=int, choices=[("", _("選択してください")), *Prefecture.choices]
    )
    job_category = forms.ChoiceField(label=_("希望職種"), choices=[("", _("選択してください")), *JobCategory.choices])
    years_of_experience = forms.CharField(label=_("社会人経験年数"), max_length=5)
    desired_salary = forms.CharField(label=_("希望年収(万円)"), max_length=8, required=False)
    email = forms.CharField(label=_("メールアドレス"), max_length=254)
    phone = forms.CharField(label=_("電話番号"), max_length=30)

    class Meta:
        model = Candidate
        fields = list(Candidate.PROFILE_FIELDS)
        widgets = {
            "skills": forms.Textarea(attrs={"rows": 2}),
            "career_summary": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "skills": _("読点(、)やカンマで区切ってください。例: Python、簿記2級、法人営業"),
            "career_summary": _("これまでのお仕事やご経験を簡単にお書きください(任意)。"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        placeholders = {
            "name": "山田 花子",
            "furigana": "ヤマダ ハナコ",
            "email": "hanako@example.jp",
            "phone": "090-1234-5678",
            "years_of_experience": "3",
            "desired_salary": "450",
        }
        autocomplete = {"name": "name", "email": "email", "phone": "tel", "furigana": "off"}
        for name, field in self.fields.items():
            if name in placeholders:
                field.widget.attrs["placeholder"] = placeholders[name]
            if name in autocomplete:
                field.widget.attrs["autocomplete"] = autocomplete[name]
        self.fields["email"].widget.input_type = "email"
        self.fields["phone"].widget.input_type = "tel"
        self.fields["years_of_experience"].widget.attrs["inputmode"] = "numeric"
        self.fields["desired_salary"].widget.attrs["inputmode"] = "numeric"
        if self.instance.pk:
            self.initial["phone"] = self.instance.phone_display
        for name, message in REQUIRED_MESSAGES.items():
            self.fields[name].error_messages["required"] = message
        for name, message in CHOICE_MESSAGES.items():
            self.fields[name].error_messages["invalid_choice"] = message

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"]).strip()
        if not personal_name_valid(name):
            raise forms.ValidationError(_("お名前は文字でご入力ください(数字・記号・絵文字は使えません)。"))
        if len(name.replace(" ", "")) < 2:
            raise forms.ValidationError(_("氏名をフルネームでご入力ください。"))
        return name

    def clean_furigana(self) -> str:
        furigana = normalize_furigana(self.cleaned_data["furigana"])
        if furigana is None:
            raise forms.ValidationError(_("フリガナはカタカナまたはひらがなでご入力ください。"))
        return furigana

    def clean_email(self) -> str:
        email = nfkc(self.cleaned_data["email"]).replace(" ", "")
        if not email_address_valid(email):
            raise forms.ValidationError(_("メールアドレスの形式が正しくありません。例: hanako@example.jp"))
        return email

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError(_("電話番号を正しくご入力ください。例: 090-1234-5678"))
        others = Candidate.objects.filter(phone=phone).exclude(pk=self.instance.pk)
        if self.instance.pk and phone != self.instance.phone and others.exists():
            raise forms.ValidationError(_("この電話番号は別のアカウントで登録されています。"))
        return phone

    def _clean_whole_number(self, field: str, maximum: int, message: Any) -> int | None:
        raw = nfkc(self.cleaned_data.get(field) or "").replace(",", "").replace("年", "").replace("万円", "")
        raw = raw.replace("万", "")
        if not raw:
            return None
        if not raw.isdigit() or int(raw) > maximum:
            raise forms.ValidationError(message)
        return int(raw)

    def clean_years_of_experience(self) -> int:
        value = self._clean_whole_number(
            "years_of_experience", 60, _("経験年数は 0〜60 の数字でご入力ください(未経験の方は 0)。")
        )
        if value is None:
            raise forms.ValidationError(_("経験年数をご入力ください(未経験の方は 0)。"))
        return value

    def clean_desired_salary(self) -> int | None:
        return self._clean_whole_number("desired_salary", 10000, _("希望年収は万円単位の数字でご入力ください。例: 450"))

    def clean_skills(self) -> str:
        return "、".join(split_skills(self.cleaned_data.get("skills", "")))

    def clean_career_summary(self) -> str:
        return (self.cleaned_data.get("career_summary") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "email" in cleaned:
            cleaned["email_normalized"] = normalize_email(cleaned["email"])
            others = Candidate.objects.filter(email_canonical=canonical_email(cleaned["email"])).exclude(
                pk=self.instance.pk
            )
            if self.instance.pk and others.exists():
                self.add_error("email", _("このメールアドレスは別のアカウントで登録されています。"))
        return cleaned

    def _post_clean(self) -> None:
        # Uniqueness is the registration service's business (an existing person becomes a touch), not an error.
        pass


def _label_from_consent_texts(
    form: forms.BaseForm, surface: str, fields: Mapping[str, str], company_name: str = ""
) -> None:
    """Each consent field's label and help text are the active ConsentText's (shown == stored)."""
    rows = consent_texts_current(kinds=fields.values(), surface=surface)
    for field_name, kind in fields.items():
        row = rows[kind]
        form.fields[field_name].label = consent_label(row, company_name=company_name)
        form.fields[field_name].help_text = row.note


class RegistrationForm(ProfileForm):
    # Labels come from candidates/consent_texts.py (the versioned wording), set in __init__.
    agree_service = forms.BooleanField(
        error_messages={"required": _("ご登録には利用規約と個人情報の取扱いへの同意が必要です。")},
    )
    # The company chooses whom to invite, so opting in to re-challenge tells it that this person registered.
    agree_rechallenge = forms.BooleanField(required=False)
    agree_newsletter = forms.BooleanField(required=False)
    # Off by default: without it the rejecting company learns of the registration only in aggregate figures.
    agree_share_with_company = forms.BooleanField(required=False)

    CONSENT_FIELDS = {
        "agree_service": Consent.Kind.SERVICE,
        "agree_rechallenge": Consent.Kind.RECHALLENGE,
        "agree_newsletter": Consent.Kind.NEWSLETTER,
        "agree_share_with_company": Consent.Kind.SHARE_WITH_COMPANY,
    }

    def __init__(self, *args: Any, company_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label_from_consent_texts(self, ConsentText.Surface.REGISTRATION, self.CONSENT_FIELDS, company_name)

    def rendering_key(self) -> str:
        """What the empty form's HTML depends on: the language, and each field's label, help text and initial value
        (the consent wordings carry the company's name). The landing caches the rendered fields under it, since
        the form is most of the page's time and the same for every visitor of a link."""
        parts = [get_language() or ""]
        for name, field in self.fields.items():
            parts += [name, str(field.label), str(field.help_text), str(self.get_initial_for_field(field, name))]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class ConsentForm(forms.Form):
    # Labels and help texts come from candidates/consent_texts.py (the versioned wording), set in __init__.
    service = forms.BooleanField(required=False)
    rechallenge = forms.BooleanField(required=False)
    newsletter = forms.BooleanField(required=False)
    share_with_company = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label_from_consent_texts(self, ConsentText.Surface.MYPAGE, {kind: kind for kind in self.fields})


class EmailForm(forms.Form):
    email = NormalizedEmailField(label=_("ご登録のメールアドレス"))


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("登録情報が削除され、元に戻せないことを理解しました"),
        error_messages={"required": _("確認のチェックを入れてください。")},
    )


# --- Candidate CRM (operator staff) --------------------------------------------------------------------------


def _choices(field: forms.Field) -> forms.ChoiceField:
    assert isinstance(field, forms.ChoiceField)
    return field


def _whole_number(value: str, maximum: int, message: Any) -> int | None:
    """Whole numbers as people type them: full width, with commas, 年 or 万円 after them."""
    raw = nfkc(value or "").replace(",", "")
    for suffix in ("万円", "万", "円", "年以上", "年以下", "年"):
        raw = raw.removesuffix(suffix)
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > maximum:
        raise forms.ValidationError(message)
    return int(raw)


class CandidateFilterForm(forms.Form):
    """The CRM list's filters (GET). An invalid filter is reported and ignored; the valid ones still apply."""

    SORTS: dict[str, tuple[Any, ...]] = {
        "new": ("-created_at", "-id"),
        "old": ("created_at", "id"),
        "kana": ("furigana", "id"),
        "experience": ("-years_of_experience", "-created_at", "-id"),
        # Matches the cand_salary_sort index exactly; people without a salary come last.
        "salary": (F("desired_salary").desc(nulls_last=True), "-created_at", "-id"),
    }

    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        max_length=200,
        help_text=_("氏名・フリガナ・メールアドレス・電話番号(ハイフンの有無は問いません)・スキル・経歴で探せます。"),
    )
    job_category = forms.ChoiceField(
        label=_("希望職種"), required=False, choices=[("", _("すべての職種")), *JobCategory.choices]
    )
    prefecture = forms.TypedChoiceField(
        label=_("都道府県"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("すべての都道府県")), *Prefecture.choices],
    )
    skills = forms.CharField(label=_("スキル"), required=False, max_length=200)
    experience_min = forms.CharField(label=_("経験年数(以上)"), required=False, max_length=10)
    experience_max = forms.CharField(label=_("経験年数(以下)"), required=False, max_length=10)
    salary_min = forms.CharField(label=_("希望年収(万円・以上)"), required=False, max_length=12)
    salary_max = forms.CharField(label=_("希望年収(万円・以下)"), required=False, max_length=12)
    status = forms.ChoiceField(label=_("ステータス"), required=False)
    advisor = forms.ChoiceField(label=_("担当"), required=False)
    company = forms.TypedChoiceField(label=_("紹介元企業"), required=False, coerce=int, empty_value=None)
    registered_from = forms.DateField(label=_("登録日(から)"), required=False)
    registered_to = forms.DateField(label=_("登録日(まで)"), required=False)
    sort = forms.ChoiceField(
        label=_("並び順"),
        required=False,
        choices=[
            ("new", _("登録日の新しい順")),
            ("old", _("登録日の古い順")),
            ("kana", _("フリガナ順")),
            ("experience", _("経験年数の多い順")),
            ("salary", _("希望年収の高い順")),
        ],
    )

    def __init__(self, *args: Any, advisors: Any, companies: Any, **kwargs: Any) -> None:
        from candidates.models import PipelineStatus

        super().__init__(*args, **kwargs)
        _choices(self.fields["status"]).choices = [("", _("すべてのステータス")), *PipelineStatus.choices]
        _choices(self.fields["advisor"]).choices = [
            ("", _("すべての担当")),
            ("me", _("自分")),
            ("none", _("未割当")),
            *[(str(user.pk), user.display_name) for user in advisors],
        ]
        _choices(self.fields["company"]).choices = [("", _("すべての紹介元")), *[(c.pk, c.name) for c in companies]]
        for name in ("registered_from", "registered_to"):
            self.fields[name].widget.input_type = "date"
        for name in ("experience_min", "experience_max", "salary_min", "salary_max"):
            self.fields[name].widget.attrs.update(inputmode="numeric", size="5")
        widgets_named_by_labels(self)
        self.fields["q"].widget.attrs["placeholder"] = _("氏名・フリガナ・メール・スキル・経歴")
        self.fields["skills"].widget.attrs["placeholder"] = _("例: Python")
        for name in ("registered_from", "registered_to"):
            self.fields[name].error_messages["invalid"] = _("日付は 2026-04-01 の形式でご入力ください。")

    def clean_experience_min(self) -> int | None:
        return _whole_number(self.cleaned_data["experience_min"], 60, _("経験年数は 0〜60 の数字でご入力ください。"))

    def clean_experience_max(self) -> int | None:
        return _whole_number(self.cleaned_data["experience_max"], 60, _("経験年数は 0〜60 の数字でご入力ください。"))

    def clean_salary_min(self) -> int | None:
        return _whole_number(
            self.cleaned_data["salary_min"], 10000, _("希望年収は万円単位の数字でご入力ください。例: 400")
        )

    def clean_salary_max(self) -> int | None:
        return _whole_number(
            self.cleaned_data["salary_max"], 10000, _("希望年収は万円単位の数字でご入力ください。例: 600")
        )

    def criteria(self) -> dict[str, Any]:
        """The filters that passed validation, even when others did not."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {key: value for key, value in cleaned.items() if value not in (None, "")}


class PipelineForm(forms.Form):
    status = forms.ChoiceField(label=_("新しいステータス"))
    reason = forms.CharField(
        label=_("離脱の理由"),
        required=False,
        max_length=500,
        help_text=_("「離脱」を選ぶときは必須です。"),
    )

    def __init__(self, *args: Any, candidate: Candidate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["status"]).choices = candidate.pipeline_targets()
        self.fields["status"].error_messages["invalid_choice"] = _("このステータスへは変更できません。")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == "withdrawn" and not nfkc(cleaned.get("reason", "")):
            self.add_error("reason", _("離脱の理由を入力してください。"))
        return cleaned


class AdvisorForm(forms.Form):
    advisor = forms.TypedChoiceField(label=_("担当アドバイザー"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, advisors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["advisor"]).choices = [("", _("未割当")), *[(u.pk, u.display_name) for u in advisors]]
        self.fields["advisor"].error_messages["invalid_choice"] = _(
            "担当にはキャリアアドバイザーまたは管理者を選んでください。"
        )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("メモ"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("メモの内容を入力してください。")},
    )


class ResumeForm(forms.Form):
    file = forms.FileField(
        label=_("履歴書・職務経歴書(PDF)"),
        error_messages={
            "required": _("アップロードする PDF ファイルを選んでください。"),
            "empty": _("ファイルが空です。PDF ファイルをお選びください。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "application/pdf,.pdf"


class InterviewForm(forms.Form):
    DURATIONS = [(30, _("30分")), (45, _("45分")), (60, _("60分")), (90, _("90分")), (120, _("120分"))]

    advisor = forms.TypedChoiceField(label=_("担当アドバイザー"), coerce=int)
    starts_at = forms.DateTimeField(
        label=_("開始日時"),
        error_messages={
            "required": _("面談の開始日時を入力してください。"),
            "invalid": _("日時は 2026-12-01 14:00 の形式でご入力ください。"),
        },
    )
    duration_minutes = forms.TypedChoiceField(label=_("所要時間"), coerce=int, choices=DURATIONS, initial=60)
    method = forms.ChoiceField(label=_("方法"))
    location = forms.CharField(
        label=_("場所・URL"),
        required=False,
        max_length=500,
        help_text=_("オンラインは会議 URL、対面は住所や会議室。電話はご登録の番号へおかけします(空欄可)。"),
    )
    note = forms.CharField(
        label=_("社内メモ"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, advisors: Any, **kwargs: Any) -> None:
        from candidates.models import AdvisorInterview

        super().__init__(*args, **kwargs)
        _choices(self.fields["advisor"]).choices = [(u.pk, u.display_name) for u in advisors]
        self.fields["advisor"].error_messages["invalid_choice"] = _(
            "担当にはキャリアアドバイザーまたは管理者を選んでください。"
        )
        _choices(self.fields["method"]).choices = AdvisorInterview.Method.choices
        self.fields["starts_at"].widget.input_type = "datetime-local"

    def clean_starts_at(self) -> Any:
        from django.utils import timezone

        starts_at = self.cleaned_data["starts_at"]
        if starts_at < timezone.now():
            raise forms.ValidationError(_("過去の日時は指定できません。これからの日時をご入力ください。"))
        return starts_at

    def clean(self) -> dict[str, Any]:
        from candidates.models import AdvisorInterview

        cleaned = super().clean() or {}
        location = nfkc(cleaned.get("location", ""))
        method = cleaned.get("method")
        if method == AdvisorInterview.Method.ONLINE:
            if not location:
                self.add_error("location", _("オンライン面談の URL を入力してください。"))
            else:
                try:
                    location = forms.URLField(assume_scheme="https").clean(location)
                except forms.ValidationError:
                    self.add_error("location", _("URL の形式が正しくありません。例: https://meet.example.jp/abc"))
        elif method == AdvisorInterview.Method.IN_PERSON and not location:
            self.add_error("location", _("対面面談の場所を入力してください。"))
        cleaned["location"] = location
        return cleaned


class InterviewStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("held", _("実施済み")), ("cancelled", _("キャンセル")), ("no_show", _("不参加"))]
    )
