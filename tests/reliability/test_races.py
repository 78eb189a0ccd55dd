"""Races across processes: two `serve` processes on one SQLite file, 50 redemptions of one
token released together, split across both. Exactly one wins; the 49 others get the
vendor's documented refusal with the precise reason; nothing answers 5xx, and neither
log says "database is locked".

UneeQ's single-use token (start-session), a widget visitor token (exchange) and a
web1on1 refresh token (POST /v2/auth/token), several rounds each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability import calls
from tests.reliability.conftest import async_client, log_problems
from token_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.anyio

ATTEMPTS = 50
ROUNDS = 3
PER_PROCESS = ATTEMPTS // 2
FROZEN_AT = "2030-03-17T17:46:40Z"
FROZEN_ISO = "2030-03-17T17:46:40.000Z"  # how reasons print that instant


@dataclass(frozen=True)
class Pair:
    first: EmulatorProcess
    second: EmulatorProcess
    logs: tuple[Path, Path]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, unlimited_fixtures: Path) -> Iterator[Pair]:
    directory = tmp_path_factory.mktemp("races")
    database = directory / "shared.sqlite3"
    logs = (directory / "first.log", directory / "second.log")
    with (
        EmulatorProcess(database, fixtures=unlimited_fixtures, log_path=logs[0]) as first,
        EmulatorProcess(database, fixtures=unlimited_fixtures, log_path=logs[1]) as second,
    ):
        yield Pair(first, second, logs)


@pytest.fixture
async def clients(pair: Pair) -> Any:
    async with (
        async_client(pair.first.url, PER_PROCESS) as a,
        async_client(pair.second.url, PER_PROCESS) as b,
    ):
        (await a.post("/_emulator/reset")).raise_for_status()
        # The clock lives in the store: both processes see it frozen, so every
        # instant in a reason is known in advance.
        (await a.post("/_emulator/clock", json={"freeze": True})).raise_for_status()
        (await b.post("/_emulator/clock", json={"set": FROZEN_AT})).raise_for_status()
        # Open every connection first, so the 50 attempts leave together.
        await asyncio.gather(*(c.get("/_emulator/health") for c in (a, b) for _ in range(25)))
        yield a, b


async def race(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    attempt: Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]],
    token: str,
) -> list[httpx.Response]:
    """ATTEMPTS presentations of `token`, alternately to each process, held at a gate and
    released at once."""
    gate = asyncio.Event()

    async def one(index: int) -> httpx.Response:
        await gate.wait()
        return await attempt(clients[index % 2], token)

    tasks = [asyncio.create_task(one(index)) for index in range(ATTEMPTS)]
    await asyncio.sleep(0)  # every task reaches the gate
    gate.set()
    return await asyncio.gather(*tasks)


async def forget_requests(clients: tuple[httpx.AsyncClient, ...]) -> None:
    for http in clients:
        (await http.delete("/_emulator/requests")).raise_for_status()


async def journal(http: httpx.AsyncClient, route: str) -> list[dict[str, Any]]:
    response = await http.get("/_emulator/requests", params={"route": route})
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


async def assert_outcomes(
    pair: Pair,
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    responses: list[httpx.Response],
    *,
    route: str,
    won: int,
    refusal: tuple[int, str, str],
    reason: str,
) -> httpx.Response:
    """One `won`, every other answer exactly `refusal` (status, content type, body) with
    `reason` in its header and in the journal of the process that answered it."""
    winners = [r for r in responses if r.status_code == won]
    assert len(winners) == 1, sorted(r.status_code for r in responses)
    losers = [r for r in responses if r.status_code != won]
    status = refusal[0]
    for loser in losers:
        assert (loser.status_code, loser.headers["content-type"], loser.text) == refusal
        assert loser.headers["x-emulator-reason"] == reason
    # Each process journals what it served: 25 entries each, 50 in all, no 5xx.
    entries = [entry for c in clients for entry in await journal(c, route)]
    assert len(entries) == ATTEMPTS
    assert [e["status"] for e in entries].count(won) == 1
    assert all(e["reason"] == reason for e in entries if e["status"] != won)
    assert sorted({e["status"] for e in entries}) == sorted({won, status})
    assert log_problems(*pair.logs) == []
    return winners[0]


async def test_uneeq_single_use_token(pair: Pair, clients: Any) -> None:
    a, b = clients
    for round_number in range(1, ROUNDS + 1):
        token = calls.ok(await calls.uneeq_mint(a))["token"]
        await forget_requests(clients)
        responses = await race(clients, calls.uneeq_redeem, token)
        sessions = (await b.get("/_emulator/state/uneeq")).json()["sessions"]
        assert len(sessions) == round_number
        session = next(s for s in sessions if s["token"] == token)
        winner = await assert_outcomes(
            pair,
            clients,
            responses,
            route="uneeq:start-session",
            won=200,
            refusal=(401, "text/plain; charset=utf-8", "Unauthorized"),
            reason=f"token already redeemed at {FROZEN_ISO} (session {session['id']})",
        )
        assert winner.json()["id"] == session["id"]


async def test_widget_visitor_token(pair: Pair, clients: Any) -> None:
    a, b = clients
    for round_number in range(1, ROUNDS + 1):
        visitor = calls.ok(await calls.widget_guest(b))["token"]
        await forget_requests(clients)
        jti = calls.claims(visitor)["jti"]
        responses = await race(clients, calls.widget_exchange, visitor)
        state = (await a.get("/_emulator/state/widget")).json()
        assert len(state["sessions"]) == round_number
        token = next(v for v in state["visitor_tokens"] if v["jti"] == jti)
        assert token["status"] == "exchanged"
        winner = await assert_outcomes(
            pair,
            clients,
            responses,
            route="widget:exchange",
            won=200,
            refusal=(400, "text/plain; charset=utf-8", "Missing or expired token"),
            reason=f"visitor token already exchanged at {FROZEN_ISO} "
            f"(session {token['session_jti']})",
        )
        assert calls.claims(winner.json()["session_token"])["jti"] == token["session_jti"]


async def test_web1on1_refresh_token(pair: Pair, clients: Any) -> None:
    a, b = clients
    for _round in range(ROUNDS):
        login = calls.ok(await calls.web1on1_login(a), 201)
        await forget_requests(clients)  # the login is a web1on1:token request too
        refresh_token = login["refreshToken"]
        responses = await race(clients, calls.web1on1_refresh, refresh_token)
        chains = (await b.get("/_emulator/state/web1on1")).json()["chains"]
        access_jti = calls.claims(login["token"])["jti"]
        chain = next(c for c in chains if access_jti in {t["jti"] for t in c["access_tokens"]})
        # The login's refresh token, used once; its one child, revoked with the whole
        # chain by the first reuse (docs/vendors/web1on1.md: reuse revokes the chain).
        statuses = [t["status"] for t in chain["refresh_tokens"]]
        assert statuses == ["used", "revoked"]
        await assert_outcomes(
            pair,
            clients,
            responses,
            route="web1on1:token",
            won=201,
            refusal=(401, "application/json", '{"error":{"message":"invalid refresh token"}}'),
            reason="refresh token already used: reuse revoked every token of chain "
            f"{chain['chain']}",
        )
