"""Cross-site requests and DNS rebinding (request_path/guard.py), in-process.

Every state-changing control call, sent the way a page on another origin would
send it (an `Origin` that is not the emulator's, `Origin: null`, or
`Sec-Fetch-Site: cross-site`), is refused 403 with its reason in the journal and
changes nothing; the same call without those headers (curl, httpx, the plugin)
works. A Host the emulator does not answer to is refused everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, IN_PROCESS_HOST, in_process, make_settings
from tests.vendors.uneeq.conftest import DEMO, TOKEN_PATH, token_request
from token_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.anyio

FOREIGN = {
    "another origin": {"Origin": "https://evil.example"},
    "another port": {"Origin": f"http://{IN_PROCESS_HOST}:8081"},
    "an opaque origin": {"Origin": "null"},
    "cross-site": {"Sec-Fetch-Site": "cross-site"},
    "same-site": {"Sec-Fetch-Site": "same-site", "Origin": f"http://{IN_PROCESS_HOST}"},
}
# What a page can send without a preflight: a "simple" request, as a form or no-cors fetch.
SIMPLE = {"Content-Type": "text/plain;charset=UTF-8"}
# A body for each state-changing call, as the attacker would send it.
BODIES: dict[str, Any] = {
    "/_emulator/clock": {"advance": 86_400_000},
    "/_emulator/faults": {"vendor": "uneeq", "status": 500, "times": 5},
    "/_emulator/fixtures": {
        "vendor": "web1on1",
        "fixtures": {
            "users": [
                {
                    "id": "a1b2c3d4e5f6a7b8c9d0e1f2",
                    "email": "attacker@evil.example",
                    "password": "attacker-password",
                    "role": "admin",
                    "organization": "5f47d86c51755a001dc41b80",
                }
            ]
        },
    },
    "/_emulator/login": {"token": "guess"},
}


def uneeq_token_request(**headers: str) -> dict[str, Any]:
    """A valid UneeQ token request, with `headers` added."""
    request = token_request(DEMO)
    return {**request, "headers": {**request["headers"], **headers}}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in in_process(make_settings(tmp_path, allowed_origins=("https://qa.example",))):
        yield c


async def state_changing_calls(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """Every control call that is not a read, from the OpenAPI document."""
    document = (await client.get("/_emulator/openapi.json")).json()
    found = []
    for path, item in document["paths"].items():
        if not path.startswith("/_emulator"):
            continue
        for method in item:
            if method in ("post", "put", "patch", "delete"):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(found)


async def snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    """Everything a control call could change, but the journal (refusals are added to it)."""
    clock = (await client.get("/_emulator/clock")).json()
    vendors = (await client.get("/_emulator/health")).json()["vendors"]
    states = {}
    for vendor in vendors:
        state = (await client.get(f"/_emulator/state/{vendor}")).json()
        state.pop("now")
        states[vendor] = state
    return {
        "clock": (clock["frozen"], round(clock["offset_seconds"])),
        "faults": (await client.get("/_emulator/faults")).json(),
        "states": states,
        "keys": (await client.get("/_emulator/web1on1/api-keys")).json(),
    }


async def test_every_state_changing_call_is_listed(client: httpx.AsyncClient) -> None:
    calls = await state_changing_calls(client)
    assert ("POST", "/_emulator/reset") in calls and ("POST", "/_emulator/login") in calls
    assert ("DELETE", "/_emulator/requests") in calls
    assert len(calls) >= 10


@pytest.mark.parametrize("how", list(FOREIGN))
async def test_a_foreign_page_changes_nothing(client: httpx.AsyncClient, how: str) -> None:
    await client.post(TOKEN_PATH, **token_request(DEMO))  # a journal entry to keep
    await client.post("/_emulator/faults", json={"vendor": "8x8", "status": 503})
    before = await snapshot(client)
    calls = await state_changing_calls(client)
    for method, path in calls:
        body = BODIES.get(path)
        response = await client.request(
            method,
            path,
            headers={**FOREIGN[how], **SIMPLE},
            content=None if body is None else json.dumps(body),
        )
        assert response.status_code == 403, (method, path, response.text)
        reason = response.json()["error"]
        assert "may not change" in reason and response.headers["x-emulator-reason"] == reason
    assert await snapshot(client) == before
    journal = (await client.get("/_emulator/requests")).json()["requests"]
    refused = [entry for entry in journal if entry["status"] == 403]
    assert len(refused) == len(calls)
    assert all("may not change" in entry["reason"] for entry in refused)
    assert any(entry["route"] == "uneeq:token" for entry in journal), "the journal was kept"


async def test_without_a_browsers_headers_every_call_works(client: httpx.AsyncClient) -> None:
    """curl, httpx, the plugin and the QA commands send no Origin: nothing changes for them."""
    assert (await client.post("/_emulator/clock", json={"advance": 60})).status_code == 200
    added = await client.post("/_emulator/faults", json={"vendor": "uneeq", "status": 500})
    assert added.status_code == 201
    fixtures = await client.post("/_emulator/fixtures", json=BODIES["/_emulator/fixtures"])
    assert fixtures.status_code == 201
    assert (await client.delete("/_emulator/faults")).status_code == 200
    assert (await client.post("/_emulator/reset")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": f"http://{IN_PROCESS_HOST}"},  # the dashboard's own calls
        {"Origin": f"http://{IN_PROCESS_HOST}:80", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # a form under no-referrer
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
        {"Origin": "https://qa.example"},  # allowed with --allowed-origin
    ],
)
async def test_the_emulators_own_pages_and_allowed_origins_work(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post("/_emulator/clock", json={"advance": 60}, headers=headers)
    assert response.status_code == 200, response.text


async def test_reads_and_vendor_routes_keep_their_cors(client: httpx.AsyncClient) -> None:
    """A page may read what any page may read (the answer is the browser's to withhold),
    and UneeQ's routes are for pages: their requests are answered."""
    foreign = FOREIGN["another origin"]
    assert (await client.get("/_emulator/clock", headers=foreign)).status_code == 200
    issued = await client.post(TOKEN_PATH, **uneeq_token_request(**foreign))
    assert issued.status_code == 200
    assert issued.headers["access-control-allow-origin"] == "https://evil.example"


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("attacker.example", False),
        ("attacker.example:8080", False),
        ("127.0.0.1.nip.io", False),
        ("evil.example/<x>", False),
        ("a b", False),
        ("", False),
        ("localhost", True),
        ("localhost:8080", True),
        ("app.localhost", True),
        ("127.0.0.1:8080", True),
        ("[::1]:8080", True),
        ("10.1.2.3", True),
        ("emulator:8080", True),  # a compose service
        ("emulator_1", True),
        ("qa.internal", True),  # given with --allowed-host (the fixture below)
        ("QA.Internal:9000", True),
    ],
)
async def test_the_hosts_answered(tmp_path: Path, host: str, allowed: bool) -> None:
    settings = make_settings(tmp_path, allowed_hosts=(IN_PROCESS_HOST, "qa.internal"))
    async for client in in_process(settings):
        control = await client.get("/_emulator/credentials", headers={"host": host})
        vendor = await client.post(TOKEN_PATH, **uneeq_token_request(host=host))
        if allowed:
            assert (control.status_code, vendor.status_code) == (200, 200)
            continue
        assert control.status_code == 403
        assert "is not a name this emulator answers to" in control.json()["error"]
        assert vendor.status_code == 403  # in UneeQ's own shape, as its other 403s
        unknown = await client.post(TOKEN_PATH, **uneeq_token_request(workspace="nowhere"))
        assert (unknown.status_code, unknown.text) == (403, vendor.text)
        assert "is not a name" in vendor.headers["x-emulator-reason"]
        journal = (await client.get("/_emulator/requests")).json()["requests"]
        assert [entry["status"] for entry in journal] == [403, 403, 403]
        assert journal[1]["vendor"] == "uneeq" and journal[2]["path"] == "/_emulator/credentials"
        assert "is not a name this emulator answers to" in journal[1]["reason"]


