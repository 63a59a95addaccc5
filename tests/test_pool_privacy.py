"""The talent pool reveals nobody (issue 11 point 5): a company's search reads only the published, redacted text;
no result lists fewer than 5 people; an advisor reviews a profile before it is listed; the exclusion picker
finds a company by the name typed and never lists every member company."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Candidate
from companies.services import company_create
from placements.models import CompanyExclusion, PoolListing
from placements.redaction import CONTACT, EMPLOYER
from placements.services.pool import profile_token
from tests.conftest import Tenant, login, make_tenant
from tests.introductions_support import person

pytestmark = pytest.mark.django_db

NARROW = "条件を広げて"
CARD = '<div class="card">'


def listed(candidate: Candidate) -> Candidate:
    PoolListing.objects.filter(candidate=candidate).update(state=PoolListing.State.LISTED)
    return candidate


PEOPLE = [
    # (name, reading, e-mail, phone, career summary naming employer, contact and more)
    (
        "佐藤 健太",
        "サトウ ケンタ",
        "kenta.sato@toyota-example.co.jp",
        "090-2345-6789",
        "トヨタ自動車で5年、生産管理を担当。連絡は kenta.sato(at)toyota-example.co.jp へ。",
    ),
    (
        "鈴木 花子",
        "スズキ ハナコ",
        "hanako.suzuki@example.jp",
        "080-3456-7890",
        "株式会社テスト商事に在籍し経理を4年。ポートフォリオ https://hanako.example.jp 、"
        "TEL ０８０ー３４５６ー７８９０",
    ),
    (
        "高橋 翔",
        "タカハシ ショウ",
        "sho.takahashi@example.jp",
        "070-4567-8901",
        "サンプル電機で回路設計を6年担当。〒150-0002 在住。",
    ),
    (
        "田中 美咲",
        "タナカ ミサキ",
        "misaki@example.jp",
        "090-5678-9012",
        "みずほ銀行に勤務し法人営業を8年。misaki ＠ example.jp",
    ),
    ("伊藤 大輔", "イトウ ダイスケ", "daisuke@example.jp", "080-6789-0123", "リクルートで5年間、求人広告の法人営業。"),
    (
        "渡辺 結衣",
        "ワタナベ ユイ",
        "yui.w@example.jp",
        "070-7890-1234",
        "前職で5年、Python での Web 開発に携わりました。",
    ),
]

# Fifteen ways a curious company looks for someone it knows: name, reading, e-mail, domain, phone, employer.
REIDENTIFYING_QUERIES = [
    ("佐藤 健太", 0),
    ("佐藤", 0),
    ("さとう けんた", 0),
    ("kenta.sato@toyota-example.co.jp", 0),
    ("toyota-example.co.jp", 0),
    ("トヨタ", 0),
    ("鈴木花子", 1),
    ("hanako.suzuki", 1),
    ("example.jp", 1),
    ("080-3456-7890", 1),
    ("3456", 1),
    ("テスト商事", 1),
    ("サンプル電機", 2),
    ("150-0002", 2),
    ("みずほ", 3),
]


@pytest.fixture
def people(tenant: Tenant, operator: User) -> list[Candidate]:
    make_tenant(operator, "サンプル電機株式会社", "sample")  # a member: its name is blacked out as written
    return [
        listed(
            person(
                tenant,
                name=name,
                furigana=reading,
                email=email,
                phone=phone,
                career_summary=summary,
                skills="Python、SQL",
            )
        )
        for name, reading, email, phone, summary in PEOPLE
    ]


def test_no_search_by_name_email_domain_phone_or_employer_finds_the_person(
    people: list[Candidate], outsider: Tenant, outsider_client: Client
) -> None:
    everyone = outsider_client.get("/company/pool/").content.decode()
    assert everyone.count(CARD) == len(PEOPLE)  # the pool itself is there to be searched
    found = 0
    for query, target in REIDENTIFYING_QUERIES:
        page = outsider_client.get("/company/pool/", {"skills": query}).content.decode()
        token = profile_token(outsider.company, people[target].pk)
        found += token in page
        assert token not in page and CARD not in page and NARROW in page, query
    assert found == 0


def test_a_company_reads_the_redacted_copy_never_the_persons_own_text(
    people: list[Candidate], outsider: Tenant, outsider_client: Client
) -> None:
    token = profile_token(outsider.company, people[0].pk)
    detail = outsider_client.get(f"/company/pool/{token}/").content.decode()
    assert f"{EMPLOYER}で5年、生産管理を担当" in detail and CONTACT in detail
    for secret in ("トヨタ", "kenta", "toyota-example", "佐藤", "2345"):
        assert secret not in detail
    listing = outsider_client.get("/company/pool/").content.decode()
    for secret in ("テスト商事", "サンプル電機", "みずほ", "リクルート", "example.jp", "150-0002", "3456"):
        assert secret not in listing, secret


def test_a_search_matching_fewer_than_five_people_lists_nobody_and_gives_no_count(
    tenant: Tenant, outsider: Tenant, outsider_client: Client
) -> None:
    rare = [listed(person(tenant, skills="COBOL、JCL")) for _ in range(4)]
    for _ in range(3):
        listed(person(tenant, skills="Python"))
    for query in ({"skills": "COBOL"}, {"skills": "COBOL", "start": "2"}, {"skills": "cobol", "prefecture": "13"}):
        page = outsider_client.get("/company/pool/", query).content.decode()
        assert CARD not in page and NARROW in page and "5 名以上" in page
        assert not any(profile_token(outsider.company, one.pk) in page for one in rare)
        assert "4" not in page.split('id="pool-results"')[1].split("</div>")[0]  # no count to infer from
    rare.append(listed(person(tenant, skills="COBOL")))
    page = outsider_client.get("/company/pool/", {"skills": "COBOL"}).content.decode()
    assert page.count(CARD) == 5 and NARROW not in page


def test_the_whole_pool_under_five_people_lists_nobody(tenant: Tenant, outsider_client: Client) -> None:
    for _ in range(4):
        listed(person(tenant))
    page = outsider_client.get("/company/pool/").content.decode()
    assert CARD not in page and NARROW in page


def test_a_new_profile_waits_for_an_advisor_who_compares_publishes_edits_or_keeps_it_out(
    tenant: Tenant, outsider: Tenant, outsider_client: Client, operator_client: Client, owner_client: Client
) -> None:
    for _ in range(5):
        listed(person(tenant))
    newcomer = person(
        tenant, name="小林 翼", furigana="コバヤシ ツバサ", career_summary="伊藤忠商事に在籍し、繊維の輸出入を担当。"
    )
    listing = PoolListing.objects.get(candidate=newcomer)
    token = profile_token(outsider.company, newcomer.pk)
    assert listing.state == PoolListing.State.PENDING
    assert outsider_client.get(f"/company/pool/{token}/").status_code == 404
    assert token not in outsider_client.get("/company/pool/").content.decode()

    queue = operator_client.get("/ops/pool/").content.decode()
    assert "小林 翼" in queue and f"/ops/pool/{listing.pk}/" in queue
    review = operator_client.get(f"/ops/pool/{listing.pk}/").content.decode()
    assert "伊藤忠商事に在籍し" in review and f"{EMPLOYER}に在籍し" in review  # the original beside the redacted

    edited = "商社に在籍し、繊維の輸出入を担当。連絡先 tsubasa@example.jp"
    response = operator_client.post(f"/ops/pool/{listing.pk}/", {"redacted_summary": edited, "state": "listed"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.state == PoolListing.State.LISTED and listing.summary_edited
    assert listing.redacted_summary == f"商社に在籍し、繊維の輸出入を担当。連絡先 {CONTACT}"  # typed-in address caught
    assert AuditEntry.objects.filter(
        action="pool_listing.review", target=f"placements.PoolListing#{listing.pk}"
    ).exists()
    detail = outsider_client.get(f"/company/pool/{token}/").content.decode()
    assert "商社に在籍し、繊維の輸出入を担当" in detail and "tsubasa" not in detail

    # The person changes their text: it has not been reviewed, so the profile leaves the pool until it is.
    newcomer.career_summary = "伊藤忠商事で繊維の営業を5年。"
    newcomer.save()
    listing.refresh_from_db()
    assert listing.state == PoolListing.State.PENDING and not listing.summary_edited
    assert outsider_client.get(f"/company/pool/{token}/").status_code == 404

    assert operator_client.post(f"/ops/pool/{listing.pk}/", {"state": "withheld"}).status_code == 302
    listing.refresh_from_db()
    assert listing.state == PoolListing.State.WITHHELD
    assert outsider_client.get(f"/company/pool/{token}/").status_code == 404
    bad = operator_client.post(f"/ops/pool/{listing.pk}/", {"state": "everywhere"})
    assert bad.status_code == 400 and "どちらかを選んでください" in bad.content.decode()

    # Company users, of any company, never reach the review screens.
    for client in (owner_client, outsider_client):
        assert client.get("/ops/pool/").status_code == 404
        assert client.get(f"/ops/pool/{listing.pk}/").status_code == 404
        assert client.post(f"/ops/pool/{listing.pk}/", {"state": "listed"}).status_code == 404
    listing.refresh_from_db()
    assert listing.state == PoolListing.State.WITHHELD
    assert Client().get("/ops/pool/").status_code == 302


def test_a_new_member_company_is_blacked_out_in_profiles_already_listed(
    tenant: Tenant, operator: User, django_capture_on_commit_callbacks: Any
) -> None:
    someone = listed(person(tenant, career_summary="前職はノースブリッジの経理を4年担当。"))
    listing = PoolListing.objects.get(candidate=someone)
    assert "ノースブリッジ" in listing.redacted_summary  # not a member, no pattern: nothing says it is a company
    with django_capture_on_commit_callbacks(execute=True):
        company_create(name="合同会社ノースブリッジ", name_kana="", contract_terms={}, actor=operator)
    listing.refresh_from_db()
    assert listing.redacted_summary == f"前職は{EMPLOYER}の経理を4年担当。"
    assert listing.state == PoolListing.State.LISTED  # a stronger redaction needs no new review


# --- the competitor-exclusion picker ---------------------------------------------------------------------------------


@pytest.fixture
def many_companies(tenant: Tenant, operator: User) -> list[str]:
    names = [f"サンプル{index}株式会社" for index in range(1, 16)] + ["株式会社ライバル商事", "ライバル物産株式会社"]
    for name in names:
        company_create(name=name, name_kana="", contract_terms={}, actor=operator)
    return names


def test_the_picker_page_lists_no_member_company(many_companies: list[str], owner_client: Client) -> None:
    page = owner_client.get("/company/jobs/exclusions/").content.decode()
    assert not any(name in page for name in many_companies) and "他社株式会社" not in page
    assert 'aria-live="polite"' in page and '<label for="id_company_name"' in page


def test_the_picker_finds_only_exact_or_prefix_matches_at_most_ten_and_nothing_under_two_characters(
    many_companies: list[str], owner_client: Client
) -> None:
    def matches(typed: str) -> list[str]:
        page = owner_client.get("/company/jobs/exclusions/search/", {"company_name": typed}).content.decode()
        return [name for name in [*many_companies, "他社株式会社", "株式会社テスト商事"] if f'value="{name}"' in page]

    assert matches("") == [] and matches("サ") == [] and matches("株式会社") == [] and matches("(株)") == []
    assert len(matches("サンプル")) == 10  # 15 begin so; never more than 10
    assert matches("サンプル12") == ["サンプル12株式会社"]
    assert matches("ｻﾝﾌﾟﾙ12") == ["サンプル12株式会社"]  # half-width kana
    assert matches("ライバル") == ["株式会社ライバル商事", "ライバル物産株式会社"]  # with or without a legal form
    assert matches("株式会社ライバル商") == ["株式会社ライバル商事"]
    assert matches("ンプル") == [] and matches("商事") == [] and matches("プル1") == []  # no infix matches
    assert matches("テスト商事") == []  # never the company itself


def test_a_company_excludes_a_competitor_by_its_name_and_keeps_seeing_its_choices(
    many_companies: list[str], tenant: Tenant, owner_client: Client, outsider_client: Client
) -> None:
    vague = owner_client.post("/company/jobs/exclusions/", {"company_name": "ライバル"})
    assert vague.status_code == 400 and "候補から除外する企業を選んでください" in vague.content.decode()
    assert 'value="株式会社ライバル商事"' in vague.content.decode()
    assert owner_client.post("/company/jobs/exclusions/", {"chosen": "株式会社ライバル商事"}).status_code == 302
    assert owner_client.post("/company/jobs/exclusions/", {"company_name": "ﾗｲﾊﾞﾙ物産"}).status_code == 302
    excluded = set(CompanyExclusion.objects.filter(company=tenant.company).values_list("excluded__name", flat=True))
    assert excluded == {"株式会社ライバル商事", "ライバル物産株式会社"}
    page = owner_client.get("/company/jobs/exclusions/").content.decode()
    assert "株式会社ライバル商事" in page and "ライバル物産株式会社" in page and "サンプル1株式会社" not in page
    # Already chosen: not offered again; the other company sees neither the choices nor the picker's matches.
    again = owner_client.get("/company/jobs/exclusions/search/", {"company_name": "ライバル"}).content.decode()
    assert 'value="' not in again and "一致する導入企業はありません" in again
    assert "ライバル商事" not in outsider_client.get("/company/jobs/exclusions/").content.decode()
    unknown = owner_client.post("/company/jobs/exclusions/", {"company_name": "存在しない会社"})
    assert unknown.status_code == 400 and "一致する導入企業が見つかりません" in unknown.content.decode()
    short = owner_client.post("/company/jobs/exclusions/", {"company_name": "ラ"})
    assert short.status_code == 400 and "2文字以上" in short.content.decode()


def test_only_managers_search_the_picker(many_companies: list[str], tenant: Tenant, operator_client: Client) -> None:
    member = login(Client(), tenant.member)
    assert member.get("/company/jobs/exclusions/search/", {"company_name": "サンプル"}).status_code == 404
    assert operator_client.get("/company/jobs/exclusions/search/", {"company_name": "サンプル"}).status_code == 404
    assert Client().get("/company/jobs/exclusions/search/", {"company_name": "サンプル"}).status_code == 302


def test_publishing_the_text_as_proposed_is_not_an_edit(tenant: Tenant, operator_client: Client) -> None:
    someone = person(tenant, career_summary="トヨタ自動車で5年、生産管理。")
    listing = PoolListing.objects.get(candidate=someone)
    response = operator_client.post(
        f"/ops/pool/{listing.pk}/", {"redacted_summary": listing.redacted_summary, "state": "listed"}
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.state == PoolListing.State.LISTED and not listing.summary_edited
    assert listing.redacted_summary == f"{EMPLOYER}で5年、生産管理。"


def test_a_member_company_written_in_its_registered_reading_is_blacked_out(tenant: Tenant, operator: User) -> None:
    company_create(name="豊田精工株式会社", name_kana="トヨダセイコウ", contract_terms={}, actor=operator)
    someone = person(tenant, career_summary="前職はトヨダセイコウの品質保証を6年担当。")
    assert PoolListing.objects.get(candidate=someone).redacted_summary == f"前職は{EMPLOYER}の品質保証を6年担当。"
