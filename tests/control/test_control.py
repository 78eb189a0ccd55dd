"""Health, reset, the request journal and the state view."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest

from tests.conftest import FIXTURES, in_process, make_settings
from tests.vendor_targets import UNKNOWN_VENDOR, VALID_VENDORS
from tests.vendors.uneeq.conftest import DEMO, TOKEN_PATH, token_request
from token_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]


async def issue(client: httpx.AsyncClient, secret: str = DEMO["secret"]) -> httpx.Response:
    return await client.post(TOKEN_PATH, **token_request({**DEMO, "secret": secret}))


async def test_health(client: httpx.AsyncClient, database: str, database_kind: str) -> None:
    response = await client.get("/_emulator/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert "uneeq" in body["vendors"]
    assert body["fixtures"]["files"]["uneeq"] == "uneeq.toml"
    if database_kind == "sqlite":
        assert body["database"].startswith("sqlite+pysqlite:///")
    else:  # the URL without its user (and password)
        assert body["database"] == database.replace("postgres@", "")


async def test_journal_is_in_the_order_of_arrival_whatever_the_clock(
    client: httpx.AsyncClient,
) -> None:
    """Moved forward 15 minutes and back to real, the emulator times jump; the order and
    the real times do not."""
    await issue(client)
    await client.post("/_emulator/clock", json={"advance": "15m"})
    await issue(client)
    await client.post("/_emulator/clock", json={"real": True})
    await issue(client)
    entries = (await client.get("/_emulator/requests")).json()["requests"]
    emulator = [datetime.fromisoformat(e["time"]) for e in entries]
    real = [datetime.fromisoformat(e["real_time"]) for e in entries]
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert real == sorted(real, reverse=True), "newest first by the machine's clock"
    assert emulator[1] - emulator[0] > timedelta(minutes=14), "the middle one ran 15m ahead"
    assert abs(emulator[0] - real[0]) < timedelta(seconds=1)


async def test_a_slow_answer_keeps_its_place_of_arrival(client: httpx.AsyncClient) -> None:
    """The first request is held 300 ms by a fault, the second answers at once: the
    journal still lists the first as the older one."""
    fault = {"vendor": "uneeq", "route": "token", "delay_ms": 300}
    assert (await client.post("/_emulator/faults", json=fault)).status_code == 201

    async def second() -> httpx.Response:
        await anyio.sleep(0.05)  # after the first has arrived (real time: the fault's delay)
        return await client.get("/uneeq/nowhere")

    async with anyio.create_task_group() as group:
        group.start_soon(issue, client)
        group.start_soon(second)
    entries = (await client.get("/_emulator/requests")).json()["requests"]
    assert [(e["route"], e["path"]) for e in entries] == [
        (None, "/uneeq/nowhere"),
        ("uneeq:token", TOKEN_PATH),
    ]


async def test_reset_restores_fixtures_clock_and_journal(client: httpx.AsyncClient) -> None:
    assert (await issue(client)).status_code == 200
    await client.post("/_emulator/clock", json={"advance": 500})
    await client.post("/_emulator/clock", json={"freeze": True})
    response = await client.post("/_emulator/reset")
    assert response.status_code == 200
    assert response.json()["clock"]["offset_seconds"] == 0
    state = (await client.get("/_emulator/state/uneeq")).json()
    assert state["tokens"] == [] and state["sessions"] == []
    assert [w["id"] for w in state["workspaces"]] == ["demo", "demo-eu"]
    clock = (await client.get("/_emulator/clock")).json()
    assert clock["frozen"] is False and clock["offset_seconds"] == 0
    assert (await client.get("/_emulator/requests")).json() == {"requests": []}


async def test_journal_entries_filters_and_order(client: httpx.AsyncClient) -> None:
    await issue(client)
    await issue(client, secret="wrong")
    await client.get("/uneeq/nowhere")
    await client.get("/elsewhere")
    entries = (await client.get("/_emulator/requests")).json()["requests"]
    assert [e["status"] for e in entries] == [404, 404, 401, 200], "newest first"
    assert set(entries[0]) == {
        "id",
        "real_time",
        "time",
        "vendor",
        "route",
        "method",
        "path",
        "status",
        "reason",
        "fault",
        "forced",
    }
    assert entries[0]["forced"] is False and entries[0]["fault"] is None
    assert entries[0]["vendor"] is None and entries[1]["vendor"] == "uneeq"
    assert entries[1]["reason"] == "no route for GET /uneeq/nowhere"

    async def found(**params: str) -> list[dict[str, object]]:
        response = await client.get("/_emulator/requests", params=params)
        entries: list[dict[str, object]] = response.json()["requests"]
        return entries

    async def statuses(**params: str) -> list[object]:
        return [e["status"] for e in await found(**params)]

    assert await statuses(vendor="uneeq") == [404, 401, 200]
    assert await statuses(status="401") == [401]
    assert await statuses(status="4xx") == [404, 404, 401]
    assert await statuses(limit="1") == [404]
    assert await statuses(route="token") == [401, 200]
    assert await statuses(route="uneeq:token") == [401, 200]
    [refused] = await found(status="401")
    assert refused["reason"] == "signature does not verify with workspace demo's secret"

    cleared = await client.delete("/_emulator/requests")
    assert cleared.json() == {"requests": []}
    assert (await client.get("/_emulator/requests")).json() == {"requests": []}


async def test_control_requests_are_not_journaled(client: httpx.AsyncClient) -> None:
    await client.get("/_emulator/clock")
    await client.get("/_emulator/health")
    assert (await client.get("/_emulator/requests")).json() == {"requests": []}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "x"}, "limit must be a whole number"),
        ({"limit": "0"}, "limit must be at least 1"),
        ({"status": "oops"}, "status must be a code (401) or a class (4xx)"),
        ({"status": "\u00b9xx"}, "status must be a code (401) or a class (4xx)"),
        ({"status": "6xx"}, "status must be a code (401) or a class (4xx)"),
        (
            {"colour": "red"},
            "unknown filter colour; use vendor, route, status, method, since, until, limit, "
            "bodies, reveal, body.<field>=<value>",
        ),
    ],
)
async def test_journal_filter_refusals(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await client.get("/_emulator/requests", params=params)
    assert response.status_code == 400 and response.json() == {"error": message}


async def test_journal_is_bounded(tmp_path: Path, database: str) -> None:
    async for client in in_process(make_settings(tmp_path, database=database, journal_size=5)):
        for _ in range(8):
            await client.get("/uneeq/nowhere")
        entries = (await client.get("/_emulator/requests")).json()["requests"]
        assert len(entries) == 5


async def test_state_of_an_unknown_vendor(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/_emulator/state/{UNKNOWN_VENDOR}")
    assert response.status_code == 404
    assert response.json()["error"] == f"unknown vendor {UNKNOWN_VENDOR!r}; known: {VALID_VENDORS}"


async def test_state_masks_secrets(client: httpx.AsyncClient) -> None:
    state = (await client.get("/_emulator/state/uneeq")).json()
    rendered = str(state)
    assert DEMO["secret"] not in rendered
    assert state["workspaces"][0]["secret"].startswith(DEMO["secret"][:4] + "…")


async def test_unknown_control_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/_emulator/nothing")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}


def test_a_reset_through_one_process_empties_every_journal(database: str) -> None:
    with (
        EmulatorProcess(database, fixtures=FIXTURES) as first,
        EmulatorProcess(database, fixtures=FIXTURES) as second,
    ):
        httpx.get(f"{second.url}/uneeq/nowhere")
        assert httpx.get(f"{second.url}/_emulator/requests").json()["requests"]
        httpx.post(f"{first.url}/_emulator/reset").raise_for_status()
        assert httpx.get(f"{second.url}/_emulator/requests").json() == {"requests": []}
        httpx.get(f"{second.url}/uneeq/after-reset")
        [entry] = httpx.get(f"{second.url}/_emulator/requests").json()["requests"]
        assert entry["path"] == "/uneeq/after-reset"


def test_a_plain_sqlite_url_is_accepted(tmp_path: Path) -> None:
    with EmulatorProcess(f"sqlite:///{tmp_path / 'url.sqlite3'}", fixtures=FIXTURES) as server:
        assert (
            httpx.get(f"{server.url}/_emulator/health")
            .json()["database"]
            .startswith("sqlite+pysqlite:///")
        )