def test_serve_takes_allowed_hosts_and_a_public_url(tmp_path: Path) -> None:
    """The options reach the server (and its workers, through the environment): a host
    given with --allowed-host is answered, and 8x8's guest link starts with --public-url."""
    from tests.vendors.eightbyeight.conftest import DEMO_KEY

    args = (
        "--allowed-host",
        "qa.internal",
        "--public-url",
        "https://emulator.qa.internal/base/",
        "--workers",
        "2",
    )
    with EmulatorProcess(tmp_path / "db.sqlite3", fixtures=FIXTURES, extra_args=args) as server:
        port = server.url.rsplit(":", 1)[1]
        for _ in range(6):  # either worker may answer
            named = httpx.get(
                f"{server.url}/_emulator/health", headers={"host": f"qa.internal:{port}"}
            )
            assert named.status_code == 200
            other = httpx.get(f"{server.url}/_emulator/health", headers={"host": "qa.example"})
            assert other.status_code == 403
        answer = httpx.post(
            f"{server.url}/8x8/api/v1/tokens",
            headers={"Authorization": f"Bearer {DEMO_KEY}", "host": "qa.internal"},
            json={"create_room": True},
        ).json()
        assert answer["guest_link"].startswith("https://emulator.qa.internal/base/8x8/guest/")
