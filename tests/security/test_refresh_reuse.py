"""Refresh-token reuse, the same property at both vendors that rotate refresh tokens.

Presenting a refresh token a second time revokes its whole chain, the newest token
included (RFC 9700, 4.14), and a grace period, where there is one, covers no more
than the immediate predecessor. Neither vendor has a reuse grace (docs/vendors/web1on1.md:
"there is no grace period"; the widget counts even a concurrent second refresh as
reuse), so the immediate predecessor presented in the same instant as its rotation
is reuse too. The widget's one grace is for expiry: a session JWT may refresh up to
300 s after it expired; it never revives a session already spent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import in_process, last_request, make_settings
from tests.security.fixture_dirs import fixtures_without_rate_limit
from token_emulator.core.clock import isoformat

pytestmark = pytest.mark.anyio

NOW = 1_900_000_000
NOW_ISO = isoformat(NOW)
WEB1ON1_TOKEN = "/web1on1/v2/auth/token"
WEB1ON1_AGENT = {"email": "agent@example.org", "password": "agent-TEST-ONLY"}
WIDGET = "/widget/api/v1/widget"
WIDGET_KEY = {"client_key": "pk_live_acme_TESTONLYmain0001"}
ORIGIN = {"Origin": "http://localhost:3000"}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path, fixtures_dir=fixtures_without_rate_limit(tmp_path))
    async for client in in_process(settings):
        await client.post("/_emulator/clock", json={"freeze": True})
        await client.post("/_emulator/clock", json={"set": NOW_ISO})
        yield client


def _claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


@dataclass(frozen=True)
class Link:
    """One link of a chain: what the client presents to refresh, and what it calls with."""

    refresh: str
    access: str


class Web1on1:
    name = "web1on1"
    refused_status = 401

    async def start(self, http: httpx.AsyncClient) -> Link:
        response = await http.post(WEB1ON1_TOKEN, json=WEB1ON1_AGENT)
        return self.link(response)

    async def refresh(self, http: httpx.AsyncClient, link: Link) -> httpx.Response:
        body = {"refreshToken": link.refresh, "clientId": WEB1ON1_AGENT["email"]}
        return await http.post(WEB1ON1_TOKEN, json=body)

    def link(self, response: httpx.Response) -> Link:
        assert response.status_code == 201, response.headers.get("x-emulator-reason")
        body = response.json()
        return Link(body["refreshToken"], body["token"])

    def assert_refused(self, response: httpx.Response) -> None:
        assert response.status_code == 401
        assert response.json() == {"error": {"message": "invalid refresh token"}}

    async def reuse_reason(self, http: httpx.AsyncClient, chain: list[Link], reused: int) -> str:
        chain_id = await self._chain_id(http)
        return f"refresh token already used: reuse revoked every token of chain {chain_id}"

    def revoked_reason(self, chain: list[Link], reused: int) -> str:
        return f"refresh token revoked at {NOW_ISO}"

    async def _chain_id(self, http: httpx.AsyncClient) -> str:
        chains = (await http.get("/_emulator/state/web1on1")).json()["chains"]
        return str(next(c["chain"] for c in chains if len(c["refresh_tokens"]) == 3))

    async def statuses(self, http: httpx.AsyncClient) -> list[list[str]]:
        """Per chain (oldest first), the status of each refresh and each access token."""
        chains = (await http.get("/_emulator/state/web1on1")).json()["chains"]
        return [
            [t["status"] for t in c["refresh_tokens"]] + [t["status"] for t in c["access_tokens"]]
            for c in chains
        ]

    async def assert_access(self, http: httpx.AsyncClient, link: Link, works: bool) -> None:
        response = await http.get(
            "/web1on1/v2/contacts", headers={"Authorization": f"Bearer {link.access}"}
        )
        if works:
            assert response.status_code == 200
            return
        assert response.status_code == 401
        assert response.json() == {"error": {"message": "invalid token"}}
        reason = (await last_request(http))["reason"]
        assert reason == f"token revoked at {NOW_ISO} (its refresh chain was revoked)"


class Widget:
    name = "widget"

    async def start(self, http: httpx.AsyncClient) -> Link:
        guest = await http.post(f"{WIDGET}/auth/guest", json=WIDGET_KEY, headers=ORIGIN)
        visitor = guest.json()["token"]
        exchanged = await http.post(
            f"{WIDGET}/auth/exchange", json={**WIDGET_KEY, "token": visitor}, headers=ORIGIN
        )
        assert exchanged.status_code == 200
        return self.link(exchanged)

    async def refresh(self, http: httpx.AsyncClient, link: Link) -> httpx.Response:
        return await http.post(f"{WIDGET}/auth/refresh", json={"refresh_token": link.refresh})

    def link(self, response: httpx.Response) -> Link:
        assert response.status_code == 200, response.headers.get("x-emulator-reason")
        session = response.json()["session_token"]
        return Link(session, session)  # the session JWT is both

    def assert_refused(self, response: httpx.Response) -> None:
        assert response.status_code == 400
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text == "Missing or expired refresh_token"

    async def reuse_reason(self, http: httpx.AsyncClient, chain: list[Link], reused: int) -> str:
        jti = _claims(chain[reused].refresh)["jti"]
        child = _claims(chain[reused + 1].refresh)["jti"]
        first = _claims(chain[0].refresh)["jti"]
        return (
            f"reuse of session {jti}, already refreshed at {NOW_ISO} into {child}: "
            f"chain {first} revoked ({len(chain)} sessions)"
        )

    def revoked_reason(self, chain: list[Link], reused: int) -> str:
        jti = _claims(chain[reused].refresh)["jti"]
        return (
            f"session revoked at {NOW_ISO}: reuse of session {jti}, already refreshed at {NOW_ISO}"
        )

    async def statuses(self, http: httpx.AsyncClient) -> list[list[str]]:
        sessions = (await http.get("/_emulator/state/widget")).json()["sessions"]
        chains: dict[str, list[str]] = {}
        for session in sessions:
            chains.setdefault(session["chain"], []).append(session["status"])
        return list(chains.values())

    async def assert_access(self, http: httpx.AsyncClient, link: Link, works: bool) -> None:
        """The widget's session JWT opens nothing but refresh; its state says revoked."""
        jti = _claims(link.refresh)["jti"]
        sessions = (await http.get("/_emulator/state/widget")).json()["sessions"]
        (row,) = [s for s in sessions if s["jti"] == jti]
        assert row["revoked"] is (not works)


