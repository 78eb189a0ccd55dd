"""Two clients, each in a world of its own, run flows at the same time while each resets
its world, moves its clock and arms faults between flows: every answer is the one its
own world explains, and its world's journal says so. In one process, in two server
processes on one SQLite file, and in two replicas on one PostgreSQL database (each
client then alternates between the two servers: its world is the same in both)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.postgres.server import PostgresServer
from tests.vendors.uneeq.conftest import TOKEN_PATH
from token_emulator.core.instants import parse_instant
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt

pytestmark = pytest.mark.anyio

DEMO = "demo"
SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


async def drive(servers: Sequence[httpx.AsyncClient], world: str, flows: int, seed: int) -> None:
    """`flows` token requests in `world`, each followed by a random change to the world;
    each answer and its journal entry checked against what this world was told."""
    chosen = random.Random(seed)
    offset = 0.0
    armed = 0  # faults armed and not yet spent
    prefix = f"/worlds/{world}"
    for number in range(flows):
        http = servers[number % len(servers)]
        answer = await http.post(
            f"{prefix}{TOKEN_PATH}",
            headers={"workspace": DEMO, "content-type": "application/jwt"},
            content=uneeq_request_jwt(SECRET, DEMO, sid=f"{world}-{number}"),
        )
        expected = 503 if armed else 200
        assert answer.status_code == expected, (world, number, answer.text)
        armed = max(0, armed - 1)
        [entry] = (await http.get(f"{prefix}/_emulator/requests", params={"limit": 1})).json()[
            "requests"
        ]
        assert (entry["status"], entry["forced"]) == (expected, expected == 503)
        # The emulator time it was answered at is this world's: real time plus its offset.
        moved = parse_instant(entry["time"]) - parse_instant(entry["real_time"])
        assert moved == pytest.approx(offset, abs=0.01), (world, number)
        change = chosen.choice(["reset", "advance", "fault", "nothing"])
        if change == "reset":
            assert (await http.post(f"{prefix}/_emulator/reset")).status_code == 200
            offset, armed = 0.0, 0
        elif change == "advance":
            seconds = chosen.randint(-3600, 3600)
            moved_to = await http.post(f"{prefix}/_emulator/clock", json={"advance": seconds})
            assert moved_to.json()["offset_seconds"] == pytest.approx(offset + seconds, abs=0.01)
            offset += seconds
        elif change == "fault":
            fault = {"vendor": "uneeq", "route": "token", "status": 503}
            assert (await http.post(f"{prefix}/_emulator/faults", json=fault)).status_code == 201
            armed += 1


async def two_clients(servers: Sequence[httpx.AsyncClient], flows: int) -> None:
    await asyncio.gather(drive(servers, "alpha", flows, 1), drive(servers, "beta", flows, 2))
    # And the default world saw none of it.
    default = servers[0]
    assert (await default.get("/_emulator/requests")).json()["requests"] == []
    assert (await default.get("/_emulator/clock")).json()["offset_seconds"] == 0


async def test_two_clients_in_one_process(client: httpx.AsyncClient) -> None:
    await two_clients([client], 200)


def started(processes: Sequence[EmulatorProcess]) -> None:
    with ThreadPoolExecutor(len(processes)) as pool:
        for done in [pool.submit(process.start) for process in processes]:
            done.result()


@contextlib.contextmanager
def two_servers(database: str | Path, logs: Path) -> Iterator[list[EmulatorProcess]]:
    """Two `serve` processes on one database, started at the same moment."""
    pair = [
        EmulatorProcess(database, fixtures=FIXTURES, log_path=logs / f"{name}.log")
        for name in ("a", "b")
    ]
    try:
        started(pair)
        yield pair
    finally:
        for process in pair:
            process.stop()


@pytest.fixture
def two_on_sqlite(tmp_path: Path) -> Iterator[list[EmulatorProcess]]:
    with two_servers(tmp_path / "shared.sqlite3", tmp_path) as pair:
        yield pair


@pytest.fixture
def two_on_postgres(postgres: PostgresServer, tmp_path: Path) -> Iterator[list[EmulatorProcess]]:
    with postgres.database() as url, two_servers(url, tmp_path) as pair:
        yield pair


async def on(processes: Sequence[EmulatorProcess], flows: int) -> None:
    clients = [httpx.AsyncClient(base_url=process.url, timeout=30) for process in processes]
    try:
        await two_clients(clients, flows)
    finally:
        for http in clients:
            await http.aclose()


async def test_two_clients_across_two_processes_on_one_sqlite_file(
    two_on_sqlite: list[EmulatorProcess],
) -> None:
    await on(two_on_sqlite, 200)


async def test_two_clients_across_two_replicas_on_postgresql(
    two_on_postgres: list[EmulatorProcess],
) -> None:
    await on(two_on_postgres, 200)
