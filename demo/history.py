"""Demo data for trying the product: operators, three member companies and a year of relay history.

Everything goes through the real services (registration, verification, first interview, invalidation,
expiry) with the clock set to the moment each thing "happened", so every timestamp, the audit trail and the
credit ledger agree with each other exactly as they would after a year of real use. No email is sent.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Any

import time_machine
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from candidates.models import Candidate
from candidates.services import candidate_record_interview, candidate_register, candidate_verify_email
from companies.models import Company, RelayLink
from companies.services import DEFAULT_LINK_LABEL, company_create, relay_link_create
from demo.fakes import FAMILY_NAMES, GIVEN_NAMES
from lib.choices import JobCategory, Prefecture
from lib.jatext import normalize_email, normalize_furigana, normalize_phone
from mailings.services import mail_muted
from placements.models import PoolListing
from relay.models import CreditEntry, Referral
from relay.services import click_record, credits_expire, referral_invalidate

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 -- printed for anyone trying the demo
DEMO_COMPANY = "デモ株式会社"
DEMO_LINK_CODE = "demo"
MIRAI_COMPANY = "株式会社みらいテック"
SAKURA_COMPANY = "さくら商事株式会社"
CANDIDATE_COUNT = 200
HISTORY_DAYS = 365
COMPANIES_JOINED_DAYS_AGO = 380
INVALIDATION_REASON = "重複登録のため(デモ)"
INVALIDATION_DAYS_AGO = (150, 35)
RANDOM_SEED = 20261101


# --- what to create -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    email: str
    name: str
    purpose: str
    operator_role: str = ""
    company: str = ""
    company_role: str = ""


OPERATORS = (
    SignIn(
        "admin@career-relay.example.jp",
        "運営 管理者",
        "運営・管理者(導入企業と契約、紹介の無効化、成約と手数料、無料紹介枠、監査ログ、運営スタッフ)",
        operator_role=User.OperatorRole.ADMIN,
    ),
    SignIn(
        "ca@career-relay.example.jp",
        "山本 由美",
        "運営・キャリアアドバイザー(求職者管理、面談、推薦)",
        operator_role=User.OperatorRole.CAREER_ADVISOR,
    ),
    SignIn(
        "ra@career-relay.example.jp",
        "中村 健",
        "運営・リクルーティングアドバイザー/法人担当(企業の求人、推薦、無料紹介枠のご依頼)",
        operator_role=User.OperatorRole.RECRUITING_ADVISOR,
    ),
)
COMPANY_USERS = (
    SignIn(
        "hr@demo.example.jp",
        "採用 花子",
        "デモ株式会社のオーナー",
        company=DEMO_COMPANY,
        company_role=User.CompanyRole.OWNER,
    ),
    SignIn(
        "member@demo.example.jp",
        "人事 太郎",
        "デモ株式会社のメンバー",
        company=DEMO_COMPANY,
        company_role=User.CompanyRole.MEMBER,
    ),
    SignIn(
        "owner@mirai-tech.example.jp",
        "高橋 誠",
        "みらいテックのオーナー(初回面談でカウント)",
        company=MIRAI_COMPANY,
        company_role=User.CompanyRole.OWNER,
    ),
    SignIn(
        "owner@sakura-shoji.example.jp",
        "桜井 美咲",
        "さくら商事のオーナー(5人で1枠・有効6か月)",
        company=SAKURA_COMPANY,
        company_role=User.CompanyRole.OWNER,
    ),
)


@dataclass(frozen=True)
class CompanySpec:
    name: str
    name_kana: str
    terms: dict[str, Any]
    share: int  # relative share of the candidates
    extra_links: tuple[tuple[str, int], ...] = ()  # (label, created N days ago)
    extra_link_share: float = 0.0  # chance a registration uses the newest extra link once it exists
    landing_message: str = ""


COMPANIES = (
    CompanySpec(
        DEMO_COMPANY,
        "デモカブシキガイシャ",
        {"referrals_per_credit": 10, "credit_validity_months": 12, "counting_rule": "verified"},
        share=60,
        extra_links=(("2027新卒", 160),),
        extra_link_share=0.4,
        landing_message="このたびはデモ株式会社の選考にご応募いただき、誠にありがとうございました。"
        "今回はご期待に沿えませんでしたが、キャリアリレーのアドバイザーがあなたに合う次の一社をご紹介します。",
    ),
    CompanySpec(
        MIRAI_COMPANY,
        "ミライテック",
        {"referrals_per_credit": 10, "credit_validity_months": 12, "counting_rule": "first_interview"},
        share=20,
        extra_links=(("エンジニア中途", 240),),
        extra_link_share=0.5,
    ),
    CompanySpec(
        SAKURA_COMPANY,
        "サクラショウジ",
        {"referrals_per_credit": 5, "credit_validity_months": 6, "counting_rule": "verified"},
        share=20,
    ),
)

PREFECTURE_WEIGHTS = (
    (Prefecture.TOKYO, 30),
    (Prefecture.KANAGAWA, 12),
    (Prefecture.OSAKA, 12),
    (Prefecture.AICHI, 9),
    (Prefecture.FUKUOKA, 8),
    (Prefecture.SAITAMA, 6),
    (Prefecture.CHIBA, 5),
    (Prefecture.HYOGO, 4),
    (Prefecture.KYOTO, 3),
    (Prefecture.HOKKAIDO, 3),
    (Prefecture.MIYAGI, 2),
    (Prefecture.HIROSHIMA, 2),
    (Prefecture.SHIZUOKA, 2),
    (Prefecture.NIIGATA, 1),
    (Prefecture.OKINAWA, 1),
)
# job category -> (weight, skill sets, one line of career summary)
JOB_PROFILES: dict[str, tuple[int, tuple[str, ...], str]] = {
    JobCategory.SALES: (
        16,
        ("法人営業、提案書作成", "新規開拓、Salesforce", "ルート営業、普通自動車免許"),
        "法人向けの提案営業に従事し、新規開拓から既存顧客のフォローまで担当しました。",
    ),
    JobCategory.CUSTOMER_SUPPORT: (
        9,
        ("接客、販売", "コールセンター、Zendesk", "店長経験、シフト管理"),
        "店舗での販売・接客とお客様からのお問い合わせ対応を担当しました。",
    ),
    JobCategory.OFFICE: (
        10,
        ("Excel、Word", "MOS、データ入力", "秘書検定2級、電話応対"),
        "営業事務として受発注管理と資料作成を担当しました。",
    ),
    JobCategory.CORPORATE: (
        7,
        ("簿記2級、経理", "給与計算、社会保険手続き", "契約書審査、ビジネス実務法務検定"),
        "管理部門で月次決算や労務手続きを担当しました。",
    ),
    JobCategory.MARKETING: (
        7,
        ("Webマーケティング、Google Analytics", "SNS運用、広告運用", "商品企画、市場調査"),
        "自社サービスのWebマーケティングと販促企画を担当しました。",
    ),
    JobCategory.ENGINEER_SOFTWARE: (
        14,
        ("Python、SQL", "Java、Spring Boot", "TypeScript、React", "Go、AWS"),
        "Webアプリケーションの設計・開発に従事しました。",
    ),
    JobCategory.ENGINEER_INFRA: (
        6,
        ("AWS、Linux", "ネットワーク、CCNA", "Kubernetes、Terraform"),
        "社内システムとクラウド基盤の構築・運用を担当しました。",
    ),
    JobCategory.DESIGN: (
        5,
        ("Figma、UI設計", "Photoshop、Illustrator", "動画編集、After Effects"),
        "Webサイトや販促物のデザイン制作を担当しました。",
    ),
    JobCategory.CONSULTING: (
        4,
        ("業務改善、プロジェクト管理", "中小企業診断士、財務分析"),
        "業務改善コンサルティングのプロジェクトに参画しました。",
    ),
    JobCategory.ENGINEER_MANUFACTURING: (
        5,
        ("CAD、機械設計", "品質管理、QC検定2級", "電気設計、PLC"),
        "製造ラインの設備設計と品質改善を担当しました。",
    ),
    JobCategory.CONSTRUCTION: (
        3,
        ("施工管理、2級建築施工管理技士", "AutoCAD、積算"),
        "住宅・商業施設の施工管理を担当しました。",
    ),
    JobCategory.MEDICAL: (
        5,
        ("介護福祉士、介護業務", "看護師、病棟業務", "医療事務、レセプト"),
        "介護施設・病院での業務に従事しました。",
    ),
    JobCategory.LOGISTICS: (
        3,
        ("中型自動車免許、配送", "フォークリフト、在庫管理"),
        "物流センターでの入出荷管理と配送を担当しました。",
    ),
    JobCategory.EDUCATION: (
        3,
        ("保育士、保育業務", "教員免許、学習指導"),
        "保育園・学習塾での指導業務に従事しました。",
    ),
    JobCategory.OTHER: (3, ("普通自動車免許", "TOEIC 800点、英語"), "幅広い業務を経験しました。"),
}
PHONE_PREFIXES = ("090", "080", "070")


# --- the clock ------------------------------------------------------------------------------------------------


class Clock:
    """The process's clock while seeding (time-machine): services, `auto_now_add` fields and the audit trail all
    stamp the simulated moment, exactly as if each thing had happened then."""

    def __init__(self, coordinates: time_machine.Traveller, start: datetime) -> None:
        self._coordinates = coordinates
        self._moment = start

    @property
    def moment(self) -> datetime:
        return self._moment

    @moment.setter
    def moment(self, value: datetime) -> None:
        self._moment = value
        self._coordinates.move_to(value)


@contextmanager
def simulated_time() -> Iterator[Clock]:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as coordinates:
        yield Clock(coordinates, start)


@contextmanager
def no_email() -> Iterator[None]:
    with mail_muted():
        yield


# --- the plan -------------------------------------------------------------------------------------------------


@dataclass
class CandidatePlan:
    number: int
    link: RelayLink
    profile: dict[str, Any]
    registered_at: datetime
    verified_at: datetime | None
    interview_at: datetime | None
    rechallenge: bool
    newsletter: bool
    applicant_ref: str = ""  # the company's own ATS id, when the person came through a personal link
    candidate: Candidate | None = None


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    action: Callable[[], None] = field(compare=False)


@dataclass
class Cast:
    """The objects created up front that the simulated history refers to."""

    admin: User
    advisor: User
    companies: dict[str, Company]
    links: dict[str, list[RelayLink]]  # company name -> links, oldest first


def days_ago(now: datetime, days: float, hour: int | None = None, rng: random.Random | None = None) -> datetime:
    moment = now - timedelta(days=days)
    if hour is None:
        return moment
    local = timezone.localtime(moment)
    minute = rng.randrange(60) if rng else 0
    at = timezone.make_aware(datetime.combine(local.date(), clock_time(hour, minute)))
    return min(at, now - timedelta(minutes=30))


def phone_number(number: int) -> str:
    raw = f"{PHONE_PREFIXES[number % 3]}-{1000 + number * 37 % 9000:04d}-{number:04d}"
    e164 = normalize_phone(raw)
    if e164 is None:
        raise CommandError(f"invalid demo phone number {raw}")
    return e164


def candidate_profile(
    rng: random.Random, number: int, name: tuple[str, str, str, str], new_grad: bool
) -> dict[str, Any]:
    family, family_kana, given, given_kana = name
    category = rng.choices(list(JOB_PROFILES), weights=[p[0] for p in JOB_PROFILES.values()])[0]
    _, skill_sets, summary = JOB_PROFILES[category]
    years = 0 if new_grad else rng.choice((0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 10, 12, 15, 18, 20))
    if new_grad:
        salary = rng.randrange(300, 400, 10)
    else:
        salary = min(800, round(320 + years * 22 + rng.randrange(0, 160, 10), -1))
    email = f"cand{number:04d}@example.jp"
    furigana = f"{family_kana} {given_kana}"
    assert normalize_furigana(furigana) == furigana, furigana
    return {
        "name": f"{family} {given}",
        "furigana": furigana,
        "email": email,
        "email_normalized": normalize_email(email),
        "phone": phone_number(number),
        "prefecture": int(rng.choices([p for p, _ in PREFECTURE_WEIGHTS], [w for _, w in PREFECTURE_WEIGHTS])[0]),
        "job_category": str(category),
        "years_of_experience": years,
        "skills": rng.choice(skill_sets),
        "desired_salary": salary,
        "career_summary": "2027年3月卒業見込みです。" if new_grad else f"社会人経験{years}年。{summary}",
    }


def pick_link(rng: random.Random, spec: CompanySpec, links: list[RelayLink], at: datetime) -> RelayLink:
    extra = [link for link in links[1:] if link.created_at < at - timedelta(days=1)]
    if extra and rng.random() < spec.extra_link_share:
        return extra[-1]
    return links[0]


def plan_candidates(rng: random.Random, cast: Cast, now: datetime) -> list[CandidatePlan]:
    names = rng.sample([(f, fk, g, gk) for f, fk in FAMILY_NAMES for g, gk in GIVEN_NAMES], CANDIDATE_COUNT)
    plans = []
    for number in range(1, CANDIDATE_COUNT + 1):
        spec = rng.choices(COMPANIES, weights=[c.share for c in COMPANIES])[0]
        # Skewed toward recent days: the service grows over the year.
        registered_at = days_ago(now, HISTORY_DAYS * rng.random() ** 1.3, hour=rng.randint(7, 23), rng=rng)
        link = pick_link(rng, spec, cast.links[spec.name], registered_at)
        new_grad = link.label == "2027新卒"
        verified_at = registered_at + timedelta(minutes=rng.choice((2, 5, 10, 30, 90, 600, 2000)))
        verified = rng.random() < 0.85 and verified_at < now
        interview_at = verified_at + timedelta(days=rng.randint(2, 14), hours=rng.randint(0, 6))
        interviewed = verified and spec.terms["counting_rule"] == "first_interview" and rng.random() < 0.7
        plans.append(
            CandidatePlan(
                number=number,
                link=link,
                profile=candidate_profile(rng, number, names[number - 1], new_grad),
                registered_at=registered_at,
                verified_at=verified_at if verified else None,
                interview_at=interview_at if interviewed and interview_at < now else None,
                rechallenge=rng.random() < 0.7,
                newsletter=rng.random() < 0.4,
                applicant_ref=f"APP-{number:05d}" if rng.random() < 0.3 else "",
            )
        )
    return plans


# --- seeding --------------------------------------------------------------------------------------------------


def ensure_user(spec: SignIn, password_hash: str, company: Company | None = None) -> User:
    """Create the demo sign-in, or reset an existing one's password so the printed sign-ins always work.

    `password_hash` is make_password(DEMO_PASSWORD) computed once per run (what set_password would store):
    Argon2 takes about a third of a second per call.
    """
    user = User.objects.filter(email=normalize_email(spec.email)).first()
    if user is None:
        user = User.objects.create_user(
            spec.email,
            None,
            name=spec.name,
            operator_role=spec.operator_role,
            company=company,
            company_role=spec.company_role,
            date_joined=timezone.now(),
        )
    user.password = password_hash
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    return user


def check_no_partial_data() -> None:
    names = [spec.name for spec in COMPANIES]
    if (
        Company.objects.filter(name__in=names).exists()
        or RelayLink.objects.filter(code=DEMO_LINK_CODE).exists()
        or Candidate.objects.filter(email_normalized__regex=r"^cand[0-9]{4}@example\.jp$").exists()
    ):
        raise CommandError(
            "デモ株式会社はありませんが、デモデータの一部(企業名・リンクコード demo・求職者)が残っています。"
            "データベースを作り直してから(例: db.sqlite3 を削除して migrate)もう一度実行してください。"
        )


def create_cast(clock: Clock, now: datetime, password_hash: str) -> Cast:
    clock.moment = days_ago(now, COMPANIES_JOINED_DAYS_AGO + 5, hour=10)
    admin, advisor, _recruiter = (ensure_user(spec, password_hash) for spec in OPERATORS)
    companies: dict[str, Company] = {}
    links: dict[str, list[RelayLink]] = {}
    for index, spec in enumerate(COMPANIES):
        clock.moment = days_ago(now, COMPANIES_JOINED_DAYS_AGO - index * 3, hour=11)
        company = create_company(spec, admin, clock.moment)
        companies[spec.name] = company
        links[spec.name] = [company.links.get(label=DEFAULT_LINK_LABEL)]
        for user_spec in COMPANY_USERS:
            if user_spec.company == spec.name:
                ensure_user(user_spec, password_hash, company)
        for label, created_days_ago in spec.extra_links:
            clock.moment = days_ago(now, created_days_ago, hour=15)
            links[spec.name].append(relay_link_create(company=company, label=label, actor=admin))
    return Cast(admin=admin, advisor=advisor, companies=companies, links=links)


def create_company(spec: CompanySpec, admin: User, moment: datetime) -> Company:
    # The demo's history counts as it happens (contracts signed before the cooling-off delay existed).
    terms = {"cooling_off_hours": 0, **spec.terms, "starts_on": timezone.localdate(moment)}
    company = company_create(
        name=spec.name,
        name_kana=spec.name_kana,
        contract_terms=terms,
        actor=admin,
        landing_message=spec.landing_message,
    )
    if spec.name == DEMO_COMPANY:
        link = company.links.get(label=DEFAULT_LINK_LABEL)
        link.code = DEMO_LINK_CODE
        link.save(update_fields=["code"])
    return company


def history_events(rng: random.Random, cast: Cast, plans: list[CandidatePlan], now: datetime) -> list[Event]:
    events: list[Event] = []

    def add(at: datetime, action: Callable[[], None]) -> None:
        events.append(Event(at, len(events), action))

    for plan in plans:
        for at, has_ref in click_moments(rng, plan, now):
            add(at, partial(click, plan.link, has_ref))
        add(plan.registered_at, partial(register, plan))
        if plan.verified_at:
            add(plan.verified_at, partial(verify, plan))
        if plan.interview_at:
            add(plan.interview_at, partial(interview, plan, cast.advisor))
    for days in INVALIDATION_DAYS_AGO:
        add(days_ago(now, days, hour=16), partial(invalidate_latest, cast.companies[DEMO_COMPANY], cast.admin))
    return sorted(events)


def click_moments(rng: random.Random, plan: CandidatePlan, now: datetime) -> list[tuple[datetime, bool]]:
    """The registrant's own visit just before registering, plus visits by people who did not register."""
    moments = [(plan.registered_at - timedelta(minutes=rng.randint(2, 15)), bool(plan.applicant_ref))]
    for _ in range(rng.randint(2, 4)):
        at = plan.registered_at + timedelta(hours=rng.uniform(-240, 240))
        at = max(plan.link.created_at + timedelta(hours=1), min(at, now - timedelta(minutes=5)))
        moments.append((at, rng.random() < 0.3))
    return moments


