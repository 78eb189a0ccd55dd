"""user-token: server-to-server, a secret key of the client key's account, no Origin check."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from tests.vendors.widget.conftest import (
    GLOBEX_KEY,
    GLOBEX_SECRET,
    GUEST_ONLY_KEY,
    KEY,
    NOW,
    SECRET,
    USER_ONLY_KEY,
    USER_TOKEN,
    assert_refused,
    bearer,
    payload,
    state,
)

pytestmark = pytest.mark.anyio


async def test_mints_a_user_visitor_token(client: httpx.AsyncClient) -> None:
    body = {
        "client_key": KEY,
        "user_id": "user-42",
        "display_name": "Ada Lovelace",
        "email": "ada@example.org",
    }
    # No Origin at all: this call comes from the customer's server.
    response = await client.post(USER_TOKEN, json=body, headers=bearer())
    assert response.status_code == 200
    answer = response.json()
    assert answer["expires_at"] == "2030-03-17T17:51:40.000Z" and answer["expires_in"] == 300
    claims = payload(answer["token"])
    assert {k: v for k, v in claims.items() if k != "jti"} == {
        "iss": "token-emulator/widget",
        "sub": "user-42",
        "account": "acme",
        "agent_id": "acme-support",
        "client_key": KEY,
        "kind": "user",
        "user_id": "user-42",
        "display_name": "Ada Lovelace",
        "email": "ada@example.org",
        "token_use": "visitor",
        "iat": NOW,
        "exp": NOW + 300,
    }
    [token] = (await state(client))["visitor_tokens"]
    assert (token["kind"], token["user_id"], token["exchanged"]) == ("user", "user-42", False)


async def test_optional_fields_are_left_out_when_not_given(client: httpx.AsyncClient) -> None:
    body = {"client_key": USER_ONLY_KEY, "user_id": "u"}
    response = await client.post(USER_TOKEN, json=body, headers=bearer())
    claims = payload(response.json()["token"])
    assert "display_name" not in claims and "email" not in claims
    assert claims["agent_id"] == "acme-members"


async def test_a_refused_origin_does_not_matter(client: httpx.AsyncClient) -> None:
    body = {"client_key": KEY, "user_id": "u"}
    headers = {**bearer(), "Origin": "https://evil.test"}
    assert (await client.post(USER_TOKEN, json=body, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [{"external_user_id": "ext-7"}, {"external_user_id": "ext-7", "user_id": "ext-7"}],
)
async def test_external_user_id_is_an_alias(
    client: httpx.AsyncClient, fields: dict[str, str]
) -> None:
    response = await client.post(USER_TOKEN, json={"client_key": KEY, **fields}, headers=bearer())
    assert response.status_code == 200
    claims = payload(response.json()["token"])
    assert (claims["sub"], claims["user_id"]) == ("ext-7", "ext-7")


async def test_each_account_uses_its_own_secret_key(client: httpx.AsyncClient) -> None:
    body = {"client_key": GLOBEX_KEY, "user_id": "g"}
    response = await client.post(USER_TOKEN, json=body, headers=bearer(GLOBEX_SECRET))
    assert response.status_code == 200
    assert payload(response.json()["token"])["account"] == "globex"


def sha_prefix(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


VALID = {"client_key": KEY, "user_id": "user-42"}
MISSING = "Missing client_key or user_id"
BAD_KEY = "Missing or invalid API key"

# (id, headers, body, status, wire body, journal reason)
REFUSALS: list[tuple[str, dict[str, str], Any, int, str, str]] = [
    ("no-authorization", {}, VALID, 401, BAD_KEY, "missing Authorization header"),
    (
        "basic",
        {"Authorization": f"Basic {SECRET}"},
        VALID,
        401,
        BAD_KEY,
        "Authorization is not a Bearer key",
    ),
    (
        "bearer-nothing",
        {"Authorization": "Bearer"},
        VALID,
        401,
        BAD_KEY,
        "Authorization: Bearer carries no key",
    ),
    (
        "unknown-secret",
        bearer("sk_live_acme_guessedkey123"),
        VALID,
        401,
        BAD_KEY,
        f"no secret key has SHA-256 {sha_prefix('sk_live_acme_guessedkey123')}…",
    ),
    (
        "client-key-as-secret",
        bearer(KEY),
        VALID,
        401,
        BAD_KEY,
        "Bearer carries a pk_live_ client key, not a secret key",
    ),
    (
        "other-accounts-secret",
        bearer(GLOBEX_SECRET),
        VALID,
        401,
        BAD_KEY,
        f"secret key of account 'globex' used for client key {KEY} of account 'acme'",
    ),
    (
        "secret-for-other-accounts-key",
        bearer(SECRET),
        {"client_key": GLOBEX_KEY, "user_id": "u"},
        401,
        BAD_KEY,
        f"secret key of account 'acme' used for client key {GLOBEX_KEY} of account 'globex'",
    ),
    (
        "key-before-body",
        bearer("sk_live_nope"),
        "not json",
        401,
        BAD_KEY,
        f"no secret key has SHA-256 {sha_prefix('sk_live_nope')}…",
    ),
    ("not-json", bearer(), "not json", 400, MISSING, "body is not JSON"),
    ("json-string", bearer(), '"x"', 400, MISSING, "body is a string, not an object"),
    ("empty-body", bearer(), "", 400, MISSING, "no client_key"),
    ("no-client-key", bearer(), {"user_id": "u"}, 400, MISSING, "no client_key"),
    ("no-user-id", bearer(), {"client_key": KEY}, 400, MISSING, "no user_id"),
    (
        "user-id-number",
        bearer(),
        {"client_key": KEY, "user_id": 42},
        400,
        MISSING,
        "user_id is a number, not a string",
    ),
    (
        "user-id-empty",
        bearer(),
        {"client_key": KEY, "user_id": ""},
        400,
        MISSING,
        "user_id is empty",
    ),
    (
        "user-id-too-long",
        bearer(),
        {"client_key": KEY, "user_id": "u" * 257},
        400,
        MISSING,
        "user_id is over 256 characters",
    ),
    (
        "aliases-differ",
        bearer(),
        {"client_key": KEY, "user_id": "a", "external_user_id": "b"},
        400,
        MISSING,
        "user_id and external_user_id differ",
    ),
    (
        "display-name-number",
        bearer(),
        {**VALID, "display_name": 1},
        400,
        MISSING,
        "display_name must be a string of at most 256 characters",
    ),
    (
        "email-too-long",
        bearer(),
        {**VALID, "email": "e" * 321},
        400,
        MISSING,
        "email must be a string of at most 320 characters",
    ),
    (
        "unknown-client-key",
        bearer(),
        {"client_key": "pk_live_acme_unknown1", "user_id": "u"},
        400,
        MISSING,
        "client_key 'pk_live_acme_unk...' is not registered",
    ),
    (
        "guest-only-agent",
        bearer(),
        {"client_key": GUEST_ONLY_KEY, "user_id": "u"},
        403,
        "User access is disabled for this agent",
        "agent 'acme-guests' has auth_mode 'guest'",
    ),
]


@pytest.mark.parametrize(
    ("headers", "body", "status", "text", "reason"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_refusals(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: Any,
    status: int,
    text: str,
    reason: str,
) -> None:
    if isinstance(body, dict):
        response = await client.post(USER_TOKEN, json=body, headers=headers)
    else:
        response = await client.post(USER_TOKEN, content=body, headers=headers)
    await assert_refused(client, response, status, text, reason, "widget:user-token")
    assert (await state(client))["visitor_tokens"] == []


async def test_secret_keys_are_never_held_in_clear(client: httpx.AsyncClient) -> None:
    shown = await state(client)
    text = json.dumps(shown)
    assert SECRET not in text and GLOBEX_SECRET not in text and "sk_live_" not in text
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    assert digest not in text, "not even the full hash is shown"
    assert {
        "key_sha256": f"{digest[:4]}…(64 chars)",
        "account": "acme",
        "name": "Acme backend (test only)",
    } in shown["secret_keys"]


async def test_the_database_holds_only_the_hash(tmp_path: Any, client: httpx.AsyncClient) -> None:
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("emulator.sqlite3*"))
    assert SECRET.encode() not in raw and GLOBEX_SECRET.encode() not in raw
    assert hashlib.sha256(SECRET.encode()).hexdigest().encode() in raw
