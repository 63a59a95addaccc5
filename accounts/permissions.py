"""Which operator role may do what: the one table. `accounts.access.operator_required` reads it for every
operator view, the navigation reads it through the `may` template filter, and tests/test_role_sweep.py pins
every operator URL against it.

The agency's staff split the work the way a Japanese 人材紹介 agency does: the admin (管理者) runs the
business (member companies, contracts, the credit ledger, fees and the audit trail); a career advisor
(キャリアアドバイザー) looks after job seekers; a recruiting advisor (リクルーティングアドバイザー, 法人担当)
looks after the companies' job orders. Both advisors introduce people to jobs."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from accounts.models import User

Role = User.OperatorRole


class Permission(StrEnum):
    """One operator capability. A view names the one it needs; a write (POST) may need a second, stricter one."""

    COMPANIES_VIEW = "companies.view"  # the company list and a company's figures, links and ledger
    COMPANIES_MANAGE = "companies.manage"  # create a company, change its contract, invite its users
    REFERRALS = "referrals"  # the referral list, invalidation (and the risk review queue)
    AUDIT = "audit"  # the audit log
    CREDIT_QUEUE = "credits.queue"  # the reservations waiting for introductions (read only)
    CREDIT_RELEASE = "credits.release"  # releasing a reserved credit
    PLACEMENTS = "placements"  # recording placements, fees, refunds (leaving dates), invoices
    NETWORK_KPIS = "insights.network"  # network KPIs with fee revenue and credit liability
    SATISFACTION = "insights.satisfaction"  # survey results across companies
    CANDIDATES = "candidates"  # the CRM: search, notes, pipeline, advisors, résumés, interviews (and pool review)
    JOB_ORDERS = "job_orders"  # the companies' job orders: create, edit, status
    INTRODUCTIONS = "introductions"  # matching, proposing, moving and cancelling introductions, pool requests
    MAIL_VIEW = "mail.view"  # the operator's outbox (secret links masked)
    MAIL_ACT = "mail.act"  # resending or cancelling any company's mail
    STAFF = "staff"  # operator users and their roles
    STATUTORY_BOOKS = "statutory_books"  # 求人・求職・手数料管理簿, 職業紹介事業報告, 人材サービス総合サイトの数値


EVERY_OPERATOR = frozenset(Role)

ROLE_PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.COMPANIES_VIEW: frozenset({Role.ADMIN, Role.RECRUITING_ADVISOR}),
    Permission.COMPANIES_MANAGE: frozenset({Role.ADMIN}),
    Permission.REFERRALS: frozenset({Role.ADMIN}),
    Permission.AUDIT: frozenset({Role.ADMIN}),
    Permission.CREDIT_QUEUE: frozenset({Role.ADMIN, Role.RECRUITING_ADVISOR}),
    Permission.CREDIT_RELEASE: frozenset({Role.ADMIN}),
    Permission.PLACEMENTS: frozenset({Role.ADMIN}),
    Permission.NETWORK_KPIS: frozenset({Role.ADMIN}),
    Permission.SATISFACTION: EVERY_OPERATOR,
    Permission.CANDIDATES: frozenset({Role.ADMIN, Role.CAREER_ADVISOR}),
    Permission.JOB_ORDERS: frozenset({Role.ADMIN, Role.RECRUITING_ADVISOR}),
    Permission.INTRODUCTIONS: EVERY_OPERATOR,
    Permission.MAIL_VIEW: EVERY_OPERATOR,
    Permission.MAIL_ACT: frozenset({Role.ADMIN}),
    Permission.STAFF: frozenset({Role.ADMIN}),
    Permission.STATUTORY_BOOKS: frozenset({Role.ADMIN}),
}

# What each permission lets a person do, as the staff page (/ops/staff/) shows it to the admin.
PERMISSION_LABELS = {
    Permission.COMPANIES_VIEW: _("導入企業の一覧・詳細の閲覧"),
    Permission.COMPANIES_MANAGE: _("導入企業の登録、契約条件の変更、企業ユーザーの招待"),
    Permission.REFERRALS: _("紹介の一覧と無効化"),
    Permission.AUDIT: _("監査ログ"),
    Permission.CREDIT_QUEUE: _("無料紹介枠のご依頼の閲覧"),
    Permission.CREDIT_RELEASE: _("無料紹介枠の確保の解除"),
    Permission.PLACEMENTS: _("成約・紹介手数料・返戻金・請求書"),
    Permission.NETWORK_KPIS: _("全体の KPI(手数料収入・未使用枠)"),
    Permission.SATISFACTION: _("満足度調査の結果"),
    Permission.CANDIDATES: _("求職者管理(メモ・ステータス・担当・履歴書・面談)"),
    Permission.JOB_ORDERS: _("企業の求人の登録・編集"),
    Permission.INTRODUCTIONS: _("マッチングと推薦、人材プールからの紹介依頼"),
    Permission.MAIL_VIEW: _("送信メールの閲覧"),
    Permission.MAIL_ACT: _("送信メールの再送・取り消し"),
    Permission.STAFF: _("運営スタッフとロールの管理"),
    Permission.STATUTORY_BOOKS: _("法定帳簿(求人・求職・手数料管理簿)と事業報告の数値"),
}

assert set(PERMISSION_LABELS) == set(Permission), "every permission needs a label for the staff page"
assert set(ROLE_PERMISSIONS) == set(Permission), "every permission needs its roles in the table"

# Where each role lands after signing in: the first screen of its own work.
ROLE_HOME: dict[Role, str] = {
    Role.ADMIN: "ops:companies",
    Role.CAREER_ADVISOR: "ops:candidates",
    Role.RECRUITING_ADVISOR: "ops:job_orders",
}


def operator_may(user: object, permission: Permission | str) -> bool:
    """True when `user` is an active operator whose role holds `permission`; False for everyone else."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_operator:
        return False
    allowed = ROLE_PERMISSIONS[Permission(permission)]
    return user.operator_role in allowed


def operator_home(user: User) -> str:
    """The URL name of the first screen this operator's role may use."""
    return ROLE_HOME[Role(user.operator_role)] if user.is_operator else "accounts:home"
