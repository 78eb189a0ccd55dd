"""POST /application/token and /application/installation/{org}/token: assertions checked."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from tests.conftest import FIXTURES, last_request
from tests.jws_parts import b64
from tests.vendors.unifize.conftest import NOW, TOKEN_PATH, access_token, bearer
from token_emulator.core.instants import isoformat
from token_emulator.testing import unifize_assertion, unifize_demo_private_key

pytestmark = pytest.mark.anyio

DEMO_KEY = unifize_demo_private_key()
DEMO_PUBLIC_PEM = (FIXTURES / "unifize-demo-app.public.pem").read_text()


def assertion(**claims: Any) -> str:
    return unifize_assertion(101, DEMO_KEY, issued_at=NOW, **claims)


def raw_claims(claims: dict[str, Any], key: str = DEMO_KEY, alg: str = "RS256") -> str:
    """An assertion with exactly these claims (no defaults added)."""
    return jws.serialize_compact(
        {"alg": alg}, json.dumps(claims), RSAKey.import_key(key), algorithms=[alg]
    )


def hs256_with_public_pem() -> str:
    """The classic alg-confusion forgery: HS256 keyed with the app's public PEM."""
    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}."
        f"{b64(json.dumps({'iss': '101', 'iat': NOW, 'exp': NOW + 600}).encode())}"
    )
    mac = hmac.new(DEMO_PUBLIC_PEM.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def alg_none() -> str:
    header = b64(json.dumps({"alg": "none"}).encode())
    payload = b64(json.dumps({"iss": "101", "iat": NOW, "exp": NOW + 600}).encode())
    return f"{header}.{payload}."


async def issued_tokens(client: httpx.AsyncClient) -> list[Any]:
    state = (await client.get("/_emulator/state/unifize")).json()
    return [token for app in state["apps"] for token in app["tokens"]]


async def test_issues_an_access_token(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN_PATH, headers=bearer(assertion()))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accessToken", "expiresAt"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["expiresAt"])
    assert body["expiresAt"] == "2030-03-17T18:46:40.000Z", "one hour by the emulator clock"
    header = jws.extract_compact(body["accessToken"].encode()).protected
    assert header["alg"] == "HS256"
    [token] = await issued_tokens(client)
    assert token["org_id"] == 1 and token["expires_at"] == body["expiresAt"]


async def test_installation_path_uses_the_given_org(client: httpx.AsyncClient) -> None:
    token = await access_token(client, assertion(), "/unifize/application/installation/2/token")
    info = (await client.post("/unifize/application/tokeninfo", json={"token": token})).json()
    assert info == {"uid": "bot-101", "appId": 101, "expiry": (NOW + 3600) * 1000, "orgId": 2}


async def test_iat_within_the_leeway_is_accepted(client: httpx.AsyncClient) -> None:
    ok = unifize_assertion(101, DEMO_KEY, issued_at=NOW + 30)
    assert (await client.post(TOKEN_PATH, headers=bearer(ok))).status_code == 200


async def test_each_app_verifies_with_its_own_key(
    client: httpx.AsyncClient, other_key: RSAKey
) -> None:
    # App 103 is registered with other_key only (rotation: test_runtime_key.py).
    other_private = other_key.as_pem(private=True).decode()
    assert (
        await client.post(
            TOKEN_PATH, headers=bearer(unifize_assertion(103, other_private, issued_at=NOW))
        )
    ).status_code == 200


def over_8_kib() -> str:
    return assertion(padding="x" * 8300)


REFUSALS: list[tuple[str, dict[str, str], str, int, str]] = [
    # (id, headers, path, status, reason substring)
    ("no-authorization", {}, TOKEN_PATH, 401, "missing Authorization header"),
    (
        "basic-scheme",
        {"Authorization": "Basic abc"},
        TOKEN_PATH,
        401,
        "Authorization is not a Bearer token",
    ),
    (
        "empty-bearer",
        {"Authorization": "Bearer "},
        TOKEN_PATH,
        401,
        "Authorization: Bearer carries no token",
    ),
    (
        "truncated",
        bearer(assertion()[:-20]),
        TOKEN_PATH,
        401,
        "signature does not verify with any of app 101's 1 registered keys",
    ),
    (
        "two-segments",
        bearer(".".join(assertion().split(".")[:2])),
        TOKEN_PATH,
        401,
        "assertion is not a compact JWS",
    ),
    ("garbage", bearer("not-a-jwt"), TOKEN_PATH, 401, "assertion is not a compact JWS"),
    ("over-8-kib", bearer(over_8_kib()), TOKEN_PATH, 401, "bytes, over the 8 KiB limit"),
    (
        "alg-none",
        bearer(alg_none()),
        TOKEN_PATH,
        401,
        "assertion alg 'none' refused: only RS256 is accepted",
    ),
    (
        "hs256-with-public-pem",
        bearer(hs256_with_public_pem()),
        TOKEN_PATH,
        401,
        "assertion alg 'HS256' refused: only RS256 is accepted",
    ),
    (
        "rs512",
        bearer(raw_claims({"iss": "101", "iat": NOW, "exp": NOW + 600}, alg="RS512")),
        TOKEN_PATH,
        401,
        "assertion alg 'RS512' refused",
    ),
    (
        "iss-missing",
        bearer(raw_claims({"iat": NOW, "exp": NOW + 600})),
        TOKEN_PATH,
        401,
        "assertion claim iss missing",
    ),
    (
        "iss-integer",
        bearer(raw_claims({"iss": 101, "iat": NOW, "exp": NOW + 600})),
        TOKEN_PATH,
        401,
        "assertion claim iss must be a string holding the app id, got a number",
    ),
    (
        "iss-unknown",
        bearer(unifize_assertion(999, DEMO_KEY, issued_at=NOW)),
        TOKEN_PATH,
        401,
        "iss '999' names no registered app",
    ),
    (
        "iss-not-a-number",
        bearer(unifize_assertion("demo", DEMO_KEY, issued_at=NOW)),
        TOKEN_PATH,
        401,
        "iss 'demo' names no registered app",
    ),
    (
        "iss-huge",
        bearer(unifize_assertion("9" * 40, DEMO_KEY, issued_at=NOW)),
        TOKEN_PATH,
        401,
        "names no registered app",
    ),
    (
        "window-601",
        bearer(unifize_assertion(101, DEMO_KEY, issued_at=NOW, lifetime=601)),
        TOKEN_PATH,
        401,
        "assertion window exp - iat is 601 s, not 1 to 600",
    ),
    (
        "expired",
        bearer(unifize_assertion(101, DEMO_KEY, issued_at=NOW - 600)),
        TOKEN_PATH,
        401,
        f"assertion expired at {isoformat(NOW)} [{NOW}] (now {isoformat(NOW)})",
    ),
    (
        "future-iat",
        bearer(unifize_assertion(101, DEMO_KEY, issued_at=NOW + 31)),
        TOKEN_PATH,
        401,
        f"assertion claim iat {isoformat(NOW + 31)} [{NOW + 31}] is in the future "
        f"(now {isoformat(NOW)}, leeway 30 s)",
    ),
    (
        "iat-missing",
        bearer(raw_claims({"iss": "101", "exp": NOW + 600})),
        TOKEN_PATH,
        401,
        "assertion claim iat missing",
    ),
    (
        "exp-missing",
        bearer(raw_claims({"iss": "101", "iat": NOW})),
        TOKEN_PATH,
        401,
        "assertion claim exp missing",
    ),
    (
        "exp-string",
        bearer(raw_claims({"iss": "101", "iat": NOW, "exp": str(NOW + 600)})),
        TOKEN_PATH,
        401,
        "assertion claim exp must be an integer, got a string",
    ),
    (
        "exp-float",
        bearer(raw_claims({"iss": "101", "iat": NOW, "exp": NOW + 600.5})),
        TOKEN_PATH,
        401,
        "assertion claim exp must be an integer, got a number",
    ),
    (
        "iat-bool",
        bearer(raw_claims({"iss": "101", "iat": True, "exp": NOW + 600})),
        TOKEN_PATH,
        401,
        "assertion claim iat must be an integer, got a boolean",
    ),
    (
        "payload-not-object",
        bearer(jws.serialize_compact({"alg": "RS256"}, b"[1]", RSAKey.import_key(DEMO_KEY))),
        TOKEN_PATH,
        401,
        "assertion is JWT payload is not a JSON object",
    ),
    (
        "exp-before-iat",
        bearer(raw_claims({"iss": "101", "iat": NOW + 30, "exp": NOW + 5})),
        TOKEN_PATH,
        401,
        "assertion window exp - iat is -25 s, not 1 to 600",
    ),
    (
        "iss-leading-zero",
        bearer(unifize_assertion("0101", DEMO_KEY, issued_at=NOW)),
        TOKEN_PATH,
        401,
        "iss '0101' names no registered app",
    ),
    (
        "crit-header",
        # Hand-built: joserfc will not sign a header it does not support either.
        bearer(
            f"{b64(json.dumps({'alg': 'RS256', 'crit': ['exp'], 'exp': 1}).encode())}."
            f"{b64(json.dumps({'iss': '101', 'iat': NOW, 'exp': NOW + 600}).encode())}.c2ln"
        ),
        TOKEN_PATH,
        401,
        "assertion is JWS header 'crit' is not supported",
    ),
    (
        "unencoded-payload",
        bearer(f"{b64(json.dumps({'alg': 'RS256', 'b64': False, 'crit': ['b64']}).encode())}.x.y"),
        TOKEN_PATH,
        401,
        "is not supported",
    ),
    (
        "not-installed-in-a-real-org",
        bearer(unifize_assertion(102, DEMO_KEY, issued_at=NOW)),
        "/unifize/application/installation/2/token",
        403,
        "app 102 is not installed in org 2",
    ),
    (
        "not-installed",
        bearer(assertion()),
        "/unifize/application/installation/9/token",
        403,
        "app 101 is not installed in org 9",
    ),
]


@pytest.mark.parametrize(
    ("headers", "path", "status", "reason"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_refusals(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, status: int, reason: str
) -> None:
    response = await client.post(path, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"status", "error", "message"} and body["status"] == status
    assert body["error"] == {401: "unauthorized", 403: "forbidden"}[status]
    entry = await last_request(client, vendor="unifize")
    assert reason in entry["reason"], entry["reason"]
    assert await issued_tokens(client) == [], "a refused assertion must not write a token"


async def test_a_key_registered_for_another_app(
    client: httpx.AsyncClient, other_key: RSAKey
) -> None:
    forged = unifize_assertion(101, other_key.as_pem(private=True).decode(), issued_at=NOW)
    response = await client.post(TOKEN_PATH, headers=bearer(forged))
    assert response.status_code == 401
    expected = "signature does not verify with any of app 101's 1 registered keys"
    assert (await last_request(client))["reason"] == expected
    assert await issued_tokens(client) == []


@pytest.mark.parametrize("org", ["acme", "02", "1" * 5000])
async def test_the_org_id_must_be_a_plain_number(client: httpx.AsyncClient, org: str) -> None:
    path = f"/unifize/application/installation/{org}/token"
    response = await client.post(path, headers=bearer(assertion()))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    reason = (await last_request(client))["reason"]
    assert reason.startswith("no org ") and reason.endswith(": org ids are numbers")
    assert await issued_tokens(client) == []


async def test_access_token_claims(client: httpx.AsyncClient) -> None:
    token = await access_token(client, assertion())
    payload = json.loads(jws.extract_compact(token.encode()).payload)
    assert payload["sub"] == "bot-101" and payload["appId"] == 101 and payload["orgId"] == 1
    assert payload["exp"] - payload["iat"] == 3600
