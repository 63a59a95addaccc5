"""The operator's identity in every rejection mail and every mail of the operator (特定電子メール法 4条, DESIGN §3
rules 12 and 13): added when the mail is rendered, whatever the template says."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from mailings.identity import operator_identity_block
from mailings.library import LIBRARY
from mailings.models import OutboundEmail, RejectionTemplate
from mailings.services import mail_send
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import rejection_email_queue
from mailings.services.templates import rejection_template_update, rejection_templates_ensure_library
from mailings.services.transactional import mail_render
from tests.conftest import Tenant
from tests.outbox_support import make_applicant, sign_as

pytestmark = pytest.mark.django_db

STRIPPED = "{{応募者名}} 様\n\n今回はご縁がありませんでした。\n\n{{リレーリンク}}\n\n{{署名}}"


@pytest.fixture
def operator_settings(settings: Any) -> Any:
    settings.OPERATOR_NAME = "株式会社リレー運営"
    settings.OPERATOR_LICENSE_NUMBER = "13-ユ-123456"
    settings.OPERATOR_ADDRESS = "東京都港区芝公園4-2-8"
    settings.OPERATOR_CONTACT_EMAIL = "contact@relay-operator.example.jp"
    settings.OPERATOR_URL = "https://relay-operator.example.jp"
    return settings


IDENTITY = (
    "株式会社リレー運営",
    "13-ユ-123456",
    "東京都港区芝公園4-2-8",
    "contact@relay-operator.example.jp",
    "https://relay-operator.example.jp",
)


def test_a_template_with_every_mention_of_the_operator_deleted_still_sends_its_identity(
    tenant: Tenant, operator_settings: Any
) -> None:
    rejection_templates_ensure_library(company=tenant.company)
    template = RejectionTemplate.objects.filter(company=tenant.company).order_by("pk").first()
    assert template is not None
    rejection_template_update(
        template=template,
        name=template.name,
        stage=template.stage,
        track=template.track,
        subject="選考結果のご連絡",
        body=STRIPPED,
        actor=tenant.owner,
    )
    template.refresh_from_db()
    assert template.current_version is not None
    assert "株式会社リレー運営" not in template.current_version.body
    sign_as(tenant.company)
    queued = rejection_email_queue(applicant=make_applicant(tenant.company), version=template.current_version)
    assert queued is not None
    outbox_dispatch()
    [message] = mail.outbox
    body = str(message.body)
    for detail in IDENTITY:
        assert detail in body
    assert body.rstrip().endswith(operator_identity_block().splitlines()[-1])
    assert "有料職業紹介事業 許可番号: 13-ユ-123456" in body


def test_every_library_text_is_sent_with_the_operators_identity(tenant: Tenant, operator_settings: Any) -> None:
    rejection_templates_ensure_library(company=tenant.company)
    sign_as(tenant.company)
    templates = RejectionTemplate.objects.filter(company=tenant.company)
    assert templates.count() == len(LIBRARY)
    for template in templates:
        version = template.current_version
        assert version is not None
        queued = rejection_email_queue(applicant=make_applicant(tenant.company), version=version)
        assert queued is not None
        assert all(detail in queued.body for detail in IDENTITY), template.name


def test_a_block_typed_into_the_template_does_not_replace_the_real_one(tenant: Tenant, operator_settings: Any) -> None:
    rejection_templates_ensure_library(company=tenant.company)
    template = RejectionTemplate.objects.filter(company=tenant.company).order_by("pk").first()
    assert template is not None
    fake = STRIPPED + "\n\n■ キャリアリレーの運営者\n偽物株式会社(許可番号: 99-ユ-999999)"
    version = rejection_template_update(
        template=template,
        name=template.name,
        stage=template.stage,
        track=template.track,
        subject="選考結果",
        body=fake,
        actor=tenant.owner,
    )
    assert version is not None
    queued = rejection_email_queue(applicant=make_applicant(tenant.company), version=version)
    assert queued is not None
    assert queued.body.rstrip().endswith(operator_identity_block().rstrip())
    assert "13-ユ-123456" in queued.body


def test_the_editors_preview_shows_the_identity_as_a_block_that_cannot_be_edited(
    owner_client: Client, tenant: Tenant, operator_settings: Any
) -> None:
    response = owner_client.post(
        "/company/mail/templates/preview/",
        {"subject": "結果のご連絡", "body": STRIPPED, "track": "mid_career"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-locked="operator-identity"' in page and 'aria-readonly="true"' in page
    for detail in IDENTITY:
        assert detail in page
    assert "編集・削除はできません" in page
    # The block is not in the editable text area's value: it stays outside the template.
    assert "<textarea" not in page


def test_the_preview_of_another_company_answers_nothing_of_theirs(outsider_client: Client, tenant: Tenant) -> None:
    template = RejectionTemplate.objects.filter(company=tenant.company).first()
    if template is None:
        rejection_templates_ensure_library(company=tenant.company)
        template = RejectionTemplate.objects.filter(company=tenant.company).first()
    assert template is not None
    assert outsider_client.get(f"/company/mail/templates/{template.pk}/").status_code == 404


OPERATOR_KINDS = [kind for kind in OutboundEmail.Kind.values if kind not in ("rejection", "rechallenge")]


@pytest.mark.parametrize("kind", OPERATOR_KINDS)
def test_every_mail_of_the_operator_ends_with_its_identity(kind: str, operator_settings: Any) -> None:
    _subject, body = mail_render(template=kind, context={})
    for detail in IDENTITY:
        assert detail in body
    assert body.rstrip().endswith(operator_identity_block().rstrip())


def test_a_sent_operator_mail_carries_the_identity(tenant: Tenant, operator_settings: Any) -> None:
    mail_send(to="owner@test-shoji.example.jp", template="monthly_report", context={"company": tenant.company})
    outbox_dispatch()
    assert mail.outbox
    body = str(mail.outbox[-1].body)
    for detail in IDENTITY:
        assert detail in body


def test_the_identity_block_follows_the_language_of_the_mail(operator_settings: Any) -> None:
    assert "許可番号" in operator_identity_block(language="ja")
    assert "licence" in operator_identity_block(language="en").lower()
