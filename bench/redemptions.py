"""5. Single-use redemptions per second with durable writes, checked exactly-once.

The single-use thing is the token of the vendor whose client declares a
redemption (UneeQ's: its token request mints it, `POST .../start-session`
redeems it with one conditional UPDATE in the store and creates the
session). N tokens are minted first (untimed), then redeemed
all at once, 32 at a time (in-process: 32 concurrent callers; over HTTP: 32
connections of wrk, sending each token once from a list in its Lua script, or
of the Python generator where wrk is missing). The untimed passes over HTTP use
the Python generator, which tells each answer's token. Exactly-once, checked on
every run:

- first pass: every token answers 200 exactly once;
- second pass: the same tokens again, every one refused (the redemption's
  refused status, UneeQ's 401);
- the store (GET /_emulator/state/<vendor>): exactly N entries of the
  redemption's section, one per token;
- a race: R more tokens, each sent twice in the same pass: exactly one 200 per
  token (across both processes in the 2-process case).

Durability is the emulator's own: SQLite in WAL mode (read from the database
file with the standard library) and the connection's `synchronous` setting
(read in-process through the store's public door).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench import load, servers
from bench.asgi import AsgiCaller, running
from bench.reference_app import create_reference_app
from bench.workloads import (
    BARE_REQUEST,
    HttpRequest,
    json_body,
    redeem_request,
    redeeming,
    redemption_of,
    token_request,
)
from token_emulator.app import create_app
from token_emulator.core.vendor_client import VendorClient
from token_emulator.settings import Settings

CONCURRENCY = 32
# What wrk sends once every token is out (its answer, told apart by this text, is not
# counted), and the slowest rate a run is given time for before it counts as unfinished.
HEALTH_PATH = "/_emulator/health"
HEALTH_ANSWER = '"status":"ready"'
MIN_EXPECTED_RATE = 500
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def journal_mode(database: Path) -> str:
    """WAL is a property of the file: read it the way a test would, read-only."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        mode: str = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return mode


async def _synchronous(caller: AsgiCaller) -> str:
    """`synchronous` belongs to the connection, not the file: ask the store's own."""
    try:
        from sqlalchemy import text

        world = caller.state["world"]
        async with world.store.read() as conn:
            value = (await conn.execute(text("PRAGMA synchronous"))).scalar()
        return SYNCHRONOUS.get(int(value), str(value))
    except Exception as error:  # the store's insides are being rewritten: say so, go on
        return f"unknown ({type(error).__name__}: {error})"


def _exactly_once(
    tokens: list[str],
    first: list[tuple[str, int]],
    first_counts: dict[int, int],
    second: list[tuple[str, int]],
    refused: int,
) -> dict[str, Any]:
    """`first`: (token, status) per request of the first pass, or empty when the
    generator told only `first_counts` (wrk, which sent each token once: then every
    answer a 200 is each token's one success, and the store's sessions, checked
    apart, show which tokens made them).

    Counts alone would pass a token sent twice and another never sent, if the server
    wrongly took the repeat: the second pass (every token refused) and one stored
    session per token close that, so the three hold only together (report.py)."""
    second_counts = Counter(status for _token, status in second)
    if first:
        successes = Counter(token for token, status in first if status == 200)
        each_once = len(first) == len(tokens) and all(successes[t] == 1 for t in tokens)
    else:
        each_once = first_counts == {200: len(tokens)}
    return {
        "first_pass": {str(s): n for s, n in sorted(first_counts.items())},
        "second_pass": {str(s): n for s, n in sorted(second_counts.items())},
        "each_token_once": each_once,
        "second_pass_all_refused": second_counts == Counter({refused: len(tokens)}),
    }


def _race(tokens: list[str], outcomes: list[tuple[str, int]], refused: int) -> dict[str, Any]:
    successes = Counter(token for token, status in outcomes if status == 200)
    statuses = Counter(status for _token, status in outcomes)
    return {
        "tokens": len(tokens),
        "requests": len(outcomes),
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "one_success_per_token": all(successes[token] == 1 for token in tokens)
        and statuses == Counter({200: len(tokens), refused: len(tokens)}),
    }


