from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applicants.bulk import insert_ignoring_conflicts
from applicants.csvfile import CsvFileError, ParsedFile, Row, parse_file
from applicants.models import (
    STANDARD_REASONS,
    Applicant,
    ApplicantImport,
    ApplicantImportFile,
    AtsMapping,
    ImportPreset,
    ImportRowIssue,
    RejectionReason,
    applicant_normalized,
    search_text_for,
)
from applicants.problems import Problem, problem, row_text
from applicants.selectors import company_vocabulary, held_applicants
from applicants.vocabulary import match_key
from audit.services import audit_record
from companies.models import Company
from lib.errors import RuleRefused
from lib.jatext import nfkc, search_key
from lib.tasks import enqueue_on_commit

if TYPE_CHECKING:  # accounts sits above this app: an actor is only named, never looked up here
    from accounts.models import User

logger = logging.getLogger(__name__)

_ERASED_NAME = _("(ATS で削除された応募者)")

CHUNK_ROWS = 5000  # rows per transaction: progress is committed after each chunk
PREVIEW_ROWS = 10
STUCK_AFTER = ApplicantImport.STALLED_AFTER


@dataclass(frozen=True)
class RecordedApplicant:
    applicant: Applicant
    created: bool


def applicant_build(
    *,
    company: Company,
    source: str,
    name: str,
    email: str,
    external_system: str = "",
    external_id: str = "",
    name_kana: str = "",
    position: str = "",
    stage: str = Applicant.Stage.DOCUMENT,
    track: str = Applicant.Track.MID_CAREER,
    interview_date: date | None = None,
    rejected_at: datetime | None = None,
    actor: User | None = None,
    import_batch: ApplicantImport | None = None,
    import_row: int | None = None,
    reason_id: int | None = None,
    reason_text: str = "",
    hold: str = "",
    hold_detail: str = "",
    can_email: bool = True,
    person_id: str = "",
) -> Applicant:
    """The unsaved Applicant a record would store: normalised (NFKC) with its de-duplication key.

    The one normalisation shared by `applicant_record` and the bulk CSV import, so both find the same duplicates.
    """
    values = applicant_normalized(
        name=name,
        email=email,
        external_system=external_system,
        external_id=external_id,
        name_kana=name_kana,
        position=position,
    )
    if reason_id is None and not hold:
        # Nothing held and no reason given: the caller declares a rejection (a person adding one by hand, an API
        # call or a CSV of rejections without an outcome column).
        reason_id = declared_rejection_id(company)
    return Applicant(
        company=company,
        source=source,
        external_system=values.external_system,
        external_id=values.external_id,
        dedupe_key=values.dedupe_key,
        name=values.name,
        name_kana=values.name_kana,
        email=values.email,
        email_normalized=values.email,
        position=values.position,
        stage=stage,
        track=track,
        interview_date=interview_date,
        rejected_at=rejected_at,
        created_by=actor,
        import_batch=import_batch,
        import_row=import_row,
        search_text=values.search_text,
        reason_id=reason_id,
        reason_text=nfkc(reason_text)[:200],
        hold=hold,
        hold_detail=hold_detail[:500],
        can_email=can_email,
        person_id=nfkc(person_id)[:100],
    )


def applicant_record(
    *,
    company: Company,
    source: str,
    name: str,
    email: str,
    external_system: str = "",
    external_id: str = "",
    name_kana: str = "",
    position: str = "",
    stage: str = Applicant.Stage.DOCUMENT,
    track: str = Applicant.Track.MID_CAREER,
    interview_date: date | None = None,
    rejected_at: datetime | None = None,
    actor: User | None = None,
    import_batch: ApplicantImport | None = None,
    import_row: int | None = None,
    reason_id: int | None = None,
    reason_text: str = "",
    hold: str = "",
    hold_detail: str = "",
    can_email: bool = True,
    person_id: str = "",
) -> RecordedApplicant:
    """Store a rejected applicant once: a second record of the same person returns the first, unchanged.

    Callers validate first; this only normalises (NFKC) and de-duplicates (`Applicant.dedupe_key_for`).
    """
    applicant = applicant_build(
        company=company,
        source=source,
        name=name,
        email=email,
        external_system=external_system,
        external_id=external_id,
        name_kana=name_kana,
        position=position,
        stage=stage,
        track=track,
        interview_date=interview_date,
        rejected_at=rejected_at,
        actor=actor,
        import_batch=import_batch,
        import_row=import_row,
        reason_id=reason_id,
        reason_text=reason_text,
        hold=hold,
        hold_detail=hold_detail,
        can_email=can_email,
        person_id=person_id,
    )
    key = applicant.dedupe_key
    existing = Applicant.objects.filter(company=company, dedupe_key=key).first() or same_person(applicant)
    if existing is not None:
        return RecordedApplicant(applicant=existing, created=False)
    external_id = applicant.external_id
    if external_id and not Applicant.objects.filter(company=company, ref=external_id[:100]).exists():
        applicant.ref = external_id[:100]
    try:
        with transaction.atomic():
            applicant.save()
    except IntegrityError:
        # A concurrent import or webhook stored the same person first.
        return RecordedApplicant(applicant=Applicant.objects.get(company=company, dedupe_key=key), created=False)
    return RecordedApplicant(applicant=applicant, created=True)


