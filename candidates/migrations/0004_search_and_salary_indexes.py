"""Indexes Django's Meta.indexes cannot express on every database.

- The salary sort puts people without a salary last. PostgreSQL needs `DESC NULLS LAST` for that; SQLite
  sorts NULLs last in DESC order already and refuses NULLS LAST in an index.
- On PostgreSQL, trigram indexes let partial-word search (LIKE '%エンジニア%') use an index. pg_trgm is a trusted
  extension (PostgreSQL 13+), so the database owner can create it; where that is not allowed, search still works
  with a sequential scan, so the migration skips those indexes instead of failing.
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "cand_search_trgm": "search_text",
    "cand_skills_trgm": "skills_text",
}
SALARY_SORT = {
    "postgresql": "desired_salary DESC NULLS LAST, created_at DESC, id DESC",
    "sqlite": "desired_salary DESC, created_at DESC, id DESC",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        columns = SALARY_SORT.get(connection.vendor, SALARY_SORT["sqlite"])
        cursor.execute(f"CREATE INDEX IF NOT EXISTS cand_salary_sort ON candidates_candidate ({columns})")
        if connection.vendor != "postgresql":
            return
        cursor.execute("SAVEPOINT trgm")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # noqa: BLE001 -- no privilege: keep the sequential scan
            cursor.execute("ROLLBACK TO SAVEPOINT trgm")
            return
        cursor.execute("RELEASE SAVEPOINT trgm")
        for name, column in TRIGRAM_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON candidates_candidate USING gin ({column} gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in ["cand_salary_sort", *TRIGRAM_INDEXES]:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("candidates", "0003_crm")]

    operations = [migrations.RunPython(create, drop)]
