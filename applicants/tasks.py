from django_tasks import task

from applicants.services import applicant_import_fail, applicant_import_process, applicant_imports_resume_stuck


@task()
def applicant_import_run(*, import_id: int) -> int:
    """Store a confirmed import's rows; returns how many were stored so far. Re-running it resumes it."""
    try:
        batch = applicant_import_process(batch_id=import_id)
    except Exception as error:
        # Committed chunks stay; the report page offers to resume from the next one.
        applicant_import_fail(batch_id=import_id, error=f"{type(error).__name__}: {error}")
        raise
    return batch.stored_count


@task()
def resume_stuck_imports() -> int:
    return applicant_imports_resume_stuck()