def declared_rejection_id(company: Company) -> int | None:
    return (
        RejectionReason.objects.filter(company=company, code=RejectionReason.Code.REJECTED)
        .values_list("pk", flat=True)
        .first()
    )


def rejection_reasons_install_defaults(*, company: Company) -> None:
    """Give the company the standard reasons it lacks (不採用 / 応募者辞退 / 入社決定 / 非選考対象)."""
    have = set(RejectionReason.objects.filter(company=company).values_list("code", flat=True))
    for index, (code, sends) in enumerate(STANDARD_REASONS):
        if code not in have:
            RejectionReason.objects.get_or_create(
                company=company,
                code=code,
                defaults={"name": str(RejectionReason.Code(code).label), "sends_mail": sends, "position": index},
            )


def unknown_reason_detail(text: str) -> str:
    """The hold's explanation for words the company has not mapped to a reason yet."""
    return str(_("「%(text)s」をどの選考終了理由として扱うか、まだ設定されていません。") % {"text": text[:100]})


def same_person(applicant: Applicant) -> Applicant | None:
    """The company's applicant this one is, when it arrives by another way (a CSV row, then the API or an ATS).

    Ids of two systems never match each other, so the person is the same address applying to the same position.
    """
    if not applicant.email_normalized:
        return None
    position = search_key(applicant.position)
    for other in Applicant.objects.filter(
        company_id=applicant.company_id, email_normalized=applicant.email_normalized, erased_at__isnull=True
    ).order_by("pk"):
        if search_key(other.position) == position or not position or not other.position:
            return other
    return None


def applicant_outcome_update(
    *,
    applicant: Applicant,
    reason_id: int | None,
    reason_text: str = "",
    hold: str = "",
    hold_detail: str = "",
    can_email: bool | None = None,
    person_id: str = "",
    rejected_at: datetime | None = None,
) -> Applicant:
    """A later report of an applicant already stored (another channel, a re-sent event) brings the ATS's latest
    outcome; the person's details stay as first recorded."""
    applicant.reason_id = reason_id
    applicant.reason_text = nfkc(reason_text)[:200]
    applicant.hold = hold
    applicant.hold_detail = hold_detail[:500]
    if can_email is not None:
        applicant.can_email = can_email
    if person_id and not applicant.person_id:
        applicant.person_id = nfkc(person_id)[:100]
    if rejected_at is not None and applicant.rejected_at is None:
        applicant.rejected_at = rejected_at
    applicant.save(
        update_fields=[
            "reason",
            "reason_text",
            "hold",
            "hold_detail",
            "can_email",
            "person_id",
            "rejected_at",
            "updated_at",
            "search_text",
        ]
    )
    return applicant


def applicant_hold(*, applicant: Applicant, hold: str, detail: str) -> Applicant:
    """Put the applicant's rejection mail on the company's 確認待ち list (a person decides; nothing is mailed)."""
    applicant.hold = hold
    applicant.hold_detail = detail[:500]
    applicant.save(update_fields=["hold", "hold_detail", "updated_at", "search_text"])
    return applicant


def applicant_hold_release(*, applicant: Applicant, reason_id: int, actor: User) -> Applicant:
    """A person confirmed why selection ended: the applicant leaves the 確認待ち list with that reason."""
    with transaction.atomic():
        applicant.reason_id = reason_id
        applicant.hold = ""
        applicant.hold_detail = ""
        applicant.save(update_fields=["reason", "hold", "hold_detail", "updated_at", "search_text"])
        audit_record(
            actor=actor,
            action="applicant.hold_release",
            target=applicant,
            company=applicant.company,
            detail={"reason": applicant.reason.name if applicant.reason else ""},
        )
    return applicant


def _personal_data_clear(applicant: Applicant, now: datetime) -> list[str]:
    """Wipe the person's details from the row (ids, dates and the outcome stay); returns the fields changed."""
    applicant.erased_at = now
    applicant.name = str(_ERASED_NAME)
    applicant.name_kana = ""
    applicant.email = ""
    applicant.email_normalized = ""
    applicant.position = ""
    applicant.interview_date = None
    applicant.reason_text = ""
    applicant.hold_detail = ""
    if applicant.dedupe_key.startswith("email:"):
        applicant.dedupe_key = f"erased:{applicant.pk}"
    fields = ["erased_at", "name", "name_kana", "email", "email_normalized", "position", "interview_date"]
    return [*fields, "reason_text", "hold_detail", "dedupe_key"]


def applicants_erase(*, applicants: Iterable[Applicant], why: str) -> int:
    """Wipe the personal details of many applicants at once, as `applicant_close(erase=True)` does for one, without
    one audit entry per person: the caller audits the count. The ATS ids go too, so nothing the company sends later
    meets the row again. Returns how many rows were wiped."""
    now = timezone.now()
    erased = 0
    for applicant in applicants:
        if applicant.erased_at is not None:
            continue
        applicant.closed_at = applicant.closed_at or now
        applicant.closed_reason = why[:300]
        fields = ["closed_at", "closed_reason", "updated_at", "search_text", *_personal_data_clear(applicant, now)]
        applicant.external_id = applicant.person_id = ""
        applicant.dedupe_key = f"erased:{applicant.pk}"
        applicant.save(update_fields=[*fields, "external_id", "person_id"])
        erased += 1
    return erased


