"""Refuse reads of the data a company entrusted to us outside the modules that serve that company (DESIGN.md §3
rule 14; APPI 27条5項1号 委託, PPC Q&A 5-26-2: it stops being 委託 once the agency uses it for its own business or
mixes several clients' data).

The rejected applicants a company sends (`applicants.Applicant`, its imports) are read only to send that company's
mail, to show them to that company, and to tie a registration to the applicant whose own personal link the person
clicked. The agency's CRM, matching, talent pool, network figures and de-duplication never read them.

Flags, in every tracked Python file but the allowed ones (below, each with its reason), tests/, bench/ and
migrations: an import from the `applicants` app; an ORM lookup or path through the applicant relations
(`applicant__…`, `…__applicant`, `"applicants"` in a lookup); the attributes `.applicant` / `.applicants`.
Any other exception is written on its line as `# entrusted-read-allowed: <why>`.
Exit status 1 and one line per finding when anything is found.

    python scripts/check_entrusted_readers.py [paths...]
"""

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

# path (a file, or a folder ending in "/") → why it may read the company's applicants
ALLOWED: dict[str, str] = {
    "applicants/": "the owner: the company's own applicant list, imports, reasons and mappings",
    "mailings/": "sends the company's own rejection mail to the company's own applicants (the purpose of 委託)",
    "integrations/": "receives the company's applicants from its ATS, webhooks and API, and answers its API",
    "relay/entrusted.py": "the retention term: deletes or wipes the company's applicants",
    "relay/risk.py": "a registration through the applicant's own personal link: reads that one link's mail only",
    "rechallenge/services.py": "the company's re-challenge list names the company's own applicant the person came from",
    "rechallenge/views/company.py": "the same list, on the company's screen",
    "placements/selectors/eligibility.py": (
        "rule 9: the rejecting company's own rejection date, for the referral's own applicant reference (cool-down)"
    ),
    "insights/selectors/metrics.py": "the company's own KPI of its own applicants by reason, shown to that company",
    "companies/views/company.py": "the company's own dashboard shows how many of its applicants await confirmation",
    "demo/": "demo data (production runs without it)",
    "config/settings.py": "names the app in INSTALLED_APPS",
}
ALLOWED_PREFIXES = ("tests/", "bench/")
ALLOW_MARK = "entrusted-read-allowed:"
LOOKUP = re.compile(r"^(?:\w+__)*applicants?(?:__\w+)*$")
ATTRIBUTES = {"applicant", "applicants", "applicant_id"}
RELATION_NAMES = {"applicant", "applicants"}
ORM_METHODS = {"select_related", "prefetch_related", "values", "values_list", "only", "defer", "order_by"}


def _allowed(filename: str) -> bool:
    if filename.startswith(ALLOWED_PREFIXES) or "/migrations/" in filename:
        return True
    return any(filename.startswith(path) if path.endswith("/") else filename == path for path in ALLOWED)


def _is_lookup(text: str) -> bool:
    return "__" in text and bool(LOOKUP.match(text))


def entrusted_reads(source: str, filename: str = "<source>") -> Iterator[str]:
    """Each read in `source` of the company's entrusted applicants, as "file:line: what"."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename)):
        line = getattr(node, "lineno", None)
        if line is None or ALLOW_MARK in lines[line - 1]:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "applicants":
            yield f"{filename}:{line}: imports from {node.module}"
        elif isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "applicants" for alias in node.names):
            yield f"{filename}:{line}: imports the applicants app"
        elif isinstance(node, ast.keyword) and node.arg and _is_lookup(node.arg):
            yield f"{filename}:{line}: looks up {node.arg}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_lookup(node.value):
            yield f"{filename}:{line}: looks up {node.value!r}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ORM_METHODS
            and any(isinstance(a, ast.Constant) and a.value in RELATION_NAMES for a in node.args)
        ):
            yield f"{filename}:{line}: follows the applicant relation in .{node.func.attr}()"
        elif isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            yield f"{filename}:{line}: reads .{node.attr}"


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
        if _allowed(path) or not Path(path).is_file():
            continue
        found += entrusted_reads(Path(path).read_text(encoding="utf-8"), path)
    return found


def main(argv: list[str]) -> int:
    found = violations(argv or tracked_python_files())
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
