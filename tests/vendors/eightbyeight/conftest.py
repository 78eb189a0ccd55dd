from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import in_process, last_request, make_settings
from token_emulator.core.errors import one_line

TOKEN_PATH = "/8x8/api/v1/tokens"
CALL_LOGS_PATH = "/8x8/api/v1/call-logs"
DEMO_KEY = "demo-8x8-api-key-TEST-ONLY"
OTHER_KEY = "other-8x8-api-key-TEST-ONLY"
AGENT = "agent@example.com"
SECOND_AGENT = "second.agent@example.com"
PHONE = "+6512345678"  # the page's example
# The instant tests freeze the emulator clock at; .129 shows the error timestamp
# keeps hundredths and truncates.
NOW = 1_900_000_000.129
NOW_ISO = "2030-03-17T17:46:40.129Z"
NOW_ERROR_TIMESTAMP = "2030-03-17T17:46:40.12Z"
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{2}Z")
ROOM_TTL = 900
ERROR_FIELDS = {"code", "message", "errorId", "timestamp"}

# A POST route that reads its body, with what it checks first (the cross-vendor limits).
BODY_ROUTE = (TOKEN_PATH, {"Authorization": f"Bearer {DEMO_KEY}"})


@pytest.fixture
async def client(tmp_path: Path, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The default fixtures on a fresh store, clock frozen at NOW."""
    async for c in in_process(make_settings(tmp_path, database=database)):
        await freeze(c)
        yield c


async def freeze(http: httpx.AsyncClient, at: str = NOW_ISO) -> None:
    (await http.post("/_emulator/clock", json={"freeze": True})).raise_for_status()
    (await http.post("/_emulator/clock", json={"set": at})).raise_for_status()


async def advance(http: httpx.AsyncClient, seconds: float) -> None:
    (await http.post("/_emulator/clock", json={"advance": seconds})).raise_for_status()


def bearer(key: str = DEMO_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def buy(
    http: httpx.AsyncClient, body: dict[str, Any] | None = None, key: str = DEMO_KEY
) -> dict[str, Any]:
    """POST /api/v1/tokens with `body` (None: no body at all); the 200 answer."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = await http.post(TOKEN_PATH, headers=bearer(key), **kwargs)
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    answer: dict[str, Any] = response.json()
    return answer


async def room(http: httpx.AsyncClient, key: str = DEMO_KEY, **fields: Any) -> dict[str, Any]:
    """A token with a room: {"call_reference", "guest_link", "auth_token"}."""
    return await buy(http, {"create_room": True, **fields}, key)


def room_id(guest_link: str) -> str:
    return guest_link.rsplit("/", 1)[1]


async def login(http: httpx.AsyncClient, token: str, user: str = AGENT) -> httpx.Response:
    return await http.get("/8x8/", params={"user": user, "token": token})


async def state(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/_emulator/state/8x8")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def assert_error_body(
    response: httpx.Response, status: int, code: int, message: str, timestamp: str | None
) -> None:
    """8x8's error shape, exactly: code, message, a UUID4 errorId, the emulator's time."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_FIELDS
    assert body["code"] == code and type(body["code"]) is int
    assert body["message"] == message
    assert uuid.UUID(body["errorId"]).version == 4
    assert TIMESTAMP.fullmatch(body["timestamp"])
    if timestamp is not None:
        assert body["timestamp"] == timestamp


async def assert_refused(
    http: httpx.AsyncClient,
    response: httpx.Response,
    status: int,
    code: int,
    message: str,
    reason: str,
    timestamp: str | None = NOW_ERROR_TIMESTAMP,
) -> None:
    assert_error_body(response, status, code, message, timestamp)
    entry = await last_request(http, vendor="8x8")
    assert entry["status"] == status
    assert entry["reason"] == reason, entry["reason"]
    assert response.headers["x-emulator-reason"] == one_line(reason)


async def assert_page_refused(
    http: httpx.AsyncClient, response: httpx.Response, status: int, text: str, reason: str
) -> None:
    """A browser route's refusal: an HTML page with the status, the reason in the journal."""
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert text in response.text
    # Self-contained: nothing loaded from anywhere, no script.
    assert not any(part in response.text for part in ("src=", "href=", "<script", "<link"))
    entry = await last_request(http, vendor="8x8")
    assert (entry["status"], entry["reason"]) == (status, reason)
