import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applicants.csvfile import CsvFileError, ParsedFile, Row, parse_file
from applicants.models import Applicant, ApplicantImport, ApplicantImportFile, ImportPreset, ImportRowIssue
from audit.services import audit_record
from companies.models import Company
from lib.jatext import nfkc, normalize_email

logger = logging.getLogger(__name__)

CHUNK_ROWS = 2000  # rows per transaction: progress is committed after each chunk
PREVIEW_ROWS = 10
STUCK_AFTER = timedelta(minutes=10)


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
) -> Applicant:
    """The unsaved Applicant a record would store: normalised (NFKC) with its de-duplication key.

    The one normalisation shared by `applicant_record` and the bulk CSV import, so both find the same duplicates.
    """
    external_id = nfkc(external_id).strip()
    email_normalized = normalize_email(email)
    position = nfkc(position).strip()
    applicant = Applicant(
        company=company,
        source=source,
        external_system=external_system,
        external_id=external_id,
        dedupe_key=Applicant.dedupe_key_for(
            external_system=external_system,
            external_id=external_id,
            email_normalized=email_normalized,
            position=position,
        ),
        name=nfkc(name).strip(),
        name_kana=nfkc(name_kana).strip(),
        email=email_normalized,
        email_normalized=email_normalized,
        position=position,
        stage=stage,
        track=track,
        interview_date=interview_date,
        rejected_at=rejected_at,
        created_by=actor,
        import_batch=import_batch,
        import_row=import_row,
    )
    applicant.refresh_search_text()
    return applicant


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
    )
    key = applicant.dedupe_key
    existing = Applicant.objects.filter(company=company, dedupe_key=key).first()
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


# --- CSV imports ---------------------------------------------------------------------------------------------------


def _build_from_row(
    *, row: Row, company: Company, external_system: str, batch: ApplicantImport | None, actor: User | None
) -> Applicant:
    return applicant_build(
        company=company,
        source=Applicant.Source.CSV,
        external_system=external_system,
        external_id=row.external_id,
        name=row.name,
        name_kana=row.name_kana,
        email=row.email,
        position=row.position,
        stage=row.stage,
        track=row.track,
        interview_date=row.interview_date,
        rejected_at=row.rejected_at,
        actor=actor,
        import_batch=batch,
        import_row=row.number,
    )


@dataclass
class ChunkVerdict:
    new: list[tuple[Row, Applicant]] = field(default_factory=list)
    issues: list[ImportRowIssue] = field(default_factory=list)
    invalid: int = 0
    duplicates: int = 0


def _existing_by_key(company: Company, keys: Iterable[str]) -> dict[str, tuple[int | None, int | None, str, str]]:
    rows = Applicant.objects.filter(company=company, dedupe_key__in=list(keys)).values_list(
        "dedupe_key", "import_batch_id", "import_row", "import_batch__filename", "source"
    )
    return {key: (batch_id, row, filename or "", source) for key, batch_id, row, filename, source in rows}


def _classify(
    *,
    company: Company,
    batch: ApplicantImport,
    external_system: str,
    rows: Sequence[Row],
    seen: dict[str, int],
    actor: User | None,
) -> ChunkVerdict:
    """Split rows into new applicants, invalid rows and duplicates (of earlier rows or of stored applicants).

    `seen` maps the de-duplication keys of rows already accepted from this file to their row numbers.
    """
    verdict = ChunkVerdict()
    built: list[tuple[Row, Applicant]] = []
    for row in rows:
        if not row.is_valid:
            verdict.invalid += 1
            verdict.issues.append(
                ImportRowIssue(
                    batch=batch, row_number=row.number, kind=ImportRowIssue.Kind.INVALID, message=row.error_message()
                )
            )
            continue
        applicant = _build_from_row(
            row=row, company=company, external_system=external_system, batch=batch if batch.pk else None, actor=actor
        )
        built.append((row, applicant))
    existing = _existing_by_key(company, {a.dedupe_key for _, a in built})
    source_labels = dict(Applicant.Source.choices)
    for row, applicant in built:
        key = applicant.dedupe_key
        earlier_row = seen.get(key)
        found = existing.get(key)
        if found is not None and batch.pk and found[0] == batch.pk:
            earlier_row = found[1]
            found = None
        if earlier_row is not None:
            kind = ImportRowIssue.Kind.DUPLICATE_IN_FILE
            message = _("%(row)s行目: %(earlier)s行目と同じ応募者のため、取り込みませんでした (%(who)s)") % {
                "row": row.number,
                "earlier": earlier_row,
                "who": _who(row),
            }
        elif found is not None:
            kind = ImportRowIssue.Kind.DUPLICATE_EXISTING
            where = (
                _("取り込み「%(filename)s」") % {"filename": found[2]}
                if found[2]
                else source_labels.get(found[3], found[3])
            )
            message = _("%(row)s行目: すでに登録済みの応募者です(%(where)sで登録) (%(who)s)") % {
                "row": row.number,
                "where": where,
                "who": _who(row),
            }
        else:
            seen[key] = row.number
            verdict.new.append((row, applicant))
            continue
        verdict.duplicates += 1
        verdict.issues.append(ImportRowIssue(batch=batch, row_number=row.number, kind=kind, message=message))
    return verdict


