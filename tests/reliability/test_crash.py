"""Crash safety: under a steady load of token flows the server is killed with SIGKILL and
started again on the same SQLite file. Every token answered 200 (201) before the kill is in
the store in exactly the state that answer implies, nothing is half-written, the file
passes `PRAGMA integrity_check`, and the new process starts cleanly. Several kills.

A token whose last request got no answer (in flight at the kill) may be in either state,
but in one of them whole: a redeemed token with its session, or one that redeems once now.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability import calls
from tests.reliability.conftest import async_client, log_problems
from token_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.anyio

KILLS = 3
WORKERS = 6
ANSWERED_BEFORE_KILL = 60  # token answers recorded before the kill is sent
FROZEN_AT = "2030-03-17T17:46:40Z"  # no token expires while the test runs


@dataclass
class Tokens:
    """One vendor's tokens by what their last answer implies."""

    issued: set[str] = field(default_factory=set)  # minted, never presented
    consumed: set[str] = field(default_factory=set)  # redeemed, exchanged or used
    unsure: set[str] = field(default_factory=set)  # presented, the answer lost to the kill

    def presenting(self, token: str) -> None:
        self.issued.discard(token)
        self.unsure.add(token)

    def answered(self, token: str) -> None:
        self.unsure.discard(token)
        self.consumed.add(token)


@dataclass
class Ledger:
    uneeq: Tokens = field(default_factory=Tokens)
    widget: Tokens = field(default_factory=Tokens)  # visitor tokens
    web1on1: Tokens = field(default_factory=Tokens)  # refresh tokens
    answers: int = 0  # token answers (200/201) recorded
    unexpected: list[str] = field(default_factory=list)  # any other answer

    def check(self, response: httpx.Response, status: int = 200) -> dict[str, Any] | None:
        if response.status_code != status:
            self.unexpected.append(f"{response.request.url.path} {response.status_code}")
            return None
        self.answers += 1
        body: dict[str, Any] = response.json()
        return body


Flow = Callable[[httpx.AsyncClient, Ledger, bool], Awaitable[None]]


async def uneeq_flow(http: httpx.AsyncClient, ledger: Ledger, redeem: bool) -> None:
    minted = ledger.check(await calls.uneeq_mint(http))
    if minted is None:
        return
    token = minted["token"]
    ledger.uneeq.issued.add(token)
    if redeem:
        ledger.uneeq.presenting(token)
        if ledger.check(await calls.uneeq_redeem(http, token)) is not None:
            ledger.uneeq.answered(token)


async def widget_flow(http: httpx.AsyncClient, ledger: Ledger, exchange: bool) -> None:
    guest = ledger.check(await calls.widget_guest(http))
    if guest is None:
        return
    visitor = guest["token"]
    ledger.widget.issued.add(visitor)
    if exchange:
        ledger.widget.presenting(visitor)
        if ledger.check(await calls.widget_exchange(http, visitor)) is not None:
            ledger.widget.answered(visitor)


async def web1on1_flow(http: httpx.AsyncClient, ledger: Ledger, refresh: bool) -> None:
    login = ledger.check(await calls.web1on1_login(http), 201)
    if login is None:
        return
    first = login["refreshToken"]
    ledger.web1on1.issued.add(first)
    if refresh:
        ledger.web1on1.presenting(first)
        refreshed = ledger.check(await calls.web1on1_refresh(http, first), 201)
        if refreshed is not None:
            ledger.web1on1.answered(first)
            ledger.web1on1.issued.add(refreshed["refreshToken"])


FLOWS: tuple[Flow, ...] = (uneeq_flow, widget_flow, web1on1_flow)


