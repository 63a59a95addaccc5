"""Demo data for the mail screens: the template library (every stage), signed mail settings and one auto-send rule."""

from datetime import time

from applicants.models import Applicant
from companies.models import Company
from mailings.models import AutoSendRule, RejectionTemplate
from mailings.services.outbox import mail_settings_for, mail_settings_missing
from mailings.services.templates import (
    auto_send_rule_save,
    mail_settings_update,
    rejection_templates_install_defaults,
)

DEMO_RULE_TEMPLATE = "書類選考(中途)"


def seed_templates(*, company: Company) -> None:
    """Idempotent: running it again changes nothing the demo user has since edited."""
    rejection_templates_install_defaults(company=company)
    settings = mail_settings_for(company)
    if mail_settings_missing(company):  # only what is missing: the demo user's own settings stay
        mail_settings_update(
            company=company,
            sender_name=settings.sender_name or f"{company.name} 採用担当",
            reply_to=settings.reply_to or "saiyo@demo.example.jp",
            signature=settings.signature
            or (
                f"{company.name} 人事部 採用担当\n"
                "〒100-0005 東京都千代田区丸の内1-1-1\n"
                "TEL: 03-0000-0000(平日 9:30〜18:00)\n"
                "Mail: saiyo@demo.example.jp"
            ),
            actor=None,
        )
    if not AutoSendRule.objects.filter(company=company, stage=Applicant.Stage.DOCUMENT, track="").exists():
        template = RejectionTemplate.objects.filter(company=company, name=DEMO_RULE_TEMPLATE).first()
        template = template or RejectionTemplate.objects.filter(company=company, stage=Applicant.Stage.DOCUMENT).first()
        if template is not None:
            auto_send_rule_save(
                company=company,
                stage=Applicant.Stage.DOCUMENT,
                track="",
                template=template,
                business_days_after=3,
                send_time=time(10, 0),
                is_active=True,
                actor=None,
            )
