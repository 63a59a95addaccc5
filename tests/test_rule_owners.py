"""Each rule's rows have one writer (DESIGN.md §6); scripts/check_rule_owners.py (in `make lint`) says so.

relay/ledger.py alone writes credit entries; relay/ alone writes referrals, touches and clicks.
"""

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_rule_owners", ROOT / "scripts" / "check_rule_owners.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_module_but_the_owners_writes_ledger_entries_or_referrals() -> None:
    result = subprocess.run(
        ["python3", "scripts/check_rule_owners.py"], cwd=ROOT, capture_output=True, text=True, check=False
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
            "CreditEntry.objects.filter(pk=1).update(amount=0)  # owner-write-allowed: shown on purpose",
            "Touch.objects.create(candidate_id=1, link_id=1)",
            "Referral.objects.filter(pk=1).exists()",
            "Candidate.objects.create(name='x')",
        ]
    )
    found = list(_checker().owner_writes(source, "placements/services/x.py"))
    assert [line.split(":")[1] for line in found] == ["1", "2", "3", "4", "6", "8"]


def test_referrals_may_be_written_anywhere_in_relay_but_credit_entries_only_by_the_ledger() -> None:
    checker = _checker()
    referral_write = "Referral.objects.create(company_id=1)\nTouch.objects.create(candidate_id=1, link_id=1)"
    ledger_write = "CreditEntry.objects.create(company_id=1, kind='grant', amount=1)"
    assert list(checker.owner_writes(referral_write, "relay/services.py")) == []
    assert list(checker.owner_writes(ledger_write, "relay/ledger.py")) == []
    assert [line.split(": ", 1)[1] for line in checker.owner_writes(ledger_write, "relay/services.py")] == [
        "CreditEntry write .create() outside relay/ledger.py"
    ]
    assert len(list(checker.owner_writes(referral_write, "candidates/services.py"))) == 2


def test_the_owners_tests_bench_fills_and_migrations_are_allowed() -> None:
    checker = _checker()
    paths = ["relay/ledger.py", "relay/services.py", "tests/test_kpi_dashboard.py", "bench/crm.py"]
    assert checker.violations([*paths, "relay/migrations/0001_initial.py"]) == []
