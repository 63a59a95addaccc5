from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from candidates.models import Candidate
from lib.choices import JobCategory, Prefecture
from lib.forms import NormalizedEmailField
from lib.jatext import nfkc, normalize_email, normalize_furigana, normalize_phone, split_skills


class ProfileForm(forms.ModelForm):
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

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"])
        if len(name) < 2:
            raise forms.ValidationError(_("氏名をフルネームでご入力ください。"))
        return name

    def clean_furigana(self) -> str:
        furigana = normalize_furigana(self.cleaned_data["furigana"])
        if furigana is None:
            raise forms.ValidationError(_("フリガナはカタカナまたはひらがなでご入力ください。"))
        return furigana

    def clean_email(self) -> str:
        email = nfkc(self.cleaned_data["email"]).replace(" ", "")
        try:
            forms.EmailField().clean(email)
        except forms.ValidationError:
            raise forms.ValidationError(_("メールアドレスの形式が正しくありません。例: hanako@example.jp")) from None
        return email

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError(_("電話番号を正しくご入力ください。例: 090-1234-5678"))
        others = Candidate.objects.filter(phone=phone).exclude(pk=self.instance.pk)
        if self.instance.pk and others.exists():
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
            others = Candidate.objects.filter(email_normalized=cleaned["email_normalized"]).exclude(pk=self.instance.pk)
            if self.instance.pk and others.exists():
                self.add_error("email", _("このメールアドレスは別のアカウントで登録されています。"))
        return cleaned

    def _post_clean(self) -> None:
        # Uniqueness is the registration service's business (an existing person becomes a touch), not an error.
        pass


class RegistrationForm(ProfileForm):
    agree_service = forms.BooleanField(
        label=_(
            "利用規約と個人情報の取扱いに同意し、ご紹介のためにプロフィールを導入企業へ提供することに同意します(必須)"
        ),
        error_messages={"required": _("ご登録には利用規約と個人情報の取扱いへの同意が必要です。")},
    )
    agree_rechallenge = forms.BooleanField(
        label=_("今回ご縁のなかった企業から、将来あらためて選考のご案内(再チャレンジ)を受け取る(任意)"),
        required=False,
    )
    agree_newsletter = forms.BooleanField(
        label=_("キャリアリレーからの求人情報・お知らせメールを受け取る(任意)"), required=False
    )


class ConsentForm(forms.Form):
    service = forms.BooleanField(
        label=_("プロフィールを導入企業へのご紹介のために提供する"),
        required=False,
        help_text=_("オフにすると、企業へのご紹介を停止します。"),
    )
    rechallenge = forms.BooleanField(label=_("不採用となった企業からの再チャレンジのご案内を受け取る"), required=False)
    newsletter = forms.BooleanField(label=_("求人情報・お知らせメールを受け取る"), required=False)


class EmailForm(forms.Form):
    email = NormalizedEmailField(label=_("ご登録のメールアドレス"))


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("登録情報が削除され、元に戻せないことを理解しました"),
        error_messages={"required": _("確認のチェックを入れてください。")},
    )
