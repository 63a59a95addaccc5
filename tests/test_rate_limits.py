"""Mail bombing and bursts are capped across processes (issue 11, point 7): one victim address gets at most 3
mails of a kind an hour whoever asks; registration is limited per IP and per link, with a challenge first."""

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from candidates.models import Candidate
from lib.challenge import challenge_issue, challenge_solve, challenge_verify, leading_zero_bits
from lib.models import RateLimitCounter
from lib.periodic import JOBS
from lib.ratelimit import DatabaseStore, Rate, RateLimiter, RedisStore, mailbox_key, rate_counters_prune
from mailings.models import OutboundEmail
from tests.conftest import PASSWORD, Tenant, register_verified
from tests.test_registration import form_data

pytestmark = pytest.mark.django_db

# Thirty minutes into an hour (and a minute): no test straddles a window's reset.
FROZEN = 1_800_001_800.0


@pytest.fixture(autouse=True)
def _frozen_limiter_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lib.ratelimit.now_seconds", lambda: FROZEN)


@pytest.fixture(autouse=True)
def _cheap_challenge(settings: Any) -> None:
    settings.CHALLENGE_BITS = 8


def ip(n: int) -> str:
    return f"198.51.100.{n % 250 + 1}"


def mails_of(kind: str, to: str) -> int:
    return OutboundEmail.objects.filter(kind=kind, to_email=to).count()


def person(n: int, **overrides: Any) -> dict[str, Any]:
    return form_data(email=f"burst{n}@example.jp", phone=f"090-5555-{n:04d}", **overrides)


def register_post(client: Client, code: str, data: dict[str, Any], address: str) -> Any:
    return client.post(f"/r/{code}", data, REMOTE_ADDR=address)


def solved(client: Client, code: str, data: dict[str, Any], address: str) -> dict[str, Any]:
    """The form's data plus the challenge the landing page shows, solved as the browser script would."""
    page = client.get(f"/r/{code}", REMOTE_ADDR=address)
    challenge = page.context["challenge"]
    return {**data, "challenge_token": challenge.token, "challenge_solution": challenge_solve(challenge.nonce, 8)}


# Mail bombing ---------------------------------------------------------------------------------------------------


def test_twenty_password_resets_for_one_address_from_twenty_ips_send_three(tenant: Tenant) -> None:
    client = Client()
    answers = [
        client.post("/accounts/password-reset/", {"email": tenant.owner.email}, REMOTE_ADDR=ip(n)) for n in range(20)
    ]

    assert sum(message.to == [tenant.owner.email] for message in mail.outbox) == 3  # before: 20 of 20
    assert [answer.status_code for answer in answers] == [302] * 3 + [429] * 17
    refused = answers[3]
    assert refused["Retry-After"] == "1800"
    page = refused.content.decode()
    assert "約 30 分後" in page and "もう一度お試しください" in page
    assert f'value="{tenant.owner.email}"' in page  # the form comes back filled in


