"""Data held for a company (委託, DESIGN.md §3 rule 14): it ends a contract term after the last mail.

Rejected applicants a company sends are deleted `Contract.entrusted_data_retention_days` (default 180) after their
last delivered mail, or after they arrived if never mailed; a person who registered keeps only the row the
referral needs, wiped; the company sees what we hold and until when, and its owner may delete sooner.
"""

from datetime import timedelta
from itertools import count

import pytest
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant, ApplicantImport, ApplicantImportFile, ImportRowIssue
from applicants.services import applicant_record
from audit.models import AuditEntry
from candidates.services import candidate_register
from companies.models import Contract
from lib.periodic import JOBS, enqueue_due_jobs
from mailings.models import OutboundEmail
from relay.entrusted import entrusted_applicants_expire, retention_summary
from relay.models import Referral
from tests.conftest import Tenant, login, profile

pytestmark = pytest.mark.django_db

_n = count(1)


def imported(tenant: Tenant, *, days_ago: int, name: str = "委託 太郎") -> Applicant:
    applicant = applicant_record(
        company=tenant.company,
        source="manual",
        name=name,
        email=f"itaku{next(_n)}@example.jp",
        position="営業職",
        rejected_at=timezone.now() - timedelta(days=days_ago),
    ).applicant
    Applicant.objects.filter(pk=applicant.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return applicant


def mailed(applicant: Applicant, *, days_ago: int, status: str = OutboundEmail.Status.SENT) -> OutboundEmail:
    moment = timezone.now() - timedelta(days=days_ago)
    return OutboundEmail.objects.create(
        company=applicant.company,
        kind=OutboundEmail.Kind.REJECTION,
        idempotency_key=f"test:{applicant.pk}:{next(_n)}",
        applicant=applicant,
        to_email=applicant.email,
        subject=f"{applicant.name} 様 選考結果のご連絡",
        body=f"{applicant.name} 様\n本文",
        status=status,
        send_after=moment,
        sent_at=moment if status == OutboundEmail.Status.SENT else None,
    )


def registered(tenant: Tenant, applicant: Applicant) -> Referral:
    registration = candidate_register(
        link=tenant.link, profile=profile(), rechallenge=False, newsletter=False, applicant_ref=applicant.ref
    )
    return Referral.objects.get(candidate=registration.candidate)


# --- the daily job ---------------------------------------------------------------------------------------------------


def test_never_mailed_applicants_go_180_days_after_they_arrived(tenant: Tenant) -> None:
    old, young = imported(tenant, days_ago=181), imported(tenant, days_ago=179)
    assert entrusted_applicants_expire() == 1
    assert not Applicant.objects.filter(pk=old.pk).exists()
    assert Applicant.objects.filter(pk=young.pk, erased_at__isnull=True).exists()


def test_the_term_counts_from_the_last_mail_and_the_mail_rows_keep_no_address_or_text(tenant: Tenant) -> None:
    recent = imported(tenant, days_ago=400)
    mailed(recent, days_ago=100)
    stale = imported(tenant, days_ago=400)
    email = mailed(stale, days_ago=200)
    assert entrusted_applicants_expire() == 1
    assert Applicant.objects.filter(pk=recent.pk).exists() and not Applicant.objects.filter(pk=stale.pk).exists()
    email.refresh_from_db()
    assert email.applicant is None and email.to_email == "" and email.body == ""
    assert "委託" not in email.subject and stale.name not in email.subject
    assert email.status == OutboundEmail.Status.SENT and email.sent_at is not None  # the count stays


def test_an_applicant_with_a_mail_still_waiting_is_kept_until_it_has_gone(tenant: Tenant) -> None:
    waiting = imported(tenant, days_ago=400)
    mailed(waiting, days_ago=0, status=OutboundEmail.Status.QUEUED)
    assert entrusted_applicants_expire() == 0
    assert Applicant.objects.filter(pk=waiting.pk).exists()


def test_the_contract_term_decides(tenant: Tenant) -> None:
    Contract.objects.filter(company=tenant.company).update(entrusted_data_retention_days=30)
    imported(tenant, days_ago=31)
    imported(tenant, days_ago=29)
    assert entrusted_applicants_expire() == 1
    assert retention_summary(tenant.company).days == 30


def test_a_person_who_registered_keeps_a_wiped_row_for_the_count_that_the_company_never_sees(
    tenant: Tenant, owner_client: Client
) -> None:
    applicant = imported(tenant, days_ago=300, name="登録 花子")
    referral = registered(tenant, applicant)
    assert entrusted_applicants_expire() == 1
    applicant.refresh_from_db()
    assert applicant.erased_at is not None and applicant.email == "" and "登録 花子" not in applicant.name
    assert applicant.external_id == "" and applicant.ref == referral.applicant_ref
    assert Referral.objects.filter(pk=referral.pk, applicant_ref=applicant.ref).exists()
    # Rows that stay would tell the company who registered: they are hidden from it.
    assert owner_client.get(f"/company/applicants/{applicant.pk}/").status_code == 404
    assert applicant.ref not in owner_client.get("/company/applicants/").content.decode()
    assert entrusted_applicants_expire() == 0  # wiped once


def test_each_run_is_audited_as_counts_never_names(tenant: Tenant) -> None:
    imported(tenant, days_ago=200, name="監査 一郎")
    registered(tenant, imported(tenant, days_ago=200, name="監査 二郎"))
    entrusted_applicants_expire()
    entry = AuditEntry.objects.get(action="applicant.retention_expire")
    assert entry.company == tenant.company
    assert entry.detail["deleted"] == 1 and entry.detail["erased"] == 1 and entry.detail["days"] == 180
    assert "監査" not in str(entry.detail) and "監査" not in entry.target
    assert not AuditEntry.objects.filter(action="applicant.erase").exists()  # no entry per person


def test_it_works_in_batches_and_finishes(tenant: Tenant) -> None:
    from relay.entrusted import entrusted_applicants_expire_for

    for _ in range(7):
        imported(tenant, days_ago=200)
    removed = entrusted_applicants_expire_for(company=tenant.company, batch=3)
    assert removed.deleted == 7 and not Applicant.objects.filter(company=tenant.company).exists()


def test_old_uploads_lose_their_file_preview_and_row_report(tenant: Tenant) -> None:
    batch = ApplicantImport.objects.create(
        company=tenant.company,
        filename="herp.csv",
        format="generic",
        status=ApplicantImport.Status.DONE,
        preview_rows=[{"name": "取込 太郎"}],
    )
    ApplicantImportFile.objects.create(batch=batch, content=b"name,email\n")
    ImportRowIssue.objects.create(batch=batch, row_number=2, kind="invalid", message="取込 太郎: メール不正")
    ApplicantImport.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(days=200))
    entrusted_applicants_expire()
    batch.refresh_from_db()
    assert batch.preview_rows == [] and not ApplicantImportFile.objects.filter(batch=batch).exists()
    assert not ImportRowIssue.objects.filter(batch=batch).exists()


