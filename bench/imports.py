"""Benchmark of applicant CSV imports: rows per second for reading, previewing and importing a 100,000-row file.

Run: `.venv/bin/python bench/imports.py` (SQLite in a temporary file) or
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports .venv/bin/python bench/imports.py`
(the database is created and dropped). `BENCH_IMPORT_ROWS` changes the size. Prints figures; asserts nothing.
"""

import csv
import io
import logging
import os
import time

import harness

database_url = harness.configure()
logging.getLogger("django_tasks").setLevel(logging.WARNING)

from django.db import connection  # noqa: E402

from demo.fakes import HERP_HIRE_HEADERS  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
HEADERS = HERP_HIRE_HEADERS
POSITIONS = ["営業職", "バックエンドエンジニア", "カスタマーサクセス", "経理・財務", "人事(新卒採用)"]
STEPS = ["書類選考", "一次面接", "二次面接", "最終面接"]


def herp_file(rows: int) -> bytes:
    """A HERP Hire-style export in CP932 with 1% broken addresses and 1% repeated candidates, as real files have."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(rows):
        candidate = n - 1 if n % 100 == 50 else n  # a repeated row
        email = f"candidate{candidate}@example.jp" if n % 100 != 7 else f"candidate{n}@@example"
        writer.writerow(
            [
                f"C{candidate:07d}",
                f"山田 太郎{candidate}",
                "ヤマダ タロウ",
                email,
                POSITIONS[candidate % len(POSITIONS)],
                STEPS[candidate % len(STEPS)],
                f"2026/10/{1 + candidate % 28:02d}",
                f"2026/11/{1 + candidate % 28:02d}",
                "不採用",
            ]
        )
    return buffer.getvalue().encode("cp932")


def main() -> None:
    with harness.scratch_database(database_url):
        run()


def rate(rows: int, seconds: float, cpu: float) -> str:
    # CPU seconds too: on a shared machine the wall clock also counts other processes' turns.
    return f"{rows} rows in {seconds:.2f}s = {rows / seconds:,.0f} rows/s (this process's CPU: {cpu:.2f}s)"


class Timer:
    def __enter__(self) -> "Timer":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def run() -> None:
    from accounts.models import User
    from applicants.csvfile import parse_file
    from applicants.models import Applicant
    from applicants.services import applicant_import_process, applicant_import_start, applicant_import_upload
    from companies.services import company_create

    operator = User.objects.create_user("bench@example.jp", None, name="bench", operator_role="admin")
    company = company_create(name="ベンチ株式会社", name_kana="", contract_terms={}, actor=operator)
    content = herp_file(ROWS)
    print(f"database: {connection.vendor}; file: {ROWS} rows, {len(content) / 1e6:.1f} MB CP932")

    with Timer() as timer:
        parsed = parse_file(content)
        rows = list(parsed.rows(default_stage="document", default_track="mid_career"))
    invalid = sum(1 for row in rows if row.errors)
    print(f"parse + validate (decode, sniff, csv, normalise, check): {rate(len(rows), timer.wall, timer.cpu)}")
    print(f"  ({invalid} invalid rows)")

    def upload_and_import(label: str) -> None:
        with Timer() as preview:
            batch = applicant_import_upload(
                company=company,
                filename=f"{label}.csv",
                content=content,
                default_stage="document",
                default_track="mid_career",
                actor=operator,
            )
        with Timer() as work:
            # The immediate task backend runs the import inside start (on commit), as a worker would.
            applicant_import_start(batch=batch)
            batch = applicant_import_process(batch_id=batch.pk)
        print(f"{label}: upload + preview (with duplicate check): {rate(ROWS, preview.wall, preview.cpu)}")
        print(f"{label}: import (parse, de-duplicate, store, row report): {rate(ROWS, work.wall, work.cpu)}")
        print(f"  stored {batch.stored_count}, duplicates {batch.duplicate_count}, invalid {batch.invalid_count}")
        wall, cpu = preview.wall + work.wall, preview.cpu + work.cpu
        print(f"{label}: upload to done: {rate(ROWS, wall, cpu)}")

    upload_and_import("first import")
    upload_and_import("same file again (all duplicates)")
    print(f"applicants stored: {Applicant.objects.filter(company=company).count()}")


if __name__ == "__main__":
    main()