def test_password_resets_for_addresses_without_an_account_are_counted_alike(tenant: Tenant) -> None:
    client = Client()
    answers = [client.post("/accounts/password-reset/", {"email": "nobody@example.jp"}) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert mail.outbox == []


def test_one_ip_asking_resets_for_many_addresses_is_capped_too(tenant: Tenant) -> None:
    client = Client()
    answers = [client.post("/accounts/password-reset/", {"email": f"a{n}@example.jp"}) for n in range(21)]

    assert [answer.status_code for answer in answers].count(302) == 20
    assert answers[-1].status_code == 429


def test_twenty_candidate_sign_in_links_for_one_address_send_three(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    client = Client()
    answers = [client.post("/me/login/", {"email": candidate.email}, REMOTE_ADDR=ip(n)) for n in range(20)]

    assert mails_of(OutboundEmail.Kind.CANDIDATE_LOGIN, candidate.email) == 3  # before: 20 of 20
    assert [answer.status_code for answer in answers] == [200] * 3 + [429] * 17
    assert "受け付けを一時的にお休みしています" in answers[3].content.decode()


def test_ten_already_registered_mails_for_one_address_become_three(tenant: Tenant) -> None:
    candidate = register_verified(tenant.link, email="victim@example.jp")
    client = Client()
    data = form_data(email="victim@example.jp", phone="090-7777-0000", name="なりすまし 太郎")
    answers = [register_post(client, tenant.link.code, data, ip(n)) for n in range(10)]

    assert mails_of(OutboundEmail.Kind.CANDIDATE_ALREADY_REGISTERED, candidate.email) == 3  # before: 10 of 10
    assert [answer.status_code for answer in answers] == [302] * 3 + [429] * 7
    page = answers[3].content.decode()
    assert "なりすまし 太郎" in page  # nothing typed is lost


def test_a_company_user_cannot_mail_one_address_more_than_three_invitations_an_hour(
    owner_client: Client, tenant: Tenant, outsider: Tenant
) -> None:
    answers = [
        owner_client.post("/company/users/", {"email": "target@example.jp", "name": "招待 花子", "role": "member"})
        for _ in range(5)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429, 429]
    assert mails_of(OutboundEmail.Kind.COMPANY_INVITATION, "target@example.jp") == 3
    assert "もう一度お試しください" in answers[3].content.decode()


# Registration bursts ------------------------------------------------------------------------------------------


def test_a_burst_from_one_ip_meets_the_challenge_after_three_and_a_limit_after_twenty(tenant: Tenant) -> None:
    client = Client()
    code = tenant.link.code
    plain = [register_post(client, code, person(n), ip(1)) for n in range(4)]

    assert [answer.status_code for answer in plain] == [302, 302, 302, 200]
    assert "challenge" in plain[3].context and Candidate.objects.count() == 3  # the 4th waits for the challenge
    assert "送信前の確認をお願いいたします" in plain[3].content.decode()

    with_challenge = [register_post(client, code, solved(client, code, person(n), ip(1)), ip(1)) for n in range(3, 22)]

    assert [answer.status_code for answer in with_challenge] == [302] * 17 + [429] * 2
    assert Candidate.objects.count() == 20  # before: every request registered, 3,600 an hour
    assert with_challenge[-1]["Retry-After"] == "1800"


def test_a_burst_through_one_link_from_many_ips_stops_at_the_link_limit(settings: Any, tenant: Tenant) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration:link": "5/h"}
    settings.REGISTRATION_CHALLENGE_AFTER = {"registration:ip": 3, "registration:link": 100}
    client = Client()
    answers = [register_post(client, tenant.link.code, person(n), ip(n)) for n in range(8)]

    assert [answer.status_code for answer in answers] == [302] * 5 + [429] * 3
    assert Candidate.objects.count() == 5


def test_past_the_link_threshold_every_newcomer_meets_the_challenge(settings: Any, tenant: Tenant) -> None:
    settings.REGISTRATION_CHALLENGE_AFTER = {"registration:ip": 100, "registration:link": 2}
    client = Client()
    for n in range(2):
        assert register_post(client, tenant.link.code, person(n), ip(n)).status_code == 302

    newcomer = Client().get(f"/r/{tenant.link.code}", REMOTE_ADDR=ip(99))

    assert "challenge" in newcomer.context
    page = newcomer.content.decode()
    assert 'src="/static/js/challenge.js"' in page and "たす" in page


def test_the_landing_page_shows_no_challenge_below_the_threshold(tenant: Tenant) -> None:
    page = Client().get(f"/r/{tenant.link.code}", REMOTE_ADDR=ip(5))

    assert "challenge" not in page.context
    assert "challenge.js" not in page.content.decode()


def test_a_forged_challenge_is_refused_and_the_form_keeps_its_data(tenant: Tenant) -> None:
    client = Client()
    for n in range(3):
        register_post(client, tenant.link.code, person(n), ip(1))
    data = {**solved(client, tenant.link.code, person(7), ip(1)), "challenge_token": "forged:token"}

    answer = register_post(client, tenant.link.code, data, ip(1))

    assert answer.status_code == 400 and Candidate.objects.count() == 3
    page = answer.content.decode()
    assert "確認が済んでいないか" in page and 'value="burst7@example.jp"' in page


def test_the_no_javascript_question_registers_after_a_short_wait(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    client = Client()
    for n in range(3):
        register_post(client, tenant.link.code, person(n), ip(1))
    monkeypatch.setattr("lib.challenge.time.time", lambda: FROZEN)
    challenge = client.get(f"/r/{tenant.link.code}", REMOTE_ADDR=ip(1)).context["challenge"]
    full_width_sum = str(sum(challenge.terms)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    data = {**person(8), "challenge_token": challenge.token, "challenge_answer": full_width_sum}

    too_soon = register_post(client, tenant.link.code, data, ip(1))
    monkeypatch.setattr("lib.challenge.time.time", lambda: FROZEN + 6)
    after_waiting = register_post(client, tenant.link.code, data, ip(1))

    assert too_soon.status_code == 400
    assert after_waiting.status_code == 302 and Candidate.objects.filter(email="burst8@example.jp").exists()


# Across processes -----------------------------------------------------------------------------------------------


def two_processes_share(store_a: Any, store_b: Any) -> list[bool]:
    first, second = RateLimiter(store_a, clock=lambda: FROZEN), RateLimiter(store_b, clock=lambda: FROZEN)
    rate = Rate.parse("3/h")
    return [
        (first if n % 2 else second).hit("password_reset:email", "victim@example.jp", rate).allowed for n in range(8)
    ]


def test_two_limiter_instances_on_the_database_share_one_count() -> None:
    assert two_processes_share(DatabaseStore(), DatabaseStore()) == [True] * 3 + [False] * 5
    assert RateLimitCounter.objects.get().hits == 8
    assert "victim" not in RateLimitCounter.objects.get().key  # the address is stored only as a keyed hash


@pytest.mark.redis
def test_two_limiter_instances_on_redis_share_one_count() -> None:
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL is not set")
    prefix = f"test-ratelimit-{uuid.uuid4().hex}:"
    store_a, store_b = RedisStore(url, prefix), RedisStore(url, prefix)
    try:
        assert two_processes_share(store_a, store_b) == [True] * 3 + [False] * 5
        keys = list(store_a.client.scan_iter(f"{prefix}*"))
        assert len(keys) == 1 and 0 < int(store_a.client.ttl(keys[0])) <= 3601
    finally:
        for key in store_a.client.scan_iter(f"{prefix}*"):
            store_a.client.delete(key)


def test_a_new_window_starts_a_new_count() -> None:
    moment = [FROZEN]
    limiter = RateLimiter(DatabaseStore(), clock=lambda: moment[0])
    rate = Rate.parse("2/h")
    first_hour = [limiter.hit("s", "x", rate).allowed for _ in range(3)]
    moment[0] += 1800
    next_hour = limiter.hit("s", "x", rate)

    assert first_hour == [True, True, False] and next_hour.allowed and next_hour.remaining == 1


def test_ended_windows_are_pruned_by_an_hourly_job() -> None:
    limiter = RateLimiter(DatabaseStore(), clock=lambda: FROZEN)
    limiter.hit("old", "x", Rate.parse("1/m"))
    limiter.hit("current", "x", Rate.parse("1/h"))

    pruned = rate_counters_prune(now=datetime.fromtimestamp(FROZEN, UTC) + timedelta(minutes=2))

    assert pruned == 1 and RateLimitCounter.objects.get().key.startswith("current:")
    assert "lib.tasks.prune_rate_limit_counters" in {job.task_path for job in JOBS}


@pytest.mark.parametrize(("text", "limit", "seconds"), [("3/h", 3, 3600), ("600/m", 600, 60), ("20/15m", 20, 900)])
def test_rates_are_read_from_settings_text(text: str, limit: int, seconds: int) -> None:
    assert Rate.parse(text) == Rate(limit=limit, window_seconds=seconds)


def test_a_malformed_rate_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Rate.parse("often")


# Sign-in ------------------------------------------------------------------------------------------------------


def test_a_password_spray_from_one_ip_is_stopped_before_passwords_are_checked(tenant: Tenant) -> None:
    client = Client()
    answers = [
        client.post("/accounts/login/", {"username": f"u{n}@example.jp", "password": "wrong"}, REMOTE_ADDR=ip(3))
        for n in range(31)
    ]
    right_password_too_late = client.post(
        "/accounts/login/", {"username": tenant.owner.email, "password": PASSWORD}, REMOTE_ADDR=ip(3)
    )
    elsewhere = Client().post(
        "/accounts/login/", {"username": tenant.owner.email, "password": PASSWORD}, REMOTE_ADDR=ip(4)
    )

    assert [answer.status_code for answer in answers].count(429) == 1 and answers[-1].status_code == 429
    assert right_password_too_late.status_code == 429
    assert elsewhere.status_code == 302


def test_axes_still_locks_a_username_after_five_failures_from_one_ip(tenant: Tenant) -> None:
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": tenant.owner.email, "password": "wrong"}, REMOTE_ADDR=ip(6))

    locked = client.post("/accounts/login/", {"username": tenant.owner.email, "password": PASSWORD}, REMOTE_ADDR=ip(6))

    assert locked.status_code == 429 and "_auth_user_id" not in client.session


def test_the_challenge_issued_for_another_form_is_refused(tenant: Tenant) -> None:
    client = Client()
    for n in range(3):
        register_post(client, tenant.link.code, person(n), ip(1))
    other = challenge_issue(purpose="something_else")
    data = {**person(9), "challenge_token": other.token, "challenge_solution": challenge_solve(other.nonce, 8)}

    assert register_post(client, tenant.link.code, data, ip(1)).status_code == 400
    assert Candidate.objects.count() == 3


# The challenge, server side ---------------------------------------------------------------------------------------

PURPOSE = "relay_registration"


def test_a_solved_challenge_is_accepted_once_and_a_replay_is_refused() -> None:
    challenge = challenge_issue(purpose=PURPOSE, now=FROZEN)
    data = {"challenge_token": challenge.token, "challenge_solution": challenge_solve(challenge.nonce, 8)}

    assert challenge_verify(data, purpose=PURPOSE, now=FROZEN + 1) is True
    assert challenge_verify(data, purpose=PURPOSE, now=FROZEN + 2) is False


def test_an_expired_challenge_is_refused_even_when_solved() -> None:
    challenge = challenge_issue(purpose=PURPOSE, now=FROZEN)
    data = {"challenge_token": challenge.token, "challenge_solution": challenge_solve(challenge.nonce, 8)}

    assert challenge_verify(data, purpose=PURPOSE, now=FROZEN + 601) is False


@pytest.mark.parametrize("solution", ["", "abc", "-1", "１２", "9" * 21])
def test_a_wrong_or_malformed_solution_is_refused(solution: str) -> None:
    challenge = challenge_issue(purpose=PURPOSE, now=FROZEN)
    right = challenge_solve(challenge.nonce, 8)

    assert solution != right
    assert (
        challenge_verify(
            {"challenge_token": challenge.token, "challenge_solution": solution}, purpose=PURPOSE, now=FROZEN + 1
        )
        is False
    )


def test_a_token_with_an_edited_payload_or_made_up_is_refused(settings: Any) -> None:
    challenge = challenge_issue(purpose=PURPOSE, now=FROZEN)
    payload, _, signature = challenge.token.partition(":")
    forged_bits = signing.dumps({"n": "0" * 32, "p": PURPOSE, "b": 0, "t": int(FROZEN), "q": [1, 1]}, salt="other")
    for token in (f"{payload}x:{signature}", forged_bits, "", "\x00" * 5000):
        assert challenge_verify({"challenge_token": token, "challenge_solution": "0"}, purpose=PURPOSE) is False


def test_a_token_asking_less_work_than_configured_is_refused(settings: Any) -> None:
    settings.CHALLENGE_BITS = 4
    easy = challenge_issue(purpose=PURPOSE, now=FROZEN)
    settings.CHALLENGE_BITS = 8
    data = {"challenge_token": easy.token, "challenge_solution": challenge_solve(easy.nonce, 4)}

    assert challenge_verify(data, purpose=PURPOSE, now=FROZEN + 1) is False


def test_a_wrong_answer_to_the_question_is_refused_even_after_waiting() -> None:
    challenge = challenge_issue(purpose=PURPOSE, now=FROZEN)
    data = {"challenge_token": challenge.token, "challenge_answer": str(sum(challenge.terms) + 1)}

    assert challenge_verify(data, purpose=PURPOSE, now=FROZEN + 30) is False


def test_leading_zero_bits_are_counted_bit_by_bit() -> None:
    assert leading_zero_bits(bytes([0, 0, 0b0001_0000])) == 19
    assert leading_zero_bits(bytes([0xFF])) == 0
    assert leading_zero_bits(bytes(4)) == 32


@pytest.mark.redis
def test_with_redis_configured_twenty_password_resets_still_send_three(settings: Any, tenant: Tenant) -> None:
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL is not set")
    settings.RATE_LIMIT_REDIS_URL = url
    settings.RATE_LIMIT_REDIS_PREFIX = f"test-ratelimit-{uuid.uuid4().hex}:"
    client = Client()
    answers = [
        client.post("/accounts/password-reset/", {"email": tenant.owner.email}, REMOTE_ADDR=ip(n)) for n in range(20)
    ]

    assert [answer.status_code for answer in answers] == [302] * 3 + [429] * 17
    assert RateLimitCounter.objects.count() == 0  # counted in Redis, not in the table
    store = RedisStore(url, settings.RATE_LIMIT_REDIS_PREFIX)
    for key in store.client.scan_iter(f"{settings.RATE_LIMIT_REDIS_PREFIX}*"):
        store.client.delete(key)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(1, 5),
    hits=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 7_199)), min_size=1, max_size=30),
)
def test_in_every_window_no_more_than_the_limit_are_allowed_whichever_instance_counts(
    limit: int, hits: list[tuple[int, int]]
) -> None:
    """Hits at arbitrary moments over two hours, each through one of three limiter instances (three workers)
    sharing the database: per hour exactly min(hits, limit) are allowed, and the first ones are."""
    RateLimitCounter.objects.all().delete()
    start = 1_800_000_000.0  # an hour's start
    moment = [start]
    limiters = [RateLimiter(DatabaseStore(), clock=lambda: moment[0]) for _ in range(3)]
    allowed_per_hour: dict[int, list[bool]] = {0: [], 1: []}
    for instance, offset in sorted(hits, key=lambda hit: hit[1]):
        moment[0] = start + offset
        decision = limiters[instance].hit("property", "someone", Rate(limit=limit, window_seconds=3600))
        allowed_per_hour[offset // 3600].append(decision.allowed)

    for answers in allowed_per_hour.values():
        expected = min(len(answers), limit)
        assert answers == [True] * expected + [False] * (len(answers) - expected)


def test_plus_tags_and_gmail_dots_do_not_buy_a_victim_more_mails(tenant: Tenant) -> None:
    client = Client()
    spellings = [
        "victim.name@gmail.com",
        "victimname+1@gmail.com",
        "v.i.c.t.i.m.name@googlemail.com",
        "VICTIMNAME+x@GMAIL.COM",
    ]
    answers = [
        client.post("/accounts/password-reset/", {"email": spelling}, REMOTE_ADDR=ip(n))
        for n, spelling in enumerate(spellings)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert mailbox_key("Ｖｉｃｔｉｍ.Name+tag@googlemail.com") == "victimname@gmail.com"
    assert mailbox_key("first.last+news@example.jp") == "first.last@example.jp"  # dots matter outside Gmail


def test_when_redis_does_not_answer_attempts_are_allowed_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = RateLimiter(RedisStore("redis://127.0.0.1:1/0", "test:"), clock=lambda: FROZEN)

    decision = unreachable.hit("sign_in:ip", "192.0.2.1", Rate.parse("1/h"))

    assert decision.allowed and unreachable.peek("sign_in:ip", "192.0.2.1", Rate.parse("1/h")).count == 0
    assert "rate limit store unavailable" in caplog.text


@pytest.mark.django_db
def test_a_signed_in_person_cannot_turn_the_email_change_into_a_mail_cannon(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.conftest import register_verified
    from tests.test_identity_farming import profile_post, signed_in

    candidate = register_verified(tenant.link, email="owner@example.jp")
    client = signed_in(candidate)
    mail.outbox.clear()
    statuses = []
    for n in range(7):
        candidate.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):  # each change's mail is delivered before the next
            response = client.post("/me/profile/", profile_post(candidate, email=f"victim{n}@example.jp"))
        statuses.append(response.status_code)

    assert statuses == [302] * 5 + [429, 429]
    assert sorted(m.to[0] for m in mail.outbox if m.to[0].startswith("victim")) == [
        f"victim{n}@example.jp" for n in range(5)
    ]
    candidate.refresh_from_db()
    assert candidate.email == "owner@example.jp"  # nothing changes until a link is opened
