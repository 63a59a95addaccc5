"""第三者提供の記録 (DESIGN.md §3 rule 15): each disclosure keeps who, what, to whom, on which consent and by whom;
the person sees it on My Page and in the download, the company has its 確認記録, the operator the ledger — and the
record outlives the account for 3 years, then the daily job removes it."""

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from candidates.models import Candidate, Consent
from candidates.services import candidate_delete
from candidates.tokens import candidate_token_make
from lib.periodic import JOBS
from placements.models import Introduction, ProvisionRecord
from placements.services.introductions import PROVIDED_ITEMS, introduction_accept, introduction_propose
from placements.services.provisions import provision_records_purge
from tests.conftest import Tenant, login, make_user
from tests.introductions_support import make_job, person

pytestmark = pytest.mark.django_db

NAME, FURIGANA, EMAIL = "記録 太郎", "キロク タロウ", "kiroku.taro@example.jp"


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


@pytest.fixture
def accepted(tenant: Tenant, outsider: Tenant, operator: Any) -> Introduction:
    """`outsider` is hiring; the person came through `tenant`'s relay and accepted the operator's proposal."""
    job = make_job(outsider)
    taro = person(tenant, name=NAME, furigana=FURIGANA, email=EMAIL)
    proposal = introduction_propose(job_order=job, candidate=taro, recommendation="", actor=operator)
    return introduction_accept(introduction=proposal, candidate=taro)


def admin_client(operator: Any) -> Client:
    return login(Client(), operator)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_a_disclosure_keeps_who_what_to_whom_on_which_consent_and_by_whom(
    accepted: Introduction, outsider: Tenant, operator: Any
) -> None:
    record = ProvisionRecord.objects.get()
    consent = Consent.objects.get(candidate=accepted.candidate, kind=Consent.Kind.SERVICE)
    assert (record.candidate_name, record.candidate_furigana, record.candidate_email) == (NAME, FURIGANA, EMAIL)
    assert record.company_name == outsider.company.name and record.items == list(PROVIDED_ITEMS)
    assert record.consent == consent and record.consent_version == consent.version
    assert record.consent_wording == consent.wording and "導入企業へ提供することに同意します" in record.consent_wording
    assert record.actor == operator and record.actor_label == operator.display_name
    assert record.candidate_deleted_at is None


def test_the_record_names_a_deleted_person_for_operator_company_and_survives_erasure(
    accepted: Introduction, outsider: Tenant, operator: Any
) -> None:
    taro = accepted.candidate
    assert taro is not None
    me = signed_in(taro)
    # Before deletion the person sees the record on My Page and in the data download.
    page = me.get("/me/").content.decode()
    assert "あなたの情報の提供記録" in page and outsider.company.name in page and "メールアドレス" in page
    assert "導入企業へ提供することに同意します" in page  # the consent it relied on, word for word
    download = json.loads(me.get("/me/data.json").content)
    [exported] = download["provision_records"]
    assert exported["recipient"] == outsider.company.name and exported["items"] == list(PROVIDED_ITEMS)
    assert exported["consent_text"] == accepted.provision_records.get().consent_wording

    candidate_delete(candidate=taro)

    assert not Candidate.objects.filter(pk=taro.pk).exists()
    assert not Consent.objects.filter(candidate_id=taro.pk).exists()  # the rest of the person is gone
    record = ProvisionRecord.objects.get()
    assert record.candidate is None and record.consent is None and record.candidate_deleted_at is not None
    assert (record.candidate_name, record.candidate_email) == (NAME, EMAIL)
    assert "導入企業へ提供することに同意します" in record.consent_wording

    ops = admin_client(operator)
    ledger = ops.get("/ops/provisions/").content.decode()
    assert NAME in ledger and EMAIL in ledger and outsider.company.name in ledger and "退会" in ledger
    rows = csv_rows(ops.get("/ops/provisions/export.csv").content)
    assert rows[1][1] == NAME and outsider.company.name in rows[1]

    company = login(Client(), outsider.owner)
    listing = company.get("/company/provisions/").content.decode()
    assert NAME in listing and settings.OPERATOR_NAME in listing
    detail = company.get(f"/company/provisions/{record.pk}/").content.decode()
    assert NAME in detail and settings.OPERATOR_ADDRESS in detail and "同意" in detail and "氏名" in detail
    company_rows = csv_rows(company.get("/company/provisions/export.csv").content)
    assert company_rows[1][1] == NAME and settings.OPERATOR_NAME in company_rows[1]


