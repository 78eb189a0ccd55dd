"""GET/POST /_emulator/clock: read, advance, set, freeze, back to real; shared by processes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES
from token_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]


ONE_ACTION = "give exactly one of advance, set, freeze, real (or set with freeze: true)"
SECONDS = "advance must be a finite number of seconds or a duration such as 15m"


def instant(reading: dict[str, Any]) -> float:
    return datetime.fromisoformat(reading["now"]).timestamp()


async def test_reading_has_the_documented_shape(client: httpx.AsyncClient) -> None:
    reading = (await client.get("/_emulator/clock")).json()
    assert set(reading) == {"now", "frozen", "offset_seconds"}
    assert reading["now"].endswith("Z") and reading["frozen"] is False
    assert reading["offset_seconds"] == 0


async def test_advance_set_freeze_real(client: httpx.AsyncClient) -> None:
    before = instant((await client.get("/_emulator/clock")).json())
    advanced = (await client.post("/_emulator/clock", json={"advance": 3600})).json()
    assert advanced["offset_seconds"] == 3600
    assert 3600 <= instant(advanced) - before < 3660

    frozen = (await client.post("/_emulator/clock", json={"freeze": True})).json()
    assert frozen["frozen"] is True
    again = (await client.get("/_emulator/clock")).json()
    assert again["now"] == frozen["now"], "a frozen clock does not move"

    moved = (await client.post("/_emulator/clock", json={"advance": 1.5})).json()
    assert instant(moved) - instant(frozen) == pytest.approx(1.5)
    assert moved["frozen"] is True

    fixed = (await client.post("/_emulator/clock", json={"set": "2031-02-03T04:05:06Z"})).json()
    assert fixed["now"] == "2031-02-03T04:05:06.000Z" and fixed["frozen"] is True

    real = (await client.post("/_emulator/clock", json={"real": True})).json()
    assert real["frozen"] is False and real["offset_seconds"] == 0
    assert abs(instant(real) - before) < 60


async def test_set_while_running_keeps_running(client: httpx.AsyncClient) -> None:
    reading = await client.post("/_emulator/clock", json={"set": "2040-01-01T00:00:00+02:00"})
    body = reading.json()
    assert body["frozen"] is False
    assert abs(instant(body) - datetime.fromisoformat("2040-01-01T00:00:00+02:00").timestamp()) < 5


@pytest.mark.parametrize(
    ("advance", "seconds"),
    [("15m", 900), ("-5m", -300), ("1h30m", 5400), ("90", 90), (-2.5, -2.5), ("1d", 86400)],
)
async def test_advance_takes_durations_as_the_command_line_does(
    client: httpx.AsyncClient, advance: str | float, seconds: float
) -> None:
    moved = await client.post("/_emulator/clock", json={"advance": advance})
    assert moved.status_code == 200
    assert moved.json()["offset_seconds"] == pytest.approx(seconds)


async def test_set_and_freeze_in_one_call_lands_exactly(client: httpx.AsyncClient) -> None:
    body = {"set": "2031-02-03T04:05:06.250Z", "freeze": True}
    fixed = (await client.post("/_emulator/clock", json=body)).json()
    assert fixed["now"] == "2031-02-03T04:05:06.250Z" and fixed["frozen"] is True
    assert (await client.get("/_emulator/clock")).json()["now"] == fixed["now"]
    # A frozen clock is set and stays frozen, with or without `freeze`.
    again = (await client.post("/_emulator/clock", json={"set": "2032-01-01T00:00:00"})).json()
    assert again == {**again, "now": "2032-01-01T00:00:00.000Z", "frozen": True}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, ONE_ACTION),
        ({"advance": 1, "freeze": True}, ONE_ACTION),
        ({"set": "2031-02-03T04:05:06Z", "freeze": False}, ONE_ACTION),
        ({"set": "2031-02-03T04:05:06Z", "real": True}, ONE_ACTION),
        ({"rewind": 5}, f"{ONE_ACTION}; unknown: rewind"),
        (
            {"advance": "soon"},
            "advance: 'soon' is not a duration; write e.g. 90s, 15m, 2h, 1d, 1h30m",
        ),
        ({"advance": "30m1h"}, "advance: '30m1h': give units once each, largest first (1h30m)"),
        ({"advance": True}, SECONDS),
        ({"set": "yesterday"}, "set: 'yesterday' is not an ISO-8601 instant"),
        ({"set": 12}, "set must be an ISO-8601 instant"),
        ({"freeze": False}, "freeze must be true"),
        ({"real": "yes"}, "real must be true"),
        ([1], "body is an array, not an object"),
    ],
)
async def test_refusals(client: httpx.AsyncClient, body: Any, message: str) -> None:
    before = (await client.get("/_emulator/clock")).json()
    response = await client.post("/_emulator/clock", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    after = (await client.get("/_emulator/clock")).json()
    assert after["offset_seconds"] == before["offset_seconds"] and not after["frozen"]


async def test_not_json_and_not_finite(client: httpx.AsyncClient) -> None:
    response = await client.post("/_emulator/clock", content=b"{advance")
    assert response.json() == {"error": "body is not JSON"}
    nan = await client.post("/_emulator/clock", content=b'{"advance": NaN}')
    assert nan.json() == {"error": "body holds NaN or Infinity, which is not JSON"}


def test_two_processes_share_one_clock(database: str) -> None:
    with (
        EmulatorProcess(database, fixtures=FIXTURES) as first,
        EmulatorProcess(database, fixtures=FIXTURES) as second,
    ):
        httpx.post(f"{first.url}/_emulator/clock", json={"advance": 900}).raise_for_status()
        seen = httpx.get(f"{second.url}/_emulator/clock").json()
        assert seen["offset_seconds"] == 900
        httpx.post(f"{second.url}/_emulator/clock", json={"freeze": True}).raise_for_status()
        assert httpx.get(f"{first.url}/_emulator/clock").json()["frozen"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"advance": 1e35}, "advance: the clock stays between 1970-01-01 and 9000-01-01"),
        ({"advance": int("9" * 400)}, SECONDS),
        ({"advance": "9999999w"}, "advance: the clock stays between 1970-01-01 and 9000-01-01"),
        ({"advance": -1e12}, "advance: the clock stays between 1970-01-01 and 9000-01-01"),
        ({"set": "9999-12-31T23:59:00Z"}, "set: the clock stays between 1970-01-01 and 9000-01-01"),
        ({"set": "0001-01-01T00:00:00Z"}, "set: the clock stays between 1970-01-01 and 9000-01-01"),
    ],
)
async def test_the_clock_stays_in_range(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    response = await client.post("/_emulator/clock", json=body)
    assert response.status_code == 400 and response.json() == {"error": message}
    assert (await client.get("/_emulator/clock")).json()["offset_seconds"] == 0


async def test_deeply_nested_control_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/_emulator/clock", content=b"[" * 5000 + b"]" * 5000)
    assert response.json() == {"error": "body is nested too deeply"}
