"""relay/ledger.py is the only writer of credit entries; scripts/check_ledger_writes.py (in `make lint`) says so."""

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_ledger_writes", ROOT / "scripts" / "check_ledger_writes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_module_but_the_ledger_writes_credit_entries() -> None:
    result = subprocess.run(
        ["python3", "scripts/check_ledger_writes.py"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_the_checker_catches_creates_updates_and_constructors() -> None:
    source = "\n".join(
        [
            "CreditEntry.objects.create(company_id=1, kind='grant', amount=1)",
            "CreditEntry.objects.filter(pk=1).update(amount=5)",
            "CreditEntry.objects.filter(pk=1).delete()",
            "CreditEntry(company_id=1)",
            "CreditEntry.objects.filter(company_id=1).count()",
            "Referral.objects.create(company_id=1)",
            "CreditEntry.objects.filter(pk=1).update(amount=0)  # ledger-write-allowed: shown on purpose",
        ]
    )
    found = list(_checker().ledger_writes(source, "placements/services/x.py"))
    assert [line.split(":")[1] for line in found] == ["1", "2", "3", "4"]


def test_the_ledger_itself_and_tests_are_allowed() -> None:
    checker = _checker()
    assert checker.violations(["relay/ledger.py", "tests/test_kpi_dashboard.py"]) == []