def applicant_close(*, applicant: Applicant, why: str, erase: bool = False) -> Applicant:
    """The ATS says the rejection no longer stands (un-rejected, hired, deleted, anonymised).

    With `erase` the person's details are wiped as the ATS asked; the row stays (ids only) so the delivery log
    and the cancelled mail can still say what happened."""
    now = timezone.now()
    applicant.closed_at = applicant.closed_at or now
    applicant.closed_reason = why[:300]
    fields = ["closed_at", "closed_reason", "updated_at", "search_text"]
    if erase:
        fields += _personal_data_clear(applicant, now)
    applicant.save(update_fields=fields)
    audit_record(
        actor=None,
        action="applicant.erase" if erase else "applicant.close",
        target=applicant,
        company=applicant.company,
        detail={"why": why[:300]},
    )
    return applicant


def applicant_reopen(*, applicant: Applicant) -> Applicant:
    """A rejection reported again after it was reversed (rejected → un-rejected → rejected) stands again."""
    if applicant.closed_at is None or applicant.erased_at is not None:
        return applicant
    applicant.closed_at = None
    applicant.closed_reason = ""
    applicant.save(update_fields=["closed_at", "closed_reason", "updated_at", "search_text"])
    return applicant


def applicant_link_exported(*, applicants: Sequence[Applicant]) -> None:
    """The company downloaded these people's personal links for its own mail merge (shown on each one's page)."""
    ids = [applicant.pk for applicant in applicants]
    now = timezone.now()
    for start in range(0, len(ids), 5000):
        Applicant.objects.filter(pk__in=ids[start : start + 5000], link_exported_at__isnull=True).update(
            link_exported_at=now
        )


# --- rejection reasons, ATS mappings and the 確認待ち review -----------------------------------------------------


class ReasonRefused(RuleRefused):
    """A reason or mapping change the rules refuse; the message says why, politely, in the user's language."""


REASON_NAME_MAX = RejectionReason._meta.get_field("name").max_length or 50
MAPPING_LABEL_MAX = AtsMapping._meta.get_field("label").max_length or 200


def _reason_name(company: Company, name: str, *, reason: RejectionReason | None = None) -> str:
    """The name as stored (NFKC, trimmed), refused when empty, too long or already another reason's."""
    clean = nfkc(name or "").strip()
    if not clean:
        raise ReasonRefused(_("理由の名前を入力してください。"))
    if len(clean) > REASON_NAME_MAX:
        raise ReasonRefused(_("理由の名前は %(n)s 文字以内でお願いいたします。") % {"n": REASON_NAME_MAX})
    # Compared as the vocabulary reads names (spaces, widths and case aside): two such names would be one word.
    key = match_key(clean)
    others = RejectionReason.objects.filter(company=company)
    if reason is not None:
        others = others.exclude(pk=reason.pk)
    if any(match_key(other) == key for other in others.values_list("name", flat=True)):
        raise ReasonRefused(_("「%(name)s」という理由はすでにあります。別の名前をお付けください。") % {"name": clean})
    return clean


def _refuse_mailing_hires(code: str, sends_mail: bool) -> None:
    if sends_mail and code == RejectionReason.Code.HIRED:
        raise ReasonRefused(_("入社が決まった方にお祈りメールは送れません。「お祈りメールを送る」は選べません。"))


def rejection_reason_create(*, company: Company, name: str, sends_mail: bool, actor: User) -> RejectionReason:
    """A reason of the company's own (e.g. 「内定辞退」「連絡途絶」), after the four standard ones."""
    with transaction.atomic():
        clean = _reason_name(company, name)
        last = RejectionReason.objects.filter(company=company).order_by("-position").values_list("position", flat=True)
        position = max(100, (last.first() or 0) + 1)
        try:
            with transaction.atomic():
                reason = RejectionReason.objects.create(
                    company=company, name=clean, sends_mail=sends_mail, position=position
                )
        except IntegrityError as error:  # the same name saved a moment ago by a colleague
            raise ReasonRefused(
                _("「%(name)s」という理由はすでにあります。別の名前をお付けください。") % {"name": clean}
            ) from error
        audit_record(
            actor=actor,
            action="rejection_reason.create",
            target=reason,
            company=company,
            detail={"name": clean, "sends_mail": sends_mail},
        )
    return reason


def rejection_reason_update(
    *, reason: RejectionReason, actor: User, name: str | None = None, sends_mail: bool | None = None
) -> RejectionReason:
    """Rename a reason and/or choose whether it sends a rejection mail. A standard reason keeps its code, so
    every ATS keeps finding it under its new name."""
    company = reason.company
    with transaction.atomic():
        before = {"name": reason.name, "sends_mail": reason.sends_mail}
        if name is not None:
            reason.name = _reason_name(company, name, reason=reason)
        if sends_mail is not None:
            _refuse_mailing_hires(reason.code, sends_mail)
            reason.sends_mail = sends_mail
        try:
            with transaction.atomic():
                reason.save(update_fields=["name", "sends_mail"])
        except IntegrityError as error:
            raise ReasonRefused(
                _("「%(name)s」という理由はすでにあります。別の名前をお付けください。") % {"name": reason.name}
            ) from error
        audit_record(
            actor=actor,
            action="rejection_reason.update",
            target=reason,
            company=company,
            detail={"before": before, "after": {"name": reason.name, "sends_mail": reason.sends_mail}},
        )
    return reason


