"""The statutory books and reports as CSV files Excel opens as they are (UTF-8 with BOM, CRLF)."""

import csv
from collections.abc import Iterable, Iterator
from typing import cast

from django.http import HttpResponse, StreamingHttpResponse

from lib.csvsafe import csv_safe


class _Line:
    """A file-like object that hands back what csv.writer writes, one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_rows(rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """Each row as CSV bytes, the first with the BOM; every cell passes through `csv_safe` (a name like
    `=HYPERLINK(…)` opens as text), figures included (they never start with a formula character)."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff".encode()
    for row in rows:
        yield writer.writerow([csv_safe(str(cell)) for cell in row]).encode("utf-8")


def csv_response(rows: Iterable[Iterable[object]], filename: str) -> HttpResponse:
    """Streamed, so a book of 100,000 people is never held in memory. Typed as the HttpResponse every operator view
    returns (`operator_required`); Django and our middleware treat a streaming answer the same way."""
    response = StreamingHttpResponse(csv_rows(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return cast(HttpResponse, response)
