"""Issue 11 point 6: a company learns registrations as aggregates, never per named person, unless the person
consented (Consent.Kind.SHARE_WITH_COMPANY). Tried as a curious company would: every company page, CSV and API
response that lists applicants or mails, for rejected applicants who registered without consent."""

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from candidates.models import Candidate, Consent
from insights.selectors.registrations import (
    MIN_GROUP,
    RegistrationGroup,
    registrations_by_link,
    registrations_by_month,
    registrations_by_template,
    suppress,
)
from integrations.services import api_key_create
from mailings.models import OutboundEmail
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import rejection_email_queue
from relay.models import Referral
from tests.conftest import Tenant, login
from tests.outbox_support import make_applicant, make_version
from tests.test_registration import form_data

pytestmark = pytest.mark.django_db

URL_MAP = Path(__file__).with_name("url_map.txt")


def mailed(tenant: Tenant, count: int, *, name: str = "不採用") -> list[OutboundEmail]:
    emails = []
    for n in range(count):
        applicant = make_applicant(tenant.company, name=f"{name} {n:02d}郎")
        email = rejection_email_queue(applicant=applicant, version=make_version(tenant.company))
        assert email is not None
        emails.append(email)
    outbox_dispatch()
    for email in emails:
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENT
    return emails


def register_through_personal_link(tenant: Tenant, email: OutboundEmail, n: int, *, share: bool) -> Candidate:
    """The applicant opens their personal link from the rejection mail and registers on the landing page."""
    assert email.applicant is not None
    client = Client(REMOTE_ADDR=f"198.51.100.{n % 250 + 1}")  # each person from their own connection
    path = tenant.link.personal_url(email.applicant.ref).removeprefix("http://testserver")
    client.get(client.get(path)["Location"])
    data = form_data(email=f"reg{n}@example.jp", phone=f"080-5555-{n:04d}")
    if share:
        data["agree_share_with_company"] = "on"
    response = client.post(f"/r/{tenant.link.code}", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return Candidate.objects.get(email=f"reg{n}@example.jp")


def back_date(emails: list[OutboundEmail], days: int = 3) -> None:
    """Registered a few days ago (the aggregates run to yesterday): a distinctive minute to look for in pages."""
    moment = timezone.now() - timedelta(days=days)
    moment = moment.replace(hour=3, minute=4, second=0, microsecond=0)
    OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]).update(registered_at=moment)
    OutboundEmail.objects.filter(kind=OutboundEmail.Kind.REJECTION).update(sent_at=moment - timedelta(days=7))
    Referral.objects.update(registered_at=moment)


# The disclosure rule ---------------------------------------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(0, 40), st.one_of(st.none(), st.integers(0, 40))), max_size=8))
def test_no_shown_count_is_small_near_total_or_the_only_hidden_one(cells: list[tuple[int, int | None]]) -> None:
    groups = suppress(
        RegistrationGroup(label=str(i), registrations=r, mailed=None if m is None else r + m)
        for i, (r, m) in enumerate(cells)
    )
    for group in groups:
        if not group.is_hidden:
            assert group.registrations >= MIN_GROUP
            assert group.mailed is None or group.mailed - group.registrations >= MIN_GROUP
            assert group.shown == f"{group.registrations:,}"
        else:
            assert str(group.registrations) != group.shown
    hidden = [g for g in groups if g.is_hidden]
    assert len(hidden) != 1 or len(groups) == 1  # one hidden group is never recoverable by subtraction


def test_a_lone_small_group_takes_the_smallest_other_group_with_it() -> None:
    groups = suppress(
        [
            RegistrationGroup("A", 3),
            RegistrationGroup("B", 7),
            RegistrationGroup("C", 20),
        ]
    )
    assert [g.shown for g in groups] == [f"{MIN_GROUP}件未満", "非表示", "20"]


# Consent -----------------------------------------------------------------------------------------------------


def test_the_landing_page_offers_sharing_off_by_default_and_says_what_the_company_learns(
    client: Client, tenant: Tenant
) -> None:
    page = client.get(f"/r/{tenant.link.code}").content.decode()
    assert f"ご登録いただいたことを {tenant.company.name} に知らせてよい(任意)" in page
    assert 'name="agree_share_with_company"' in page
    assert 'name="agree_share_with_company" checked' not in page
    assert "件数として" in page and "5件未満" in page


