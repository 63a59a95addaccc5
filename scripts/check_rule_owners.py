"""Refuse credit-ledger writes outside relay/ledger.py (issue 9: the ledger has one writer, which owns the lock).

Flags, in every tracked Python file but the ledger and migrations: `CreditEntry(...)`, and
`CreditEntry.objects.<write>(...)` or `.<write>()` on a `CreditEntry.objects...` chain, where <write> is create,
bulk_create, get_or_create, update_or_create, update or delete. Tests may build ledger states directly, so
tests/ is allowed; any other exception is written on its line as `# ledger-write-allowed: <why>`.
Exit status 1 and one line per finding when anything is found.

    python scripts/check_ledger_writes.py [paths...]
"""

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

LEDGER = "relay/ledger.py"
ALLOWED_PREFIXES = ("tests/", "relay/migrations/")
ALLOW_MARK = "ledger-write-allowed:"
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete"}


def _chain_starts_with_credit_entry(node: ast.AST) -> bool:
    """True for `CreditEntry.objects`, `CreditEntry.objects.filter(...)`, ... (any chain rooted at CreditEntry)."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return isinstance(node, ast.Name) and node.id == "CreditEntry"


def ledger_writes(source: str, filename: str = "<source>") -> Iterator[str]:
    """Each ledger write in `source`, as "file:line: what"."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or ALLOW_MARK in lines[node.lineno - 1]:
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "CreditEntry":
            yield f"{filename}:{node.lineno}: CreditEntry(...) is built outside {LEDGER}"
        elif isinstance(func, ast.Attribute) and func.attr in WRITES and _chain_starts_with_credit_entry(func.value):
            yield f"{filename}:{node.lineno}: CreditEntry ledger write .{func.attr}() outside {LEDGER}"


def tracked_python_files() -> list[str]:
    output = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return output.stdout.split()


def violations(paths: Iterable[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        if path == LEDGER or path.startswith(ALLOWED_PREFIXES) or not Path(path).is_file():
            continue
        found += ledger_writes(Path(path).read_text(encoding="utf-8"), path)
    return found


def main(argv: list[str]) -> int:
    found = violations(argv or tracked_python_files())
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