async def load_until_killed(server: EmulatorProcess, ledger: Ledger) -> None:
    """WORKERS loops of token flows; SIGKILL once ANSWERED_BEFORE_KILL answers are in."""
    killed = asyncio.Event()

    async def worker(http: httpx.AsyncClient, offset: int) -> None:
        for step in itertools.count(offset):
            flow = FLOWS[step % len(FLOWS)]
            try:
                # Every other flow presents its token, so both states are left behind.
                await flow(http, ledger, (step // len(FLOWS)) % 2 == 0)
            except httpx.TransportError:
                assert killed.is_set(), "the server failed before it was killed"
                return
            if ledger.answers >= ANSWERED_BEFORE_KILL and not killed.is_set():
                killed.set()
                assert server.process is not None
                server.process.kill()  # SIGKILL: no shutdown, requests still in flight

    async with async_client(server.url, WORKERS) as http:
        await asyncio.gather(*(worker(http, offset) for offset in range(WORKERS)))
    assert server.process is not None
    assert server.process.wait(10) == -9


def read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True)


# Each query lists what a half-written transaction would leave behind: none may answer rows.
HALF_WRITTEN = {
    "UneeQ token redeemed without its session": """
        SELECT t.token FROM uneeq_tokens t LEFT JOIN uneeq_sessions s ON s.id = t.session_id
        WHERE t.redeemed_at IS NOT NULL AND (s.id IS NULL OR s.token != t.token)""",
    "UneeQ session without its redeemed token": """
        SELECT s.id FROM uneeq_sessions s LEFT JOIN uneeq_tokens t ON t.token = s.token
        WHERE t.redeemed_at IS NULL OR t.session_id IS NOT s.id""",
    "widget visitor token exchanged without its session": """
        SELECT v.jti FROM widget_visitor_tokens v
        LEFT JOIN widget_sessions s ON s.jti = v.session_jti
        WHERE v.exchanged_at IS NOT NULL AND (s.jti IS NULL OR s.visitor_jti != v.jti)""",
    "widget session from an exchange its visitor token does not record": """
        SELECT s.jti FROM widget_sessions s LEFT JOIN widget_visitor_tokens v
        ON v.jti = s.visitor_jti
        WHERE s.parent_jti IS NULL AND (v.jti IS NULL OR v.session_jti IS NOT s.jti)""",
    "web1on1 refresh token used without exactly one successor": """
        SELECT r.token_hash FROM web1on1_refresh_tokens r WHERE r.used_at IS NOT NULL
        AND (SELECT count(*) FROM web1on1_refresh_tokens c WHERE c.parent_hash = r.token_hash)
            != 1""",
    "web1on1 successor of a refresh token not marked used": """
        SELECT c.token_hash FROM web1on1_refresh_tokens c
        JOIN web1on1_refresh_tokens p ON p.token_hash = c.parent_hash WHERE p.used_at IS NULL""",
    "web1on1 chain whose access and refresh tokens do not pair up": """
        SELECT r.chain_id FROM web1on1_refresh_tokens r GROUP BY r.chain_id
        HAVING count(*) != (SELECT count(*) FROM web1on1_access_tokens a
                            WHERE a.chain_id = r.chain_id)""",
}


def assert_store_whole(database: Path) -> None:
    with contextlib.closing(read_only(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for what, query in HALF_WRITTEN.items():
            assert conn.execute(query).fetchall() == [], what


async def assert_uneeq(http: httpx.AsyncClient, tokens: Tokens) -> None:
    state = (await http.get("/_emulator/state/uneeq")).json()
    status = {t["token"]: t["status"] for t in state["tokens"]}
    sessions = {s["token"] for s in state["sessions"]}
    for token in tokens.consumed:
        assert (status[token], token in sessions) == ("redeemed", True)
    for token in tokens.unsure:
        assert (status[token], token in sessions) in {("redeemed", True), ("active", False)}
    redeemable = tokens.issued | {t for t in tokens.unsure if status[t] == "active"}

    async def redeem(token: str, first: bool) -> None:
        if first:
            assert status[token] == "active"
            assert (await calls.uneeq_redeem(http, token)).status_code == 200
        again = await calls.uneeq_redeem(http, token)
        assert (again.status_code, again.text) == (401, "Unauthorized")
        assert again.headers["x-emulator-reason"].startswith("token already redeemed at ")

    await asyncio.gather(
        *(redeem(t, True) for t in redeemable), *(redeem(t, False) for t in tokens.consumed)
    )


async def assert_widget(http: httpx.AsyncClient, tokens: Tokens) -> None:
    state = (await http.get("/_emulator/state/widget")).json()
    status = {v["jti"]: v["status"] for v in state["visitor_tokens"]}
    sessions = {s["visitor_jti"] for s in state["sessions"]}

    def jti(visitor: str) -> str:
        found: str = calls.claims(visitor)["jti"]
        return found

    for visitor in tokens.consumed:
        assert (status[jti(visitor)], jti(visitor) in sessions) == ("exchanged", True)
    for visitor in tokens.unsure:
        found = (status[jti(visitor)], jti(visitor) in sessions)
        assert found in {("exchanged", True), ("active", False)}
    exchangeable = tokens.issued | {v for v in tokens.unsure if status[jti(v)] == "active"}

    async def exchange(visitor: str, first: bool) -> None:
        if first:
            assert status[jti(visitor)] == "active"
            assert (await calls.widget_exchange(http, visitor)).status_code == 200
        again = await calls.widget_exchange(http, visitor)
        assert (again.status_code, again.text) == (400, "Missing or expired token")
        assert again.headers["x-emulator-reason"].startswith("visitor token already exchanged")

    await asyncio.gather(
        *(exchange(v, True) for v in exchangeable),
        *(exchange(v, False) for v in tokens.consumed),
    )


async def assert_web1on1(http: httpx.AsyncClient, tokens: Tokens) -> None:
    chains = (await http.get("/_emulator/state/web1on1")).json()["chains"]
    # The state shows the first 12 hex digits of each refresh token's SHA-256.
    status = {t["hash"]: t["status"] for c in chains for t in c["refresh_tokens"]}

    def short_hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()[:12]

    for token in tokens.consumed:
        assert status[short_hash(token)] == "used"
    for token in tokens.unsure:
        assert status[short_hash(token)] in {"used", "active"}
    # Reusing a used token would revoke its chain (and the successor): checked in the state only.
    usable = tokens.issued | {t for t in tokens.unsure if status[short_hash(t)] == "active"}
    for token in usable:
        assert status[short_hash(token)] == "active"
    answers = await asyncio.gather(*(calls.web1on1_refresh(http, t) for t in usable))
    assert [r.status_code for r in answers] == [201] * len(usable)
    after = (await http.get("/_emulator/state/web1on1")).json()["chains"]
    now_used = {t["hash"] for c in after for t in c["refresh_tokens"] if t["status"] == "used"}
    assert {short_hash(t) for t in usable} <= now_used


async def test_sigkill_under_load_keeps_every_answered_token(
    tmp_path: Path, unlimited_fixtures: Path
) -> None:
    database = tmp_path / "crash.sqlite3"
    logs: list[Path] = []

    def start(name: str) -> EmulatorProcess:
        logs.append(tmp_path / f"{name}.log")
        return EmulatorProcess(database, fixtures=unlimited_fixtures, log_path=logs[-1]).start()

    server = start("first")
    async with async_client(server.url, 1) as http:
        (await http.post("/_emulator/clock", json={"freeze": True})).raise_for_status()
        (await http.post("/_emulator/clock", json={"set": FROZEN_AT})).raise_for_status()
    figures = []
    try:
        for kill in range(1, KILLS + 1):
            ledger = Ledger()
            await load_until_killed(server, ledger)
            assert ledger.unexpected == []
            assert_store_whole(database)  # as the kill left it, before anyone opens it
            server = start(f"after-kill-{kill}")
            async with async_client(server.url, WORKERS) as http:
                await asyncio.gather(
                    assert_uneeq(http, ledger.uneeq),
                    assert_widget(http, ledger.widget),
                    assert_web1on1(http, ledger.web1on1),
                )
            assert_store_whole(database)
            figures.append(
                {
                    name: (len(t.issued), len(t.consumed), len(t.unsure))
                    for name, t in (
                        ("uneeq", ledger.uneeq),
                        ("widget", ledger.widget),
                        ("web1on1", ledger.web1on1),
                    )
                }
                | {"answers": ledger.answers}
            )
    finally:
        server.stop()
    print("crash figures (issued, consumed, unsure):", figures)
    assert log_problems(*logs) == []
