"""Data a company entrusted to us stays that company's (委託, APPI 27条5項1号; DESIGN.md §3 rule 14).

An applicant company A imports is visible only to A and used only for A's mail. The agency's CRM, matching, pool,
network figures and registration / de-duplication never read it; scripts/check_entrusted_readers.py (in
`make lint`) keeps every other module from reading `Applicant` rows.
"""

import importlib.util
import subprocess
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from applicants.services import applicant_record
from candidates.models import Candidate
from candidates.services import candidate_register
from insights.selectors.metrics import funnels_by_company, network_funnel
from lib.dates import Period
from placements.models import PoolListing
from placements.selectors.matching import matches_for_job
from placements.services.pool import PoolFilters, pool_page
from relay.models import Referral, Touch
from tests.conftest import Tenant, login, make_tenant, profile, register_verified
from tests.introductions_support import make_job

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
NAME, KANA, EMAIL = "委託 秘匿子", "イタク ヒトクコ", "hitokuko.itaku@example.jp"


def import_secret_applicant(company_a: Tenant) -> None:
    applicant_record(
        company=company_a.company,
        source="manual",
        name=NAME,
        name_kana=KANA,
        email=EMAIL,
        position="バックエンドエンジニア(Python、SQL)",
        external_id="ATS-HITOKU-1",
    )


def _period() -> Period:
    now = timezone.now()
    return Period(start=now - timedelta(days=400), end=now + timedelta(days=1))


def test_an_imported_applicant_never_reaches_the_agencys_crm_matching_pool_or_network_figures(
    tenant: Tenant, outsider: Tenant, operator: User
) -> None:
    third = make_tenant(operator, "第三株式会社", "third")
    for n in range(5):
        register_verified(outsider.link, name=f"佐藤 {n}郎", skills="Python、SQL")
    PoolListing.objects.update(state=PoolListing.State.LISTED)
    job = make_job(third)
    before = (
        network_funnel(_period()),
        funnels_by_company(_period()),
        [m.candidate.pk for m in matches_for_job(job)],
        [c.pk for c in pool_page(third.company, PoolFilters(), size=20)[0]],
        Candidate.objects.count(),
    )
    import_secret_applicant(tenant)
    after = (
        network_funnel(_period()),
        funnels_by_company(_period()),
        [m.candidate.pk for m in matches_for_job(job)],
        [c.pk for c in pool_page(third.company, PoolFilters(), size=20)[0]],
        Candidate.objects.count(),
    )
    assert after == before
    ops = login(Client(), operator)
    for query in (NAME, "秘匿子", KANA, EMAIL, "hitokuko", "ATS-HITOKU-1"):
        response = ops.get("/ops/candidates/", {"q": query})
        assert response.status_code == 200 and list(response.context["page"].object_list) == []
    for url in ("/ops/candidates/", "/ops/insights/", f"/ops/jobs/{job.pk}/matches/", "/ops/pool/"):
        page = ops.get(url).content.decode()
        assert NAME not in page and EMAIL not in page
    # The company that sent it sees it; another company does not.
    assert NAME in login(Client(), tenant.owner).get("/company/applicants/").content.decode()
    response = login(Client(), outsider.owner).get("/company/applicants/", {"q": NAME})
    assert response.status_code == 200 and list(response.context["page"].object_list) == []


def test_an_imported_applicant_changes_no_registration_or_de_duplication_outcome(
    tenant: Tenant, outsider: Tenant
) -> None:
    import_secret_applicant(tenant)
    # The same mailbox registering through another company's link is a new person, counted for that company.
    registration = candidate_register(
        link=outsider.link, profile=profile(email=EMAIL, name=NAME), rechallenge=False, newsletter=False
    )
    assert registration.created
    referral = Referral.objects.get(candidate=registration.candidate)
    assert referral.company == outsider.company and referral.applicant_ref == ""
    assert not Touch.objects.exists()
    # Through company A's general link, without the personal link, nothing ties the person to A's applicant.
    other = candidate_register(
        link=tenant.link, profile=profile(email="hitokuko.other@example.jp"), rechallenge=False, newsletter=False
    )
    assert Referral.objects.get(candidate=other.candidate).applicant_ref == ""


# --- the static check ----------------------------------------------------------------------------------------------


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_entrusted_readers", ROOT / "scripts" / "check_entrusted_readers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_module_but_the_allowed_ones_reads_entrusted_applicants() -> None:
    result = subprocess.run(
        ["python3", "scripts/check_entrusted_readers.py"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_the_checker_catches_imports_lookups_and_relations() -> None:
    source = "\n".join(
        [
            "from applicants.models import Applicant",
            "import applicants.selectors",
            "OutboundEmail.objects.filter(applicant__email='x')",
            "Company.objects.filter(applicants__name='x')",
            "rows.values('applicant__name')",
            "email.applicant.name",
            "company.applicants.all()",
            "rows.select_related('applicant')",
            "from applicants.models import Applicant  # entrusted-read-allowed: shown on purpose",
            "Candidate.objects.filter(email='x')",
            "rows.values('applicant_count')",
        ]
    )
    found = list(_checker().entrusted_reads(source, "candidates/selectors.py"))
    assert sorted({int(line.split(":")[1]) for line in found}) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_the_allowed_modules_each_say_why() -> None:
    checker = _checker()
    assert all(len(why) > 20 for why in checker.ALLOWED.values())
    assert checker.violations(["mailings/services/outbox.py", "tests/test_api.py", "relay/entrusted.py"]) == []
    for agency_feature in ("candidates/", "placements/services/pool.py", "placements/selectors/matching.py"):
        assert not any(path.startswith(agency_feature) for path in checker.ALLOWED)
