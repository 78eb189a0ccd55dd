"""Injected faults: forced statuses in each vendor's own shape, times, delays, drops, draws."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import in_process, last_request, make_settings
from tests.vendor_targets import (
    UNKNOWN_VENDOR,
    VALID_VENDORS,
    Target,
    assert_in_vendors_shape,
    token_targets,
    vendor_ids,
)

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

NOW_ISO = "2030-03-17T17:46:40Z"
# Each vendor's token route (the fault acts before the endpoint, so the request need
# not be valid).
TARGETS = token_targets()


async def fault(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/_emulator/faults", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["fault"]
    return created


@pytest.fixture
async def frozen_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await client.post("/_emulator/clock", json={"freeze": True})
    await client.post("/_emulator/clock", json={"set": NOW_ISO})
    return client


@pytest.mark.parametrize("target", TARGETS, ids=str)
@pytest.mark.parametrize(
    ("status", "phrase"), [(500, "Internal Server Error"), (503, "Service Unavailable")]
)
async def test_a_forced_status_comes_in_the_vendors_shape_as_many_times_as_asked(
    frozen_client: httpx.AsyncClient, target: Target, status: int, phrase: str
) -> None:
    client = frozen_client
    vendor, route, method, path = target.vendor.id, target.route, target.method, target.path
    made = await fault(client, vendor=vendor, route=route, status=status, times=2)
    assert made["route"] == f"{vendor}:{route}" and made["times_left"] == 2
    for left in (1, 0):
        response = await client.request(method, path)
        assert_in_vendors_shape(target.vendor, response, status, phrase)
        entry = await last_request(client, vendor=vendor)
        assert entry["forced"] is True and entry["fault"] == made["id"]
        assert entry["reason"] == f"status {status} forced by fault #{made['id']}"
        assert entry["route"] == f"{vendor}:{route}"
        active = (await client.get("/_emulator/faults")).json()["faults"]
        assert [f["times_left"] for f in active] == ([left] if left else [])
    normal = await client.request(method, path)
    assert normal.status_code not in (500, 503)
    assert (await last_request(client, vendor=vendor))["forced"] is False


async def test_a_fault_without_route_hits_every_route_of_its_vendor_only(
    client: httpx.AsyncClient,
) -> None:
    await fault(client, vendor="web1on1", status=500, times=2)
    assert (await client.get("/web1on1/v2/contacts")).status_code == 500
    assert (await client.post("/unifize/application/token")).status_code == 401
    assert (await client.post("/web1on1/v2/auth/token", json={})).status_code == 500
    assert (await client.get("/web1on1/v2/contacts")).status_code == 401


async def test_a_fault_can_match_one_method(client: httpx.AsyncClient) -> None:
    await fault(client, vendor="web1on1", route="token", method="get", status=502)
    assert (await client.post("/web1on1/v2/auth/token", json={})).status_code == 400
    assert (await client.get("/web1on1/v2/auth/token")).status_code == 502
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


@pytest.mark.parametrize("target", TARGETS, ids=str)
async def test_a_delay_answers_normally_but_late(client: httpx.AsyncClient, target: Target) -> None:
    vendor, route, method, path = target.vendor.id, target.route, target.method, target.path
    undelayed = await client.request(method, path)
    await fault(client, vendor=vendor, route=route, delay_ms=200)
    started = time.monotonic()
    response = await client.request(method, path)
    elapsed = time.monotonic() - started
    assert response.status_code == undelayed.status_code  # the vendor's own answer
    assert elapsed >= 0.2  # a lower bound only: the delay happened
    entry = await last_request(client, vendor=vendor)
    assert (
        entry["forced"] is True
        and entry["reason"]
        == (await client.get("/_emulator/requests", params={"vendor": vendor, "limit": 2})).json()[
            "requests"
        ][1]["reason"]
    )


async def test_a_delay_and_a_status_combine(client: httpx.AsyncClient) -> None:
    await fault(client, vendor="unifize", route="token", delay_ms=200, status=500)
    started = time.monotonic()
    response = await client.post("/unifize/application/token")
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 500


def draws(client: httpx.Client, n: int) -> list[int]:
    return [client.post("/widget/api/v1/widget/auth/guest").status_code for _ in range(n)]


def test_probability_draws_repeat_for_a_seed(live: httpx.Client) -> None:
    body = {"vendor": "widget", "route": "guest", "status": 500, "probability": 0.5, "times": 1000}
    live.post("/_emulator/faults", json={**body, "seed": 7}).raise_for_status()
    first = draws(live, 40)
    assert 5 < first.count(500) < 35  # some fire, some do not
    live.post("/_emulator/reset").raise_for_status()
    live.post("/_emulator/faults", json={**body, "seed": 7}).raise_for_status()
    assert draws(live, 40) == first
    live.post("/_emulator/reset").raise_for_status()
    live.post("/_emulator/faults", json={**body, "seed": 8}).raise_for_status()
    assert draws(live, 40) != first


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_a_dropped_connection_is_seen_as_closed(live: httpx.Client, target: Target) -> None:
    vendor, route, method, path = target.vendor.id, target.route, target.method, target.path
    made = live.post(
        "/_emulator/faults", json={"vendor": vendor, "route": route, "drop": True}
    ).json()["fault"]
    with pytest.raises(httpx.RemoteProtocolError):
        live.request(method, path)
    [entry] = live.get("/_emulator/requests", params={"vendor": vendor}).json()["requests"]
    assert entry["status"] == 0 and entry["forced"] is True and entry["fault"] == made["id"]
    assert entry["reason"] == f"connection dropped by fault #{made['id']}"
    assert live.request(method, path).status_code < 500  # the next one is answered


async def test_faults_are_shared_by_every_process_on_one_database(
    tmp_path: Path, database: str
) -> None:
    settings = make_settings(tmp_path, database=database)
    first, second = in_process(settings), in_process(settings)
    one, two = await anext(first), await anext(second)
    await fault(one, vendor="uneeq", route="token", status=500, times=3)
    path = "/uneeq/api/v1/clients/access/tokens"
    responses = await asyncio.gather(*(c.post(path) for c in (one, two) * 5))
    assert sorted(r.status_code for r in responses) == [400] * 7 + [500] * 3
    assert (await two.get("/_emulator/faults")).json()["faults"] == []
    for gen in (first, second):
        await gen.aclose()


async def test_delete_one_or_all_and_reset_clears_them(client: httpx.AsyncClient) -> None:
    a = await fault(client, vendor="uneeq", status=500, times=5)
    await fault(client, vendor="widget", status=500, times=5)
    removed = await client.delete(f"/_emulator/faults/{a['id']}")
    assert removed.status_code == 200 and removed.json()["fault"]["id"] == a["id"]
    assert [f["vendor"] for f in (await client.get("/_emulator/faults")).json()["faults"]] == [
        "widget"
    ]
    assert (await client.delete(f"/_emulator/faults/{a['id']}")).status_code == 404
    assert (await client.delete("/_emulator/faults/nope")).status_code == 404
    assert (await client.delete("/_emulator/faults")).json() == {"faults": []}
    await fault(client, vendor="widget", status=500)
    await client.post("/_emulator/reset")
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"vendor": UNKNOWN_VENDOR, "status": 500},
            f"unknown vendor {UNKNOWN_VENDOR!r}; valid: {VALID_VENDORS}",
        ),
        ({"status": 500}, f"unknown vendor 'None'; valid: {VALID_VENDORS}"),
        ({"vendor": "uneeq"}, "give status, drop or delay_ms"),
        (
            {"vendor": "uneeq", "status": 500, "drop": True},
            "status and drop exclude each other: a dropped connection has none",
        ),
        ({"vendor": "uneeq", "status": 99}, "status must be a whole number from 100 to 599"),
        ({"vendor": "uneeq", "status": 599}, "status 599 is not an HTTP status code"),
        ({"vendor": "uneeq", "status": "500"}, "status must be a whole number from 100 to 599"),
        (
            {"vendor": "uneeq", "status": 500, "times": 0},
            "times must be a whole number from 1 to 10,000",
        ),
        (
            {"vendor": "uneeq", "delay_ms": 60001},
            "delay_ms must be a whole number from 0 to 60,000",
        ),
        (
            {"vendor": "uneeq", "status": 500, "probability": 1.5},
            "probability must be a number from 0 to 1",
        ),
        (
            {"vendor": "uneeq", "status": 500, "method": "BREW"},
            "method must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
        ),
        (
            {"vendor": "uneeq", "status": 500, "colour": "red"},
            "unknown field colour; "
            "use delay_ms, drop, method, probability, route, seed, status, times, vendor",
        ),
    ],
)
async def test_bad_faults_are_400(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    response = await client.post("/_emulator/faults", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


async def test_an_unknown_route_lists_the_valid_ones(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_emulator/faults", json={"vendor": "widget", "route": "login", "status": 500}
    )
    assert response.status_code == 400
    listed = (await client.get("/_emulator/routes")).json()["vendors"]
    shorts = [r["short"] for v in listed if v["id"] == "widget" for r in v["routes"]]
    assert sorted(shorts) == ["config", "exchange", "guest", "refresh", "user-token"]
    valid = ", ".join(shorts)
    assert response.json() == {"error": f"unknown route 'login' for widget; valid: {valid}"}


async def test_routes_lists_every_vendor_route(client: httpx.AsyncClient) -> None:
    """Each route's paths work as listed: every one is served (a POST with no body is
    answered by the vendor, not 404)."""
    listed = {v["id"]: v for v in (await client.get("/_emulator/routes")).json()["vendors"]}
    assert list(listed) == vendor_ids()
    uneeq = {r["name"]: r for r in listed["uneeq"]["routes"]}
    assert uneeq["uneeq:token"]["methods"] == ["POST"]
    # The path without a region first (any region's workspace), then the regional ones.
    token = "/api/v1/clients/access/tokens"
    assert uneeq["uneeq:token"]["path"] == f"/uneeq{token}"
    assert uneeq["uneeq:token"]["paths"][:2] == [f"/uneeq{token}", f"/uneeq{token}/"]
    assert {f"/uneeq/{region}{token}" for region in ("us", "eu", "au", "sg")} <= set(
        uneeq["uneeq:token"]["paths"]
    )
    widget = {r["name"]: r for r in listed["widget"]["routes"]}
    assert all(r["paths"] == [r["path"]] for r in widget.values())
    for vendor in listed.values():
        for route in vendor["routes"]:
            for path in route["paths"]:
                filled = re.sub(r"\{[^}]+\}", "x1", path)
                await client.request(route["methods"][0], filled)
                [entry] = (await client.get("/_emulator/requests", params={"limit": 1})).json()[
                    "requests"
                ]
                assert entry["route"] == route["name"], (path, entry)
    assert "web1on1:contact" in {r["name"] for r in listed["web1on1"]["routes"]}
    assert all(
        r["short"] == r["name"].split(":", 1)[1] for v in listed.values() for r in v["routes"]
    )
