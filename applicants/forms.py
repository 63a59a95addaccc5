from pathlib import PurePath
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applicants.csvfile import MAX_FILE_BYTES
from applicants.models import IMPORT_FIELDS, Applicant, ApplicantImport, AtsMapping, ImportPreset, RejectionReason
from companies.models import Company
from lib.forms import NormalizedEmailField, widgets_named_by_labels
from lib.jatext import nfkc

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV ファイル"),
        help_text=_(
            "HERP Hire・HRMOS採用 から書き出した CSV はそのままお使いいただけます(Shift_JIS・UTF-8 どちらも可)。"
        ),
    )
    preset = forms.ModelChoiceField(
        label=_("列の対応づけ"),
        queryset=ImportPreset.objects.none(),
        required=False,
        empty_label=_("自動で判別する(HERP Hire / HRMOS採用)"),
        help_text=_("ほかのシステムの CSV は、保存したプリセットを選んでください。"),
    )
    default_stage = forms.ChoiceField(
        label=_("選考段階"),
        choices=Applicant.Stage.choices,
        initial=Applicant.Stage.DOCUMENT,
        help_text=_("ファイルに選考段階の列がない行・読み取れない行に使います。"),
    )
    default_track = forms.ChoiceField(
        label=_("採用区分"),
        choices=Applicant.Track.choices,
        initial=Applicant.Track.MID_CAREER,
        help_text=_("ファイルに新卒/中途の列がない行に使います。"),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].queryset = ImportPreset.objects.filter(company=company)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name or "").suffix.lower() not in CSV_SUFFIXES:
            raise forms.ValidationError(
                _(
                    "CSV ファイル(.csv / .tsv / .txt)を選んでください。"
                    "Excel のブックは CSV 形式で保存してからお送りください。"
                )
            )
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます(上限 %(limit)s MB)。ファイルを分けてお送りください。")
                % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _mapping_field_name(name: str) -> str:
    return f"map_{name}"


class ImportPresetForm(forms.Form):
    """A name and, for each of our fields, the header of the column that holds it in the company's file."""

    name = forms.CharField(label=_("プリセット名"), max_length=100, help_text=_("例: 自社の採用管理表"))

    def __init__(self, *args: Any, company: Company, preset: ImportPreset | None = None, **kwargs: Any) -> None:
        if preset is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": preset.name} | {
                _mapping_field_name(key): value for key, value in preset.mapping.items()
            }
        super().__init__(*args, **kwargs)
        self.company = company
        self.preset = preset
        for name, label in IMPORT_FIELDS.items():
            self.fields[_mapping_field_name(name)] = forms.CharField(
                label=_("「%(field)s」の列名") % {"field": label}, max_length=100, required=False
            )

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[_mapping_field_name(name)] for name in IMPORT_FIELDS]

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"])
        others = ImportPreset.objects.filter(company=self.company, name=name)
        if self.preset is not None:
            others = others.exclude(pk=self.preset.pk)
        if others.exists():
            raise forms.ValidationError(_("同じ名前のプリセットがすでにあります。"))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mapping = self.mapping()
        if "name" not in mapping and not ("last_name" in mapping and "first_name" in mapping):
            self.add_error(_mapping_field_name("name"), _("氏名の列名(または 姓 と 名 の列名)を入力してください。"))
        if "email" not in mapping:
            self.add_error(_mapping_field_name("email"), _("メールアドレスの列名を入力してください。"))
        return cleaned

    def mapping(self) -> dict[str, str]:
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: nfkc(cleaned.get(_mapping_field_name(name)) or "")
            for name in IMPORT_FIELDS
            if nfkc(cleaned.get(_mapping_field_name(name)) or "")
        }