def _stored(client: VendorClient, state: dict[str, Any], tokens: Iterable[str]) -> dict[str, Any]:
    """One entry of the redemption's section of the vendor's state per token."""
    redemption = redemption_of(client)
    entries = state.get(redemption.stored_in, [])
    by_token = Counter(entry.get(redemption.token_key) for entry in entries)
    wanted = list(tokens)
    return {
        "section": redemption.stored_in,
        "entries": len(entries),
        "one_entry_per_token": len(entries) == len(wanted)
        and all(by_token[token] == 1 for token in wanted),
    }


def _state_request(client: VendorClient) -> HttpRequest:
    return HttpRequest("GET", f"/_emulator/state/{client.id}")


def _token_of(client: VendorClient, body: bytes) -> str:
    token: str = json.loads(body)[client.token_field]
    return token


# --- in-process -----------------------------------------------------------------------


async def _gather(
    caller: AsgiCaller, requests: list[tuple[str, HttpRequest]]
) -> tuple[list[tuple[str, int, bytes]], float]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(key: str, request: HttpRequest) -> tuple[str, int, bytes]:
        async with gate:
            status, body = await request.send(caller)
            return key, status, body

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(key, request) for key, request in requests))
    return list(answers), time.perf_counter() - started


def _redeem_requests(
    client: VendorClient, tokens: list[str], times: int = 1
) -> list[tuple[str, HttpRequest]]:
    return [(token, redeem_request(client, token)) for token in tokens for _ in range(times)]


async def _mint(caller: AsgiCaller, client: VendorClient, fixtures: Path, count: int) -> list[str]:
    request = token_request(client, fixtures)
    answers, _ = await _gather(caller, [("", request)] * count)
    if any(status != 200 for _key, status, _body in answers):
        raise RuntimeError(f"minting {client.title} tokens was refused")
    return [_token_of(client, body) for _key, _status, body in answers]


async def _in_process(
    client: VendorClient, work: Path, fixtures: Path, count: int, race: int
) -> dict[str, Any]:
    refused = redemption_of(client).refused_status
    database = work / "redemptions-in-process.sqlite3"
    settings = Settings(fixtures_dir=fixtures, database=str(database))
    async with running(create_app(settings)) as caller:
        tokens = await _mint(caller, client, fixtures, count)
        redeem = _redeem_requests(client, tokens)
        cpu_before = time.process_time()
        first, seconds = await _gather(caller, redeem)
        cpu = time.process_time() - cpu_before
        second, _ = await _gather(caller, redeem)
        racing = await _mint(caller, client, fixtures, race)
        raced, _ = await _gather(caller, _redeem_requests(client, racing, times=2))
        status, body = await _state_request(client).send(caller)
        state = json.loads(body) if status == 200 else {}
        synchronous = await _synchronous(caller)
    return {
        "redemptions": count,
        "seconds": seconds,
        "per_second": count / seconds,
        "cpu_ms_per_redemption": cpu / count * 1000,
        "concurrency": CONCURRENCY,
        **_exactly_once(tokens, _pairs(first), _counts(first), _pairs(second), refused),
        "race": _race(racing, _pairs(raced), refused),
        "store": _stored(client, state, [*tokens, *racing]),
        "journal_mode": journal_mode(database),
        "synchronous": synchronous,
    }


def _pairs(answers: list[tuple[str, int, bytes]]) -> list[tuple[str, int]]:
    return [(key, status) for key, status, _body in answers]


def _counts(answers: list[tuple[str, int, bytes]]) -> dict[int, int]:
    return dict(Counter(status for _key, status, _body in answers))


# --- over HTTP --------------------------------------------------------------------------


def _send_all(
    port: int, requests: list[tuple[str, HttpRequest]]
) -> tuple[load.LoadResult, list[tuple[str, int, bytes]]]:
    items = [(key, request.wire(port)) for key, request in requests]
    return load.run_python(
        port, items, connections=CONCURRENCY, seconds=600, expected_status=200, record=True
    )


def _mint_http(port: int, client: VendorClient, fixtures: Path, count: int) -> list[str]:
    _result, answers = _send_all(port, [("", token_request(client, fixtures))] * count)
    if len(answers) != count or any(status != 200 for _k, status, _b in answers):
        raise RuntimeError(f"minting {client.title} tokens over HTTP was refused")
    return [_token_of(client, body) for _key, _status, body in answers]


