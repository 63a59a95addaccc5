"""Per-email tracking (clicked, registered) and the dashboard funnel that now starts at 送信."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from insights.selectors.funnel import company_figures, period_figures
from mailings.models import OutboundEmail
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import rejection_email_queue
from mailings.services.tracking import email_clicked, email_registered
from relay.models import Click, Referral
from tests.conftest import Tenant, login, register, register_verified
from tests.outbox_support import make_applicant, make_version
from tests.test_registration import form_data

pytestmark = pytest.mark.django_db


def sent_email(tenant: Tenant, **applicant: Any) -> OutboundEmail:
    email = rejection_email_queue(
        applicant=make_applicant(tenant.company, **applicant), version=make_version(tenant.company)
    )
    assert email is not None
    outbox_dispatch()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    return email


def visit(client: Client, tenant: Tenant, ref: str) -> None:
    path = tenant.link.personal_url(ref).removeprefix("http://testserver")
    response = client.get(path)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_the_first_visit_through_the_personal_link_marks_the_email_clicked_once(client: Client, tenant: Tenant) -> None:
    email = sent_email(tenant)
    assert email.applicant is not None

    visit(client, tenant, email.applicant.ref)
    email.refresh_from_db()
    first = email.clicked_at
    assert first is not None and email.registered_at is None

    visit(Client(), tenant, email.applicant.ref)
    email.refresh_from_db()
    assert email.clicked_at == first


def test_a_plain_link_a_forged_ref_or_another_companys_ref_marks_nothing(
    client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    email = sent_email(tenant)
    assert email.applicant is not None
    theirs = make_applicant(outsider.company, external_id=email.applicant.external_id)

    client.get(f"/r/{tenant.link.code}")
    client.get(f"/r/{tenant.link.code}?ref=forged")
    client.get(f"/r/{tenant.link.code}")
    visit(Client(), outsider, theirs.ref)  # the same ATS id at another company is another person

    email.refresh_from_db()
    assert email.clicked_at is None
    assert email_clicked(company_id=outsider.company.pk, applicant_ref=email.applicant.ref) is False
    assert email_clicked(company_id=tenant.company.pk, applicant_ref="") is False


def test_a_registration_through_the_personal_link_marks_the_email_registered(client: Client, tenant: Tenant) -> None:
    email = sent_email(tenant)
    assert email.applicant is not None

    visit(client, tenant, email.applicant.ref)
    client.post(f"/r/{tenant.link.code}", form_data())

    email.refresh_from_db()
    assert email.registered_at is not None and email.clicked_at is not None
    assert Referral.objects.get().applicant_ref == email.applicant.ref


def test_a_person_already_registered_coming_back_through_the_email_is_not_a_new_registration(
    client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    # Verified: an unverified registration holds no claim, so coming back through this link would be this one's.
    register_verified(outsider.link, email="misaki@example.jp", phone="080-1234-5678")
    email = sent_email(tenant)
    assert email.applicant is not None

    visit(client, tenant, email.applicant.ref)
    client.post(f"/r/{tenant.link.code}", form_data(email="misaki@example.jp"))

    email.refresh_from_db()
    assert email.clicked_at is not None
    assert email.registered_at is None


def test_registering_marks_the_click_too_when_the_visit_was_not_seen(tenant: Tenant) -> None:
    email = sent_email(tenant)
    assert email.applicant is not None

    assert email_registered(company_id=tenant.company.pk, applicant_ref=email.applicant.ref) is True
    assert email_registered(company_id=tenant.company.pk, applicant_ref=email.applicant.ref) is False

    email.refresh_from_db()
    assert email.clicked_at is not None and email.registered_at is not None


def test_the_dashboard_funnel_starts_at_sent(owner_client: Client, tenant: Tenant) -> None:
    for _ in range(4):
        sent_email(tenant)
    queued = rejection_email_queue(
        applicant=make_applicant(tenant.company),
        version=make_version(tenant.company, name="未送信"),
        send_after=timezone.now() + timedelta(days=2),
    )
    assert queued is not None
    Click.objects.bulk_create([Click(link=tenant.link, company=tenant.company) for _ in range(3)])
    register_verified(tenant.link)
    register(tenant.link)

    response = owner_client.get("/company/")

    figures = response.context["figures"]
    total = figures.total
    assert (total.sent, total.clicks, total.registrations, total.counted) == (4, 3, 2, 1)
    this_month, last_month = figures.periods
    assert (this_month.label, this_month.sent) == ("今月", 4)
    # Today's registrations are the company's only from tomorrow, and never as a count below 5.
    shown = (this_month.registrations, this_month.registrations_shown, this_month.counted_shown)
    assert shown == (0, "5件未満", "5件未満")
    assert (last_month.label, last_month.sent) == ("先月", 0)
    page = response.content.decode()
    assert "お祈りメールからの成果" in page
    assert page.index(">送信<") < page.index(">クリック<") < page.index(">登録<") < page.index(">カウント<")


def test_the_funnel_splits_by_month_in_japan_time(tenant: Tenant) -> None:
    email = sent_email(tenant)
    other = sent_email(tenant)
    # 2030-03-31 23:30 JST is still March in Japan although it is 14:30 UTC.
    OutboundEmail.objects.filter(pk=email.pk).update(sent_at=datetime(2030, 3, 31, 14, 30, tzinfo=UTC))
    OutboundEmail.objects.filter(pk=other.pk).update(sent_at=datetime(2030, 3, 31, 15, 30, tzinfo=UTC))

    this_month, last_month = period_figures(tenant.company, now=datetime(2030, 4, 10, 3, 0, tzinfo=UTC))

    assert (this_month.sent, last_month.sent) == (1, 1)
    assert company_figures(tenant.company).total.sent == 2


def test_the_outbox_shows_clicked_and_consented_registration_per_email(client: Client, tenant: Tenant) -> None:
    clicked = sent_email(tenant, name="押下 花子")
    registered = sent_email(tenant, name="登録 太郎")
    assert clicked.applicant is not None and registered.applicant is not None
    visit(Client(), tenant, clicked.applicant.ref)
    email_registered(company_id=tenant.company.pk, applicant_ref=registered.applicant.ref, shared=True)

    member = login(client, tenant.member)
    page = member.get("/company/mail/outbox/").content.decode()
    assert '<span class="badge clicked">クリック</span>' in page
    assert '<span class="badge registered">登録</span>' in page
    assert {e.applicant.name for e in member.get("/company/mail/outbox/?status=registered").context["page"]} == {
        "登録 太郎"
    }
