"""Multi-row INSERT … ON CONFLICT DO NOTHING without building model instances: the import's hot path.

`QuerySet.bulk_create` builds a model instance per row and prepares every value through the SQL compiler, which
costs more than the database itself at 100,000 rows. This writes the same columns with the same defaults
(`Field.get_default()`, `auto_now`/`auto_now_add`) and the backend's own value adapters; rows that would break a
unique constraint are skipped, as `bulk_create(ignore_conflicts=True)` does. SQLite (3.24+) gets multi-row VALUES,
PostgreSQL one array per column through unnest().
"""

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

MAX_PARAMS = 30_000  # under SQLite's default limit of 32,766 bound variables per statement
MAX_ROWS = 1000


def _getter(field: models.Field[Any, Any], now: Any) -> Callable[[dict[str, Any]], Any]:
    """A function from a row's values to the field's database value, doing per row only what the field needs."""
    name = field.attname
    ops = connection.ops
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):  # type: ignore[attr-defined]
        stamp = ops.adapt_datetimefield_value(now)
        return lambda values: stamp
    if isinstance(field, models.DateTimeField):
        adapt = lru_cache(maxsize=4096)(ops.adapt_datetimefield_value)
        return lambda values: adapt(values.get(name))
    if isinstance(field, models.DateField):
        adapt_date = lru_cache(maxsize=4096)(ops.adapt_datefield_value)
        return lambda values: adapt_date(values.get(name))
    if isinstance(field, (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)):
        if field.has_default() and callable(field.default):
            make = field.default
            return lambda values: values[name] if name in values else make()
        default = field.get_default()
        return lambda values: values.get(name, default)
    return lambda values: field.get_db_prep_save(values[name] if name in values else field.get_default(), connection)


def insert_ignoring_conflicts(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows given as {attname: python value}; absent fields take their model default.

    Returns how many rows were inserted (the others broke a unique constraint and were skipped).
    """
    if not rows:
        return 0
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, AutoFieldMixin)]
    now = timezone.now()
    getters = [_getter(field, now) for field in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in fields)
    table = quote(model._meta.db_table)
    inserted = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _insert_postgresql(cursor, table, names, getters, rows)
        # sqlite3's own execute on Django's cursor: Django's rewrites every %s to ? with a regex, on statements
        # of tens of thousands of placeholders. Same connection, so the same transaction.
        raw = cursor.cursor
        one_row = "(" + ", ".join(["?"] * len(fields)) + ")"
        per_statement = max(1, min(MAX_ROWS, MAX_PARAMS // len(fields)))
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            params = [get(values) for values in batch for get in getters]
            placeholders = ", ".join([one_row] * len(batch))
            sql = f"INSERT INTO {table} ({names}) VALUES {placeholders} ON CONFLICT DO NOTHING"  # noqa: S608 (our names)
            sqlite3.Cursor.execute(raw, sql, params)
            inserted += max(raw.rowcount, 0)
    return inserted


def _insert_postgresql(
    cursor: Any, table: str, names: str, getters: list[Callable[[dict[str, Any]], Any]], rows: Sequence[dict[str, Any]]
) -> int:
    """COPY into a temporary copy of the table, then move the rows over, skipping those that break a constraint.

    COPY formats rows in psycopg's C code; parameters of a multi-row INSERT are parsed and quoted in Python.
    """
    cursor.execute(
        f"CREATE TEMPORARY TABLE import_rows ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
    )
    with cursor.cursor.copy(f"COPY import_rows ({names}) FROM STDIN") as copy:
        for values in rows:
            copy.write_row([get(values) for get in getters])
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM import_rows ON CONFLICT DO NOTHING"  # noqa: S608
    )
    inserted: int = max(cursor.rowcount, 0)
    cursor.execute("DROP TABLE import_rows")
    return inserted
