"""`manage.py seed_demo`: the demo data a person trying the product signs in to."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import phonenumbers
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Candidate, Consent
from companies.models import Company, RelayLink
from demo.rechallenge import DEMO_PEOPLE
from lib.dates import add_months
from relay.models import Click, CreditEntry, Referral, Touch

DEMO_PASSWORD = "demo-pass-2026"
COMPANY_NAMES = ("デモ株式会社", "株式会社みらいテック", "さくら商事株式会社")
SIGN_INS = {
    "admin@career-relay.example.jp": {"operator_role": "admin"},
    "ca@career-relay.example.jp": {"operator_role": "ca"},
    "ra@career-relay.example.jp": {"operator_role": "ra"},
    "hr@demo.example.jp": {"company__name": "デモ株式会社", "company_role": "owner"},
    "member@demo.example.jp": {"company__name": "デモ株式会社", "company_role": "member"},
    "owner@mirai-tech.example.jp": {"company__name": "株式会社みらいテック", "company_role": "owner"},
    "owner@sakura-shoji.example.jp": {"company__name": "さくら商事株式会社", "company_role": "owner"},
}


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models: list[Any] = [User, Company, RelayLink, Candidate, Consent, Referral, Touch, CreditEntry, Click, AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_it_loads_demo_company_with_demo_link(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        output = seed_demo()

    link = RelayLink.objects.select_related("company__contract").get(code="demo")
    company = link.company
    assert company.name == "デモ株式会社"
    assert link.label == "通常"
    assert link.is_active
    assert sorted(company.links.values_list("label", flat=True)) == sorted(["通常", "2027新卒"])
    contract = company.contract
    assert (contract.referrals_per_credit, contract.credit_validity_months, contract.counting_rule) == (
        10,
        12,
        "verified",
    )
    assert Company.objects.get(name="株式会社みらいテック").contract.counting_rule == "first_interview"
    sakura = Company.objects.get(name="さくら商事株式会社").contract
    assert (sakura.referrals_per_credit, sakura.credit_validity_months) == (5, 6)

    assert "デモデータを読み込みました" in output
    assert f"{settings.SITE_URL}/r/demo" in output
    for email, fields in SIGN_INS.items():
        user = User.objects.get(email=email, **fields)
        assert user.check_password(DEMO_PASSWORD), email
        assert email in output
    assert User.objects.get(email="hr@demo.example.jp").name == "採用 花子"

    # No email at all: nothing waits for the commit, nothing was delivered.
    # Work queued while seeding ran (execute=True) and still nobody was mailed.
    assert callbacks
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_creates_a_year_of_realistic_candidates() -> None:
    seed_demo()
    now = timezone.now()

    # The year of history, plus the few people the re-challenge demo registers months back.
    assert Candidate.objects.count() == 200 + len(DEMO_PEOPLE)
    candidates = Candidate.objects.filter(email__startswith="cand")
    assert candidates.count() == 200
    assert Referral.objects.filter(candidate__in=candidates).count() == 200
    demo_share = Referral.objects.filter(company__name="デモ株式会社", candidate__in=candidates).count() / 200
    assert 0.5 <= demo_share <= 0.7
    for candidate in candidates:
        assert phonenumbers.is_valid_number(phonenumbers.parse(candidate.phone))
        assert " " in candidate.name and " " in candidate.furigana
        assert candidate.email.startswith("cand") and candidate.email.endswith("@example.jp")
        assert 300 <= (candidate.desired_salary or 0) <= 800
        assert 0 <= candidate.years_of_experience <= 20
        assert candidate.referral.registered_at == candidate.created_at
    oldest, newest = candidates.order_by("created_at")[0].created_at, candidates.order_by("-created_at")[0].created_at
    assert oldest < now - timedelta(days=300)
    assert newest > now - timedelta(days=30)
    assert newest <= now
    assert 0.75 <= candidates.exclude(email_verified_at=None).count() / 200 <= 0.95

    mirai = Referral.objects.filter(company__name="株式会社みらいテック")
    assert mirai.filter(status=Referral.Status.PENDING_INTERVIEW).exists()
    assert not mirai.counted().filter(candidate__first_interview_at=None).exists()
    assert 3 * 200 <= Click.objects.count() <= 5 * 200
    assert Click.objects.filter(created_at__lt=now - timedelta(days=180)).exists()
    assert Referral.objects.filter(company__name="デモ株式会社", status=Referral.Status.INVALIDATED).count() == 2


@pytest.mark.django_db
def test_it_is_safe_to_run_twice() -> None:
    seed_demo()
    before = row_counts()
    admin = User.objects.get(email="admin@career-relay.example.jp")
    admin.set_password("someone-changed-it-42")
    admin.save()

    output = seed_demo()

    assert row_counts() == before
    assert "読み込み済み" in output
    assert DEMO_PASSWORD in output
    admin.refresh_from_db()
    assert admin.check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_it_keeps_ledger_consistent() -> None:
    seed_demo()
    now = timezone.now()

    for name in COMPANY_NAMES:
        company = Company.objects.select_related("contract").get(name=name)
        per_credit = company.contract.referrals_per_credit
        entries = CreditEntry.objects.filter(company=company)
        granted = entries.filter(kind=CreditEntry.Kind.GRANT).count()
        reversed_ = entries.filter(kind=CreditEntry.Kind.REVERSAL).count()
        counted = Referral.objects.filter(company=company).counted().count()
        assert granted - reversed_ == counted // per_credit, name
        assert list(entries.filter(kind="grant").order_by("milestone").values_list("milestone", flat=True)) == [
            per_credit * step for step in range(1, granted + 1)
        ], name

        summary = entries.summary()
        assert summary.balance == sum(entries.values_list("amount", flat=True)), name
        assert (
            summary.balance == summary.earned - summary.reversed - summary.expired - summary.used - summary.reserved
        ), name
        assert summary.balance == entries.open_lots().count(), name
        assert not entries.open_lots().filter(expires_at__lte=now).exists(), name

    sakura = CreditEntry.objects.filter(company__name="さくら商事株式会社")
    assert sakura.filter(kind=CreditEntry.Kind.EXPIRY).exists()
    for expiry in sakura.filter(kind=CreditEntry.Kind.EXPIRY).select_related("lot"):
        assert expiry.lot is not None and expiry.lot.expires_at is not None
        assert expiry.lot.expires_at <= expiry.created_at <= now
        assert expiry.lot.expires_at == add_months(expiry.lot.created_at, 6)
    # Back-dated consistently: each credit is dated when the referral that earned it was counted.
    for grant in CreditEntry.objects.filter(kind=CreditEntry.Kind.GRANT).select_related("referral"):
        assert grant.referral is not None
        assert grant.created_at == grant.referral.counted_at


def test_the_readme_lists_every_demo_sign_in_with_its_password() -> None:
    from pathlib import Path

    from demo.history import COMPANY_USERS, DEMO_PASSWORD, OPERATORS

    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    for sign_in in (*OPERATORS, *COMPANY_USERS):
        assert f"| {sign_in.email} | {DEMO_PASSWORD} |" in readme, sign_in.email