def test_the_company_sees_its_records_beside_the_introduction(accepted: Introduction, outsider: Tenant) -> None:
    company = login(Client(), outsider.owner)
    page = company.get(f"/company/jobs/introductions/{accepted.pk}/").content.decode()
    record = ProvisionRecord.objects.get()
    assert "個人情報の確認記録" in page and f"/company/provisions/{record.pk}/" in page


def test_another_company_gets_404_for_a_record_and_sees_none_in_its_list(
    accepted: Introduction, tenant: Tenant
) -> None:
    record = ProvisionRecord.objects.get()
    other = login(Client(), tenant.owner)  # the referring company received nothing
    assert other.get(f"/company/provisions/{record.pk}/").status_code == 404
    assert NAME not in other.get("/company/provisions/").content.decode()
    assert len(csv_rows(other.get("/company/provisions/export.csv").content)) == 1  # the header only


def test_a_career_advisor_does_not_read_the_ledger(accepted: Introduction) -> None:
    advisor = make_user("ca@agency.example.jp", name="相談 花子", operator_role="ca")
    assert login(Client(), advisor).get("/ops/provisions/").status_code == 404


def test_the_purge_removes_a_deleted_persons_record_only_after_three_years(accepted: Introduction) -> None:
    assert accepted.candidate is not None
    candidate_delete(candidate=accepted.candidate)
    now = timezone.now()
    with time_machine.travel(now + timedelta(days=365 * 3 - 2)):
        assert provision_records_purge() == 0
    assert ProvisionRecord.objects.exists()
    with time_machine.travel(now + timedelta(days=365 * 3 + 2)):
        assert provision_records_purge() == 1
    assert not ProvisionRecord.objects.exists()


def test_the_purge_keeps_records_of_people_who_still_have_their_account(accepted: Introduction) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=365 * 10)):
        assert provision_records_purge() == 0
    assert ProvisionRecord.objects.get().candidate == accepted.candidate


def test_a_deletion_long_after_the_disclosure_still_keeps_the_record_three_years(accepted: Introduction) -> None:
    assert accepted.candidate is not None
    later = timezone.now() + timedelta(days=365 * 4)
    with time_machine.travel(later):
        candidate_delete(candidate=accepted.candidate)
    with time_machine.travel(later + timedelta(days=365 * 2)):
        assert provision_records_purge() == 0
    with time_machine.travel(later + timedelta(days=365 * 3 + 2)):
        assert provision_records_purge() == 1


def test_the_purge_is_a_daily_job() -> None:
    assert any(job.task_path == "placements.tasks.purge_provision_records" for job in JOBS)


def test_the_migration_backfills_snapshots_of_earlier_records_from_their_person(
    accepted: Introduction, outsider: Tenant, operator: Any
) -> None:
    import importlib

    from django.apps import apps

    blank = {"candidate_name": "", "candidate_furigana": "", "candidate_email": "", "company_name": ""}
    ProvisionRecord.objects.update(
        **blank, consent=None, consent_version="", consent_wording="", consent_at=None, actor=None
    )
    gone = ProvisionRecord.objects.create(company=outsider.company, items=["name"], purpose="旧記録")
    migration = importlib.import_module("placements.migrations.0006_provision_record_snapshots")
    migration.backfill(apps, None)

    record = ProvisionRecord.objects.get(candidate=accepted.candidate)
    assert (record.candidate_name, record.candidate_email, record.company_name) == (NAME, EMAIL, outsider.company.name)
    assert record.consent is not None and record.consent.kind == Consent.Kind.SERVICE
    assert "導入企業へ提供することに同意します" in record.consent_wording and record.actor == operator
    gone.refresh_from_db()
    assert gone.candidate_name == "" and gone.candidate_deleted_at is not None  # its 3 years start now
