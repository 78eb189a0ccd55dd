"""Two `serve` processes on one SQLite file: what one changes, the other's very next
request obeys, although each remembers the clock row, the armed faults and
fixture rows between requests (core/storage/remembered.py).

Every case first makes the other process remember the old state (a request
that reads it), then changes it through the first, then asks the second once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.vendors.uneeq.conftest import START_PATH, TOKEN_PATH, issue, sdk_body
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt

pytestmark = pytest.mark.anyio

NOW_ISO = "2030-03-17T17:46:40Z"
SECRET = "staleness-secret-TEST-ONLY-0123456789"
ADDED = {"id": "added", "secret": SECRET, "region": "us"}


def added_request() -> dict[str, Any]:
    return {
        "content": uneeq_request_jwt(SECRET, "added"),
        "headers": {"workspace": "added", "content-type": "application/jwt"},
    }


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory = tmp_path_factory.mktemp("staleness")
    database = directory / "emulator.sqlite3"
    pair = [
        EmulatorProcess(database, fixtures=FIXTURES, log_path=directory / f"{name}.log")
        for name in ("a", "b")
    ]
    try:
        for process in pair:
            process.start()
        yield pair[0].url, pair[1].url
    finally:
        for process in pair:
            process.stop()


@pytest.fixture
async def pair(
    processes: tuple[str, str],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=processes[0], timeout=30) as a,
        httpx.AsyncClient(base_url=processes[1], timeout=30) as b,
    ):
        (await b.post("/_emulator/reset")).raise_for_status()
        (await b.post("/_emulator/clock", json={"freeze": True})).raise_for_status()
        (await b.post("/_emulator/clock", json={"set": NOW_ISO})).raise_for_status()
        yield a, b


async def last_entry(http: httpx.AsyncClient) -> dict[str, Any]:
    entries: list[dict[str, Any]] = (await http.get("/_emulator/requests")).json()["requests"]
    return entries[0]  # newest first


async def test_clock_moved_frozen_and_set_real_through_one(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    token = await issue(a)  # a remembers the frozen clock
    (await b.post("/_emulator/clock", json={"advance": 300})).raise_for_status()
    refused = await a.post(START_PATH, json=sdk_body(token))
    assert refused.status_code == 401 and refused.text == "Unauthorized"
    entry = await last_entry(a)
    assert entry["reason"] == "token expired at 2030-03-17T17:51:40.000Z"
    assert entry["time"] == "2030-03-17T17:51:40.000Z"
    # Back to real time through b: a's next request is stamped with today, not 2030.
    (await b.post("/_emulator/clock", json={"real": True})).raise_for_status()
    await a.post(TOKEN_PATH)
    assert not (await last_entry(a))["time"].startswith("2030-")


async def test_fault_added_and_removed_through_one(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    assert (await a.post(TOKEN_PATH)).status_code == 400  # a remembers: no fault armed
    made = await b.post(
        "/_emulator/faults", json={"vendor": "uneeq", "route": "token", "status": 503, "times": 5}
    )
    fault_id = made.json()["fault"]["id"]
    forced = await a.post(TOKEN_PATH)
    assert forced.status_code == 503 and forced.text == "Service Unavailable"
    assert (await last_entry(a))["reason"] == f"status 503 forced by fault #{fault_id}"
    (await b.delete(f"/_emulator/faults/{fault_id}")).raise_for_status()
    normal = await a.post(TOKEN_PATH)
    assert normal.status_code == 400
    assert (await last_entry(a))["reason"] == "missing 'workspace' header"


async def test_fixture_added_through_one_after_the_other_found_it_missing(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = pair
    missing = await a.post(TOKEN_PATH, **added_request())  # a remembers: no such workspace
    assert missing.status_code == 403 and missing.text == "Forbidden"
    added = await b.post(
        "/_emulator/fixtures", json={"vendor": "uneeq", "fixtures": {"workspaces": [ADDED]}}
    )
    assert added.status_code == 201
    found = await a.post(TOKEN_PATH, **added_request())
    assert found.status_code == 200, found.headers.get("x-emulator-reason")
    # A reset through b: a forgets the workspace it now remembers.
    (await b.post("/_emulator/reset")).raise_for_status()
    gone = await a.post(TOKEN_PATH, **added_request())
    assert gone.status_code == 403 and gone.text == "Forbidden"
    assert (await last_entry(a))["reason"] == "unknown workspace 'added'"
