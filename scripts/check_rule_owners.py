"""Refuse writes of a rule's rows outside the module that owns the rule (DESIGN.md §6, "one owner for every rule").

- credit entries (`CreditEntry`): only relay/ledger.py, which takes the contract lock for every write;
- referrals, touches and clicks (`Referral`, `Touch`, `Click`): only relay/ (registration asks relay.services).

Flags, in every tracked Python file but the owner's and migrations: `Model(...)`, and `Model.objects.<write>(...)`
or `.<write>()` on a `Model.objects...` chain, where <write> is create, bulk_create, get_or_create,
update_or_create, update or delete. tests/ and bench/ build states directly, so they are allowed; any other
exception is written on its line as `# owner-write-allowed: <why>`.
Exit status 1 and one line per finding when anything is found.

    python scripts/check_rule_owners.py [paths...]
"""

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

LEDGER = "relay/ledger.py"
OWNERS = {"CreditEntry": LEDGER, "Referral": "relay/", "Touch": "relay/", "Click": "relay/"}
ALLOWED_PREFIXES = ("tests/", "bench/")
ALLOW_MARK = "owner-write-allowed:"
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete"}


def _chain_root(node: ast.AST) -> str | None:
    """The name a chain like `Referral.objects.filter(...).update` starts from, if it starts from a name."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return node.id if isinstance(node, ast.Name) else None


def _owned_by(model: str, filename: str) -> bool:
    owner = OWNERS[model]
    return filename.startswith(owner) if owner.endswith("/") else filename == owner


def owner_writes(source: str, filename: str = "<source>") -> Iterator[str]:
    """Each write in `source` of rows whose rule another module owns, as "file:line: what"."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or ALLOW_MARK in lines[node.lineno - 1]:
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in OWNERS and not _owned_by(func.id, filename):
            yield f"{filename}:{node.lineno}: {func.id}(...) is built outside {OWNERS[func.id]}"
        elif isinstance(func, ast.Attribute) and func.attr in WRITES:
            model = _chain_root(func.value)
            if model in OWNERS and not _owned_by(model, filename):
                yield f"{filename}:{node.lineno}: {model} write .{func.attr}() outside {OWNERS[model]}"


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
        if path.startswith(ALLOWED_PREFIXES) or "/migrations/" in path or not Path(path).is_file():
            continue
        found += owner_writes(Path(path).read_text(encoding="utf-8"), path)
    return found


def main(argv: list[str]) -> int:
    found = violations(argv or tracked_python_files())
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
