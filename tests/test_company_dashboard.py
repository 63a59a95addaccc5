"""The company's dashboard, referrals list and relay links; every page is closed to other companies."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from companies.models import RelayLink
from relay.models import Click, Referral
from relay.services import credits_expire
from tests.conftest import Tenant, login, register, register_verified

pytestmark = pytest.mark.django_db


def company_pages(tenant: Tenant) -> list[str]:
    pk = tenant.link.pk
    return [
        f"/company/links/{pk}/",
        f"/company/links/{pk}/qr.png",
        f"/company/links/{pk}/qr.svg",
    ]


def test_the_dashboard_shows_progress_to_the_next_credit(owner_client: Client, tenant: Tenant) -> None:
    for _ in range(7):
        register_verified(tenant.link)
    page = owner_client.get("/company/").content.decode()
    assert "あと3人で無料紹介枠を獲得" in page
    assert 'aria-valuenow="70"' in page


def test_the_dashboard_counts_clicks_registrations_and_credits_per_link(
    owner_client: Client, operator: User, tenant: Tenant
) -> None:
    from companies.services import relay_link_create

    campaign = relay_link_create(company=tenant.company, label="2027新卒", actor=tenant.owner)
    for _ in range(10):
        register_verified(tenant.link)
    register(campaign)  # not verified: registered but not counted
    Click.objects.bulk_create([Click(link=campaign, company=tenant.company) for _ in range(4)])
    response = owner_client.get("/company/")
    figures = response.context["figures"]
    by_label = {f.link.label: f for f in figures.links}
    assert (by_label["2027新卒"].clicks, by_label["2027新卒"].registrations, by_label["2027新卒"].counted) == (4, 1, 0)
    assert (figures.total.registrations, figures.total.counted) == (11, 10)
    assert (figures.credits.earned, figures.credits.available) == (1, 1)
    from datetime import timedelta

    from django.utils import timezone

    credits_expire(now=timezone.now() + timedelta(days=400))
    figures = owner_client.get("/company/").context["figures"]
    assert (figures.credits.expired, figures.credits.available) == (1, 0)


def test_the_referral_page_shows_statistics_never_contact_data(owner_client: Client, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link, name="秘密 太郎", email="secret@example.jp", phone="090-4444-3333")
    Referral.objects.filter(candidate=candidate).update(registered_at=timezone.now() - timedelta(days=2))
    for url in ("/company/", "/company/referrals/"):
        page = owner_client.get(url).content.decode()
        assert "5件未満" in page  # one registration: counted in its month, never as a row of its own
        for private in (candidate.name, candidate.email, "4444", candidate.furigana):
            assert private not in page
    page = owner_client.get("/company/referrals/").content.decode()
    assert "ITエンジニア" in page and "東京都" in page  # as groups of the statistics


def test_a_company_sees_only_its_own_referrals(owner_client: Client, tenant: Tenant, outsider: Tenant) -> None:
    outsiders = register_verified(outsider.link, job_category="construction")
    Referral.objects.filter(candidate=outsiders).update(registered_at=timezone.now() - timedelta(days=2))
    register_verified(tenant.link)
    page = owner_client.get("/company/referrals/").content.decode()
    assert "建築・土木" not in page
    assert owner_client.get("/company/").context["figures"].total.registrations == 1


def test_link_pages_of_another_company_answer_404(outsider_client: Client, tenant: Tenant) -> None:
    for url in company_pages(tenant):
        assert outsider_client.get(url).status_code == 404, url
    assert outsider_client.post(f"/company/links/{tenant.link.pk}/toggle/").status_code == 404
    tenant.link.refresh_from_db()
    assert tenant.link.is_active


def test_the_owner_reaches_every_page_of_their_company(owner_client: Client, tenant: Tenant) -> None:
    for url in [
        "/company/",
        "/company/referrals/",
        "/company/links/",
        "/company/users/",
        "/company/settings/",
        *company_pages(tenant),
    ]:
        assert owner_client.get(url).status_code == 200, url


def test_operators_and_strangers_cannot_open_company_pages(operator_client: Client, client: Client) -> None:
    assert operator_client.get("/company/").status_code == 404
    response = client.get("/company/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_owner_creates_a_campaign_link_with_a_snippet_and_qr(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post("/company/links/", {"label": "２０２７新卒"})
    link = RelayLink.objects.get(company=tenant.company, label="2027新卒")
    assert response["Location"] == f"/company/links/{link.pk}/"
    detail = owner_client.get(response["Location"]).content.decode()
    assert f"http://testserver/r/{link.code}" in detail
    assert "キャリアリレー" in detail and "<svg" in detail
    png = owner_client.get(f"/company/links/{link.pk}/qr.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert owner_client.get(f"/company/links/{link.pk}/qr.gif").status_code == 404
    assert AuditEntry.objects.filter(action="relay_link.create", company=tenant.company).exists()


def test_a_duplicate_campaign_name_is_refused_with_a_clear_message(owner_client: Client, tenant: Tenant) -> None:
    owner_client.post("/company/links/", {"label": "中途"})
    page = owner_client.post("/company/links/", {"label": "中途"}).content.decode()
    assert "同じ名前のリンクがすでにあります" in page
    assert RelayLink.objects.filter(company=tenant.company, label="中途").count() == 1


def test_a_member_can_read_links_but_not_create_or_pause_them(tenant: Tenant) -> None:
    member = login(Client(), tenant.member)
    assert member.get("/company/links/").status_code == 200
    assert member.post("/company/links/", {"label": "勝手なリンク"}).status_code == 404
    assert member.post(f"/company/links/{tenant.link.pk}/toggle/").status_code == 404
    assert member.get("/company/settings/").status_code == 404
    assert not RelayLink.objects.filter(label="勝手なリンク").exists()


def test_pausing_a_link_closes_its_landing_page(owner_client: Client, tenant: Tenant) -> None:
    owner_client.post(f"/company/links/{tenant.link.pk}/toggle/")
    assert Client().get(f"/r/{tenant.link.code}").status_code == 410
    owner_client.post(f"/company/links/{tenant.link.pk}/toggle/")
    assert Client().get(f"/r/{tenant.link.code}").status_code == 200


def test_the_snippet_is_polite_japanese_with_the_link(tenant: Tenant) -> None:
    from companies.views.company import rejection_snippet

    snippet = rejection_snippet(tenant.link)
    assert tenant.link.public_url in snippet
    assert "選考結果に影響することはございません" in snippet
    assert "&amp;" not in snippet


def test_the_owner_edits_the_message_candidates_see(owner_client: Client, tenant: Tenant) -> None:
    owner_client.post(
        "/company/settings/", {"name": "株式会社テスト商事", "name_kana": "", "landing_message": "応募ありがとう"}
    )
    assert "応募ありがとう" in Client().get(f"/r/{tenant.link.code}").content.decode()


def _setup_card(client: Client) -> str:
    import re

    page = client.get("/company/").content.decode()
    match = re.search(r'<section class="card setup" id="setup".*?</section>', page, re.DOTALL)
    return match.group(0) if match else ""


def test_a_new_company_home_leads_through_its_first_steps_and_the_next_one_is_the_primary_action(
    operator: User,
) -> None:
    from django.utils import timezone as tz

    from mailings.models import MailSettings, OutboundEmail
    from tests.conftest import make_tenant
    from tests.outbox_support import make_applicant

    new = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)
    owner = login(Client(), new.owner)

    card = _setup_card(owner)
    assert "5 つのうち 0 つ完了しました" in card
    assert (
        'href="/company/mail/settings/" id="setup-next">次の設定: お祈りメールの差出人名・署名・返信先を設定する'
        in card
    )
    home = owner.get("/company/").content.decode()
    assert 'class="btn secondary" href="/company/insights/"' in home  # not the primary action while setting up

    MailSettings.objects.update_or_create(
        company=new.company,
        defaults={"sender_name": "採用担当", "reply_to": "saiyo@hajimete.example.jp", "signature": "採用担当"},
    )
    assert "5 つのうち 1 つ完了しました" in _setup_card(owner)
    assert 'id="setup-next">次の設定: 登録ページに載せる' in _setup_card(owner)
    new.company.landing_message = "ご応募ありがとうございました。"
    new.company.save()
    Click.objects.create(link=new.link, company=new.company)
    assert 'id="setup-next">次の設定: 不採用の応募者を取り込む' in _setup_card(owner)
    applicant = make_applicant(new.company)
    assert "5 つのうち 4 つ完了しました" in _setup_card(owner)
    OutboundEmail.objects.create(
        company=new.company,
        kind=OutboundEmail.Kind.REJECTION,
        to_email=applicant.email,
        subject="選考結果のご連絡",
        body="…",
        send_after=tz.now(),
    )

    assert _setup_card(owner) == ""
    assert 'id="setup"' not in owner.get("/company/").content.decode()
    assert 'class="btn" href="/company/insights/"' in owner.get("/company/").content.decode()


def test_a_member_sees_how_far_setup_is_without_links_to_pages_only_owners_open(operator: User) -> None:
    from tests.conftest import make_tenant

    new = make_tenant(operator, "株式会社はじめて", "hajimete", mail_ready=False)
    page = login(Client(), new.member).get("/company/").content.decode()

    assert (
        "はじめての設定は 5 つのうち 0 つ完了しています。残りの設定は、貴社のオーナーまたは管理者の方が行えます。"
        in page
    )
    assert 'id="setup-next"' not in page