VENDORS = [Web1on1(), Widget()]
WHICH = {"the immediate predecessor": 1, "an older ancestor": 0}


@pytest.mark.parametrize("which", list(WHICH))
@pytest.mark.parametrize("vendor", VENDORS, ids=[v.name for v in VENDORS])
async def test_presenting_a_spent_refresh_token_revokes_its_chain(
    http: httpx.AsyncClient, vendor: Any, which: str
) -> None:
    """t0 -> t1 -> t2, then t0 or t1 again, in the same instant as the rotation: no grace."""
    chain = [await vendor.start(http)]
    for _ in range(2):
        chain.append(vendor.link(await vendor.refresh(http, chain[-1])))
    other = await vendor.start(http)
    reused = WHICH[which]

    reuse = await vendor.refresh(http, chain[reused])
    vendor.assert_refused(reuse)
    assert (await last_request(http))["reason"] == await vendor.reuse_reason(http, chain, reused)

    # Every token of the chain is refused now, the newest (never used) included.
    newest = await vendor.refresh(http, chain[-1])
    vendor.assert_refused(newest)
    assert (await last_request(http))["reason"] == vendor.revoked_reason(chain, reused)
    for link in chain:
        await vendor.assert_access(http, link, works=False)
    # Another chain of the same user is untouched.
    await vendor.assert_access(http, other, works=True)
    assert vendor.link(await vendor.refresh(http, other))

    statuses = await vendor.statuses(http)
    if vendor.name == "web1on1":  # 3 refresh tokens (two used), 3 access tokens
        assert statuses[0] == ["used", "used", "revoked", "revoked", "revoked", "revoked"]
    else:
        assert statuses[0] == ["revoked", "revoked", "revoked"]
    assert statuses[1] in (["used", "active", "active", "active"], ["refreshed", "active"])


async def test_the_widgets_expiry_grace_covers_only_the_newest_session(
    http: httpx.AsyncClient,
) -> None:
    """After expiry, within the 300 s grace: the newest session refreshes; its spent
    predecessor, expired in the same window, is reuse and revokes the chain."""
    widget = Widget()
    chain = [await widget.start(http)]
    chain.append(widget.link(await widget.refresh(http, chain[0])))
    spare = [await widget.start(http)]
    spare.append(widget.link(await widget.refresh(http, spare[0])))
    await http.post("/_emulator/clock", json={"advance": 900 + 299})  # both expired, in grace

    taken = await widget.refresh(http, spare[1])
    assert taken.status_code == 200  # the newest, unspent: the grace applies

    later = isoformat(NOW + 1199)
    reuse = await widget.refresh(http, chain[0])
    widget.assert_refused(reuse)
    first, second = (_claims(link.refresh)["jti"] for link in chain)
    assert (await last_request(http))["reason"] == (
        f"reuse of session {first}, already refreshed at {NOW_ISO} into {second}: "
        f"chain {first} revoked (2 sessions)"
    )
    newest = await widget.refresh(http, chain[1])  # would have been in grace
    widget.assert_refused(newest)
    assert (await last_request(http))["reason"] == (
        f"session revoked at {later}: reuse of session {first}, already refreshed at {NOW_ISO}"
    )
