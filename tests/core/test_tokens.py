"""core/tokens.py on its own: what the vendors' verifiers share, at the edges RFC 7515/7519 draw."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.jws_parts import b64
from token_emulator.core.instants import isoformat
from token_emulator.core.tokens import TokenProblem, check_times, read_unverified, verify_hmac

SECRET = b"a-test-secret-of-thirty-two-byte"


def signed(header: bytes, payload: bytes, secret: bytes = SECRET) -> str:
    """HS256 over the segments exactly as given: what a key holder can send."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


HEADER = json.dumps({"alg": "HS256"})
CLAIMS = json.dumps({"sid": "s", "n": 1})


@pytest.mark.parametrize(
    ("encoding", "why"),
    [
        ("utf-16", "not UTF-8"),
        ("utf-32", "not UTF-8"),
        ("utf-8-sig", "a byte order mark"),
        # Without a BOM, UTF-16 of ASCII text is valid UTF-8 with NULs: not JSON.
        ("utf-16-le", "Expecting property name enclosed in double quotes"),
        ("utf-16-be", "Expecting value"),
    ],
)
def test_header_and_payload_are_utf8_without_a_byte_order_mark(encoding: str, why: str) -> None:
    """Regression: joserfc reads JSON bytes with json.loads, which also takes UTF-16 and
    UTF-32 (and a UTF-8 BOM); a correctly signed token in those encodings was accepted."""
    with pytest.raises(TokenProblem) as header_problem:
        verify_hmac(signed(HEADER.encode(encoding), CLAIMS.encode()), SECRET)
    assert header_problem.value.kind == "malformed"
    assert header_problem.value.detail.startswith(f"JWS header is not a JSON object ({why}")
    for read in (lambda t: verify_hmac(t, SECRET), read_unverified):
        with pytest.raises(TokenProblem) as payload_problem:
            read(signed(HEADER.encode(), CLAIMS.encode(encoding)))
        assert payload_problem.value.kind == "malformed"
        assert payload_problem.value.detail.startswith(f"JWT payload is not a JSON object ({why}")


def test_the_same_token_in_utf8_verifies() -> None:
    verified = verify_hmac(signed(HEADER.encode(), CLAIMS.encode()), SECRET)
    assert (verified.header, verified.claims) == ({"alg": "HS256"}, {"sid": "s", "n": 1})


def at(instant: float) -> str:
    return isoformat(instant)


@pytest.mark.parametrize(
    ("claims", "now", "problem"),
    [
        # Regression: `now` was truncated to whole seconds, so a fractional exp that had
        # passed (1000.5 at 1000.7) was taken, and a nbf within the leeway refused.
        (
            {"exp": 1000.5},
            1000.7,
            ("expired", f"expired at {at(1000.5)} [1000.5] (now {at(1000.7)})"),
        ),
        (
            {"exp": 1000.7},
            1000.7,
            ("expired", f"expired at {at(1000.7)} [1000.7] (now {at(1000.7)})"),
        ),
        ({"exp": 1000.8}, 1000.7, None),
        ({"exp": 1001}, 1000.7, None),
        ({"exp": 1000}, 1000, ("expired", f"expired at {at(1000)} [1000] (now {at(1000)})")),
        ({"nbf": 1030.6}, 1000.7, None),
        ({"nbf": 1030.7}, 1000.7, None),
        (
            {"nbf": 1030.8},
            1000.7,
            (
                "not_yet_valid",
                f"claim nbf {at(1030.8)} [1030.8] is in the future (now {at(1000.7)}, leeway 30 s)",
            ),
        ),
        ({"iat": 1030}, 1000, None),
        (
            {"iat": 1031},
            1000,
            (
                "not_yet_valid",
                f"claim iat {at(1031)} [1031] is in the future (now {at(1000)}, leeway 30 s)",
            ),
        ),
    ],
)
def test_time_claims_compare_with_the_fraction_of_now(
    claims: dict[str, float], now: float, problem: tuple[str, str] | None
) -> None:
    if problem is None:
        check_times(claims, now)
        return
    with pytest.raises(TokenProblem) as raised:
        check_times(claims, now)
    assert (raised.value.kind, raised.value.detail) == problem