def test_the_job_runs_daily_from_the_scheduler(tenant: Tenant) -> None:
    job = next(j for j in JOBS if j.name == "expire_entrusted_applicants")
    assert job.task_path == "relay.tasks.expire_entrusted_applicants"
    imported(tenant, days_ago=200)
    assert "expire_entrusted_applicants" in enqueue_due_jobs(jobs=[job])
    assert not Applicant.objects.filter(company=tenant.company).exists()


# --- the company's screen ----------------------------------------------------------------------------------------


def test_the_company_sees_what_we_hold_until_when_and_why(tenant: Tenant, owner_client: Client) -> None:
    imported(tenant, days_ago=170)
    mailed(imported(tenant, days_ago=10), days_ago=5)
    page = owner_client.get("/company/applicants/retention/").content.decode()
    assert "個人情報保護法第27条第5項第1号" in page and "委託" in page
    assert "最後のメール送信から 180 日" in page
    first_due = timezone.localdate() + timedelta(days=10)
    assert f"{first_due.year}年{first_due.month}月{first_due.day}日: 1 名" in page
    assert 'id="retention-link"' in owner_client.get("/company/applicants/").content.decode()
    assert 'name="older_than_days"' in page


def test_the_owner_deletes_sooner_after_a_confirmation(tenant: Tenant, owner_client: Client) -> None:
    old, young = imported(tenant, days_ago=100), imported(tenant, days_ago=10)
    response = owner_client.post("/company/applicants/retention/delete/", {"older_than_days": "30"})
    assert response.status_code == 200 and "応募者 1 名のデータを削除します。" in response.content.decode()
    assert Applicant.objects.filter(pk=old.pk).exists()  # nothing gone before the confirmation
    response = owner_client.post(
        "/company/applicants/retention/delete/", {"older_than_days": "30", "confirm": "1"}, follow=True
    )
    assert "応募者 1 名のデータを削除しました。" in response.content.decode()
    assert not Applicant.objects.filter(pk=old.pk).exists() and Applicant.objects.filter(pk=young.pk).exists()
    entry = AuditEntry.objects.get(action="applicant.retention_delete")
    assert entry.actor == tenant.owner and entry.detail["deleted"] == 1


