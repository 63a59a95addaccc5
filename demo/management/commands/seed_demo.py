"""`manage.py seed_demo`: demo data for trying the product; safe to run on every `make run`."""

import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from candidates.models import Candidate
from companies.models import Company, RelayLink
from demo.features import seed_features
from demo.history import (
    COMPANIES,
    COMPANY_USERS,
    DEMO_COMPANY,
    DEMO_LINK_CODE,
    DEMO_PASSWORD,
    OPERATORS,
    check_no_partial_data,
    ensure_user,
    seed,
)
from relay.models import Referral
from relay.services import company_credit_summary


class Command(BaseCommand):
    help = "デモ用のデータ(運営・導入企業3社・求職者約200人と1年分の紹介履歴)を読み込みます。何度実行しても安全です。"

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        password_hash = make_password(DEMO_PASSWORD)
        if Company.objects.filter(name=DEMO_COMPANY).exists():
            self.ensure_sign_ins(password_hash)
            self.stdout.write("デモデータは読み込み済みです。サインインとパスワードだけ確認しました。")
        else:
            check_no_partial_data()
            seed(password_hash)
            self.stdout.write(self.style.SUCCESS(f"デモデータを読み込みました({time.monotonic() - started:.1f} 秒)。"))
            self.write_summary()
        operator = User.objects.filter(operator_role=User.OperatorRole.ADMIN).order_by("pk").first()
        if operator is not None:
            seed_features(operator)
        self.write_sign_ins()

    def ensure_sign_ins(self, password_hash: str) -> None:
        with transaction.atomic():
            for spec in OPERATORS:
                ensure_user(spec, password_hash)
            for spec in COMPANY_USERS:
                company = Company.objects.filter(name=spec.company).first()
                if company is not None:
                    ensure_user(spec, password_hash, company)

    def write_summary(self) -> None:
        for spec in COMPANIES:
            company = Company.objects.get(name=spec.name)
            referrals = Referral.objects.filter(company=company)
            credits = company_credit_summary(company)
            self.stdout.write(
                f"  {company.name}: 登録 {referrals.count()} 人 / カウント済み {referrals.counted().count()} 人 / "
                f"無効 {referrals.filter(status=Referral.Status.INVALIDATED).count()} 人 / "
                f"無料紹介枠 残り {credits.balance}(獲得 {credits.earned}・取消 {credits.reversed}・"
                f"期限切れ {credits.expired})"
            )
        verified = Candidate.objects.exclude(email_verified_at=None).count()
        self.stdout.write(f"  求職者 {Candidate.objects.count()} 人(うちメール確認済み {verified} 人)")

    def write_sign_ins(self) -> None:
        link = RelayLink.objects.filter(code=DEMO_LINK_CODE).first()
        if link is not None:
            self.stdout.write(f"\nデモ株式会社のリレーリンク: {link.public_url}")
        self.stdout.write(f"\nデモ用のサインイン(パスワードはすべて {DEMO_PASSWORD}):")
        width = max(len(spec.email) for spec in (*OPERATORS, *COMPANY_USERS))
        for spec in (*OPERATORS, *COMPANY_USERS):
            self.stdout.write(f"  {spec.email:<{width}}  {DEMO_PASSWORD}  {spec.name}: {spec.purpose}")
