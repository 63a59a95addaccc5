"""A privacy-friendly challenge for forms under pressure: no third-party service, nothing leaves the machine.

The server issues a signed, timestamped random nonce. With JavaScript, `static/js/challenge.js` finds a counter
whose SHA-256 of `"<nonce>:<counter>"` starts with `bits` zero bits (hashcash; about 2**bits hashes, a second or
two in a browser, a real cost for a script sending thousands). Without JavaScript, the person answers a short
sum in Japanese, accepted only after a few seconds. Either way the server checks the signature, the age, the
purpose, the work or the answer, and that the nonce was never used before (counted in the rate-limit store, so
every process sees it).
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from lib.jatext import nfkc
from lib.ratelimit import RateLimiter, StoreUnavailable, default_limiter, identity_hash

logger = logging.getLogger(__name__)

SALT = "lib.challenge"
TOKEN_FIELD, SOLUTION_FIELD, ANSWER_FIELD = "challenge_token", "challenge_solution", "challenge_answer"
MAX_SOLUTION_LENGTH = 20


@dataclass(frozen=True)
class Challenge:
    token: str
    nonce: str
    bits: int
    question: str
    terms: tuple[int, int]  # the sum asked without JavaScript (server side only; the page shows `question`)


def challenge_bits() -> int:
    return int(getattr(settings, "CHALLENGE_BITS", 16))


def challenge_issue(*, purpose: str, now: float | None = None) -> Challenge:
    nonce = secrets.token_hex(16)
    left, right = secrets.randbelow(8) + 2, secrets.randbelow(8) + 2
    issued = int(now if now is not None else time.time())
    bits = challenge_bits()
    token = signing.dumps({"n": nonce, "p": purpose, "b": bits, "t": issued, "q": [left, right]}, salt=SALT)
    question = _("確認のため、%(left)s たす %(right)s の答えを半角または全角の数字でご入力ください。") % {
        "left": left,
        "right": right,
    }
    return Challenge(token=token, nonce=nonce, bits=bits, question=question, terms=(left, right))


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def work_is_done(nonce: str, solution: str, bits: int) -> bool:
    if not solution.isascii() or not solution.isdigit() or len(solution) > MAX_SOLUTION_LENGTH:
        return False
    return leading_zero_bits(hashlib.sha256(f"{nonce}:{solution}".encode()).digest()) >= bits


def challenge_solve(nonce: str, bits: int) -> str:
    """What the browser script does, for tests and for the documentation of the scheme."""
    counter = 0
    while not work_is_done(nonce, str(counter), bits):
        counter += 1
    return str(counter)


def challenge_verify(data: Any, *, purpose: str, now: float | None = None, limiter: RateLimiter | None = None) -> bool:
    """True when `data` (request.POST) carries a challenge this server issued for `purpose`, not expired, solved
    (proof of work, or the sum answered after CHALLENGE_MIN_SECONDS) and never presented before."""
    token = str(data.get(TOKEN_FIELD, ""))[:1000]
    max_age = int(getattr(settings, "CHALLENGE_MAX_AGE_SECONDS", 600))
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
        nonce, issued, bits = str(payload["n"]), int(payload["t"]), int(payload["b"])
        left, right = (int(number) for number in payload["q"])
        token_purpose = payload["p"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return False
    moment = now if now is not None else time.time()
    if token_purpose != purpose or bits < challenge_bits() or moment - issued > max_age:
        return False
    solution = str(data.get(SOLUTION_FIELD, "")).strip()
    answer = nfkc(str(data.get(ANSWER_FIELD, ""))).strip()
    waited = moment - issued >= int(getattr(settings, "CHALLENGE_MIN_SECONDS", 5))
    solved = work_is_done(nonce, solution, bits) or (waited and answer == str(left + right))
    if not solved:
        return False
    # One use per nonce: the counter's window is the token's own lifetime, so it outlives every valid replay.
    store = (limiter or default_limiter()).store
    try:
        return store.increment(f"challenge_used:{identity_hash(nonce)}", issued, max_age + 1) == 1
    except StoreUnavailable:  # as the limits do: through a Redis outage the work alone is asked for
        logger.exception("rate limit store unavailable; challenge accepted without the replay check")
        return True