def rejection_reason_uses(reason: RejectionReason) -> list[tuple[str, int]]:
    """What still points at the reason, as (what it is, in words; how many): applicants, and any other app's rows
    (the automatic sending rules) found through the model's relations, so this app never imports the apps above
    it. Its own ATS mappings are not a use: they go with it."""
    uses: list[tuple[str, int]] = []
    for relation in RejectionReason._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if model is AtsMapping or not isinstance(model, type):
            continue
        field_name = relation.field.name  # type: ignore[union-attr]
        count = model._default_manager.filter(**{field_name: reason}).count()
        if count and model is Applicant:
            uses.append((str(_("応募者 %(n)s 名") % {"n": count}), count))
        elif count:
            uses.append((str(_("%(what)s %(n)s 件") % {"what": model._meta.verbose_name, "n": count}), count))
    return uses


def rejection_reason_delete(*, reason: RejectionReason, actor: User) -> None:
    """Delete a reason the company defined, when nothing uses it. Its ATS mappings go with it."""
    if reason.code:
        raise ReasonRefused(
            _(
                "「%(name)s」は標準の理由のため削除できません。名前の変更や、お祈りメールを送るかどうかの設定は行えます。"
            )
            % {"name": reason.name}
        )
    uses = rejection_reason_uses(reason)
    if uses:
        listed = "、".join(what for what, _count in uses)
        raise ReasonRefused(
            _(
                "「%(name)s」は %(uses)s で使われているため削除できません。"
                "応募者の理由や自動送信ルールを別の理由に変えてから、もう一度お試しください。"
            )
            % {"name": reason.name, "uses": listed}
        )
    with transaction.atomic():
        mappings = reason.mappings.count()
        audit_record(
            actor=actor,
            action="rejection_reason.delete",
            target=reason,
            company=reason.company,
            detail={"name": reason.name, "mappings": mappings},
        )
        try:
            with transaction.atomic():
                reason.delete()
        except ProtectedError as error:  # an applicant took this reason between the check and the delete
            raise ReasonRefused(
                _("「%(name)s」は応募者に使われているため削除できません。") % {"name": reason.name}
            ) from error


def _mapping_target(company: Company, kind: str, stage: str, track: str, reason_id: int | None) -> dict[str, Any]:
    if kind == AtsMapping.Kind.STAGE:
        if stage not in Applicant.Stage.values:
            raise ReasonRefused(_("対応する選考段階を選んでください。"))
        return {"stage": stage, "track": "", "reason": None}
    if kind == AtsMapping.Kind.TRACK:
        if track not in Applicant.Track.values:
            raise ReasonRefused(_("対応する採用区分(新卒・中途)を選んでください。"))
        return {"stage": "", "track": track, "reason": None}
    if kind == AtsMapping.Kind.REASON:
        reason = RejectionReason.objects.filter(company=company, pk=reason_id).first() if reason_id else None
        if reason is None:
            raise ReasonRefused(_("対応する選考終了理由を選んでください。"))
        return {"stage": "", "track": "", "reason": reason}
    raise ReasonRefused(_("対応づけの種類を選んでください。"))


def _duplicate_mapping_message(existing: AtsMapping) -> str:
    return str(
        _(
            "「%(label)s」はすでに「%(target)s」に対応づけられています(%(kind)s)。"
            "変更する場合は、その対応づけを編集してください。"
        )
        % {"label": existing.label, "target": existing.target_label, "kind": existing.get_kind_display()}
    )


def ats_mapping_save(
    *,
    company: Company,
    kind: str,
    label: str,
    actor: User,
    stage: str = "",
    track: str = "",
    reason_id: int | None = None,
    mapping: AtsMapping | None = None,
) -> AtsMapping:
    """Map one of the ATS's words (a stage name, a job name or id, a selection-end reason) onto ours.

    Two spellings of one word (全角・半角, spaces, case) are one mapping: `match` is `vocabulary.match_key`, and a
    second mapping of the same kind and match is refused with the one that exists."""
    if mapping is not None and mapping.company_id != company.pk:
        raise ValueError("mapping of another company")
    clean = nfkc(label or "").strip()
    if not clean:
        raise ReasonRefused(_("ATS での表記を入力してください。"))
    if len(clean) > MAPPING_LABEL_MAX:
        raise ReasonRefused(_("ATS での表記は %(n)s 文字以内でお願いいたします。") % {"n": MAPPING_LABEL_MAX})
    key = match_key(clean)
    target = _mapping_target(company, kind, stage, track, reason_id)
    with transaction.atomic():
        existing = AtsMapping.objects.filter(company=company, kind=kind, match=key).select_related("reason")
        if mapping is not None:
            existing = existing.exclude(pk=mapping.pk)
        found = existing.first()
        if found is not None:
            raise ReasonRefused(_duplicate_mapping_message(found))
        created = mapping is None
        mapping = mapping or AtsMapping(company=company)
        mapping.kind, mapping.label, mapping.match = kind, clean, key
        mapping.stage, mapping.track, mapping.reason = target["stage"], target["track"], target["reason"]
        try:
            with transaction.atomic():
                mapping.save()
        except IntegrityError as error:  # a colleague saved the same words a moment ago
            raise ReasonRefused(
                _("「%(label)s」の対応づけはすでにあります。画面を読み込み直してご確認ください。") % {"label": clean}
            ) from error
        audit_record(
            actor=actor,
            action="ats_mapping.create" if created else "ats_mapping.update",
            target=mapping,
            company=company,
            detail={"kind": kind, "label": clean, "target": mapping.target_label},
        )
    return mapping


