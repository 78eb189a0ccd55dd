"""The dashboard page at /_emulator/ and the credentials it lists.

The page is static package data: dashboard.html beside this module, and its
script, style sheet and icon in assets/. Plain HTML, CSS and JavaScript, no
build step, nothing fetched from outside the emulator. Its script reads the
JSON control API, so serving the files is all the server does for it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

from token_emulator.core.world import world_of

ASSETS_PACKAGE = ("token_emulator.control", "assets")

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
    "referrer-policy": "no-referrer",
}


def _page_html() -> str:
    # Beside this module, not among the assets: served only here, with its policy.
    return resources.files("token_emulator.control").joinpath("dashboard.html").read_text("utf-8")


def assets() -> StaticFiles:
    """The page's CSS, script and icon, read from the installed package."""
    return StaticFiles(packages=[ASSETS_PACKAGE])


async def page(request: Request) -> Response:
    return HTMLResponse(_page_html(), headers=PAGE_HEADERS)


async def credentials(request: Request) -> Response:
    """Each vendor's test-only credentials from its fixture file, unmasked on purpose:
    they are published test fixtures, and this is where a tester copies them from."""
    world = world_of(request)
    vendors: list[dict[str, Any]] = [
        {
            "id": vendor.id,
            "title": vendor.title,
            "prefix": f"/{vendor.id}",
            "credentials": vendor.credentials(world.fixtures[vendor.id]),
        }
        for vendor in world.vendors
    ]
    return JSONResponse({"vendors": vendors})