def click(link: RelayLink, has_applicant_ref: bool) -> None:
    click_record(link=link, has_applicant_ref=has_applicant_ref)


def register(plan: CandidatePlan) -> None:
    registration = candidate_register(
        link=plan.link,
        profile=plan.profile,
        rechallenge=plan.rechallenge,
        newsletter=plan.newsletter,
        applicant_ref=plan.applicant_ref,
    )
    plan.candidate = registration.candidate


def verify(plan: CandidatePlan) -> None:
    assert plan.candidate is not None
    candidate_verify_email(candidate=plan.candidate)


def interview(plan: CandidatePlan, advisor: User) -> None:
    assert plan.candidate is not None
    candidate_record_interview(candidate=plan.candidate, actor=advisor)


def invalidate_latest(company: Company, admin: User) -> None:
    """An operator spots a duplicate among the company's most recently counted referrals."""
    referral = Referral.objects.filter(company=company).counted().order_by("-counted_at", "-id").first()
    if referral is not None:
        referral_invalidate(referral=referral, reason=INVALIDATION_REASON, actor=admin)


def run_history(clock: Clock, events: list[Event]) -> None:
    """Play the events in time order; the periodic expiry job runs once per simulated day, as in production."""
    last_day = None
    for event in events:
        clock.moment = event.at
        day = timezone.localdate(event.at)
        if day != last_day:
            credits_expire()
            last_day = day
        event.action()


