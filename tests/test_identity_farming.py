"""One person, one count, forever (issue 11 point 1), tried the way a dishonest member company would.

Farming: plus tags, Gmail dots, googlemail.com and delete-and-register-again each made a new counted referral.
Attribution theft: an unverified registration through company A's link, or a phone typed first, took the count
(and the person's mail) from the company whose link the person really used. Each test names the honest behaviour.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditEntry
from candidates.identity import identity_digest
from candidates.models import Candidate, ErasedIdentity
from candidates.services import candidate_delete, candidate_verify_email, candidates_expire_unverified
from candidates.tokens import candidate_token_make
from companies.models import Company, RelayLink
from lib.jatext import canonical_email
from lib.periodic import JOBS
from relay.models import Referral, Touch
from tests.conftest import Tenant, make_tenant, profile, register, register_verified
from tests.fixture_types import CaptureOnCommit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _patient_farmer(settings: Any) -> None:
    """A farmer who spreads the attempts over hours and addresses stays under the rate limits and never meets the
    challenge (tests/test_rate_limits.py proves those): what is left to stop them is who counts as a new person."""
    settings.RATE_LIMITS = {scope: "10000/h" for scope in settings.RATE_LIMITS}
    settings.REGISTRATION_CHALLENGE_AFTER = {scope: 10000 for scope in settings.REGISTRATION_CHALLENGE_AFTER}


def counted(company: Company) -> int:
    return Referral.objects.filter(company=company).counted().count()


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "佐藤 美咲",
        "furigana": "サトウ ミサキ",
        "email": "misaki@example.jp",
        "phone": "080-1234-5678",
        "prefecture": "27",
        "job_category": "marketing",
        "years_of_experience": "5",
        "agree_service": "on",
    }
    data.update(overrides)
    return data


def mails_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [address]]


def link_in(message: mail.EmailMessage, kind: str = "verify") -> str:
    match = re.search(rf"http://testserver(/me/{kind}/\S+/)", str(message.body))
    assert match, message.body
    return match.group(1)


class Browser:
    """A person at a browser: registers through a link, opens the newest mail, deletes their account."""

    def __init__(self, capture: CaptureOnCommit) -> None:
        self.client = Client()
        self.capture = capture

    def register(self, link: RelayLink, **overrides: Any) -> str:
        with self.capture(execute=True):
            response = self.client.post(f"/r/{link.code}", form_data(**overrides))
        assert response.status_code == 302, response.content.decode()
        return self.client.get(response["Location"]).content.decode()

    def open_newest_mail(self, address: str, kind: str = "verify") -> None:
        with self.capture(execute=True):
            response = self.client.get(link_in(mails_to(address)[-1], kind))
        assert response.status_code == 302

    def delete_account(self) -> None:
        with self.capture(execute=True):
            response = self.client.post("/me/delete/", {"confirm": "on"})
        assert "退会手続きが完了しました" in response.content.decode()


# --- The canonical mailbox -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Taro.Yamada+relay7@gmail.com", "taroyamada@gmail.com"),
        ("t.a.r.o.y.a.m.a.d.a@googlemail.com", "taroyamada@gmail.com"),
        ("ＴＡＲＯ．ＹＡＭＡＤＡ＠ＧＭＡＩＬ．ＣＯＭ", "taroyamada@gmail.com"),
        ("hanako+1@outlook.jp", "hanako@outlook.jp"),
        ("hanako+shop@hotmail.co.jp", "hanako@hotmail.co.jp"),
        ("hanako+x@example.jp", "hanako@example.jp"),
        # Dots are part of the name outside Gmail (carriers allow "a..b." addresses): kept as typed.
        ("hana..ko.@docomo.ne.jp", "hana..ko.@docomo.ne.jp"),
        ("hana.ko@ezweb.ne.jp", "hana.ko@ezweb.ne.jp"),
        ("first.last@example.jp", "first.last@example.jp"),
    ],
)
def test_one_mailbox_has_one_canonical_form(typed: str, canonical: str) -> None:
    assert canonical_email(typed) == canonical


def test_the_canonical_form_is_stored_beside_the_address_typed_which_is_the_one_mailed(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    Browser(django_capture_on_commit_callbacks).register(tenant.link, email="Misaki.Sato+job@GoogleMail.com")
    candidate = Candidate.objects.get()
    assert candidate.email == "Misaki.Sato+job@GoogleMail.com"
    assert candidate.email_canonical == "misakisato@gmail.com"
    assert mail.outbox[-1].to == ["Misaki.Sato+job@GoogleMail.com"]


# --- Farming -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "misaki+{n}@gmail.com",  # plus tags (before: 10 of 10 counted)
        "{dots}@gmail.com",  # Gmail dots (before: 10 of 10)
        "misaki{plus}@googlemail.com",  # googlemail.com is gmail.com (before: 10 of 10)
        "misaki+{n}@outlook.jp",  # Outlook plus tags (before: 10 of 10)
    ],
)
def test_ten_variants_of_one_mailbox_count_once(
    tenant: Tenant, variant: str, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    person = Browser(django_capture_on_commit_callbacks)
    dotted = [
        "misaki",
        "m.isaki",
        "mi.saki",
        "mis.aki",
        "misa.ki",
        "misak.i",
        "m.i.saki",
        "m.is.aki",
        "mi.sa.ki",
        "m.i.s.a.k.i",
    ]
    for n in range(10):
        address = variant.format(n=n, dots=dotted[n], plus=f"+{n}" if n else "")
        person.register(tenant.link, email=address, phone=f"090-5555-{n:04d}")
        if mails_to(address):  # a variant of a registered mailbox gets no mail: the address on file does
            person.open_newest_mail(address)
    assert counted(tenant.company) == 1
    assert Candidate.objects.count() == 1


def test_register_verify_delete_register_again_ten_times_counts_once(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    """Before: 10 of 10 counted (the deleted person left an anonymous counted row and no trace to match)."""
    for _ in range(10):
        person = Browser(django_capture_on_commit_callbacks)
        person.register(tenant.link, email="misaki@example.jp")
        person.open_newest_mail("misaki@example.jp")
        person.delete_account()
    assert counted(tenant.company) == 1
    assert Referral.objects.filter(company=tenant.company).count() == 1
    assert ErasedIdentity.objects.count() == 2  # the mailbox and the phone, once each


def test_a_deleted_person_returning_with_a_new_address_but_the_same_phone_is_a_touch(
    tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    first = register_verified(tenant.link, phone="090-4444-0000")
    candidate_delete(candidate=first)
    back = register_verified(outsider.link, email="brand-new@example.jp", phone="09044440000")
    assert counted(tenant.company) == 1 and counted(outsider.company) == 0
    # They have an account again (they may want our help), and the visit is on the record as a touch.
    assert Touch.objects.filter(candidate=back, link=outsider.link).count() == 1
    assert AuditEntry.objects.filter(action="referral.not_a_new_person", detail__reason="returned_after_erasure")


def test_a_deleted_person_returning_through_a_plus_tag_of_their_gmail_is_a_touch(tenant: Tenant) -> None:
    candidate_delete(candidate=register_verified(tenant.link, email="misaki.sato@gmail.com"))
    register_verified(tenant.link, email="misakisato+again@googlemail.com")
    assert counted(tenant.company) == 1


def test_the_erasure_trace_is_a_keyed_hash_that_names_nobody(tenant: Tenant, settings: Any) -> None:
    candidate = register_verified(tenant.link, email="misaki@example.jp", phone="090-3333-0000")
    candidate_delete(candidate=candidate)
    stored = set(ErasedIdentity.objects.values_list("digest", flat=True))
    assert stored == {identity_digest("email", "misaki@example.jp"), identity_digest("phone", "+819033330000")}
    assert not any("misaki" in digest or "9033330000" in digest for digest in stored)
    assert ErasedIdentity.objects.get(kind="email").company == tenant.company
    settings.ERASURE_HASH_KEY = "a-dedicated-key"
    assert identity_digest("email", "misaki@example.jp") not in stored  # the key, not the address, makes the hash


def test_an_unverified_person_who_deletes_leaves_no_trace_and_may_register_for_real(tenant: Tenant) -> None:
    # Only a proved address leaves a hash: otherwise a squatter could block a victim's address by typing it.
    squatted = register(tenant.link, email="victim@example.jp").candidate
    candidate_delete(candidate=squatted)
    assert not ErasedIdentity.objects.exists()
    register_verified(tenant.link, email="victim@example.jp")
    assert counted(tenant.company) == 1


# --- Attribution theft ---------------------------------------------------------------------------------------


def test_an_unverified_registration_through_company_a_holds_no_claim_over_the_person_who_registers_through_b(
    tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    """Before: the count went to the squatter A, the person's details were discarded, the mail named A."""
    squatter = Browser(django_capture_on_commit_callbacks)
    squatter.register(tenant.link, email="victim@example.jp", name="偽名 太郎", furigana="ギメイ タロウ")
    person = Browser(django_capture_on_commit_callbacks)
    person.register(outsider.link, email="victim@example.jp", name="本人 花子", furigana="ホンニン ハナコ")
    newest = mails_to("victim@example.jp")[-1]
    assert "他社株式会社" in str(newest.body) and "テスト商事" not in str(newest.body)
    person.open_newest_mail("victim@example.jp")
    candidate = Candidate.objects.get()
    assert (candidate.name, candidate.furigana) == ("本人 花子", "ホンニン ハナコ")  # what the person typed
    assert counted(outsider.company) == 1 and counted(tenant.company) == 0
    assert AuditEntry.objects.filter(action="referral.reattribute", company=outsider.company).exists()