def _who(row: Row) -> str:
    return f"{row.name} <{row.email}>"


def _chunks(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _preview_row(row: Row, status: str, message: str) -> dict[str, Any]:
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
        "status": status,
        "message": message,
    }


def _parse_for(batch: ApplicantImport, content: bytes) -> ParsedFile:
    return parse_file(content, mapping=batch.columns)


@transaction.atomic
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
    valid = invalid = duplicates = total = 0
    preview: list[dict[str, Any]] = []
    for chunk in _chunks(parsed.rows(default_stage=default_stage, default_track=default_track), CHUNK_ROWS):
        verdict = _classify(
            company=company, batch=batch, external_system=layout.format, rows=chunk, seen=seen, actor=actor
        )
        total += len(chunk)
        valid += len(verdict.new)
        invalid += verdict.invalid
        duplicates += verdict.duplicates
        if len(preview) < PREVIEW_ROWS:
            messages = {issue.row_number: (issue.kind, issue.message) for issue in verdict.issues}
            for row in chunk[: PREVIEW_ROWS - len(preview)]:
                kind, message = messages.get(row.number, ("ok", ""))
                preview.append(_preview_row(row, kind, message))
    batch.total_rows = len(parsed.records)
    batch.preview_valid, batch.preview_invalid, batch.preview_duplicates = valid, invalid, duplicates
    batch.preview_rows = preview
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
    from applicants.tasks import applicant_import_run

    batch_id = batch.pk
    transaction.on_commit(lambda: applicant_import_run.enqueue(import_id=batch_id))


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


def _assign_refs(company: Company, applicants: list[Applicant]) -> None:
    """As `applicant_record` does: the ATS id becomes the ref when no other applicant of the company has it."""
    wanted = {a.external_id[:100] for a in applicants if a.external_id}
    if not wanted:
        return
    taken = set(Applicant.objects.filter(company=company, ref__in=list(wanted)).values_list("ref", flat=True))
    for applicant in applicants:
        ref = applicant.external_id[:100]
        if ref and ref not in taken:
            applicant.ref = ref
            taken.add(ref)


def _store_chunk(*, batch: ApplicantImport, rows: list[Row]) -> tuple[int, int, int]:
    company = batch.company
    verdict = _classify(
        company=company, batch=batch, external_system=batch.format, rows=rows, seen={}, actor=batch.created_by
    )
    applicants = [applicant for _, applicant in verdict.new]
    _assign_refs(company, applicants)
    Applicant.objects.bulk_create(applicants, batch_size=500, ignore_conflicts=True)
    stored_keys = set(
        Applicant.objects.filter(
            company=company, import_batch=batch, dedupe_key__in=[a.dedupe_key for a in applicants]
        ).values_list("dedupe_key", flat=True)
    )
    stored = len(stored_keys)
    duplicates = verdict.duplicates
    for row, applicant in verdict.new:
        if applicant.dedupe_key in stored_keys:
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
        )
        if recorded.created:
            stored += 1
        else:
            duplicates += 1
            verdict.issues.append(
                ImportRowIssue(
                    batch=batch,
                    row_number=row.number,
                    kind=ImportRowIssue.Kind.DUPLICATE_EXISTING,
                    message=_("%(row)s行目: すでに登録済みの応募者です (%(who)s)") % {"row": row.number, "who": _who(row)},
                )
            )
    ImportRowIssue.objects.bulk_create(verdict.issues, batch_size=500, ignore_conflicts=True)
    return stored, duplicates, verdict.invalid


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
                parsed.rows(default_stage=locked.default_stage, default_track=locked.default_track, start=start, stop=stop)
            )
            locked.company = batch.company
            locked.created_by = batch.created_by
            stored, duplicates, invalid = _store_chunk(batch=locked, rows=rows)
            locked.next_record = min(stop, len(parsed.records))
            locked.stored_count += stored
            locked.duplicate_count += duplicates
            locked.invalid_count += invalid
            locked.heartbeat_at = timezone.now()
            locked.save(update_fields=["next_record", "stored_count", "duplicate_count", "invalid_count", "heartbeat_at"])
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
    *, company: Company, name: str, mapping: dict[str, str], preset: ImportPreset | None = None, actor: User | None = None
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