def test_the_outbox_names_a_registration_only_for_a_person_who_consented(client: Client, tenant: Tenant) -> None:
    shy, open_ = mailed(tenant, 2)
    register_through_personal_link(tenant, shy, 1, share=False)
    sharer = register_through_personal_link(tenant, open_, 2, share=True)
    assert sharer.current_consents()[Consent.Kind.SHARE_WITH_COMPANY] is True
    member = login(client, tenant.member)
    page = member.get("/company/mail/outbox/").content.decode()
    assert page.count('<span class="badge registered">登録</span>') == 1
    registered = member.get("/company/mail/outbox/?status=registered").context["page"]
    assert [e.pk for e in registered] == [open_.pk]
    # 「クリック」 keeps the non-consenting registered person: leaving them out would name them by difference.
    clicked = {e.pk for e in member.get("/company/mail/outbox/?status=clicked").context["page"]}
    assert shy.pk in clicked
    assert "badge registered" not in member.get(f"/company/mail/outbox/{shy.pk}/").content.decode()
    assert "badge registered" in member.get(f"/company/mail/outbox/{open_.pk}/").content.decode()


def test_withdrawing_the_consent_on_my_page_hides_the_registration_again(client: Client, tenant: Tenant) -> None:
    from candidates.services import candidate_set_consents

    [email] = mailed(tenant, 1)
    person = register_through_personal_link(tenant, email, 3, share=True)
    email.refresh_from_db()
    assert email.company_registered_at is not None
    candidate_set_consents(candidate=person, wanted={Consent.Kind.SHARE_WITH_COMPANY: False})
    email.refresh_from_db()
    assert email.registered_at is not None and email.company_registered_at is None
    assert email.company_progress[0] == "clicked" and email.progress[0] == "registered"


def test_operators_still_see_every_registration(operator_client: Client, tenant: Tenant) -> None:
    [email] = mailed(tenant, 1)
    register_through_personal_link(tenant, email, 4, share=False)
    page = operator_client.get(f"/ops/mail/{email.pk}/").content.decode()
    assert '<span class="badge registered">登録</span>' in page


# Aggregates --------------------------------------------------------------------------------------------------


def test_aggregates_count_to_yesterday_per_template_link_and_month(tenant: Tenant) -> None:
    emails = mailed(tenant, 12)
    for n, email in enumerate(emails[:6]):
        register_through_personal_link(tenant, email, 10 + n, share=False)
    # Today's registrations wait for tomorrow: the count never moves minutes after a named person's click.
    assert registrations_by_template(tenant.company) == []
    assert [g.shown for g in registrations_by_link(tenant.company)] == [f"{MIN_GROUP}件未満"]
    back_date(emails[:6])
    [template] = registrations_by_template(tenant.company)
    assert (template.mailed, template.registrations, template.shown) == (12, 6, "6")
    [link] = registrations_by_link(tenant.company)
    assert link.shown == "6"
    months = registrations_by_month(tenant.company)
    assert [g.shown for g in months if not g.is_hidden] == ["6"]


def test_a_template_almost_everyone_registered_from_is_hidden(tenant: Tenant) -> None:
    emails = mailed(tenant, 7)
    for n, email in enumerate(emails[:6]):
        register_through_personal_link(tenant, email, 30 + n, share=False)
    back_date(emails[:6])
    [template] = registrations_by_template(tenant.company)
    assert template.shown == "非表示"  # 6 of 7: nearly every named recipient registered


# As a curious company ------------------------------------------------------------------------------------------


def company_paths(tenant: Tenant) -> list[str]:
    """Every GET-able company path of tests/url_map.txt, with ids of the rows a curious company would open."""
    emails = list(OutboundEmail.objects.filter(company=tenant.company))
    fill: dict[str, list[str]] = {
        "applicants:detail": [str(e.applicant_id) for e in emails],
        "mailings:email_detail": [str(e.pk) for e in emails],
        "companies:link_detail": [str(tenant.link.pk)],
    }
    paths = []
    for line in URL_MAP.read_text().splitlines():
        if not line.strip():
            continue
        route, _, name = line.partition(" ")
        if not (route.startswith("company/") or route.startswith("rechallenge/company/")):
            continue
        params = re.findall(r"<[^>]+>", route)
        if not params:
            paths.append("/" + route)
        elif len(params) == 1 and name in fill:
            paths += ["/" + route.replace(params[0], value) for value in fill[name]]
    return paths


