"""What every benchmark does first: point Django at a scratch database and set it up.

SQLite in a temporary folder by default; `BENCH_DATABASE_URL` (e.g. postgres://postgres@127.0.0.1:5432/bench_x)
for PostgreSQL, where each benchmark creates and drops that database itself.
"""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="career-relay-bench-"))


def configure(*, task_backend: str = "immediate") -> str:
    """Set the environment for a benchmark run and call django.setup(); returns the database URL in use.

    `task_backend` "" means the database task backend, as in production; "immediate" runs tasks inline.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{SCRATCH}/bench.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        SECRET_KEY="bench-only",  # noqa: S106
        DEBUG="0",
        TASK_BACKEND=task_backend,
        STATIC_MANIFEST="0",
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("EMAIL_URL", None)

    import django

    django.setup()
    return database_url


@contextmanager
def scratch_database(database_url: str) -> Iterator[None]:
    """A migrated, empty database for the run: PostgreSQL's is created and dropped, SQLite's file is deleted."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    is_postgres = database_url.startswith("postgres")
    old = setup_databases(verbosity=0, interactive=False) if is_postgres else None
    if not is_postgres:
        call_command("migrate", verbosity=0)
    try:
        yield
    finally:
        if old is not None:
            teardown_databases(old, verbosity=0)
        connection.close()
        shutil.rmtree(SCRATCH, ignore_errors=True)  # 100,000 rows are a few hundred MB of SQLite
