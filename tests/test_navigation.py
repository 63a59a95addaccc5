"""The grouped menu (accounts/navigation.py): what each user sees, that every link opens, which one is current."""

import re

import pytest
from django.test import Client

from accounts.models import User
from accounts.navigation import COMPANY_MENU, OPERATOR_MENU, menu_for
from accounts.permissions import ROLE_PERMISSIONS, Permission
from tests.conftest import Tenant, login, make_user, register_verified

pytestmark = pytest.mark.django_db

MENU = re.compile(r'<nav class="nav" id="main-menu"[^>]*>(.*?)</nav>', re.DOTALL)


def _menu_html(client: Client, path: str) -> str:
    match = MENU.search(client.get(path).content.decode())
    assert match, path
    return match.group(1)


def _links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def test_a_company_user_sees_home_and_four_groups_named_by_what_they_do(owner_client: Client) -> None:
    html = _menu_html(owner_client, "/company/")

    groups = re.findall(r"<summary>([^<]+)</summary>", html)
    assert groups == ["応募者とお祈りメール", "成果", "求人とご紹介", "設定"]
    assert re.search(r'<a href="/company/" aria-current="page">ホーム</a>', html)
    for label in (
        "応募者",
        "取り込み",
        "テンプレート",
        "自動送信",
        "送信状況",
        "KPI",
        "満足度",
        "月次レポート",
        "求人",
        "ご紹介",
        "人材プール",
        "再チャレンジ",
        "リレーリンク",
        "メール送信設定",
        "外部連携",
        "メンバー",
    ):
        assert f">{label}</a>" in html, label
    for old_word in ("不採用通知", "紹介一覧", "推薦"):
        assert old_word not in html


def test_every_link_of_the_company_menu_opens_for_a_member(tenant: Tenant) -> None:
    member = login(Client(), tenant.member)

    links = _links(_menu_html(member, "/company/"))

    everything = [item for group in COMPANY_MENU for item in group.items]
    assert len(links) == len([item for item in everything if not item.managers_only])
    for url in links:
        assert member.get(url).status_code == 200, url


def test_an_owner_also_sees_the_pages_only_managers_open(owner_client: Client) -> None:
    links = _links(_menu_html(owner_client, "/company/"))

    assert len(links) == sum(len(group.items) for group in COMPANY_MENU)
    assert "/company/settings/" in links
    for url in links:
        assert owner_client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role", [User.OperatorRole.ADMIN, User.OperatorRole.CAREER_ADVISOR, User.OperatorRole.RECRUITING_ADVISOR]
)
def test_each_operator_role_is_shown_exactly_the_screens_it_may_open(role: str) -> None:
    staff = login(Client(), make_user(f"{role}@agency.example.jp", name="運営 花子", operator_role=role))
    start = "/ops/candidates/" if role == User.OperatorRole.CAREER_ADVISOR else "/ops/jobs/"
    if role == User.OperatorRole.ADMIN:
        start = "/ops/"

    links = _links(_menu_html(staff, start))

    expected = [
        item for group in OPERATOR_MENU for item in group.items if role in ROLE_PERMISSIONS[Permission(item.permission)]
    ]
    assert len(links) == len(expected)
    for url in links:
        assert staff.get(url).status_code == 200, url


def test_a_detail_page_marks_the_list_it_belongs_to_and_its_group(owner_client: Client) -> None:
    html = _menu_html(owner_client, "/company/applicants/imports/")

    assert '<a href="/company/applicants/imports/" aria-current="page">取り込み</a>' in html
    assert '<a href="/company/applicants/" aria-current' not in html
    assert html.count('aria-current="page"') == 1
    assert re.search(r'class="menu-group current"><details data-menu-group><summary>応募者とお祈りメール', html)


def test_visitors_and_candidates_get_no_staff_menu(client: Client, tenant: Tenant) -> None:
    assert 'id="main-menu"' not in client.get(f"/r/{tenant.link.code}").content.decode()
    candidate = register_verified(tenant.link)
    assert menu_for(candidate, "/me/") == []
    assert menu_for(None, "/") == []


def test_another_companys_user_sees_their_own_menu_and_our_pages_answer_404(
    outsider_client: Client, tenant: Tenant
) -> None:
    links = _links(_menu_html(outsider_client, "/company/"))

    assert "/company/applicants/" in links  # the same menu, for their own company
    applicant_pages = outsider_client.get(f"/company/links/{tenant.link.pk}/")
    assert applicant_pages.status_code == 404