def test_the_owner_deletes_one_chosen_applicant_from_its_page(tenant: Tenant, owner_client: Client) -> None:
    chosen, other = imported(tenant, days_ago=1), imported(tenant, days_ago=1)
    assert 'id="applicant-delete"' in owner_client.get(f"/company/applicants/{chosen.pk}/").content.decode()
    owner_client.post("/company/applicants/retention/delete/", {"applicant": str(chosen.pk), "confirm": "1"})
    assert not Applicant.objects.filter(pk=chosen.pk).exists() and Applicant.objects.filter(pk=other.pk).exists()


def test_bad_input_gets_a_japanese_message(tenant: Tenant, owner_client: Client) -> None:
    for data in ({}, {"older_than_days": "abc"}, {"applicant": "x1"}, {"older_than_days": "-1"}):
        response = owner_client.post("/company/applicants/retention/delete/", data)
        assert response.status_code == 400
        assert "日数" in response.content.decode() or "応募者" in response.content.decode()


def test_only_the_owner_may_delete_and_another_company_touches_nothing(
    tenant: Tenant, outsider: Tenant, outsider_client: Client
) -> None:
    applicant = imported(tenant, days_ago=300)
    member = login(Client(), tenant.member)
    assert 'name="older_than_days"' not in member.get("/company/applicants/retention/").content.decode()
    data = {"applicant": str(applicant.pk), "confirm": "1"}
    assert member.post("/company/applicants/retention/delete/", data).status_code == 404
    # Another company's owner sees only its own figures and cannot reach this applicant.
    page = outsider_client.get("/company/applicants/retention/").content.decode()
    assert "0 名" in page
    outsider_client.post("/company/applicants/retention/delete/", data)
    outsider_client.post("/company/applicants/retention/delete/", {"older_than_days": "0", "confirm": "1"})
    assert Applicant.objects.filter(pk=applicant.pk).exists()
    assert outsider_client.get(f"/company/applicants/{applicant.pk}/").status_code == 404
    assert Client().get("/company/applicants/retention/").status_code == 302


def test_the_operator_sets_the_term_on_the_contract_page(tenant: Tenant, operator_client: Client) -> None:
    page = operator_client.get(f"/ops/companies/{tenant.company.pk}/").content.decode()
    assert "entrusted_data_retention_days" in page and "お預かりした応募者データの保管期間" in page