def test_a_squatter_registering_after_the_person_cannot_redirect_the_persons_own_verification_mail(
    tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    person = Browser(django_capture_on_commit_callbacks)
    person.register(outsider.link, email="victim@example.jp")
    the_persons_mail = mails_to("victim@example.jp")[-1]
    Browser(django_capture_on_commit_callbacks).register(tenant.link, email="victim@example.jp")
    # The person opens the mail of the link they used, which names B: the referral belongs to B.
    assert "他社株式会社" in str(the_persons_mail.body)
    with django_capture_on_commit_callbacks(execute=True):
        assert person.client.get(link_in(the_persons_mail)).status_code == 302
    assert counted(outsider.company) == 1 and counted(tenant.company) == 0


def test_an_unverified_phone_never_swallows_the_persons_registration(
    tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    """Before: the person's registration became a touch of the squatter's record, the mail went to the squatter's
    address and the thanks page showed the person's address as if the mail had gone there."""
    Browser(django_capture_on_commit_callbacks).register(
        tenant.link, email="squatter@example.jp", phone="090-1212-3434"
    )
    person = Browser(django_capture_on_commit_callbacks)
    thanks = person.register(outsider.link, email="victim@example.jp", phone="090-1212-3434")
    assert "victim@example.jp" not in thanks
    assert len(mails_to("victim@example.jp")) == 1 and len(mails_to("squatter@example.jp")) == 1
    person.open_newest_mail("victim@example.jp")
    assert counted(outsider.company) == 1
    # The squatter proving their own address afterwards gets nothing: the phone is a verified person's now.
    Browser(django_capture_on_commit_callbacks).open_newest_mail("squatter@example.jp")
    assert counted(tenant.company) == 0
    assert Candidate.objects.get(email="victim@example.jp").referral.company == outsider.company


def test_a_phone_of_a_verified_person_registers_the_new_address_separately_flagged_and_never_counted(
    tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        verified = register_verified(tenant.link, email="first@example.jp", phone="090-5656-7878")
    mail.outbox.clear()
    person = Browser(django_capture_on_commit_callbacks)
    person.register(outsider.link, email="second@example.jp", phone="090-5656-7878")
    # Nothing goes to the verified person (their account is untouched) and the typed address gets its own mail.
    assert mails_to(verified.email) == [] and len(mails_to("second@example.jp")) == 1
    person.open_newest_mail("second@example.jp")
    second = Candidate.objects.get(email="second@example.jp")
    assert second.email_verified_at is not None and second.pk != verified.pk
    assert counted(outsider.company) == 0 and counted(tenant.company) == 1
    assert Touch.objects.filter(candidate=second, link=outsider.link).exists()
    flag = AuditEntry.objects.get(action="referral.not_a_new_person")
    assert flag.detail["reason"] == "phone_of_another_verified_person"


def test_a_registered_person_gets_a_sign_in_mail_at_the_address_on_file_never_at_the_variant_typed(
    tenant: Tenant, outsider: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        register_verified(tenant.link, email="misaki.sato@gmail.com")
    mail.outbox.clear()
    Browser(django_capture_on_commit_callbacks).register(outsider.link, email="misakisato+steal@gmail.com")
    assert [message.to for message in mail.outbox] == [["misaki.sato@gmail.com"]]
    assert "/me/auth/" in str(mail.outbox[0].body)
    assert counted(outsider.company) == 0


def test_the_thanks_page_is_the_same_for_a_new_and_a_registered_address_and_names_no_address(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    register_verified(tenant.link, email="known@example.jp")
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    known = csrf.sub("", Browser(django_capture_on_commit_callbacks).register(tenant.link, email="known@example.jp"))
    new = csrf.sub("", Browser(django_capture_on_commit_callbacks).register(tenant.link, email="new@example.jp"))
    assert known == new
    assert "@" not in re.sub(r"<footer.*?</footer>", "", known, flags=re.S).split("<main", 1)[-1]


# --- Unverified records expire with their link ---------------------------------------------------------------


def test_unverified_registrations_expire_with_their_24_hour_link_and_take_their_pending_referral(
    tenant: Tenant,
) -> None:
    stale = register(tenant.link, email="stale@example.jp").candidate
    fresh = register(tenant.link, email="fresh@example.jp").candidate
    verified = register_verified(tenant.link, email="kept@example.jp")
    Candidate.objects.filter(pk__in=[stale.pk, verified.pk]).update(updated_at=timezone.now() - timedelta(hours=25))
    assert candidates_expire_unverified() == 1
    assert set(Candidate.objects.values_list("email", flat=True)) == {"fresh@example.jp", "kept@example.jp"}
    assert not Referral.objects.filter(candidate__isnull=True).exists()  # no orphan pending referral stays
    assert Referral.objects.filter(candidate=fresh).exists()
    assert any(job.task_path == "candidates.tasks.expire_unverified_candidates" for job in JOBS)


def test_registering_again_before_the_link_expires_restarts_the_24_hours(tenant: Tenant) -> None:
    first = register(tenant.link, email="again@example.jp").candidate
    Candidate.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(hours=23))
    register(tenant.link, email="again@example.jp")
    assert candidates_expire_unverified(now=timezone.now() + timedelta(hours=2)) == 0


# --- An e-mail change needs the new address confirmed --------------------------------------------------------


def profile_post(candidate: Candidate, **overrides: str) -> dict[str, str]:
    data = {
        "name": candidate.name,
        "furigana": candidate.furigana,
        "email": candidate.email,
        "phone": candidate.phone_display,
        "prefecture": str(candidate.prefecture),
        "job_category": candidate.job_category,
        "years_of_experience": str(candidate.years_of_experience),
    }
    data.update(overrides)
    return data


def signed_in(candidate: Candidate) -> Client:
    client = Client()
    assert client.get(f"/me/auth/{candidate_token_make(candidate, 'login')}/").status_code == 302
    return client


def test_changing_the_email_keeps_the_old_address_until_the_new_one_is_confirmed(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    """Before: the new address was saved at once and stayed "verified"."""
    candidate = register_verified(tenant.link, email="old@example.jp")
    client = signed_in(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/profile/", profile_post(candidate, email="new@example.jp"), follow=True)
    page = response.content.decode()
    assert "新しいメールアドレス(new@example.jp)に確認用のリンクをお送りしました" in page
    assert "これまでのメールアドレス(old@example.jp)が引き続き" in page
    candidate.refresh_from_db()
    assert (candidate.email, candidate.pending_email) == ("old@example.jp", "new@example.jp")
    assert (
        "new@example.jp への変更は、そのアドレスにお送りしたリンクを開くと完了します"
        in client.get("/me/").content.decode()
    )
    assert client.get("/me/data.json").json()["email_change_awaiting_confirmation"] == "new@example.jp"
    confirmation = mails_to("new@example.jp")[-1]
    assert "変更が完了するまでは、これまでのメールアドレス" in str(confirmation.body)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().get(link_in(confirmation, "email"), follow=True)
    assert "メールアドレスを new@example.jp に変更しました" in response.content.decode()
    candidate.refresh_from_db()
    assert (candidate.email, candidate.email_canonical, candidate.pending_email) == (
        "new@example.jp",
        "new@example.jp",
        "",
    )
    assert Client().get(link_in(confirmation, "email")).status_code == 400  # used once


def test_an_unconfirmed_new_address_signs_nobody_in_and_the_old_one_still_does(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        candidate = register_verified(tenant.link, email="old@example.jp")
        signed_in(candidate).post("/me/profile/", profile_post(candidate, email="attacker@example.jp"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/me/login/", {"email": "attacker@example.jp"})
        Client().post("/me/login/", {"email": "old@example.jp"})
    assert [message.to for message in mail.outbox] == [["old@example.jp"]]


def test_the_same_mailbox_typed_differently_is_saved_without_a_confirmation(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link, email="misaki.sato@gmail.com")
    signed_in(candidate).post("/me/profile/", profile_post(candidate, email="MisakiSato@gmail.com"))
    candidate.refresh_from_db()
    assert (candidate.email, candidate.pending_email) == ("MisakiSato@gmail.com", "")


def test_a_confirmed_change_leaves_the_old_mailbox_unable_to_count_again(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link, email="old@example.jp", phone="090-8080-0001")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(candidate).post("/me/profile/", profile_post(candidate, email="new@example.jp"))
    Client().get(link_in(mails_to("new@example.jp")[-1], "email"))
    register_verified(tenant.link, email="old@example.jp", phone="090-8080-0002")
    assert counted(tenant.company) == 1


def test_a_change_to_an_address_someone_verified_meanwhile_is_refused_politely(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link, email="old@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(candidate).post("/me/profile/", profile_post(candidate, email="taken@example.jp"))
    register_verified(tenant.link, email="taken@example.jp")
    response = Client().get(link_in(mails_to("taken@example.jp")[0], "email"), follow=True)
    assert "このメールアドレスには変更できませんでした" in response.content.decode()
    candidate.refresh_from_db()
    assert (candidate.email, candidate.pending_email) == ("old@example.jp", "")


# --- The property --------------------------------------------------------------------------------------------

VARIANTS = [
    "taro.yamada@gmail.com",
    "TaroYamada+1@gmail.com",
    "t.a.r.o.yamada@googlemail.com",
    "taroyamada+relay@googlemail.com",
    "ＴＡＲＯＹＡＭＡＤＡ@gmail.com",
]
PHONES = ["090-1000-0001", "090-1000-0002", "080-2000-0003"]

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("register"), st.integers(0, len(VARIANTS) - 1), st.integers(0, len(PHONES) - 1), st.integers(0, 1)
        ),
        st.tuples(st.just("verify"), st.integers(0, 1), st.just(0), st.just(0)),
        st.tuples(st.just("delete"), st.just(0), st.just(0), st.just(0)),
        st.tuples(st.just("expire"), st.just(0), st.just(0), st.just(0)),
    ),
    max_size=16,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps)
def test_any_history_of_one_mailbox_counts_at_most_once(
    operator: User, history: list[tuple[str, int, int, int]]
) -> None:
    with transaction.atomic():
        companies = [make_tenant(operator, f"性質{n}株式会社", f"prop{n}") for n in range(2)]
        links = [tenant.link for tenant in companies]
        for step, first, second, third in history:
            person = Candidate.objects.filter(email_canonical="taroyamada@gmail.com").first()
            if step == "register":
                register(links[third], email=VARIANTS[first], phone=PHONES[second])
            elif step == "verify" and person is not None:
                candidate_verify_email(candidate=person, link_id=links[first].pk)
            elif step == "delete" and person is not None:
                candidate_delete(candidate=person)
            elif step == "expire":
                candidates_expire_unverified(now=timezone.now() + timedelta(days=2))
            assert Referral.objects.filter(company__in=[t.company for t in companies]).counted().count() <= 1
        transaction.set_rollback(True)


def test_the_property_helpers_cover_every_variant() -> None:
    assert {canonical_email(address) for address in VARIANTS} == {"taroyamada@gmail.com"}
    assert profile(email=VARIANTS[0])["email_normalized"] == "taro.yamada@gmail.com"


def test_an_unverified_record_of_the_new_address_gives_way_to_the_person_who_proved_it(
    tenant: Tenant, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link, email="old@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(candidate).post("/me/profile/", profile_post(candidate, email="mine@example.jp"))
    squatter = register(tenant.link, email="mine@example.jp").candidate
    Client().get(link_in(mails_to("mine@example.jp")[0], "email"))
    candidate.refresh_from_db()
    assert candidate.email == "mine@example.jp"
    assert not Candidate.objects.filter(pk=squatter.pk).exists()
    assert Referral.objects.filter(company=tenant.company).count() == 1
