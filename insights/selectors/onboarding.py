"""A new company's first steps (issue 15, point 2): what is done, what comes next, each one click away.

Read from what the company has actually done, never from a flag someone must remember to set: the mail is signed
(sender name, signature, reply-to), the registration page has the company's own words, the relay link is in use
(a click arrived) or an ATS is connected, applicants have arrived (an import, an ATS or the API), and a first
rejection mail went out through the platform.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant  # entrusted-read-allowed: the company's own checklist: has it any applicant
from companies.models import Company
from integrations.models import ApiKey, Integration
from mailings.models import OutboundEmail
from mailings.services.outbox import mail_settings_missing_fields
from relay.models import Click


@dataclass(frozen=True)
class SetupStep:
    key: str
    label: str | Promise
    hint: str | Promise
    url: str
    done: bool


@dataclass(frozen=True)
class Setup:
    steps: tuple[SetupStep, ...]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.steps))

    @property
    def next_step(self) -> SetupStep | None:
        return next((step for step in self.steps if not step.done), None)


def company_setup(company: Company) -> Setup:
    connected = Integration.objects.filter(company=company).exists() or ApiKey.objects.filter(company=company).exists()
    steps = (
        SetupStep(
            "mail_settings",
            _("お祈りメールの差出人名・署名・返信先を設定する"),
            _("応募者の方が貴社からのメールだと分かり、返信できるようにするために必要です。"),
            reverse("mailings:mail_settings"),
            not mail_settings_missing_fields(company),
        ),
        SetupStep(
            "landing_message",
            _("登録ページに載せる、応募者の方へのメッセージを書く"),
            _("リンクを開いた方が最初に読む一言です。例: 「このたびはご応募ありがとうございました。」"),
            reverse("companies:settings"),
            bool(company.landing_message.strip()),
        ),
        SetupStep(
            "link",
            _("リレーリンクをお祈りメールに貼る、または ATS と連携する"),
            _("お祈りメール用の文面をコピーして、いつものメールに貼り付けるだけです。"),
            reverse("companies:links"),
            connected or Click.objects.filter(company=company).exists(),
        ),
        SetupStep(
            "applicants",
            _("不採用の応募者を取り込む(CSV・ATS・API)"),
            _("ATS から書き出した CSV をそのままアップロードできます。"),
            reverse("applicants:imports"),
            Applicant.objects.filter(company=company).exists(),
        ),
        SetupStep(
            "first_send",
            _("はじめてのお祈りメールを送る"),
            _("取り込んだ応募者を選び、送る内容を確認してから送信します。"),
            reverse("applicants:list"),
            OutboundEmail.objects.filter(company=company, kind=OutboundEmail.Kind.REJECTION).exists(),
        ),
    )
    return Setup(steps=steps)
