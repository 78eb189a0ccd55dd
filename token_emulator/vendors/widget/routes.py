"""Kataven widget's routes as data, mounted at /widget."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, Router

from token_emulator.core.mounts import vendor_mount
from token_emulator.vendors.widget import handlers
from token_emulator.vendors.widget.errors import render_error

BASE = "/api/v1/widget"

ROUTES = [
    Route(f"{BASE}/auth/guest", handlers.guest, methods=["POST"], name="widget:guest"),
    Route(
        f"{BASE}/auth/user-token", handlers.user_token, methods=["POST"], name="widget:user-token"
    ),
    Route(f"{BASE}/auth/exchange", handlers.exchange, methods=["POST"], name="widget:exchange"),
    Route(f"{BASE}/auth/refresh", handlers.refresh, methods=["POST"], name="widget:refresh"),
    Route(f"{BASE}/config", handlers.config, methods=["GET"], name="widget:config"),
]


def mounts() -> list[BaseRoute]:
    # Browsers call the widget from customers' pages. CORS stays permissive,
    # as the vendor's is (FINDINGS.md): the per-key allowlist is the boundary,
    # so a page on a refused origin reads the 403 instead of a network error.
    return [vendor_mount("/widget", Router(ROUTES), render_error, cors_expose=[])]