def ensure_an_expired_credit(company: Company) -> None:
    """Make sure the 6-month company shows an expired credit, whatever the random history produced."""
    if CreditEntry.objects.filter(company=company, kind=CreditEntry.Kind.EXPIRY).exists():
        return
    lot = CreditEntry.objects.open_lots().filter(company=company).order_by("created_at", "id").first()
    if lot is None:
        return
    past = timezone.now() - timedelta(days=1)
    # CreditEntry.save refuses updates; seeding may move a lot back in time with a queryset update.
    backdated = {"created_at": past - timedelta(days=190), "expires_at": past}
    CreditEntry.objects.filter(pk=lot.pk).update(**backdated)  # owner-write-allowed: demo back-dates one lot
    credits_expire()


DEMO_PROFILES_AWAITING_REVIEW = 6


def list_demo_profiles() -> None:
    """The demo's talent pool: every profile listed as if an advisor had reviewed it, except the newest few, which
    wait on the advisor's review screen (/ops/pool/)."""
    newest = PoolListing.objects.order_by("-candidate__created_at", "-pk").values("pk")[:DEMO_PROFILES_AWAITING_REVIEW]
    waiting = list(newest)
    PoolListing.objects.exclude(pk__in=[row["pk"] for row in waiting]).update(
        state=PoolListing.State.LISTED, reviewed_at=timezone.now()
    )


def seed(password_hash: str) -> None:
    now = timezone.now()
    rng = random.Random(RANDOM_SEED)
    with transaction.atomic(), no_email():
        with simulated_time() as clock:
            cast = create_cast(clock, now, password_hash)
            plans = plan_candidates(rng, cast, now)
            run_history(clock, history_events(rng, cast, plans, now))
        credits_expire()
        ensure_an_expired_credit(cast.companies[SAKURA_COMPANY])
        list_demo_profiles()
