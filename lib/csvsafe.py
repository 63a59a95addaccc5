"""CSV cells that a spreadsheet opens as text, never as a formula (CSV/formula injection, OWASP).

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and some also after a
leading tab or carriage return), so an applicant named `=HYPERLINK(...)` could run a formula on the HR person's
machine. Every CSV the platform writes passes each cell through `csv_safe`.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """The cell as text a spreadsheet shows, not evaluates: a leading `'` before a formula-like start."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