class ApplicantForm(forms.Form):
    """One rejected applicant typed in by hand, for companies without an ATS."""

    name = forms.CharField(label=_("氏名"), max_length=100)
    name_kana = forms.CharField(label=_("フリガナ"), max_length=100, required=False)
    email = NormalizedEmailField(label=_("メールアドレス"))
    position = forms.CharField(label=_("応募職種"), max_length=200, required=False)
    stage = forms.ChoiceField(label=_("選考段階"), choices=Applicant.Stage.choices, initial=Applicant.Stage.DOCUMENT)
    track = forms.ChoiceField(label=_("採用区分"), choices=Applicant.Track.choices, initial=Applicant.Track.MID_CAREER)
    interview_date = forms.DateField(
        label=_("面接日"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    rejected_on = forms.DateField(
        label=_("不採用日"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    external_id = forms.CharField(
        label=_("応募者ID(ATS)"),
        max_length=100,
        required=False,
        help_text=_("お使いのシステムの ID があれば入力してください。"),
    )

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("氏名を入力してください。"))
        return name


class ApplicantFilterForm(forms.Form):
    EMAIL_STATES = [
        ("", _("すべて")),
        ("sent", _("不採用通知を送信済み")),
        ("queued", _("送信待ちあり")),
        ("none", _("まだ送っていない")),
    ]

    q = forms.CharField(label=_("検索"), required=False, max_length=200)
    batch = forms.ModelChoiceField(
        label=_("取り込み"), queryset=ApplicantImport.objects.none(), required=False, empty_label=_("すべての取り込み")
    )
    stage = forms.ChoiceField(
        label=_("選考段階"), choices=[("", _("すべての段階")), *Applicant.Stage.choices], required=False
    )
    track = forms.ChoiceField(
        label=_("採用区分"), choices=[("", _("すべての区分")), *Applicant.Track.choices], required=False
    )
    mail = forms.ChoiceField(label=_("不採用通知"), choices=EMAIL_STATES, required=False)
    # A reason's id, or one of the states that are not a reason (確認待ち, 取り消し・削除).
    HELD = "held"
    CLOSED = "closed"
    reason = forms.ChoiceField(label=_("選考終了理由"), choices=[], required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widgets_named_by_labels(self)
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            ("", _("すべての選考終了理由")),
            *[
                (str(pk), name)
                for pk, name in RejectionReason.objects.filter(company=company).values_list("pk", "name")
            ],
            (self.HELD, _("確認待ち")),
            (self.CLOSED, _("取り消し・削除")),
        ]
        self.fields["batch"].queryset = ApplicantImport.objects.filter(company=company).only(  # type: ignore[attr-defined]
            "pk", "filename", "created_at"
        )
        self.fields["batch"].label_from_instance = lambda batch: (  # type: ignore[attr-defined]
            f"{batch.filename} ({timezone.localtime(batch.created_at):%Y/%m/%d})"
        )


class RejectionReasonForm(forms.Form):
    """A reason of the company's own, or a new name for one (the service checks the name is free)."""

    name = forms.CharField(label=_("理由の名前"), max_length=50, help_text=_("例: 内定辞退、連絡が取れない"))
    sends_mail = forms.BooleanField(
        label=_("この理由の応募者にお祈りメールを送る"),
        required=False,
        help_text=_("選考でお見送りした方の理由だけを選んでください。辞退・入社の方には送りません。"),
    )

    def clean_name(self) -> str:
        name = nfkc(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(_("理由の名前を入力してください。"))
        return name


class AtsMappingForm(forms.Form):
    """One of the ATS's words and what it means here; only the target of the chosen kind is used."""

    kind = forms.ChoiceField(label=_("種類"), choices=AtsMapping.Kind.choices)
    label = forms.CharField(
        label=_("ATS での表記"),
        max_length=200,
        help_text=_(
            "ATS やファイルに書かれているとおりに入力してください(全角・半角、空白、大文字・小文字は区別しません)。"
        ),
    )
    stage = forms.ChoiceField(
        label=_("選考段階"), choices=[("", _("(選考段階の場合に選択)")), *Applicant.Stage.choices], required=False
    )
    track = forms.ChoiceField(
        label=_("採用区分"), choices=[("", _("(採用区分の場合に選択)")), *Applicant.Track.choices], required=False
    )
    reason = forms.ModelChoiceField(
        label=_("選考終了理由"),
        queryset=RejectionReason.objects.none(),
        required=False,
        empty_label=_("(選考終了理由の場合に選択)"),
    )

    def __init__(self, *args: Any, company: Company, mapping: AtsMapping | None = None, **kwargs: Any) -> None:
        if mapping is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": mapping.kind,
                "label": mapping.label,
                "stage": mapping.stage,
                "track": mapping.track,
                "reason": mapping.reason_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = RejectionReason.objects.filter(company=company)  # type: ignore[attr-defined]

    def clean_label(self) -> str:
        label = nfkc(self.cleaned_data["label"]).strip()
        if not label:
            raise forms.ValidationError(_("ATS での表記を入力してください。"))
        return label

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == AtsMapping.Kind.STAGE and not cleaned.get("stage"):
            self.add_error("stage", _("対応する選考段階を選んでください。"))
        elif kind == AtsMapping.Kind.TRACK and not cleaned.get("track"):
            self.add_error("track", _("対応する採用区分(新卒・中途)を選んでください。"))
        elif kind == AtsMapping.Kind.REASON and not cleaned.get("reason"):
            self.add_error("reason", _("対応する選考終了理由を選んでください。"))
        return cleaned


class HoldReleaseForm(forms.Form):
    """The review decision: which reason, and whether the ATS's words mean that reason from now on."""

    reason = forms.ModelChoiceField(
        label=_("選考終了理由"),
        queryset=RejectionReason.objects.none(),
        empty_label=_("理由を選んでください"),
        error_messages={"required": _("確定する選考終了理由を選んでください。")},
    )
    remember = forms.BooleanField(label=_("この表記を今後も同じ理由として扱う"), required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = RejectionReason.objects.filter(company=company)  # type: ignore[attr-defined]


class IdListField(forms.Field):
    """Row ids sent as repeated hidden fields (`applicant=3&applicant=5`); another company's ids are ignored by the
    service, which looks only among the company's own rows."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 18 for v in values):
            raise forms.ValidationError(_("選んだ応募者が見つかりません。"))
        return sorted({int(v) for v in values})


class RetentionDeleteForm(forms.Form):
    """The company asks us to delete the data we hold for it sooner: everyone held longer than N days, or the
    applicants it chose. Nothing is deleted until `confirm` is sent with the same choice."""

    older_than_days = forms.IntegerField(
        label=_("最後のメール送信(送信がなければ取り込み)から何日より前の応募者"),
        min_value=0,
        max_value=3650,
        required=False,
        error_messages={
            "invalid": _("日数は半角数字で入力してください。"),
            "min_value": _("0 日以上を指定してください。"),
            "max_value": _("3650 日以内で指定してください。"),
        },
    )
    applicant = IdListField(required=False)
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("older_than_days") is None and not data.get("applicant"):
            raise forms.ValidationError(_("日数を入力するか、削除する応募者を選んでください。"))
        return data
