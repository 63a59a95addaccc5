"""Shared by the outbox tests: applicants and templates made with the real services, and an SMTP server that
answers 4xx/5xx for chosen recipients or answers slowly."""

import asyncio
import email
import email.policy
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from applicants.models import Applicant
from applicants.services import applicant_record
from companies.models import Company
from mailings.models import MailSettings, RejectionTemplate, TemplateVersion
from tests.smtp import _free_port

_numbers = itertools.count(1)

SUBJECT = "【{{企業名}}】選考結果のご連絡"
BODY = (
    "{{応募者名}} 様\n\n"
    "このたびは{{企業名}}の{{応募職種}}にご応募いただき、誠にありがとうございました。\n"
    "慎重に検討いたしました結果、誠に残念ながら今回はご期待に添いかねる結果となりました。\n\n"
    "次の一歩のご参考に、キャリアリレーのご案内をお送りいたします。\n"
    "{{リレーリンク}}\n\n"
    "{{署名}}\n"
)


def make_version(company: Company, *, name: str = "書類選考・中途", subject: str = SUBJECT) -> TemplateVersion:
    """The company's template of that name (created once) and its first version."""
    template, _ = RejectionTemplate.objects.get_or_create(
        company=company, name=name, defaults={"stage": Applicant.Stage.DOCUMENT, "track": Applicant.Track.MID_CAREER}
    )
    version, _ = TemplateVersion.objects.get_or_create(
        template=template, number=1, defaults={"subject": subject, "body": BODY}
    )
    return version


def make_applicant(
    company: Company,
    *,
    name: str = "山田 花子",
    email: str | None = None,
    rejected_at: datetime | None = None,
    **extra: Any,
) -> Applicant:
    n = next(_numbers)
    return applicant_record(
        company=company,
        source=Applicant.Source.MANUAL,
        name=name,
        email=email or f"applicant{n}@example.jp",
        external_system="herp",
        external_id=extra.pop("external_id", f"HERP-{n:05d}"),
        position=extra.pop("position", "営業職"),
        rejected_at=rejected_at,
        **extra,
    ).applicant


def sign_as(
    company: Company, *, sender_name: str = "株式会社テスト商事 採用担当", reply_to: str = "saiyo@test-shoji.example.jp"
) -> None:
    settings, _ = MailSettings.objects.update_or_create(
        company=company,
        defaults={"sender_name": sender_name, "reply_to": reply_to, "signature": "株式会社テスト商事\n採用担当 鈴木"},
    )
    company.mail_settings = settings  # the instance may hold the settings it read before


@dataclass
class FaultyHandler:
    """Refuses recipients by local part: `temp…` gets 451, `perm…` gets 550; every DATA waits `delay` seconds."""

    delay: float = 0.0
    received: list[bytes] = field(default_factory=list)
    recipients: Counter[str] = field(default_factory=Counter)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        local = address.split("@")[0]
        if local.startswith("temp"):
            return "451 4.3.0 Mailbox temporarily unavailable"
        if local.startswith("perm"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(bytes(envelope.content))
        for address in envelope.rcpt_tos:
            self.recipients[address] += 1
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = []
        for content in self.received:
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


@dataclass
class FaultyServer:
    handler: FaultyHandler
    port: int


def start_faulty_server(delay: float = 0.0) -> tuple[Controller, FaultyServer]:
    handler = FaultyHandler(delay=delay)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, FaultyServer(handler=handler, port=port)


@pytest.fixture
def faulty_smtp(settings: Any) -> Iterator[FaultyServer]:
    controller, server = start_faulty_server()
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        controller.stop()
