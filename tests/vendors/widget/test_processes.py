"""Two processes on one SQLite file: single use holds across them; a restart keeps state."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.vendors.widget.conftest import (
    EXCHANGE,
    KEY,
    ORIGIN,
    REFRESH,
    guest_token,
    refreshed,
    session_token,
    state,
)
from token_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.anyio

PARALLEL = 20


def _client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, timeout=30, limits=httpx.Limits(max_connections=PARALLEL)
    )


async def test_single_use_across_two_processes(tmp_path: Path) -> None:
    database = tmp_path / "shared.sqlite3"
    with (
        EmulatorProcess(database, fixtures=FIXTURES, log_path=tmp_path / "a.log") as first,
        EmulatorProcess(database, fixtures=FIXTURES, log_path=tmp_path / "b.log") as second,
    ):
        async with _client(first.url) as a, _client(second.url) as b:
            visitor = await guest_token(a)
            body = {"token": visitor, "client_key": KEY}
            responses = await asyncio.gather(
                *((a, b)[i % 2].post(EXCHANGE, json=body, headers=ORIGIN) for i in range(PARALLEL))
            )
            assert Counter(r.status_code for r in responses) == Counter({200: 1, 400: PARALLEL - 1})
            session = next(r for r in responses if r.status_code == 200).json()["session_token"]
            responses = await asyncio.gather(
                *(
                    (a, b)[i % 2].post(REFRESH, json={"refresh_token": session})
                    for i in range(PARALLEL)
                )
            )
            assert Counter(r.status_code for r in responses) == Counter({200: 1, 400: PARALLEL - 1})
            assert len((await state(b))["sessions"]) == 2
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    assert "Traceback" not in logs and "database is locked" not in logs


async def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "kept.sqlite3"
    with EmulatorProcess(database, fixtures=FIXTURES) as before:
        async with _client(before.url) as http:
            session = await session_token(http, await guest_token(http))
            spare_visitor = await guest_token(http)
    with EmulatorProcess(database, fixtures=FIXTURES) as after:
        async with _client(after.url) as http:
            # Signing secrets and rows are in the store: the new process honours both.
            assert await refreshed(http, session)
            assert await session_token(http, spare_visitor)
