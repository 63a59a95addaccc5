"""The menu at the top of every staff page: grouped by what people do, one vocabulary, only what the user may open.

A company user sees ホーム and four groups (応募者とお祈りメール, 成果, 求人とご紹介, 設定); operator staff see
the groups of their work, each link only when their role may use it (accounts/permissions.py), so nobody is led
to a page that answers 404. The link of the page being shown is marked (`aria-current="page"`): the link whose
address is the longest prefix of the request's path, so a detail page marks the list it belongs to.

`menu` is a context processor (config/settings.py); `templates/base.html` draws it.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import operator_may


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url_name: str
    permission: str = ""  # an operator permission; "" for everyone who sees the group
    managers_only: bool = False  # a company page only its owners and admins may open (can_manage_company)


@dataclass(frozen=True)
class MenuGroup:
    label: str | Promise
    items: tuple[MenuItem, ...]


COMPANY_MENU = (
    MenuGroup(_("ホーム"), (MenuItem(_("ホーム"), "companies:dashboard"),)),
    MenuGroup(
        _("応募者とお祈りメール"),
        (
            MenuItem(_("応募者"), "applicants:list"),
            MenuItem(_("取り込み"), "applicants:imports"),
            MenuItem(_("テンプレート"), "mailings:templates"),
            MenuItem(_("自動送信"), "mailings:rules"),
            MenuItem(_("送信状況"), "mailings:outbox"),
            MenuItem(_("選考終了理由"), "applicants:reasons"),
        ),
    ),
    MenuGroup(
        _("成果"),
        (
            MenuItem(_("KPI"), "insights:dashboard"),
            MenuItem(_("登録の集計"), "companies:referrals"),
            MenuItem(_("満足度"), "insights:satisfaction"),
            MenuItem(_("月次レポート"), "insights:report"),
        ),
    ),
    MenuGroup(
        _("求人とご紹介"),
        (
            MenuItem(_("求人"), "placements:list"),
            MenuItem(_("ご紹介"), "placements:introductions"),
            MenuItem(_("人材プール"), "pool:list"),
            MenuItem(_("再チャレンジ"), "rechallenge:company"),
            MenuItem(_("個人情報の提供記録"), "provisions:list"),
        ),
    ),
    MenuGroup(
        _("設定"),
        (
            MenuItem(_("リレーリンク"), "companies:links"),
            MenuItem(_("メール送信設定"), "mailings:mail_settings"),
            MenuItem(_("外部連携"), "integrations:list"),
            MenuItem(_("メンバー"), "companies:users"),
            MenuItem(_("企業情報"), "companies:settings", managers_only=True),
            MenuItem(_("契約条件書"), "companies:terms"),
        ),
    ),
)

OPERATOR_MENU = (
    MenuGroup(
        _("企業"),
        (
            MenuItem(_("導入企業"), "ops:companies", "companies.view"),
            MenuItem(_("求人"), "ops:job_orders", "job_orders"),
            MenuItem(_("無料紹介枠のご依頼"), "ops:credit_queue", "credits.queue"),
            MenuItem(_("成約"), "ops:placements", "placements"),
        ),
    ),
    MenuGroup(
        _("求職者"),
        (
            MenuItem(_("求職者"), "ops:candidates", "candidates"),
            MenuItem(_("ご紹介"), "ops:introductions", "introductions"),
            MenuItem(_("プール掲載確認"), "ops:pool_review_list", "candidates"),
        ),
    ),
    MenuGroup(
        _("登録"),
        (
            MenuItem(_("登録一覧"), "ops:referrals", "referrals"),
            MenuItem(_("確認待ちの登録"), "ops:referral_review", "referrals"),
        ),
    ),
    MenuGroup(
        _("成果"),
        (
            MenuItem(_("KPI"), "ops:insights", "insights.network"),
            MenuItem(_("満足度"), "ops:insights_satisfaction", "insights.satisfaction"),
        ),
    ),
    MenuGroup(
        _("管理"),
        (
            MenuItem(_("送信メール"), "ops:outbox", "mail.view"),
            MenuItem(_("法定帳簿"), "ops:books", "statutory_books"),
            MenuItem(_("監査ログ"), "ops:audit", "audit"),
            MenuItem(_("第三者提供の記録"), "ops:provisions", "audit"),
            MenuItem(_("運営スタッフ"), "ops:staff", "staff"),
        ),
    ),
)


@dataclass(frozen=True)
class ShownItem:
    label: str | Promise
    url: str
    current: bool


@dataclass(frozen=True)
class ShownGroup:
    label: str | Promise
    items: tuple[ShownItem, ...]

    @property
    def current(self) -> bool:
        return any(item.current for item in self.items)

    @property
    def single(self) -> ShownItem | None:
        """A group of one link is drawn as that link."""
        return self.items[0] if len(self.items) == 1 else None


def menu_for(user: Any, path: str) -> list[ShownGroup]:
    """The groups `user` sees on the page at `path`: empty for visitors and candidates."""
    if not getattr(user, "is_authenticated", False):
        return []
    if getattr(user, "is_operator", False):
        groups = OPERATOR_MENU
    elif getattr(user, "is_company_user", False):
        groups = COMPANY_MENU
    else:
        return []
    visible = [
        (group, [(item, reverse(item.url_name)) for item in group.items if _allowed(user, item)]) for group in groups
    ]
    urls = [url for _group, items in visible for _item, url in items if path.startswith(url)]
    current = max(urls, key=len, default="")
    return [
        ShownGroup(group.label, tuple(ShownItem(item.label, url, url == current) for item, url in items))
        for group, items in visible
        if items
    ]


def _allowed(user: Any, item: MenuItem) -> bool:
    if item.managers_only and not getattr(user, "can_manage_company", False):
        return False
    return not item.permission or operator_may(user, item.permission)


def menu(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `menu` for templates/base.html."""
    return {"menu": menu_for(getattr(request, "user", None), request.path)}
