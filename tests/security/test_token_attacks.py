"""The token-attack corpus against the app in-process: every case refused with the vendor's
exact status and body, a specific reason in the journal and the header, and no row written.

One app per module (per xdist worker): the cases only read, so they share one world,
minted once before them with the emulator clock frozen. "No row written" compares every
table of the SQLite file, read with the standard library, before and after the request;
none is left out (the journal is in memory, and no table counts requests). The emulator
makes its signing secrets on first use, so the set-up mints a token of every kind first.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.browser import artifacts_dir
from tests.conftest import FIXTURES, in_process, last_request, make_settings
from tests.security.attack_kit import (
    Canary,
    StoreDump,
    claims_of,
    hand_token,
    hmac_signer,
    rsa_signer,
)
from tests.security.corpus import (
    CLASSES,
    ENDPOINTS,
    NOW,
    OLD,
    PRIMARY,
    UNEEQ,
    UNIFIZE_TOKEN,
    WEB1ON1,
    WEB1ON1_LIVE_REFRESH,
    WIDGET_KEY,
    WIDGET_ORIGIN,
    Case,
    Ctx,
    Endpoint,
    all_cases,
    good,
)
from tests.security.fixture_dirs import fixtures_without_rate_limit
from token_emulator.core.clock import isoformat
from token_emulator.core.errors import one_line
from token_emulator.testing import uneeq_request_jwt, unifize_assertion
from token_emulator.vendors.eightbyeight.pages import refusal_page

pytestmark = pytest.mark.anyio

CASES = all_cases()
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class World:
    http: httpx.AsyncClient
    ctx: Ctx
    store: StoreDump
    canary: Canary


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads((FIXTURES / name).read_text())


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    return body


async def _set_clock(http: httpx.AsyncClient, instant: float) -> None:
    await _ok(await http.post("/_emulator/clock", json={"set": isoformat(instant)}))


async def _mint(http: httpx.AsyncClient, now: float) -> dict[str, str]:
    """One token of every minted kind, at `now` (also makes every signing secret)."""
    unifize = await _ok(
        await http.post(
            "/unifize/application/token",
            headers={"Authorization": f"Bearer {unifize_assertion(issued_at=now)}"},
        )
    )
    login = {"email": "admin@example.org", "password": "t0pZ3kR3t"}
    web1on1 = await _ok(await http.post("/web1on1/v2/auth/token", json=login))
    guest = "/widget/api/v1/widget/auth/guest"
    body = {"client_key": WIDGET_KEY}
    visitor = (await _ok(await http.post(guest, json=body, headers=WIDGET_ORIGIN)))["token"]
    spent = (await _ok(await http.post(guest, json=body, headers=WIDGET_ORIGIN)))["token"]
    session = await _ok(
        await http.post(
            "/widget/api/v1/widget/auth/exchange",
            json={**body, "token": spent},
            headers=WIDGET_ORIGIN,
        )
    )
    eight = await _ok(
        await http.post(
            "/8x8/api/v1/tokens",
            headers={"Authorization": "Bearer demo-8x8-api-key-TEST-ONLY"},
            json={"create_room": True},
        )
    )
    return {
        "unifize": unifize["accessToken"],
        "web1on1": web1on1["token"],
        "web1on1_refresh": web1on1["refreshToken"],
        "widget_visitor": visitor,
        "widget_session": session["session_token"],
        "8x8": eight["auth_token"],
    }


async def _uneeq_session_jwt(http: httpx.AsyncClient, secret: str) -> str:
    """The JWT uneeq-js fetches after a start: HS256 with the workspace's own secret."""
    token = await _ok(
        await http.post(
            "/uneeq/api/v1/clients/access/tokens",
            content=uneeq_request_jwt(secret, "demo", sid="set-up"),
            headers={"workspace": "demo", "content-type": "application/jwt"},
        )
    )
    started = await _ok(
        await http.post("/uneeq/api/v2/clients/start-session", json={"tokenId": token["token"]})
    )
    answer = await _ok(
        await http.post(
            "/uneeq/v1/jwt/token", json={"session_id": started["id"], "persona_id": "demo"}
        )
    )
    return str(answer["token"])


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    directory = tmp_path_factory.mktemp("attacks")
    settings = make_settings(directory, fixtures_dir=fixtures_without_rate_limit(directory))
    workspaces = {w["id"]: w["secret"] for w in _toml("uneeq.toml")["workspaces"]}
    with Canary().running() as canary:
        async for http in in_process(settings):
            await _ok(await http.post("/_emulator/clock", json={"freeze": True}))
            await _set_clock(http, OLD)
            old = await _mint(http, OLD)
            await _set_clock(http, NOW)
            fresh = await _mint(http, NOW)
            fresh["uneeq_session_jwt"] = await _uneeq_session_jwt(http, workspaces["demo"])
            # A second login's refresh token for GET /v2/auth/token: no attack may spend it.
            second = await _ok(
                await http.post(
                    "/web1on1/v2/auth/token",
                    json={"email": "admin@example.org", "password": "t0pZ3kR3t"},
                )
            )
            WEB1ON1_LIVE_REFRESH["token"] = second["refreshToken"]
            store = StoreDump(directory / "emulator.sqlite3")
            ctx = Ctx(
                uneeq_secret=workspaces["demo"],
                uneeq_other_secret=workspaces["demo-eu"],
                unifize_private=(FIXTURES / "unifize-demo-app.TEST-ONLY.private.pem").read_text(),
                unifize_public=(FIXTURES / "unifize-demo-app.public.pem").read_text(),
                secrets=store.signing_secrets(),
                fresh=fresh,
                old=old,
                canary_url=canary.url,
            )
            try:
                yield World(http, ctx, store, canary)
            finally:
                store.close()
    assert canary.connections == 0


