"""exchange and refresh: single use, expiry by the emulator clock, grace, reuse detection."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.jws_parts import b64
from tests.vendors.widget.conftest import (
    EXCHANGE,
    GUEST_ONLY_KEY,
    IPV4_ONLY_KEY,
    KEY,
    NOW,
    ORIGIN,
    REFRESH,
    advance,
    assert_refused,
    guest_token,
    payload,
    refreshed,
    session_token,
    state,
    user_visitor_token,
)
from token_emulator.core.tokens import sign_hmac
from token_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.anyio

BAD_TOKEN = "Missing or expired token"
BAD_REFRESH = "Missing or expired refresh_token"
IDENTITY = ("sub", "account", "agent_id", "client_key", "kind", "user_id", "display_name", "email")


def identity(claims: dict[str, Any]) -> dict[str, Any]:
    return {name: claims.get(name) for name in IDENTITY}


async def test_exchange_gives_a_session_with_the_visitors_identity(
    client: httpx.AsyncClient,
) -> None:
    visitor = await user_visitor_token(client, display_name="Ada", email="ada@example.org")
    response = await client.post(
        EXCHANGE, json={"token": visitor, "client_key": KEY}, headers=ORIGIN
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"session_token", "expires_at", "expires_in"}
    assert (body["expires_at"], body["expires_in"]) == ("2030-03-17T18:01:40.000Z", 900)
    session, visitor_claims = payload(body["session_token"]), payload(visitor)
    assert identity(session) == identity(visitor_claims)
    assert identity(session) == {
        "sub": "user-42",
        "account": "acme",
        "agent_id": "acme-support",
        "client_key": KEY,
        "kind": "user",
        "user_id": "user-42",
        "display_name": "Ada",
        "email": "ada@example.org",
    }
    assert session["token_use"] == "session" and session["jti"] != visitor_claims["jti"]
    assert (session["iat"], session["exp"]) == (NOW, NOW + 900)
    shown = await state(client)
    [token], [row] = shown["visitor_tokens"], shown["sessions"]
    assert token["exchanged"] is True and token["session_jti"] == session["jti"]
    assert token["exchanged_at"] == "2030-03-17T17:46:40.000Z"
    assert row["jti"] == row["chain"] == session["jti"]
    assert row["parent_jti"] is None and row["visitor_jti"] == visitor_claims["jti"]
    assert (row["refreshed"], row["revoked"]) == (False, False)


async def test_a_visitor_token_exchanges_once(client: httpx.AsyncClient) -> None:
    visitor = await guest_token(client)
    first = await session_token(client, visitor)
    again = await client.post(EXCHANGE, json={"token": visitor, "client_key": KEY}, headers=ORIGIN)
    reason = (
        "visitor token already exchanged at 2030-03-17T17:46:40.000Z "
        f"(session {payload(first)['jti']})"
    )
    await assert_refused(client, again, 400, BAD_TOKEN, reason, "widget:exchange")
    assert len((await state(client))["sessions"]) == 1


@pytest.mark.parametrize(("elapsed", "status"), [(299, 200), (299.999, 200), (300, 400)])
async def test_visitor_token_lives_300_seconds(
    client: httpx.AsyncClient, elapsed: float, status: int
) -> None:
    visitor = await guest_token(client)
    await advance(client, elapsed)
    response = await client.post(
        EXCHANGE, json={"token": visitor, "client_key": KEY}, headers=ORIGIN
    )
    assert response.status_code == status
    if status == 400:
        reason = "visitor token expired at 2030-03-17T17:51:40.000Z"
        await assert_refused(client, response, 400, BAD_TOKEN, reason, "widget:exchange")


async def test_user_visitor_token_lives_300_seconds_too(client: httpx.AsyncClient) -> None:
    visitor = await user_visitor_token(client)
    await advance(client, 300)
    response = await client.post(
        EXCHANGE, json={"token": visitor, "client_key": KEY}, headers=ORIGIN
    )
    assert response.status_code == 400


async def test_exchange_with_another_client_key(client: httpx.AsyncClient) -> None:
    visitor = await guest_token(client)  # minted for KEY
    body = {"token": visitor, "client_key": GUEST_ONLY_KEY}
    response = await client.post(EXCHANGE, json=body, headers=ORIGIN)
    reason = f"visitor token was minted for client key {KEY}, not {GUEST_ONLY_KEY}"
    await assert_refused(client, response, 400, BAD_TOKEN, reason, "widget:exchange")
    # The refusal did not spend it.
    assert await session_token(client, visitor)


async def test_exchange_checks_the_origin_again(client: httpx.AsyncClient) -> None:
    visitor = await guest_token(client, IPV4_ONLY_KEY, {"Origin": "http://127.0.0.1:3000"})
    body = {"token": visitor, "client_key": IPV4_ONLY_KEY}
    response = await client.post(EXCHANGE, json=body, headers=ORIGIN)
    reason = (
        f"Origin http://localhost:3000 matches no entry of client key {IPV4_ONLY_KEY}'s "
        "allowlist ['127.0.0.1:*']"
    )
    await assert_refused(
        client,
        response,
        403,
        "Origin not in allowlist for this client_key",
        reason,
        "widget:exchange",
    )
    no_origin = await client.post(EXCHANGE, json=body)
    await assert_refused(
        client,
        no_origin,
        403,
        "Origin not in allowlist for this client_key",
        f"no Origin or Referer header (client key {IPV4_ONLY_KEY})",
        "widget:exchange",
    )
    [token] = (await state(client))["visitor_tokens"]
    assert token["exchanged"] is False
    ok = await client.post(EXCHANGE, json=body, headers={"Origin": "http://127.0.0.1:9999"})
    assert ok.status_code == 200


def forged_visitor(claims: dict[str, Any]) -> str:
    return sign_hmac(claims, "not-the-emulators-secret")


def alg_none(claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(json.dumps(claims).encode())}."


CLAIMS = {"jti": "x", "token_use": "visitor", "client_key": KEY, "exp": NOW + 300}

# (id, body, journal reason, reason is a prefix)
EXCHANGE_REFUSALS: list[tuple[str, Any, str, bool]] = [
    ("empty-body", "", "no client_key", False),
    ("not-json", "{token", "body is not JSON", False),
    ("no-client-key", {"token": "x"}, "no client_key", False),
    (
        "unknown-client-key",
        {"token": "x", "client_key": "pk_live_acme_zzzzzzzz"},
        "client_key 'pk_live_acme_zzz...' is not registered",
        False,
    ),
    ("no-token", {"client_key": KEY}, "no token", False),
    ("token-number", {"client_key": KEY, "token": 5}, "token is a number, not a string", False),
    ("token-garbage", {"client_key": KEY, "token": "abc"}, "token is not a compact JWS", True),
    (
        "token-forged",
        {"client_key": KEY, "token": forged_visitor(CLAIMS)},
        "token is not a visitor token issued here",
        False,
    ),
    (
        "token-alg-none",
        {"client_key": KEY, "token": alg_none(CLAIMS)},
        "token: alg 'none' refused: only HS256 is accepted",
        False,
    ),
    (
        "token-huge",
        {"client_key": KEY, "token": "a" * 9000},
        "token is 9000 characters, over the limit",
        False,
    ),
]


@pytest.mark.parametrize(
    ("body", "reason", "prefix"),
    [case[1:] for case in EXCHANGE_REFUSALS],
    ids=[case[0] for case in EXCHANGE_REFUSALS],
)
async def test_exchange_refusals(
    client: httpx.AsyncClient, body: Any, reason: str, prefix: bool
) -> None:
    if isinstance(body, dict):
        response = await client.post(EXCHANGE, json=body, headers=ORIGIN)
    else:
        response = await client.post(EXCHANGE, content=body, headers=ORIGIN)
    await assert_refused(client, response, 400, BAD_TOKEN, reason, "widget:exchange", prefix=prefix)


async def test_a_session_jwt_is_not_a_visitor_token(client: httpx.AsyncClient) -> None:
    session = await session_token(client, await guest_token(client))
    response = await client.post(
        EXCHANGE, json={"token": session, "client_key": KEY}, headers=ORIGIN
    )
    reason = "token is not a visitor token issued here"
    await assert_refused(client, response, 400, BAD_TOKEN, reason, "widget:exchange")


async def test_a_reset_forgets_visitor_tokens(client: httpx.AsyncClient) -> None:
    visitor = await guest_token(client)
    await client.post("/_emulator/reset")
    response = await client.post(
        EXCHANGE, json={"token": visitor, "client_key": KEY}, headers=ORIGIN
    )
    reason = "visitor token unknown (a reset forgets issued tokens)"
    await assert_refused(client, response, 400, BAD_TOKEN, reason, "widget:exchange")


# --- refresh -------------------------------------------------------------------------


async def test_refresh_keeps_the_identity(client: httpx.AsyncClient) -> None:
    visitor = await user_visitor_token(client, display_name="Ada", email="ada@example.org")
    first = await session_token(client, visitor)
    await advance(client, 60)
    response = await client.post(REFRESH, json={"refresh_token": first})  # no Origin needed
    assert response.status_code == 200
    body = response.json()
    assert (body["expires_at"], body["expires_in"]) == ("2030-03-17T18:02:40.000Z", 900)
    second = payload(body["session_token"])
    assert identity(second) == identity(payload(first)) == identity(payload(visitor))
    assert (second["iat"], second["exp"]) == (NOW + 60, NOW + 960)
    assert second["jti"] != payload(first)["jti"] and second["token_use"] == "session"
    await advance(client, 60)
    third = payload(await refreshed(client, body["session_token"]))
    assert identity(third) == identity(second)
    rows = {row["jti"]: row for row in (await state(client))["sessions"]}
    one, two, three = (rows[payload(first)["jti"]], rows[second["jti"]], rows[third["jti"]])
    assert one["chain"] == two["chain"] == three["chain"] == one["jti"]
    assert (one["child_jti"], two["parent_jti"]) == (two["jti"], one["jti"])
    assert (two["child_jti"], three["parent_jti"]) == (three["jti"], two["jti"])
    assert [one["refreshed"], two["refreshed"], three["refreshed"]] == [True, True, False]
    assert not any(row["revoked"] for row in rows.values())


async def test_a_guest_keeps_its_visitor_id(client: httpx.AsyncClient) -> None:
    visitor = await guest_token(client)
    session = await session_token(client, visitor)
    again = await refreshed(client, session)
    assert payload(visitor)["sub"] == payload(session)["sub"] == payload(again)["sub"]
    assert identity(payload(again)) == identity(payload(visitor))


@pytest.mark.parametrize(
    ("elapsed", "status"),
    [(899, 200), (900, 200), (1199, 200), (1199.999, 200), (1200, 400), (5000, 400)],
)
async def test_refresh_grace_is_300_seconds_after_expiry(
    client: httpx.AsyncClient, elapsed: float, status: int
) -> None:
    session = await session_token(client, await guest_token(client))
    await advance(client, elapsed)
    response = await client.post(REFRESH, json={"refresh_token": session})
    assert response.status_code == status
    if status == 400:
        reason = "session expired at 2030-03-17T18:01:40.000Z, beyond the 300 s refresh grace"
        await assert_refused(client, response, 400, BAD_REFRESH, reason, "widget:refresh")


async def test_reuse_revokes_the_whole_chain(client: httpx.AsyncClient) -> None:
    first = await session_token(client, await guest_token(client))
    second = await refreshed(client, first)
    third = await refreshed(client, second)
    reused = await client.post(REFRESH, json={"refresh_token": first})
    jti = payload(first)["jti"]
    reason = (
        f"reuse of session {jti}, already refreshed at 2030-03-17T17:46:40.000Z "
        f"into {payload(second)['jti']}: chain {jti} revoked (3 sessions)"
    )
    await assert_refused(client, reused, 400, BAD_REFRESH, reason, "widget:refresh")
    # The newest session, never used, is refused now too.
    latest = await client.post(REFRESH, json={"refresh_token": third})
    reason = (
        f"session revoked at 2030-03-17T17:46:40.000Z: reuse of session {jti}, "
        "already refreshed at 2030-03-17T17:46:40.000Z"
    )
    await assert_refused(client, latest, 400, BAD_REFRESH, reason, "widget:refresh")
    rows = (await state(client))["sessions"]
    assert len(rows) == 3 and all(row["revoked"] for row in rows)
    assert {row["revoked_at"] for row in rows} == {"2030-03-17T17:46:40.000Z"}


async def test_reuse_leaves_other_chains_alone(client: httpx.AsyncClient) -> None:
    one = await session_token(client, await guest_token(client))
    other = await session_token(client, await guest_token(client))
    await refreshed(client, one)
    assert (await client.post(REFRESH, json={"refresh_token": one})).status_code == 400
    assert (await client.post(REFRESH, json={"refresh_token": other})).status_code == 200


REFRESH_REFUSALS: list[tuple[str, Any, str, bool]] = [
    ("empty-body", "", "no refresh_token", False),
    ("not-json", b"\xff\xfe", "body is not JSON", False),
    ("deep-json", "[" * 5000 + "]" * 5000, "body is nested too deeply", False),
    ("number", {"refresh_token": 1}, "refresh_token is a number, not a string", False),
    ("garbage", {"refresh_token": "a.b.c"}, "refresh_token is not a compact JWS", True),
    (
        "forged",
        {"refresh_token": sign_hmac({"jti": "x", "token_use": "session"}, "other")},
        "refresh_token is not a session token issued here",
        False,
    ),
]


@pytest.mark.parametrize(
    ("body", "reason", "prefix"),
    [case[1:] for case in REFRESH_REFUSALS],
    ids=[case[0] for case in REFRESH_REFUSALS],
)
async def test_refresh_refusals(
    client: httpx.AsyncClient, body: Any, reason: str, prefix: bool
) -> None:
    if isinstance(body, dict):
        response = await client.post(REFRESH, json=body)
    else:
        response = await client.post(REFRESH, content=body)
    await assert_refused(
        client, response, 400, BAD_REFRESH, reason, "widget:refresh", prefix=prefix
    )


async def test_a_visitor_token_is_not_a_refresh_token(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH, json={"refresh_token": await guest_token(client)})
    reason = "refresh_token is not a session token issued here"
    await assert_refused(client, response, 400, BAD_REFRESH, reason, "widget:refresh")


async def test_a_token_signed_with_the_session_secret_needs_its_store_row(
    client: httpx.AsyncClient,
) -> None:
    """A well-signed token whose jti the store never saw: the store decides, not the JWT."""
    session = await session_token(client, await guest_token(client))
    await client.post("/_emulator/reset")  # keeps signing secrets, forgets sessions
    response = await client.post(REFRESH, json={"refresh_token": session})
    reason = "session unknown (a reset forgets sessions)"
    await assert_refused(client, response, 400, BAD_REFRESH, reason, "widget:refresh")


# --- concurrency -------------------------------------------------------------------------

PARALLEL = 20


async def exchange_concurrently(http: httpx.AsyncClient, visitor: str) -> Counter[int]:
    body = {"token": visitor, "client_key": KEY}
    responses = await asyncio.gather(
        *(http.post(EXCHANGE, json=body, headers=ORIGIN) for _ in range(PARALLEL))
    )
    return Counter(r.status_code for r in responses)


async def refresh_concurrently(http: httpx.AsyncClient, session: str) -> Counter[int]:
    responses = await asyncio.gather(
        *(http.post(REFRESH, json={"refresh_token": session}) for _ in range(PARALLEL))
    )
    return Counter(r.status_code for r in responses)


async def test_parallel_exchanges_in_process(client: httpx.AsyncClient) -> None:
    outcomes = await exchange_concurrently(client, await guest_token(client))
    assert outcomes == Counter({200: 1, 400: PARALLEL - 1})
    assert len((await state(client))["sessions"]) == 1


async def test_parallel_exchanges_and_refreshes_on_a_server(server: EmulatorProcess) -> None:
    limits = httpx.Limits(max_connections=PARALLEL)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
        await http.post("/_emulator/reset")
        visitor = await guest_token(http)
        assert await exchange_concurrently(http, visitor) == Counter({200: 1, 400: PARALLEL - 1})
        [session_row] = (await state(http))["sessions"]
        session = await session_token(http, await guest_token(http))
        outcomes = await refresh_concurrently(http, session)
        assert outcomes == Counter({200: 1, 400: PARALLEL - 1})
        rows = [r for r in (await state(http))["sessions"] if r["chain"] != session_row["chain"]]
    # One refresh won; the others presented a spent session, which is reuse: the
    # chain (the old session and the winner's new one) is revoked.
    assert len(rows) == 2
    assert all(row["revoked"] for row in rows)