def test_a_curious_company_learns_no_named_registration_anywhere(client: Client, tenant: Tenant) -> None:
    emails = mailed(tenant, 12, name="応募者")
    registered = emails[:6]
    for n, email in enumerate(registered):
        register_through_personal_link(tenant, email, 50 + n, share=False)
    back_date(registered)
    moment = OutboundEmail.objects.get(pk=registered[0].pk).registered_at
    assert moment is not None
    local = timezone.localtime(moment)
    giveaways = ['badge registered">', f"{local:%Y/%m/%d %H:%M}"]

    member = login(client, tenant.owner)
    walked = []
    for path in company_paths(tenant):
        response = member.get(path)
        if response.status_code != 200:
            continue  # POST-only steps and redirects list no one
        walked.append(path)
        text = b"".join(response).decode("utf-8-sig", errors="replace") if response.streaming else ""
        text = text or response.content.decode("utf-8-sig", errors="replace")
        for giveaway in giveaways:
            assert giveaway not in text, (path, giveaway)
        for email in registered:
            assert email.applicant is not None
            if email.applicant.name in text:
                # A page that names the person says nothing of their registration (checked above) …
                assert f"{local:%Y/%m/%d}" not in text.split(email.applicant.name, 1)[1][:2000], path
    for must in ("/company/mail/outbox/", "/company/applicants/", "/company/referrals/", "/company/insights/"):
        assert must in walked
    assert any(p.startswith("/company/mail/outbox/") and p.rstrip("/").split("/")[-1].isdigit() for p in walked)

    # … while the aggregate is visible where the company looks.
    outbox = member.get("/company/mail/outbox/").content.decode()
    assert 'id="registrations-by-template"' in outbox
    table = outbox.split('id="registrations-by-template"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">6</td>' in table
    referrals = member.get("/company/referrals/").content.decode()
    assert '<td class="num">6</td>' in referrals.split('id="registrations-by-month"', 1)[1].split("</table>", 1)[0]

    # The API: no email, applicant or change names a registration; the summary carries the aggregates.
    key = api_key_create(company=tenant.company, name="社内", actor=tenant.owner).raw_key
    headers = {"Authorization": f"Bearer {key}"}
    answers: list[Any] = []
    for path in ("/api/v1/emails?page_size=200", "/api/v1/emails?status=registered", "/api/v1/changes?limit=500"):
        answers.append(client.get(path, headers=headers).json())
    for email in registered:
        assert email.applicant is not None
        answers.append(client.get(f"/api/v1/applicants/{email.applicant.ref}", headers=headers).json())
    assert answers[1]["count"] == 0
    for answer in answers:
        dumped = json.dumps(answer, ensure_ascii=False)
        assert '"tracking": "registered"' not in dumped
        assert moment.isoformat()[:16] not in dumped and f"{moment:%Y-%m-%dT%H:%M}" not in dumped
    for row in answers[0]["results"]:
        assert row["registered_at"] is None
    summary = client.get("/api/v1/summary", headers=headers).json()
    assert {g["label"]: g["registrations"] for g in summary["registrations_by_template"]} == {"書類選考・中途": 6}
    assert summary["registrations_by_link"][0]["shown"] == "6"


def test_the_api_names_the_registration_of_a_person_who_consented(client: Client, tenant: Tenant) -> None:
    shy, open_ = mailed(tenant, 2)
    register_through_personal_link(tenant, shy, 70, share=False)
    register_through_personal_link(tenant, open_, 71, share=True)
    key = api_key_create(company=tenant.company, name="社内", actor=tenant.owner).raw_key
    rows = client.get("/api/v1/emails", headers={"Authorization": f"Bearer {key}"}).json()["results"]
    by_id = {row["id"]: row for row in rows}
    assert by_id[open_.pk]["tracking"] == "registered" and by_id[open_.pk]["registered_at"] is not None
    assert by_id[shy.pk]["tracking"] == "clicked" and by_id[shy.pk]["registered_at"] is None