def assert_body(case: Case, response: httpx.Response) -> None:
    """The vendor's refusal, exactly as the vendors' error tables (docs/vendors/) give it."""
    body, status, message = case.endpoint.body, case.status, case.message
    content_type = response.headers.get("content-type", "")
    if body == "plain":
        assert content_type.startswith("text/plain")
        assert response.text == message
    elif body == "unifize":
        error = {400: "bad_request", 401: "unauthorized", 403: "forbidden"}[status]
        assert response.json() == {"status": status, "error": error, "message": message}
    elif body == "web1on1":
        assert response.json() == {"error": {"message": message}}
    elif body == "8x8-json":
        answer = response.json()
        assert set(answer) == {"code", "message", "errorId", "timestamp"}
        assert (answer["code"], answer["message"]) == ({401: 1200}[status], message)
        assert UUID4.fullmatch(answer["errorId"])
        assert answer["timestamp"] == "2030-03-17T17:46:40.00Z"  # the frozen clock, hundredths
    else:
        assert body == "8x8-page"
        assert content_type == "text/html; charset=utf-8"
        assert response.content == refusal_page(status, message).body


def _changed(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        table: {"before": before.get(table), "after": after.get(table)}
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    }


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_attack_is_refused_without_a_trace(world: World, case: Case) -> None:
    token = case.build(world.ctx)
    send = case.send or case.endpoint.send
    before = world.store.rows()
    response = await send(world.http, token)
    after = world.store.rows()

    entry = await last_request(world.http)
    reason = entry["reason"]
    assert (response.status_code, entry["status"]) == (case.status, case.status), reason
    assert entry["route"] == case.endpoint.route
    assert_body(case, response)
    expected = case.reason(world.ctx) if callable(case.reason) else case.reason
    if case.prefix:
        assert reason.startswith(expected) and len(reason) > len(expected), reason
    else:
        assert reason == expected
    assert response.headers["x-emulator-reason"] == one_line(reason)
    assert not _changed(before, after), "a refused request wrote to the store"
    assert world.canary.connections == 0, "a URL from a token header was fetched"


