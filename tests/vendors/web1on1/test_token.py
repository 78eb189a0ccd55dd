"""Logins, expiry, refresh chains and reuse (docs/vendors/web1on1.md)."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import in_process, last_request, make_settings
from tests.jws_parts import b64decode_json
from tests.vendors.web1on1.conftest import (
    DAY,
    DEMO_ORG,
    NOW,
    TOKEN_PATH,
    USERS,
    bearer,
    claims_of,
    fixture_dir,
    frozen,
    login,
    state,
)
from token_emulator.core.instants import described
from token_emulator.core.package_files import default_fixtures_dir
from token_emulator.core.tokens import sign_hmac
from token_emulator.vendors.web1on1.client import CLIENT

pytestmark = pytest.mark.anyio

CONTACTS = "/web1on1/v2/contacts"


def error(message: str) -> dict[str, Any]:
    return {"error": {"message": message}}


async def test_login_answers_201_with_every_field_and_a_24h_hs256_jwt(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        TOKEN_PATH, json={"email": "admin@example.org", "password": "t0pZ3kR3t"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "tokenType",
        "token",
        "refreshToken",
        "user",
        "organization",
        "expiresAt",
        "scope",
    }
    assert body["tokenType"] == "Bearer"
    assert body["user"] == USERS["admin"]["id"]
    assert body["organization"] == DEMO_ORG
    assert body["scope"] == "admin"
    assert body["expiresAt"] == "2030-03-18T17:46:40.000Z"
    # The page's sample refresh token: "<user id>.<80 hex digits>".
    user, _, secret = body["refreshToken"].partition(".")
    assert user == USERS["admin"]["id"] and len(secret) == 80
    header = b64decode_json(body["token"].split(".")[0])
    assert header["alg"] == "HS256"
    claims = claims_of(body["token"])
    assert claims["_id"] == USERS["admin"]["id"]
    assert claims["scope"] == "admin"
    assert claims["iat"] == NOW and claims["exp"] == NOW + DAY
    assert "grant_type" not in claims  # the SDK refuses tokens whose grant_type is refresh_token


async def test_email_is_matched_without_case(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TOKEN_PATH, json={"email": "Admin@Example.ORG", "password": "t0pZ3kR3t"}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"email": "admin@example.org", "password": "wrong"}, "wrong password"),
        ({"email": "nobody@example.org", "password": "t0pZ3kR3t"}, "no user with email"),
        ({"email": "admin@example.org", "password": "T0PZ3KR3T"}, "wrong password"),
    ],
)
async def test_wrong_credentials_are_401(
    client: httpx.AsyncClient, body: dict[str, str], reason: str
) -> None:
    response = await client.post(TOKEN_PATH, json=body)
    assert response.status_code == 401
    assert response.json() == error("Invalid email or password")
    assert reason in (await last_request(client))["reason"]
    assert (await state(client))["chains"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "email must be a non-empty string, got missing"),
        (b"{}", "email must be a non-empty string, got missing"),
        (b'{"email": "admin@example.org"}', "password must be a non-empty string, got missing"),
        (b'{"email": 5, "password": "x"}', "email must be a non-empty string, got a number"),
        (b'{"email": "", "password": "x"}', "email must be a non-empty string, got a string"),
        (b"[1, 2]", "body is an array, not an object"),
        (b"email=admin", "body is not JSON"),
        (b'{"refreshToken": "x"}', "clientId (the user's email) must be a non-empty string"),
        (b'{"refreshToken": 7, "clientId": "a@b"}', "refreshToken must be a non-empty string"),
    ],
)
async def test_malformed_token_requests_are_400(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await client.post(
        TOKEN_PATH, content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == error(message)


async def test_token_opens_protected_calls_until_24_hours_pass(client: httpx.AsyncClient) -> None:
    token = (await login(client, "agent"))["token"]
    assert (await client.get(CONTACTS, headers=bearer(token))).status_code == 200
    await client.post("/_emulator/clock", json={"advance": DAY - 1})
    assert (await client.get(CONTACTS, headers=bearer(token))).status_code == 200
    await client.post("/_emulator/clock", json={"advance": 1})
    response = await client.get(CONTACTS, headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == error("jwt expired")
    assert "expired" in (await last_request(client))["reason"]


async def test_expired_status_follows_the_fixture_switch(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, fixtures_dir=fixture_dir(tmp_path, expired_token_status=403))
    async for c in in_process(settings):
        await frozen(c)
        token = (await login(c, "agent"))["token"]
        await c.post("/_emulator/clock", json={"advance": DAY})
        response = await c.get(CONTACTS, headers=bearer(token))
        assert response.status_code == 403
        assert response.json() == error("jwt expired")


async def test_bot_tokens_do_not_expire(client: httpx.AsyncClient) -> None:
    issued = await login(client, "bot")
    assert issued["expiresAt"] is None
    assert "exp" not in claims_of(issued["token"])
    await client.post("/_emulator/clock", json={"advance": 365 * DAY})
    assert (await client.get(CONTACTS, headers=bearer(issued["token"]))).status_code == 200


@pytest.mark.parametrize(
    ("headers", "message", "reason"),
    [
        ({}, "No authorization token was found", "missing Authorization"),
        ({"Authorization": "Basic abc"}, "Format is Authorization: Bearer [token]", "Bearer"),
        ({"Authorization": "Bearer "}, "Format is Authorization: Bearer [token]", "Bearer"),
        ({"Authorization": "Bearer not-a-jwt"}, "invalid token", "not a compact JWS"),
        ({"Authorization": "Bearer a.b.c"}, "invalid token", "not a compact JWS"),
        ({"Authorization": "Bearer " + "a" * 9000}, "invalid token", "KiB limit"),
    ],
)
async def test_missing_and_malformed_tokens_are_401(
    client: httpx.AsyncClient, headers: dict[str, str], message: str, reason: str
) -> None:
    response = await client.get(CONTACTS, headers=headers)
    assert response.status_code == 401
    assert response.json() == error(message)
    assert reason in (await last_request(client))["reason"]


async def test_a_token_signed_with_another_secret_is_invalid_signature(
    client: httpx.AsyncClient,
) -> None:
    forged = sign_hmac(
        {"_id": USERS["admin"]["id"], "scope": "admin", "iat": NOW, "exp": NOW + 60, "jti": "x"},
        "not-the-emulator's-secret",
    )
    response = await client.get(CONTACTS, headers=bearer(forged))
    assert response.status_code == 401
    assert response.json() == error("invalid signature")


async def test_a_jwt_claiming_a_longer_life_than_issued_expires_with_its_store_row(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """Regression: only the JWT's exp was checked, so a token re-signed with a later exp
    (possible with the emulator's signing secret, read here from the database file)
    outlived the 24 hours the store issued it for."""
    issued = await login(client, "admin")
    database = sqlite3.connect(f"file:{tmp_path / 'emulator.sqlite3'}?mode=ro", uri=True)
    query = "SELECT secret FROM emulator_signing_secrets WHERE name = 'web1on1-tokens'"
    (secret,) = database.execute(query).fetchone()
    database.close()
    claims = claims_of(issued["token"])
    longer = sign_hmac({**claims, "exp": claims["exp"] + 10 * 365 * DAY}, secret)
    assert (await client.get(CONTACTS, headers=bearer(longer))).status_code == 200
    await client.post("/_emulator/clock", json={"advance": DAY})
    response = await client.get(CONTACTS, headers=bearer(longer))
    assert response.status_code == 401
    assert response.json() == error("jwt expired")
    assert (await last_request(client))["reason"] == (
        f"token expired at 2030-03-18T17:46:40.000Z by the store (the JWT says "
        f"{described(claims['exp'] + 10 * 365 * DAY)})"
    )


async def test_a_refresh_token_is_not_an_access_token(client: httpx.AsyncClient) -> None:
    issued = await login(client, "admin")
    response = await client.get(CONTACTS, headers=bearer(issued["refreshToken"]))
    assert response.status_code == 401
    assert response.json() == error("invalid token")


async def test_a_reset_forgets_issued_tokens(client: httpx.AsyncClient) -> None:
    token = (await login(client, "admin"))["token"]
    await client.post("/_emulator/reset")
    await frozen(client)  # a reset brings back the real clock
    response = await client.get(CONTACTS, headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == error("invalid token")
    assert "unknown here" in (await last_request(client))["reason"]


async def refresh_before_expiry(
    client: httpx.AsyncClient, issued: dict[str, Any]
) -> httpx.Response:
    return await client.get(
        TOKEN_PATH,
        params={"refreshToken": issued["refreshToken"]},
        headers=bearer(issued["token"]),
    )


async def refresh_after_expiry(
    client: httpx.AsyncClient, refresh_token: str, client_id: str = USERS["agent"]["email"]
) -> httpx.Response:
    return await client.post(
        TOKEN_PATH, json={"refreshToken": refresh_token, "clientId": client_id}
    )


async def test_refresh_while_valid_answers_like_a_login(client: httpx.AsyncClient) -> None:
    first = await login(client, "agent")
    await client.post("/_emulator/clock", json={"advance": 3600})
    response = await refresh_before_expiry(client, first)
    assert response.status_code == 201
    second = response.json()
    assert set(second) == set(first)
    assert second["token"] != first["token"]
    assert second["refreshToken"] != first["refreshToken"]
    assert claims_of(second["token"])["exp"] == NOW + 3600 + DAY
    assert (await client.get(CONTACTS, headers=bearer(second["token"]))).status_code == 200


async def test_refresh_with_get_needs_the_users_own_live_token(client: httpx.AsyncClient) -> None:
    agent, admin = await login(client, "agent"), await login(client, "admin")
    response = await client.get(
        TOKEN_PATH,
        params={"refreshToken": agent["refreshToken"]},
        headers=bearer(admin["token"]),
    )
    assert response.status_code == 401
    assert response.json() == error("invalid refresh token")
    await client.post("/_emulator/clock", json={"advance": DAY})
    response = await refresh_before_expiry(client, agent)
    assert response.status_code == 401
    assert response.json() == error("jwt expired")
    # Neither refusal used the refresh token up.
    assert (await refresh_after_expiry(client, agent["refreshToken"])).status_code == 201


async def test_refresh_after_expiry_with_client_id(client: httpx.AsyncClient) -> None:
    first = await login(client, "agent")
    await client.post("/_emulator/clock", json={"advance": DAY + 60})
    assert (await client.get(CONTACTS, headers=bearer(first["token"]))).status_code == 401
    wrong = await refresh_after_expiry(client, first["refreshToken"], "admin@example.org")
    assert wrong.status_code == 401
    assert wrong.json() == error("invalid refresh token")
    response = await refresh_after_expiry(client, first["refreshToken"], "AGENT@example.org")
    assert response.status_code == 201
    second = response.json()
    assert (await client.get(CONTACTS, headers=bearer(second["token"]))).status_code == 200


async def test_reusing_a_refresh_token_revokes_its_whole_chain(client: httpx.AsyncClient) -> None:
    first = await login(client, "agent")
    second = (await refresh_after_expiry(client, first["refreshToken"])).json()
    third = (await refresh_after_expiry(client, second["refreshToken"])).json()
    other_login = await login(client, "agent")  # a chain of its own: untouched

    reuse = await refresh_after_expiry(client, first["refreshToken"])
    assert reuse.status_code == 401
    assert reuse.json() == error("invalid refresh token")
    assert "already used" in (await last_request(client))["reason"]

    # Every token of the chain is refused now, the newest included.
    for issued in (first, second, third):
        response = await client.get(CONTACTS, headers=bearer(issued["token"]))
        assert response.status_code == 401
        assert response.json() == error("invalid token")
    revoked = await refresh_after_expiry(client, third["refreshToken"])
    assert revoked.status_code == 401
    assert "revoked" in (await last_request(client))["reason"]
    assert (await client.get(CONTACTS, headers=bearer(other_login["token"]))).status_code == 200

    chains = (await state(client))["chains"]
    statuses = [[t["status"] for t in chain["refresh_tokens"]] for chain in chains]
    assert ["used", "used", "revoked"] in statuses
    assert ["active"] in statuses


async def test_two_concurrent_refreshes_give_exactly_one_success(client: httpx.AsyncClient) -> None:
    for _round in range(5):
        issued = await login(client, "agent")
        responses = await asyncio.gather(
            *(refresh_after_expiry(client, issued["refreshToken"]) for _ in range(2))
        )
        assert sorted(r.status_code for r in responses) == [201, 401]


async def test_refresh_token_unknown_is_401(client: httpx.AsyncClient) -> None:
    response = await refresh_after_expiry(client, f"{USERS['agent']['id']}.{'0' * 80}")
    assert response.status_code == 401
    assert response.json() == error("invalid refresh token")
    assert "unknown" in (await last_request(client))["reason"]


async def test_refresh_tokens_begin_with_an_ordered_id(client: httpx.AsyncClient) -> None:
    # The store's key begins with it, so new tokens land at the end of its index.
    secrets = [(await login(client, "agent"))["refreshToken"].split(".")[1] for _ in range(3)]
    assert all(len(secret) == 80 for secret in secrets)
    assert [s[:24] for s in secrets] == sorted(s[:24] for s in secrets)
    assert len({s[:24] for s in secrets}) == 3
    assert len({s[24:] for s in secrets}) == 3


async def test_refresh_token_with_a_known_ordered_id_but_other_digits_is_401(
    client: httpx.AsyncClient,
) -> None:
    issued = await login(client, "agent")
    user, _, secret = issued["refreshToken"].partition(".")
    flipped = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    response = await refresh_after_expiry(client, f"{user}.{flipped}")
    assert response.status_code == 401
    assert "unknown" in (await last_request(client))["reason"]
    assert (await refresh_after_expiry(client, issued["refreshToken"])).status_code == 201


async def test_a_refresh_token_kept_by_an_earlier_version_still_refreshes_and_is_caught_reused(
    tmp_path: Path,
) -> None:
    """Earlier versions keyed a refresh token by its SHA-256 alone; a database file they
    wrote keeps its tokens (the store key now begins with the token's ordered id).
    Always a SQLite file: the row is rewritten as that version wrote it."""
    settings = make_settings(tmp_path, fixtures_dir=fixture_dir(tmp_path, rate_limit_per_second=0))
    async for client in in_process(settings):
        await frozen(client)
        issued = await login(client, "agent")
        token = issued["refreshToken"]
        digest = hashlib.sha256(token.encode()).hexdigest()
        database = sqlite3.connect(tmp_path / "emulator.sqlite3")
        with database:
            rewritten = database.execute(
                "UPDATE web1on1_refresh_tokens SET token_hash = ? WHERE token_hash LIKE ?",
                (digest, f"%{digest}"),
            ).rowcount
        database.close()
        assert rewritten == 1
        [chain] = (await state(client))["chains"]
        assert chain["refresh_tokens"][0]["hash"] == digest[:12]

        renewed = await refresh_after_expiry(client, token)
        assert renewed.status_code == 201
        [chain] = (await state(client))["chains"]
        assert [t["parent"] for t in chain["refresh_tokens"]] == [None, digest[:12]]
        reuse = await refresh_after_expiry(client, token)
        assert reuse.status_code == 401
        assert "already used" in (await last_request(client))["reason"]
        newer = await refresh_after_expiry(client, renewed.json()["refreshToken"])
        assert newer.status_code == 401
        assert "revoked" in (await last_request(client))["reason"]


async def test_state_shows_chains_without_secrets(client: httpx.AsyncClient) -> None:
    issued = await login(client, "agent")
    shown = await state(client)
    text = str(shown)
    assert issued["refreshToken"] not in text
    # Its first 24 digits are an ordered id, as public as a jti; the rest is the secret.
    assert issued["refreshToken"].split(".")[1][24:36] not in text
    assert "agent-TEST-ONLY" not in text
    [chain] = shown["chains"]
    assert chain["user"] == USERS["agent"]["id"]
    assert chain["access_tokens"][0]["status"] == "active"
    assert chain["access_tokens"][0]["expires_at"] == "2030-03-18T17:46:40.000Z"
    await client.post("/_emulator/clock", json={"advance": DAY})
    assert (await state(client))["chains"][0]["access_tokens"][0]["status"] == "expired"


async def test_expiry_is_one_whole_second_instant_everywhere(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/clock", json={"set": "2031-01-01T00:00:00.600Z"})
    issued = await login(client, "agent")
    assert issued["expiresAt"] == "2031-01-02T00:00:00.000Z"
    assert claims_of(issued["token"])["exp"] == 1924992000 + DAY
    await client.post("/_emulator/clock", json={"set": "2031-01-01T23:59:59.999Z"})
    assert (await client.get(CONTACTS, headers=bearer(issued["token"]))).status_code == 200
    await client.post("/_emulator/clock", json={"set": "2031-01-02T00:00:00.000Z"})
    assert (await client.get(CONTACTS, headers=bearer(issued["token"]))).status_code == 401
    assert (await state(client))["chains"][0]["access_tokens"][0]["status"] == "expired"


async def test_the_clients_token_request_expects_the_logins_201() -> None:
    """What the benchmarks and flows count as success for web1on1's token request."""
    assert CLIENT.token_call is not None
    assert CLIENT.token_call(fixtures=default_fixtures_dir()).expect == (201,)