def _timed_pass(
    port: int, requests: list[tuple[str, HttpRequest]], wrk: str | None
) -> tuple[load.LoadResult, list[tuple[str, int]]]:
    """Send each request once, 32 at a time, timed: with wrk when there is one (it takes
    less of the shared cores than the Python generator, whose own ceiling against bare
    Starlette here is near the emulator's two-process rate); (key, status) per request
    from the Python generator, from wrk only the count of each status (it cannot say
    which answer was whose)."""
    if wrk is None:
        result, answers = _send_all(port, requests)
        return result, _pairs(answers)
    result = load.run_wrk_each_once(
        wrk,
        port,
        [request for _key, request in requests],
        filler_path=HEALTH_PATH,
        filler_answer=HEALTH_ANSWER,
        connections=CONCURRENCY,
        seconds=len(requests) / MIN_EXPECTED_RATE + 2,
    )
    return result, []


def _over_http(
    client: VendorClient,
    work: Path,
    fixtures: Path,
    count: int,
    race: int,
    processes: int,
    wrk: str | None,
) -> dict[str, Any]:
    refused = redemption_of(client).refused_status
    with servers.emulator(work, fixtures, workers=processes, name=f"redeem-{processes}") as server:
        server.wait_for_every_worker()
        tokens = _mint_http(server.port, client, fixtures, count)
        redeem = _redeem_requests(client, tokens)
        cpu_before = server.cpu_seconds()
        first_result, first = _timed_pass(server.port, redeem, wrk)
        cpu = server.cpu_seconds() - cpu_before
        _second_result, second = _send_all(server.port, redeem)
        racing = _mint_http(server.port, client, fixtures, race)
        _race_result, raced = _send_all(server.port, _redeem_requests(client, racing, times=2))
        _state_result, state_answer = _send_all(server.port, [("state", _state_request(client))])
        state = json.loads(state_answer[0][2]) if state_answer[0][1] == 200 else {}
        database = Path(server.command[server.command.index("--database") + 1])
        mode = journal_mode(database)
    return {
        "processes": processes,
        "redemptions": count,
        "generator": first_result.generator,
        # Every token answered in the first pass (wrk's run is capped in time).
        "complete": first_result.requests == count,
        "notes": first_result.notes,
        "seconds": first_result.seconds,
        "per_second": first_result.requests / first_result.seconds,
        "latency_ms": first_result.latency_ms,
        "server_cpu_ms_per_redemption": cpu / count * 1000,
        "connections": CONCURRENCY,
        **_exactly_once(tokens, first, first_result.statuses, _pairs(second), refused),
        "race": _race(racing, _pairs(raced), refused),
        "store": _stored(client, state, [*tokens, *racing]),
        "journal_mode": mode,
    }


def _generator_ceiling(work: Path, count: int, wrk: str | None) -> dict[str, Any]:
    """The same generator against the bare reference app: how fast it can go at all here
    (distinct bodies, as the tokens are)."""
    bodies = [
        HttpRequest(
            BARE_REQUEST.method, BARE_REQUEST.path, BARE_REQUEST.headers, json_body({"n": n})
        )
        for n in range(count)
    ]
    with servers.reference(work) as bare:
        result, _ = _timed_pass(bare.port, [("", request) for request in bodies], wrk)
    return {
        "generator": result.generator,
        "requests": result.requests,
        "per_second": result.per_second,
        "clean": result.clean and result.requests == count,
    }


async def _bare_in_process(count: int) -> dict[str, Any]:
    async with running(create_reference_app()) as caller:
        answers, seconds = await _gather(caller, [("", BARE_REQUEST)] * count)
    ok = all(status == 200 for _key, status, _body in answers)
    return {"requests": count, "per_second": count / seconds, "clean": ok}


def run(
    work: Path,
    fixtures: Path,
    *,
    count: int,
    race: int,
    process_counts: tuple[int, ...] = (1, 2),
    wrk: str | None = None,
) -> dict[str, Any]:
    """`wrk`: its path, to time the first pass over HTTP with it; None: the Python generator."""
    work.mkdir(parents=True, exist_ok=True)
    client = redeeming()
    redeem = redeem_request(client, "<token>")
    return {
        "vendor": client.id,
        "single_use_thing": f"{client.title} token, redeemed by {redeem.method} {redeem.path}",
        "in_process": asyncio.run(_in_process(client, work, fixtures, count, race)),
        "in_process_floor": asyncio.run(_bare_in_process(count)),
        "http": {
            str(n): _over_http(client, work, fixtures, count, race, n, wrk) for n in process_counts
        },
        "http_generator_ceiling": _generator_ceiling(work, count, wrk),
    }