# --- the corpus's own shape -------------------------------------------------------------------


def test_every_class_reaches_every_primary_endpoint() -> None:
    """At least 60 cases; every RFC 8725 class of the issue on every JWT-verifying endpoint
    (the secondary routes share a verifier with a primary one and get a cross-section)."""
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    seen = {(case.endpoint.id, case.klass) for case in CASES}
    for ep in PRIMARY:
        applicable = set(CLASSES)
        if ep.id == "uneeq:token":
            applicable.discard("lifetime")  # UneeQ sets no lifetime for the request JWT
        assert {klass for ep_id, klass in seen if ep_id == ep.id} == applicable, ep.id
    assert {case.endpoint.id for case in CASES} == {ep.id for ep in ENDPOINTS}
    counts = {
        "cases": len(CASES),
        "by_class": dict(Counter(case.klass for case in CASES)),
        "by_endpoint": dict(Counter(case.endpoint.id for case in CASES)),
    }
    (artifacts_dir() / "attack-corpus.json").write_text(json.dumps(counts, indent=2) + "\n")


# --- the other side of each boundary: what must still be taken ----------------------------------


def _uneeq_jwt(ctx: Ctx, **claims: Any) -> str:
    return uneeq_request_jwt(ctx.uneeq_secret, "demo", sid="boundary", **claims)


def _assertion(ctx: Ctx, issued_at: int, lifetime: int = 600, **header: Any) -> str:
    claims = {"iss": "101", "iat": issued_at, "exp": issued_at + lifetime}
    return hand_token({"alg": "RS256", **header}, claims, rsa_signer(ctx.unifize_private))


