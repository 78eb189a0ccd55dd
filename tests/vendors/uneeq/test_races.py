"""Single use under concurrency: one winner among 50, in one process and across two
(on one SQLite file, and on one PostgreSQL database)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.vendors.uneeq.conftest import START_PATH, issue, sdk_body
from token_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

ATTEMPTS = 50


async def redeem_concurrently(clients: list[httpx.AsyncClient], token: str) -> Counter[int]:
    body = sdk_body(token)
    responses = await asyncio.gather(
        *(clients[i % len(clients)].post(START_PATH, json=body) for i in range(ATTEMPTS))
    )
    return Counter(r.status_code for r in responses)


def assert_exactly_one_session(sessions: list[dict[str, object]], outcomes: Counter[int]) -> None:
    assert outcomes == Counter({200: 1, 401: ATTEMPTS - 1})
    assert len(sessions) == 1


async def test_in_process(client: httpx.AsyncClient) -> None:
    # In one process the store's write lock already queues the redemptions; the
    # two-process test below is the one that leans on the conditional UPDATE.
    token = await issue(client)
    outcomes = await redeem_concurrently([client], token)
    sessions = (await client.get("/_emulator/state/uneeq")).json()["sessions"]
    assert_exactly_one_session(sessions, outcomes)


def _client(url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=ATTEMPTS)
    return httpx.AsyncClient(base_url=url, timeout=30, limits=limits)


async def test_one_server_process(live_server: EmulatorProcess) -> None:
    async with _client(live_server.url) as http:
        await http.post("/_emulator/reset")
        token = await issue(http)
        outcomes = await redeem_concurrently([http], token)
        sessions = (await http.get("/_emulator/state/uneeq")).json()["sessions"]
    assert_exactly_one_session(sessions, outcomes)


async def test_two_server_processes_on_one_database(tmp_path: Path, database: str) -> None:
    with (
        EmulatorProcess(database, fixtures=FIXTURES, log_path=tmp_path / "a.log") as first,
        EmulatorProcess(database, fixtures=FIXTURES, log_path=tmp_path / "b.log") as second,
    ):
        async with _client(first.url) as a, _client(second.url) as b:
            for _round in range(3):
                token = await issue(a)
                outcomes = await redeem_concurrently([a, b], token)
                assert outcomes == Counter({200: 1, 401: ATTEMPTS - 1})
            sessions = (await b.get("/_emulator/state/uneeq")).json()["sessions"]
            assert len(sessions) == 3
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    assert "database is locked" not in logs
    assert "Traceback" not in logs
