"""The dashboard page at /_emulator/ and the credentials it lists.

The page is package data: dashboard.html beside this module, and its script,
style sheet and icon in assets/. Plain HTML, CSS and JavaScript, no build
step, nothing fetched from outside the emulator. The page carries the state
it first shows (the control API's answers, as JSON), so it paints it at once;
its script then keeps it live from the same JSON control API.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

from token_emulator.control.admin import COOKIE, may_see_details, settings_of
from token_emulator.control.faults import routes_answer
from token_emulator.control.handlers import health_answer
from token_emulator.control.journal import journal_answer
from token_emulator.core import faults
from token_emulator.core.world import World, world_of

ASSETS_PACKAGE = ("token_emulator.control", "assets")
# Where the page holds its first state (dashboard.html), and how many journal rows it
# shows (as many as dashboard.js asks for).
FIRST_STATE_SLOT = "{{first-state}}"
JOURNAL_LIMIT = 200

# The page loads only its own files and talks only to its own origin; inline
# scripts and styles are refused too, a second line behind textContent-only rendering.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    # Not no-referrer: under it a browser sends `Origin: null` with the page's own forms,
    # which the cross-site guard cannot tell from another site's (request_path/guard.py).
    "referrer-policy": "same-origin",
}


def _page_html() -> str:
    # Beside this module, not among the assets: served only here, with its policy.
    return resources.files("token_emulator.control").joinpath("dashboard.html").read_text("utf-8")


def assets() -> StaticFiles:
    """The page's CSS, script and icon, read from the installed package."""
    return StaticFiles(packages=[ASSETS_PACKAGE])


async def page(request: Request) -> Response:
    """The page with the state it shows in it, so its first paint is the current state
    (the script renders it at once, then keeps it live); behind an admin token the
    visitor without it gets the login form instead, and no data."""
    first = await first_state(request)
    data = json.dumps(first, ensure_ascii=True, separators=(",", ":"))
    # Inside <script type="application/json">: data the script reads, never run (the
    # policy allows no inline script). No "<" may close the element early.
    data = data.replace("<", "\\u003c")
    html = _page_html().replace(FIRST_STATE_SLOT, data, 1)
    return HTMLResponse(html, headers=PAGE_HEADERS)


async def first_state(request: Request) -> dict[str, Any]:
    """What the page's script would ask for first: each call's answer, as it answers it."""
    if not await may_see_details(request):
        return {"locked": True}
    world = world_of(request)
    about, _ = await health_answer(request)
    return {
        # Logged in with a session (the page offers to log out).
        "session": settings_of(request).admin_token is not None and COOKIE in request.cookies,
        "health": about,
        "clock": (await world.clock.read()).as_json(),
        "requests": await journal_answer(world, limit=JOURNAL_LIMIT),
        "faults": {"faults": await faults.active(world.store)},
        "credentials": credentials_answer(world),
        "routes": routes_answer(world),
        "worlds": {"worlds": await request.state.worlds.listing()},
    }


async def credentials(request: Request) -> Response:
    return JSONResponse(credentials_answer(world_of(request)))


def credentials_answer(world: World) -> dict[str, Any]:
    """Each vendor's test-only credentials from its fixture file, unmasked on purpose:
    they are published test fixtures, and this is where a tester copies them from."""
    vendors: list[dict[str, Any]] = [
        {
            "id": vendor.id,
            "title": vendor.title,
            "prefix": f"/{vendor.id}",
            "credentials": vendor.credentials(world.fixtures[vendor.id]),
        }
        for vendor in world.vendors
    ]
    return {"vendors": vendors}