def _web1on1_resigned(ctx: Ctx, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    claims = {**claims_of(ctx.fresh["web1on1"]), **changes.pop("claims", {})}
    return {"alg": "HS256", **changes}, claims


def _web1on1_token(ctx: Ctx, header: dict[str, Any], claims: dict[str, Any]) -> str:
    return hand_token(header, claims, hmac_signer(ctx.secrets["web1on1-tokens"]))


ACCEPTED: dict[str, Any] = {
    "uneeq iat at the 30 s leeway": lambda ctx: (UNEEQ, _uneeq_jwt(ctx, iat=NOW + 30)),
    "uneeq nbf at the 30 s leeway": lambda ctx: (UNEEQ, _uneeq_jwt(ctx, nbf=NOW + 30)),
    "uneeq exp one second ahead": lambda ctx: (UNEEQ, _uneeq_jwt(ctx, exp=NOW + 1)),
    "unifize iat at the 30 s leeway": lambda ctx: (UNIFIZE_TOKEN, _assertion(ctx, NOW + 30)),
    "unifize exp one second ahead": lambda ctx: (UNIFIZE_TOKEN, _assertion(ctx, NOW - 599)),
    "unifize window of 1 s": lambda ctx: (UNIFIZE_TOKEN, _assertion(ctx, NOW, lifetime=1)),
    "web1on1 iat at the 30 s leeway": lambda ctx: (
        WEB1ON1,
        _web1on1_token(ctx, *_web1on1_resigned(ctx, claims={"iat": NOW + 30})),
    ),
    # A jku or x5u in a token that verifies is ignored: never fetched, never a key.
    "uneeq with jku and x5u": lambda ctx: (
        UNEEQ,
        hand_token(
            {"alg": "HS256", "jku": f"{ctx.canary_url}/jwks", "x5u": f"{ctx.canary_url}/x5u"},
            {"sid": "boundary", "fm-workspace": "demo"},
            hmac_signer(ctx.uneeq_secret),
        ),
    ),
    "unifize with jku and x5u": lambda ctx: (
        UNIFIZE_TOKEN,
        _assertion(ctx, NOW, jku=f"{ctx.canary_url}/jwks", x5u=f"{ctx.canary_url}/x5u"),
    ),
    "web1on1 with jku": lambda ctx: (
        WEB1ON1,
        _web1on1_token(ctx, *_web1on1_resigned(ctx, jku=f"{ctx.canary_url}/jwks")),
    ),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
async def test_the_other_side_of_each_boundary_is_taken(world: World, name: str) -> None:
    """The documented leeway and window at their edges, and fetchable key URLs ignored."""
    endpoint, token = ACCEPTED[name](world.ctx)
    response = await endpoint.send(world.http, token)
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    assert world.canary.connections == 0


async def test_a_fractional_exp_has_passed_at_a_later_fraction(
    client: httpx.AsyncClient,
) -> None:
    """Regression: the time checks truncated now to whole seconds, so at .700 an exp of
    .500 was still taken, and a nbf within the leeway by its fraction was refused."""
    await _ok(await client.post("/_emulator/clock", json={"freeze": True}))
    await _ok(await client.post("/_emulator/clock", json={"set": "2030-03-17T17:46:40.700Z"}))
    secret = {w["id"]: w["secret"] for w in _toml("uneeq.toml")["workspaces"]}["demo"]

    async def post(**claims: float) -> httpx.Response:
        return await UNEEQ.send(client, uneeq_request_jwt(secret, "demo", **claims))

    refused = await post(exp=NOW + 0.5)
    assert (refused.status_code, refused.text) == (401, "Unauthorized")
    reason = (
        "request JWT expired at 2030-03-17T17:46:40.500Z [1900000000.5] "
        "(now 2030-03-17T17:46:40.700Z)"
    )
    assert (await last_request(client))["reason"] == reason
    assert (await post(exp=NOW + 0.8)).status_code == 200
    assert (await post(nbf=NOW + 30.6)).status_code == 200
    late = await post(nbf=NOW + 30.8)
    assert (late.status_code, late.text) == (401, "Unauthorized")
    reason = (
        "request JWT claim nbf 2030-03-17T17:47:10.800Z [1900000030.8] is in the future "
        "(now 2030-03-17T17:46:40.700Z, leeway 30 s)"
    )
    assert (await last_request(client))["reason"] == reason


async def _own_claims(world: World, ep: Endpoint) -> tuple[dict[str, Any] | None, Any]:
    """Claims of a token of the endpoint's kind that may be spent here, and how to send it:
    the widget's exchange and refresh spend theirs, GET /v2/auth/token a refresh token."""
    http = world.http
    if ep.id in ("widget:exchange", "widget:refresh"):
        minted = await _mint(http, NOW)
        return claims_of(
            minted["widget_visitor" if ep.id == "widget:exchange" else "widget_session"]
        ), ep.send
    if ep.id == "web1on1:token:get":
        minted = await _mint(http, NOW)
        login = {"email": "admin@example.org", "password": "t0pZ3kR3t"}
        second = await _ok(await http.post("/web1on1/v2/auth/token", json=login))

        async def send(client: httpx.AsyncClient, token: str) -> httpx.Response:
            return await client.get(
                "/web1on1/v2/auth/token",
                params={"refreshToken": second["refreshToken"]},
                headers={"Authorization": f"Bearer {token}"},
            )

        return claims_of(minted["web1on1"]), send
    return None, ep.send


@pytest.mark.parametrize("ep", ENDPOINTS, ids=[ep.id for ep in ENDPOINTS])
async def test_the_untampered_token_rebuilt_by_hand_is_taken(world: World, ep: Endpoint) -> None:
    """The control for every case: the token the attacks start from, signed by hand the
    same way, is taken; so a refusal above is the attack's doing, not the builder's."""
    claims, send = await _own_claims(world, ep)
    response = await send(world.http, good(ep, world.ctx, claims))
    assert response.status_code in (200, 201), response.headers.get("x-emulator-reason")
