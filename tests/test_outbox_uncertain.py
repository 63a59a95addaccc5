"""A mail that may have arrived is never resent blindly (issue 13, point 4).

A loopback SMTP server (aiosmtpd) that takes the whole message and answers only after the client's timeout has
delivered it; the product must show 配信不明 and leave the decision to a person, never send it a second time.
"""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lib.mail import WatchedSMTP, delivery_uncertain
from mailings.models import OutboundEmail
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import rejection_email_queue
from tests.conftest import Tenant
from tests.outbox_support import FaultyHandler, FaultyServer, faulty_smtp, make_applicant, make_version
from tests.smtp import _free_port

__all__ = ["faulty_smtp"]
Status = OutboundEmail.Status


class KeepsThenStalls(FaultyHandler):
    """Stores the message as soon as its data arrives, then waits `delay` seconds before saying 250."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.content))
        for address in envelope.rcpt_tos:
            self.recipients[address] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


@pytest.fixture
def stalling_smtp(settings: Any) -> Iterator[FaultyServer]:
    handler = KeepsThenStalls()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "mailings.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield FaultyServer(handler=handler, port=port)
    finally:
        controller.stop()


def queue(tenant: Tenant, email: str) -> OutboundEmail:
    row = rejection_email_queue(
        applicant=make_applicant(tenant.company, email=email), version=make_version(tenant.company)
    )
    assert row is not None
    return row


@pytest.mark.django_db
def test_a_reply_that_comes_after_the_timeout_marks_the_mail_uncertain_and_it_is_never_resent(
    tenant: Tenant, stalling_smtp: FaultyServer, settings: Any
) -> None:
    faulty_smtp = stalling_smtp
    settings.EMAIL_TIMEOUT = 0.5
    faulty_smtp.handler.delay = 1.5  # the server keeps the message, then answers too late
    slow = queue(tenant, "slow@example.jp")
    waiting = queue(tenant, "next@example.jp")

    report = outbox_dispatch()

    slow.refresh_from_db()
    waiting.refresh_from_db()
    assert report.counts == {"uncertain": 1}
    assert slow.status == Status.FAILED
    assert slow.last_error.startswith("配信不明: ")
    assert "再送してください" in slow.last_error
    assert waiting.status == Status.QUEUED  # a server that fell silent is not handed the next message
    assert faulty_smtp.handler.recipients["slow@example.jp"] == 1

    faulty_smtp.handler.delay = 0
    outbox_dispatch()
    outbox_dispatch()

    slow.refresh_from_db()
    waiting.refresh_from_db()
    assert slow.status == Status.FAILED
    assert waiting.status == Status.SENT
    assert faulty_smtp.handler.recipients == {"slow@example.jp": 1, "next@example.jp": 1}


@pytest.mark.django_db
def test_a_refusal_before_the_message_data_is_retried_as_before(tenant: Tenant, faulty_smtp: FaultyServer) -> None:
    busy = queue(tenant, "temp-busy@example.jp")

    outbox_dispatch()

    busy.refresh_from_db()
    assert busy.status == Status.QUEUED
    assert "自動で再送します" in busy.last_error
    assert not busy.last_error.startswith("配信不明")


def test_a_session_knows_it_waits_for_the_reply_only_after_the_final_dot(faulty_smtp: FaultyServer) -> None:
    session = WatchedSMTP("127.0.0.1", faulty_smtp.port, timeout=5)
    try:
        session.ehlo()
        session.mail("relay@example.jp")
        assert not delivery_uncertain(session)
        session.rcpt("fine@example.jp")
        code, _ = session.data(b"Subject: hi\r\n\r\nbody\r\n")
        assert code == 250
        assert not delivery_uncertain(session)  # the server answered: delivered, not uncertain
    finally:
        session.quit()
    assert not delivery_uncertain(object())
