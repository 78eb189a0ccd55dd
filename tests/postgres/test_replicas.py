"""Two `token-emulator serve` replicas on one PostgreSQL database behave as one emulator.

Both start at the same moment on an empty database (so both create the
schema at once). Single use, the clock, faults, fixtures added at run time and
resets are shared through the database; the journal is each replica's own.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, in_process, make_settings
from tests.postgres.server import PostgresServer
from tests.vendors.uneeq.conftest import DEMO, START_PATH, TOKEN_PATH, issue, sdk_body
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt

pytestmark = pytest.mark.anyio

ATTEMPTS = 50
NOW_ISO = "2030-03-17T17:46:40Z"
NOW_STAMP = "2030-03-17T17:46:40.000Z"


@pytest.fixture(scope="module")
def replicas(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EmulatorProcess, EmulatorProcess]]:
    """Two servers on one new database, started at the same moment."""
    directory = tmp_path_factory.mktemp("replicas")
    with postgres.database() as url:
        pair = tuple(
            EmulatorProcess(url, fixtures=FIXTURES, log_path=directory / f"{name}.log")
            for name in ("a", "b")
        )
        try:
            with ThreadPoolExecutor(2) as pool:
                for started in [pool.submit(p.start) for p in pair]:
                    started.result()
            yield pair[0], pair[1]
        finally:
            for process in pair:
                process.stop()


def client_of(process: EmulatorProcess) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=ATTEMPTS)
    return httpx.AsyncClient(base_url=process.url, timeout=30, limits=limits)


@pytest.fixture
async def pair(
    replicas: tuple[EmulatorProcess, EmulatorProcess],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A client to each replica, after a reset (through the first) and the clock frozen."""
    async with client_of(replicas[0]) as a, client_of(replicas[1]) as b:
        (await a.post("/_emulator/reset")).raise_for_status()
        (await a.post("/_emulator/clock", json={"freeze": True})).raise_for_status()
        (await a.post("/_emulator/clock", json={"set": NOW_ISO})).raise_for_status()
        yield a, b


async def journal(http: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    response = await http.get("/_emulator/requests", params=filters)
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def test_both_started_at_once_on_an_empty_database(
    replicas: tuple[EmulatorProcess, EmulatorProcess], postgres: PostgresServer
) -> None:
    for process in replicas:
        health = httpx.get(f"{process.url}/_emulator/health").json()
        assert health["status"] == "ready"
        assert health["database"] == process.database.replace("postgres@", "")
        assert process.log_path is not None
        log = process.log_path.read_text()
        assert "Traceback" not in log and "ERROR" not in log, log


async def test_fifty_redemptions_across_both_make_exactly_one_session(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    token = await issue(a)
    body = sdk_body(token)
    responses = await asyncio.gather(
        *((a, b)[i % 2].post(START_PATH, json=body) for i in range(ATTEMPTS))
    )
    assert Counter(r.status_code for r in responses) == Counter({200: 1, 401: ATTEMPTS - 1})
    [won] = [r for r in responses if r.status_code == 200]
    session_id = won.json()["id"]
    assert {r.text for r in responses if r.status_code == 401} == {"Unauthorized"}
    # Each replica journals what it served: together, every attempt once.
    entries = [*await journal(a, route="start-session"), *await journal(b, route="start-session")]
    assert len(entries) == ATTEMPTS
    assert Counter(e["reason"] for e in entries if e["status"] == 401) == Counter(
        {f"token already redeemed at {NOW_STAMP} (session {session_id})": ATTEMPTS - 1}
    )
    for http in (a, b):
        sessions = (await http.get("/_emulator/state/uneeq")).json()["sessions"]
        assert [s["id"] for s in sessions] == [session_id]


async def test_a_clock_move_through_one_is_obeyed_by_the_other_at_once(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    token = await issue(b)  # the demo workspace's tokens live 300 s
    moved = await a.post("/_emulator/clock", json={"advance": 300})
    assert moved.json()["now"] == "2030-03-17T17:51:40.000Z"
    refused = await b.post(START_PATH, json=sdk_body(token))
    assert refused.status_code == 401 and refused.text == "Unauthorized"
    [entry] = await journal(b, route="start-session")
    assert entry["reason"] == "token expired at 2030-03-17T17:51:40.000Z"
    assert entry["time"] == "2030-03-17T17:51:40.000Z"
    seen = (await b.get("/_emulator/clock")).json()
    assert (seen["now"], seen["frozen"]) == ("2030-03-17T17:51:40.000Z", True)


async def test_a_fault_set_through_one_is_taken_by_the_other(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    made = await a.post(
        "/_emulator/faults", json={"vendor": "uneeq", "route": "token", "status": 503}
    )
    fault_id = made.json()["fault"]["id"]
    forced = await b.post(TOKEN_PATH)
    assert forced.status_code == 503 and forced.text == "Service Unavailable"
    [entry] = await journal(b, vendor="uneeq")
    assert entry["fault"] == fault_id
    assert entry["reason"] == f"status 503 forced by fault #{fault_id}"
    # times: 1 counts across replicas: the first one no longer has it.
    assert (await a.get("/_emulator/faults")).json() == {"faults": []}
    normal = await a.post(TOKEN_PATH)
    assert normal.status_code == 400
    [entry] = await journal(a, vendor="uneeq")
    assert entry["forced"] is False and entry["reason"] == "missing 'workspace' header"


async def test_fixtures_added_through_one_and_a_reset_through_the_other(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    secret = "replica-secret-TEST-ONLY-0123456789"
    workspace = {"id": "replica", "secret": secret, "region": "us"}
    request = {
        "content": uneeq_request_jwt(secret, "replica"),
        "headers": {"workspace": "replica", "content-type": "application/jwt"},
    }
    added = await a.post(
        "/_emulator/fixtures", json={"vendor": "uneeq", "fixtures": {"workspaces": [workspace]}}
    )
    assert added.status_code == 201
    assert (await b.post(TOKEN_PATH, **request)).status_code == 200
    assert await journal(b, vendor="uneeq")  # something for the reset to empty
    (await b.post("/_emulator/reset")).raise_for_status()
    refused = await a.post(TOKEN_PATH, **request)
    assert refused.status_code == 403 and refused.text == "Forbidden"
    # The reset emptied the first replica's journal too: only the refusal is left.
    [entry] = await journal(a)
    assert entry["reason"] == "unknown workspace 'replica'"
    assert await journal(b) == []
    assert (await a.get("/_emulator/clock")).json()["frozen"] is False


async def test_each_replica_journals_the_requests_it_served(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    await a.get("/uneeq/served-by-a")
    await b.get("/uneeq/served-by-b")
    assert [e["path"] for e in await journal(a)] == ["/uneeq/served-by-a"]
    assert [e["path"] for e in await journal(b)] == ["/uneeq/served-by-b"]


async def test_two_apps_migrating_one_empty_database_at_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """In one event loop the two migrations interleave statement by statement."""
    with postgres.database() as url:
        apps = [in_process(make_settings(tmp_path, database=url)) for _ in range(3)]
        try:
            clients = await asyncio.gather(*(anext(app) for app in apps))
            for http in clients:
                assert (await http.get("/_emulator/health")).json()["status"] == "ready"
            token = await issue(clients[0], DEMO)
            started = await clients[2].post(START_PATH, json=sdk_body(token))
            assert started.status_code == 200
        finally:
            for app in apps:
                await app.aclose()
