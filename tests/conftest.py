"""Standing actors for every test: an operator, a company with its owner and member, and an outsider company."""

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from accounts.models import User
from candidates.models import Candidate
from candidates.services import Registration, candidate_register
from companies.models import Company, RelayLink
from companies.services import company_create
from lib.jatext import normalize_email, normalize_phone
from mailings.models import MailSettings

PASSWORD = "correct-horse-battery-9"


@functools.cache
def password_hash() -> str:
    """A real Argon2 hash of PASSWORD, computed once: hashing per fixture user dominated the suite's time."""
    return make_password(PASSWORD)


def make_user(email: str, **fields: Any) -> User:
    user = User(email=email, password=password_hash(), **fields)
    user.save()
    return user


@pytest.fixture
def operator(db: Any) -> User:
    return make_user("ops@agency.example.jp", name="運営 太郎", operator_role="admin")


@dataclass
class Tenant:
    company: Company
    owner: User
    member: User
    link: RelayLink


def make_tenant(operator: User, name: str, slug: str, *, mail_ready: bool = True, **terms: Any) -> Tenant:
    """A member company with an owner and a member. `mail_ready`: its mail is signed (sender name, signature,
    reply-to), as every company's must be before its first rejection mail; False is a company on day one.
    Its referrals count at once (cooling_off_hours=0) unless `terms` says otherwise: new companies wait 72 hours,
    which tests of the cooling-off delay and the review queue ask for."""
    terms.setdefault("cooling_off_hours", 0)
    company = company_create(name=name, name_kana="", contract_terms=terms, actor=operator)
    if mail_ready:
        MailSettings.objects.update_or_create(
            company=company,
            defaults={
                "sender_name": f"{name} 採用担当",
                "reply_to": f"saiyo@{slug}.example.jp",
                "signature": f"{name}\n採用担当",
            },
        )
    owner = make_user(f"owner@{slug}.example.jp", name=f"{name} オーナー", company=company, company_role="owner")
    member = make_user(f"member@{slug}.example.jp", name=f"{name} メンバー", company=company, company_role="member")
    return Tenant(company=company, owner=owner, member=member, link=company.links.get())


@pytest.fixture
def tenant(operator: User) -> Tenant:
    return make_tenant(operator, "株式会社テスト商事", "test-shoji")


@pytest.fixture
def outsider(operator: User) -> Tenant:
    """A user of another company: every company-owned page of `tenant` must answer 404 to them."""
    return make_tenant(operator, "他社株式会社", "other")


def login(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def owner_client(client: Client, tenant: Tenant) -> Client:
    return login(client, tenant.owner)


@pytest.fixture
def outsider_client(tenant: Tenant, outsider: Tenant) -> Client:
    return login(Client(), outsider.owner)


@pytest.fixture
def operator_client(operator: User) -> Client:
    return login(Client(), operator)


_sequence = iter(range(1, 1_000_000))


def profile(**overrides: Any) -> dict[str, Any]:
    n = next(_sequence)
    data: dict[str, Any] = {
        "name": "山田 花子",
        "furigana": "ヤマダ ハナコ",
        "email": f"hanako{n}@example.jp",
        "phone": f"090-{1000 + n // 10000:04d}-{n % 10000:04d}",
        "prefecture": 13,
        "job_category": "software",
        "years_of_experience": 3,
        "skills": "Python、SQL",
        "desired_salary": 500,
        "career_summary": "Web サービスのバックエンド開発に3年間携わりました。",
    }
    data.update(overrides)
    data["email_normalized"] = normalize_email(data["email"])
    data["phone"] = normalize_phone(data["phone"])
    return data


def register(link: RelayLink, **overrides: Any) -> Registration:
    return candidate_register(link=link, profile=profile(**overrides), rechallenge=False, newsletter=False)


def register_verified(link: RelayLink, **overrides: Any) -> Candidate:
    from candidates.services import candidate_verify_email

    registration = register(link, **overrides)
    return candidate_verify_email(candidate=registration.candidate)


@pytest.fixture(autouse=True)
def _risk_review_only_where_tested(request: pytest.FixtureRequest, settings: Any) -> None:
    """Tests fill a link with registrations in a fraction of a second, which is exactly what the risk signals
    catch (a burst verified within seconds). Tests of counting, figures and pages keep their meaning with review
    off; tests of the review queue are marked `risk_review` and run with the real threshold."""
    if request.node.get_closest_marker("risk_review") is None:
        settings.RELAY_REVIEW_SCORE = 101  # above the highest score (100): nothing waits for review


@pytest.fixture(autouse=True)
def _english_off() -> Iterator[None]:
    from django.utils import translation

    with translation.override("ja"):
        yield


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH")


from tests.smtp import smtp_server  # noqa: E402  (fixture shared by every test that reads real SMTP traffic)
from tests.workers import rq_queue  # noqa: E402  (fixture for tests of the Redis-backed worker)

__all__ = ["rq_queue", "smtp_server"]
