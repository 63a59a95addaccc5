"""Demo outbox for trying the sending screens: rejection emails sent, clicked, registered, failed and scheduled.

`seed_outbox(company=..., actor=...)` is idempotent (applicants are de-duplicated by their demo ATS id and each
gets one rejection email ever). Emails go through the real queue and worker with the in-memory mail backend, so
nothing leaves the machine; only the timestamps are moved back so the list looks like a few weeks of use.
"""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from applicants.models import Applicant
from applicants.services import applicant_record
from companies.models import Company
from mailings.models import OutboundEmail, RejectionTemplate, TemplateVersion
from mailings.services.dispatch import PERMANENT_REASON, outbox_dispatch
from mailings.services.outbox import default_link, stored_text
from mailings.services.sending import Schedule, When, rejection_emails_send
from mailings.services.tracking import email_clicked, email_registered

DEMO_APPLICANTS = [
    ("DEMO-1001", "佐々木 陽菜", "ササキ ヒナ", "法人営業"),
    ("DEMO-1002", "山本 蓮", "ヤマモト レン", "法人営業"),
    ("DEMO-1003", "中村 結衣", "ナカムラ ユイ", "Web マーケティング"),
    ("DEMO-1004", "小林 湊", "コバヤシ ミナト", "バックエンドエンジニア"),
    ("DEMO-1005", "加藤 さくら", "カトウ サクラ", "経理"),
    ("DEMO-1006", "吉田 大翔", "ヨシダ ヒロト", "カスタマーサクセス"),
    ("DEMO-1007", "山田 美咲", "ヤマダ ミサキ", "人事"),
    ("DEMO-1008", "松本 悠真", "マツモト ユウマ", "法人営業"),
]
SCHEDULED_APPLICANTS = [
    ("DEMO-2001", "井上 葵", "イノウエ アオイ", "総合職(新卒)"),
    ("DEMO-2002", "木村 樹", "キムラ イツキ", "総合職(新卒)"),
]
DEMO_SUBJECT = "【{{企業名}}】選考結果のご連絡"
DEMO_BODY = """{{応募者名}} 様

このたびは{{企業名}}の{{応募職種}}の選考にご応募いただき、誠にありがとうございました。
慎重に検討を重ねました結果、誠に残念ではございますが、今回はご期待に添いかねる結果となりました。

選考にお時間を割いていただいたことに、心より感謝申し上げます。
今後のご活躍の一助となればと思い、キャリア支援サービス「キャリアリレー」をご案内いたします。
経験豊富なアドバイザーが、次の一歩を無料でお手伝いいたします。
{{リレーリンク}}

{{署名}}
"""


def _demo_version(company: Company, actor: User) -> TemplateVersion:
    """The company's first active template; a plain one is made only if the company has none yet."""
    for template in RejectionTemplate.objects.filter(company=company, is_active=True):
        version = template.current_version
        if version is not None:
            return version
    template, _ = RejectionTemplate.objects.get_or_create(
        company=company,
        name="書類選考(中途)",
        defaults={"stage": Applicant.Stage.DOCUMENT, "track": Applicant.Track.MID_CAREER},
    )
    version, _ = TemplateVersion.objects.get_or_create(
        template=template, number=1, defaults={"subject": DEMO_SUBJECT, "body": DEMO_BODY, "created_by": actor}
    )
    return version


def _applicants(company: Company, rows: list[tuple[str, str, str, str]], *, days_ago: int) -> list[Applicant]:
    found = []
    for external_id, name, kana, position in rows:
        found.append(
            applicant_record(
                company=company,
                source=Applicant.Source.CSV,
                external_system="herp",
                external_id=external_id,
                name=name,
                name_kana=kana,
                email=f"{external_id.lower()}@example.jp",
                position=position,
                rejected_at=timezone.now() - timedelta(days=days_ago),
            ).applicant
        )
    return found


def seed_outbox(*, company: Company, actor: User) -> int:
    """Returns how many demo emails were created this time (0 when run again)."""
    version = _demo_version(company, actor)
    link = default_link(company)
    sent_batch = _applicants(company, DEMO_APPLICANTS, days_ago=21)
    scheduled_batch = _applicants(company, SCHEDULED_APPLICANTS, days_ago=0)
    already = set(
        OutboundEmail.objects.filter(applicant__in=[*sent_batch, *scheduled_batch]).values_list(
            "applicant_id", flat=True
        )
    )
    fresh_sent = [a for a in sent_batch if a.pk not in already]
    fresh_scheduled = [a for a in scheduled_batch if a.pk not in already]
    if not fresh_sent and not fresh_scheduled:
        return 0

    # The real queue and worker, with a mail backend that discards and no task backend in the way.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",  # demo history: nothing leaves the process
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}},
    ):
        created = rejection_emails_send(
            company=company,
            applicants=fresh_sent,
            version=version,
            link=link,
            schedule=Schedule(when=When.NOW),
            actor=actor,
        ).queued
        outbox_dispatch()
        created += rejection_emails_send(
            company=company,
            applicants=fresh_scheduled,
            version=version,
            link=link,
            schedule=Schedule(when=When.BUSINESS_DAYS, business_days=3),
            actor=actor,
        ).queued

    now = timezone.now()
    emails = {e.applicant_id: e for e in OutboundEmail.objects.filter(applicant__in=fresh_sent)}
    for index, applicant in enumerate(fresh_sent):
        email = emails[applicant.pk]
        moment = now - timedelta(days=20 - index, hours=index)
        OutboundEmail.objects.filter(pk=email.pk).update(created_at=moment, send_after=moment, sent_at=moment)
        if index in (0, 1, 2):
            email_clicked(company_id=company.pk, applicant_ref=applicant.ref)
        if index == 0:
            # This demo person ticked 「ご登録いただいたことを…知らせてよい」, so the outbox may say 登録.
            email_registered(company_id=company.pk, applicant_ref=applicant.ref, shared=True)
    if fresh_sent:
        # One address the receiving server refused, to show the failed state and the resend button.
        bounced = emails[fresh_sent[-1].pk]
        OutboundEmail.objects.filter(pk=bounced.pk).update(
            status=OutboundEmail.Status.FAILED,
            sent_at=None,
            failed_at=now - timedelta(days=1),
            last_error=stored_text(PERMANENT_REASON) % {"detail": "550 5.1.1 No such user"},
        )
    return created