def ats_mapping_delete(*, mapping: AtsMapping, actor: User) -> None:
    """Forget a mapping: the ATS's words are read by the built-in word lists again (unknown reasons are held)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="ats_mapping.delete",
            target=mapping,
            company=mapping.company,
            detail={"kind": mapping.kind, "label": mapping.label, "target": mapping.target_label},
        )
        mapping.delete()


@dataclass(frozen=True)
class HoldRelease:
    """What a review decision did: who left the 確認待ち list, and which words are remembered from now on."""

    released: list[Applicant]
    remembered: list[str]


def applicant_holds_release(
    *,
    company: Company,
    applicants: Sequence[Applicant],
    reason_id: int,
    actor: User,
    remember: bool = False,
) -> HoldRelease:
    """A person decided why selection ended for these held applicants (the 確認待ち review).

    With `remember`, the ATS's words of each chosen applicant are mapped to that reason (a new mapping, or the
    existing one changed), and every other applicant held only because of the same words is released too.
    Releasing never sends: a reason that sends mail makes the applicant eligible on the send screen."""
    reason = RejectionReason.objects.filter(company=company, pk=reason_id).first()
    if reason is None:
        raise ReasonRefused(_("確定する選考終了理由を選んでください。"))
    held = held_applicants(company)
    chosen = list(held.filter(pk__in=[applicant.pk for applicant in applicants]))
    if not chosen:
        raise ReasonRefused(_("確認待ちの応募者を選んでください(すでに確定済みの場合があります)。"))
    remembered: list[str] = []
    with transaction.atomic():
        if remember:
            words: dict[str, str] = {}
            for applicant in chosen:
                key = match_key(applicant.reason_text)
                if key and key not in words:
                    words[key] = applicant.reason_text
            for key, text in words.items():
                existing = AtsMapping.objects.filter(company=company, kind=AtsMapping.Kind.REASON, match=key).first()
                ats_mapping_save(
                    company=company,
                    kind=AtsMapping.Kind.REASON,
                    label=existing.label if existing else text,
                    reason_id=reason.pk,
                    mapping=existing,
                    actor=actor,
                )
                remembered.append(text)
            if words:
                chosen_ids = {applicant.pk for applicant in chosen}
                for other in held.filter(hold=Applicant.Hold.UNKNOWN_REASON).exclude(reason_text=""):
                    if other.pk not in chosen_ids and match_key(other.reason_text) in words:
                        chosen.append(other)
                        chosen_ids.add(other.pk)
        released = [
            applicant_hold_release(applicant=applicant, reason_id=reason.pk, actor=actor) for applicant in chosen
        ]
    return HoldRelease(released=released, remembered=remembered)


# --- CSV imports ---------------------------------------------------------------------------------------------------


@dataclass
class ChunkVerdict:
    new: list[Row] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)  # ImportRowIssue values
    invalid: int = 0
    duplicates: int = 0
    not_rejected: int = 0


def _in_company(
    company: Company, column: str, values: Sequence[str], select: str, join: str = ""
) -> list[tuple[Any, ...]]:
    """Rows of the company's applicants whose `column` is one of `values`.

    Raw SQL: building a 5,000-item IN through the ORM costs more than running it, on every chunk.
    """
    if not values:
        return []
    applicants = Applicant._meta.db_table
    params: list[Any]
    if connection.vendor == "postgresql":
        condition, params = f"a.{column} = ANY(%s)", [list(values)]
    else:
        condition, params = f"a.{column} IN ({', '.join(['%s'] * len(values))})", list(values)
    sql = (
        f"SELECT {select} FROM {applicants} a {join} "  # noqa: S608 (only our own table and column names)
        f"WHERE a.company_id = %s AND {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk, *params])
        return list(cursor.fetchall())


def _existing_by_key(company: Company, keys: Iterable[str]) -> dict[str, tuple[int | None, int | None, str, str]]:
    rows = _in_company(
        company,
        "dedupe_key",
        list(keys),
        "a.dedupe_key, a.import_batch_id, a.import_row, b.filename, a.source",
        f"LEFT JOIN {ApplicantImport._meta.db_table} b ON b.id = a.import_batch_id",
    )
    return {key: (batch_id, row, filename or "", source) for key, batch_id, row, filename, source in rows}


def _issue(batch_id: int | None, row: Row, kind: str, problems: list[Problem]) -> dict[str, Any]:
    return {"batch_id": batch_id, "row_number": row.number, "kind": kind, "details": problems}


def _classify(*, company: Company, batch_id: int | None, rows: Sequence[Row], seen: dict[str, int]) -> ChunkVerdict:
    """Split rows into new applicants, rows left out (not rejections, invalid) and duplicates.

    Rows carry `applicant_normalized` values, so a row is a duplicate exactly when `applicant_record` would find
    one. `seen` maps the keys of rows already accepted from this file to their row numbers; rows this import
    stored in earlier chunks are found in the database with their row number.
    """
    verdict = ChunkVerdict()
    valid = []
    for row in rows:
        if row.excluded is not None:
            verdict.not_rejected += 1
            verdict.issues.append(_issue(batch_id, row, ImportRowIssue.Kind.NOT_REJECTED, [row.excluded]))
        elif row.errors:
            verdict.invalid += 1
            verdict.issues.append(_issue(batch_id, row, ImportRowIssue.Kind.INVALID, row.errors))
        else:
            valid.append(row)
    existing = _existing_by_key(company, {row.dedupe_key for row in valid})
    for row in valid:
        key = row.dedupe_key
        earlier_row = seen.get(key)
        stored = existing.get(key)
        if stored is not None and batch_id is not None and stored[0] == batch_id:
            earlier_row, stored = stored[1], None
        if earlier_row is not None:
            kind = ImportRowIssue.Kind.DUPLICATE_IN_FILE
            found = [problem("duplicate_in_file", earlier=earlier_row, who=row.who)]
        elif stored is not None:
            kind = ImportRowIssue.Kind.DUPLICATE_EXISTING
            if stored[2]:
                found = [problem("duplicate_import", filename=stored[2], who=row.who)]
            else:
                found = [problem("duplicate_source", source=stored[3], who=row.who)]
        else:
            seen[key] = row.number
            verdict.new.append(row)
            continue
        verdict.duplicates += 1
        verdict.issues.append(_issue(batch_id, row, kind, found))
    return verdict


def _chunks(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _preview_row(row: Row, status: str, problems: list[Problem], reason: str = "") -> dict[str, Any]:
    return {
        "number": row.number,
        "external_id": row.external_id,
        "name": row.name,
        "name_kana": row.name_kana,
        "email": row.email,
        "position": row.position,
        "stage": str(Applicant.Stage(row.stage).label),
        "track": str(Applicant.Track(row.track).label),
        "interview_date": row.interview_date.strftime("%Y/%m/%d") if row.interview_date else "",
        "rejected_at": timezone.localtime(row.rejected_at).strftime("%Y/%m/%d") if row.rejected_at else "",
        "reason": reason or row.reason_text,
        "status": status,
        "problems": problems,
    }


def _parse_for(batch: ApplicantImport, content: bytes) -> ParsedFile:
    return parse_file(content, mapping=batch.columns, format=batch.format)


def applicant_import_upload(
    *,
    company: Company,
    filename: str,
    content: bytes,
    default_stage: str,
    default_track: str,
    preset: ImportPreset | None = None,
    actor: User | None = None,
) -> ApplicantImport:
    """Read an uploaded CSV and keep it for confirmation, with the preview of what importing it would store.

    Raises CsvFileError (a message for the person) when the file as a whole cannot be read: nothing is kept.
    """
    if preset is not None and preset.company_id != company.pk:
        raise ValueError("preset of another company")
    parsed = parse_file(content, mapping=preset.mapping if preset else None)
    layout = parsed.layout
    batch = ApplicantImport(
        company=company,
        filename=filename[:255],
        format=layout.format,
        preset=preset,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        columns=layout.header_names,
        default_stage=default_stage,
        default_track=default_track,
        file_size=len(content),
        created_by=actor,
    )
    seen: dict[str, int] = {}
    valid = invalid = duplicates = not_rejected = held = total = 0
    preview: list[dict[str, Any]] = []
    vocabulary = company_vocabulary(company)
    rows = parsed.rows(default_stage=default_stage, default_track=default_track, vocabulary=vocabulary)
    for chunk in _chunks(rows, CHUNK_ROWS):
        verdict = _classify(company=company, batch_id=None, rows=chunk, seen=seen)
        total += len(chunk)
        valid += len(verdict.new)
        invalid += verdict.invalid
        duplicates += verdict.duplicates
        not_rejected += verdict.not_rejected
        held += sum(1 for row in verdict.new if row.hold)
        if len(preview) < PREVIEW_ROWS:
            reports = {issue["row_number"]: (issue["kind"], issue["details"]) for issue in verdict.issues}
            for row in chunk[: PREVIEW_ROWS - len(preview)]:
                kind, details = reports.get(row.number, ("ok", []))
                if kind == "ok" and row.hold:
                    kind, details = "held", [problem("unknown_reason", text=row.reason_text, who=row.who)]
                preview.append(_preview_row(row, kind, details, vocabulary.reason_labels.get(row.reason_id or 0, "")))
    batch.total_rows = len(parsed.records)
    batch.preview_valid, batch.preview_invalid, batch.preview_duplicates = valid, invalid, duplicates
    batch.preview_not_rejected = not_rejected
    batch.preview_held = held
    batch.preview_rows = preview
    # Reading and checking a large file takes seconds: only the writes hold a transaction (and SQLite's lock).
    with transaction.atomic():
        batch.save()
        ApplicantImportFile.objects.create(batch=batch, content=content)
        audit_record(
            actor=actor,
            action="applicant_import.upload",
            target=batch,
            company=company,
            detail={"filename": batch.filename, "format": batch.format, "rows": total},
        )
    return batch


def _enqueue_run(batch: ApplicantImport) -> None:
    enqueue_on_commit("applicants.tasks.applicant_import_run", import_id=batch.pk)


@transaction.atomic
def applicant_import_start(*, batch: ApplicantImport, actor: User | None = None) -> ApplicantImport:
    """Confirm a previewed import: the task worker stores its rows. Confirming twice starts it once."""
    locked = ApplicantImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ApplicantImport.Status.PREVIEW:
        return locked
    now = timezone.now()
    locked.status = ApplicantImport.Status.RUNNING
    locked.started_at = locked.heartbeat_at = now
    locked.save(update_fields=["status", "started_at", "heartbeat_at"])
    audit_record(actor=actor, action="applicant_import.start", target=locked, company=locked.company)
    _enqueue_run(locked)
    return locked


@transaction.atomic
def applicant_import_resume(*, batch: ApplicantImport, actor: User | None = None) -> ApplicantImport:
    """Carry on an import that stopped midway (worker killed, or failed) from its last committed chunk."""
    locked = ApplicantImport.objects.select_for_update().get(pk=batch.pk)
    if not locked.can_resume:
        return locked
    locked.status = ApplicantImport.Status.RUNNING
    locked.error = ""
    locked.heartbeat_at = timezone.now()
    locked.save(update_fields=["status", "error", "heartbeat_at"])
    if actor is not None:
        audit_record(actor=actor, action="applicant_import.resume", target=locked, company=locked.company)
    _enqueue_run(locked)
    return locked


def applicant_imports_resume_stuck(*, now: datetime | None = None) -> int:
    """Re-enqueue running imports that have not committed a chunk for a while: their worker died."""
    cutoff = (now or timezone.now()) - STUCK_AFTER
    count = 0
    for batch in ApplicantImport.objects.filter(status=ApplicantImport.Status.RUNNING, heartbeat_at__lt=cutoff):
        logger.warning("resuming stuck applicant import %s at record %s", batch.pk, batch.next_record)
        applicant_import_resume(batch=batch)
        count += 1
    return count


def _assign_refs(company: Company, rows: list[dict[str, Any]]) -> None:
    """As `applicant_record` does: the ATS id becomes the ref when no other applicant of the company has it."""
    wanted = {values["external_id"][:100] for values in rows if values["external_id"]}
    taken = {ref for (ref,) in _in_company(company, "ref", list(wanted), "a.ref")}
    for values in rows:
        ref = values["external_id"][:100]
        if ref and ref not in taken:
            values["ref"] = ref
            taken.add(ref)


def _applicant_values(row: Row, batch: ApplicantImport) -> dict[str, Any]:
    return {
        "company_id": batch.company_id,
        "source": Applicant.Source.CSV,
        "external_system": batch.format,
        "external_id": row.external_id,
        "dedupe_key": row.dedupe_key,
        "name": row.name,
        "name_kana": row.name_kana,
        "email": row.email,
        "email_normalized": row.email,
        "position": row.position,
        "stage": row.stage,
        "track": row.track,
        "interview_date": row.interview_date,
        "rejected_at": row.rejected_at,
        "import_batch_id": batch.pk,
        "import_row": row.number,
        "reason_id": row.reason_id,
        "reason_text": row.reason_text[:200],
        "hold": row.hold,
        "hold_detail": unknown_reason_detail(row.reason_text) if row.hold else "",
        "search_text": search_text_for(
            name=row.name, name_kana=row.name_kana, email=row.email, position=row.position, external_id=row.external_id
        ),
        "created_by_id": batch.created_by_id,
    }


def _store_chunk(*, batch: ApplicantImport, rows: list[Row]) -> tuple[int, int, int, int, int]:
    """Store one chunk; returns how many rows were stored, duplicates, invalid, not rejections and held."""
    company = batch.company
    verdict = _classify(company=company, batch_id=batch.pk, rows=rows, seen={})
    values = [_applicant_values(row, batch) for row in verdict.new]
    _assign_refs(company, values)
    stored = insert_ignoring_conflicts(Applicant, values)
    if stored == len(values):
        stored_keys = {row.dedupe_key for row in verdict.new}
    else:
        keys = [row.dedupe_key for row in verdict.new]
        stored_keys = {
            key
            for key, batch_id in _in_company(company, "dedupe_key", keys, "a.dedupe_key, a.import_batch_id")
            if batch_id == batch.pk
        }
        stored = len(stored_keys)
    duplicates = verdict.duplicates
    for row in verdict.new:
        if row.dedupe_key in stored_keys:
            continue
        # Skipped by the bulk insert: someone stored this person (or took this ref) between our read and write.
        # The one-by-one path decides it exactly as any other caller would.
        recorded = applicant_record(
            company=company,
            source=Applicant.Source.CSV,
            external_system=batch.format,
            external_id=row.external_id,
            name=row.name,
            name_kana=row.name_kana,
            email=row.email,
            position=row.position,
            stage=row.stage,
            track=row.track,
            interview_date=row.interview_date,
            rejected_at=row.rejected_at,
            actor=batch.created_by,
            import_batch=batch,
            import_row=row.number,
            reason_id=row.reason_id,
            reason_text=row.reason_text,
            hold=row.hold,
            hold_detail=unknown_reason_detail(row.reason_text) if row.hold else "",
        )
        if recorded.created:
            stored += 1
            stored_keys.add(row.dedupe_key)
        else:
            duplicates += 1
            found = [problem("duplicate", who=row.who)]
            verdict.issues.append(_issue(batch.pk, row, ImportRowIssue.Kind.DUPLICATE_EXISTING, found))
    for issue in verdict.issues:  # written out only for rows being stored: a preview needs the codes alone
        issue["message"] = row_text(issue["row_number"], issue["details"])
    insert_ignoring_conflicts(ImportRowIssue, verdict.issues)
    held = sum(1 for row in verdict.new if row.hold and row.dedupe_key in stored_keys)
    return stored, duplicates, verdict.invalid, verdict.not_rejected, held


def applicant_import_process(
    *, batch_id: int, chunk_rows: int = CHUNK_ROWS, max_chunks: int | None = None
) -> ApplicantImport:
    """Store the rows of a confirmed import, one committed chunk at a time, from where it last stopped.

    Safe to run twice at once or after a crash: each chunk locks the import row, re-reads the committed position
    and commits its applicants together with the new position. `max_chunks` stops early (tests, benchmarks).
    """
    batch = ApplicantImport.objects.select_related("company", "created_by", "file").get(pk=batch_id)
    if batch.status != ApplicantImport.Status.RUNNING:
        return batch
    try:
        parsed = _parse_for(batch, bytes(batch.file.content))
    except CsvFileError as error:
        ApplicantImport.objects.filter(pk=batch.pk).update(status=ApplicantImport.Status.FAILED, error=str(error))
        batch.refresh_from_db()
        return batch
    vocabulary = company_vocabulary(batch.company)
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        with transaction.atomic():
            locked = ApplicantImport.objects.select_for_update().get(pk=batch.pk)
            if locked.status != ApplicantImport.Status.RUNNING:
                return locked
            start = locked.next_record
            if start >= len(parsed.records):
                locked.status = ApplicantImport.Status.DONE
                locked.finished_at = timezone.now()
                locked.save(update_fields=["status", "finished_at"])
                audit_record(
                    actor=None,
                    action="applicant_import.done",
                    target=locked,
                    company=locked.company,
                    detail={"stored": locked.stored_count, "duplicates": locked.duplicate_count},
                )
                return locked
            stop = start + chunk_rows
            rows = list(
                parsed.rows(
                    default_stage=locked.default_stage,
                    default_track=locked.default_track,
                    start=start,
                    stop=stop,
                    vocabulary=vocabulary,
                )
            )
            locked.company = batch.company
            locked.created_by = batch.created_by
            stored, duplicates, invalid, not_rejected, held = _store_chunk(batch=locked, rows=rows)
            locked.next_record = min(stop, len(parsed.records))
            locked.stored_count += stored
            locked.duplicate_count += duplicates
            locked.invalid_count += invalid
            locked.not_rejected_count += not_rejected
            locked.held_count += held
            locked.heartbeat_at = timezone.now()
            locked.save(
                update_fields=[
                    "next_record",
                    "stored_count",
                    "duplicate_count",
                    "invalid_count",
                    "not_rejected_count",
                    "held_count",
                    "heartbeat_at",
                ]
            )
        chunks += 1
    batch.refresh_from_db()
    return batch


def applicant_import_fail(*, batch_id: int, error: str) -> None:
    ApplicantImport.objects.filter(pk=batch_id, status=ApplicantImport.Status.RUNNING).update(
        status=ApplicantImport.Status.FAILED, error=error[:2000]
    )


@transaction.atomic
def applicant_import_discard(*, batch: ApplicantImport, actor: User | None = None) -> None:
    """Throw away an upload that was only previewed: nothing was stored from it."""
    if batch.status != ApplicantImport.Status.PREVIEW:
        raise ValueError("only a previewed import can be discarded")
    audit_record(
        actor=actor,
        action="applicant_import.discard",
        target=batch,
        company=batch.company,
        detail={"filename": batch.filename},
    )
    batch.delete()


def import_preset_save(
    *,
    company: Company,
    name: str,
    mapping: dict[str, str],
    preset: ImportPreset | None = None,
    actor: User | None = None,
) -> ImportPreset:
    clean = {key: nfkc(value) for key, value in mapping.items() if value and nfkc(value)}
    if preset is None:
        preset = ImportPreset(company=company)
    elif preset.company_id != company.pk:
        raise ValueError("preset of another company")
    preset.name = nfkc(name)
    preset.mapping = clean
    preset.save()
    audit_record(actor=actor, action="import_preset.save", target=preset, company=company, detail={"name": preset.name})
    return preset
