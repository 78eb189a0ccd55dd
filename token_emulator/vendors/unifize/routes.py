"""Unifize's routes as data, mounted at /unifize."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, Router

from token_emulator.core.mounts import vendor_mount
from token_emulator.vendors.unifize import handlers
from token_emulator.vendors.unifize.errors import render_error

ROUTES = [
    Route("/application/token", handlers.app_token, methods=["POST"], name="unifize:token"),
    # The API reference's form (FINDINGS.md); the page's form above uses the app's own org.
    Route(
        "/application/installation/{org_id}/token",
        handlers.installation_token,
        methods=["POST"],
        name="unifize:installation-token",
    ),
    Route(
        "/application/tokeninfo", handlers.token_info, methods=["POST"], name="unifize:tokeninfo"
    ),
    Route("/chatroom", handlers.list_chatrooms, methods=["GET"], name="unifize:chatrooms"),
    Route("/chatroom/{room_id}", handlers.get_chatroom, methods=["GET"], name="unifize:chatroom"),
]


def mounts() -> list[BaseRoute]:
    # Server-to-server calls only: no CORS.
    return [vendor_mount("/unifize", Router(ROUTES), render_error)]
