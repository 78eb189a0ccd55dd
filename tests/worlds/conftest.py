"""What the worlds' tests share: a client in a world, and each vendor's flow and the
call that uses what it gave (a token redeemed, a room opened, records listed)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import IN_PROCESS_HOST
from token_emulator.testing.flows import vendor_answer
from token_emulator.vendors.widget.client import DEFAULT_ORIGIN


@contextlib.asynccontextmanager
async def in_world(client: httpx.AsyncClient, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same in-process app whose paths are world `name`'s."""
    base = f"http://{IN_PROCESS_HOST}" + ("" if name == "default" else f"/worlds/{name}")
    async with httpx.AsyncClient(transport=client._transport, base_url=base) as world:
        yield world


@dataclass(frozen=True)
class Use:
    """A vendor's flow, and the call that uses its answer: 2xx in the world that gave it,
    `elsewhere` in any other."""

    options: dict[str, Any]
    call: Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[httpx.Response]]
    elsewhere: int


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _start_session(http: httpx.AsyncClient, found: dict[str, Any]) -> httpx.Response:
    body = {"workspaceName": "demo", "sessionType": 0, "tokenId": found["token"]}
    return await http.post("/uneeq/api/v2/clients/start-session", json=body)


async def _chatrooms(http: httpx.AsyncClient, found: dict[str, Any]) -> httpx.Response:
    return await http.get("/unifize/chatroom", headers=_bearer(found["accessToken"]))


async def _guest_page(http: httpx.AsyncClient, found: dict[str, Any]) -> httpx.Response:
    room = found["guest_link"].rsplit("/guest/", 1)[1]
    return await http.get(f"/8x8/guest/{room}")


async def _contacts(http: httpx.AsyncClient, found: dict[str, Any]) -> httpx.Response:
    return await http.get("/web1on1/v2/contacts", headers=_bearer(found["token"]))


async def _refresh(http: httpx.AsyncClient, found: dict[str, Any]) -> httpx.Response:
    return await http.post(
        "/widget/api/v1/widget/auth/refresh",
        json={"refresh_token": found["session_token"]},
        headers={"origin": DEFAULT_ORIGIN},
    )


USES = {
    "uneeq": Use({}, _start_session, 401),
    "unifize": Use({}, _chatrooms, 401),
    "8x8": Use({"create_room": True}, _guest_page, 404),
    "web1on1": Use({}, _contacts, 401),
    "widget": Use({}, _refresh, 400),  # the widget says "Missing or expired refresh_token"
}


async def flow(http: httpx.AsyncClient, vendor: str) -> dict[str, Any]:
    return await vendor_answer(http, vendor, **USES[vendor].options)


async def use(http: httpx.AsyncClient, vendor: str, found: dict[str, Any]) -> httpx.Response:
    return await USES[vendor].call(http, found)
