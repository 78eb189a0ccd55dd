"""8x8 Video Interaction's routes as data, mounted at /8x8."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, Router

from token_emulator.core.mounts import vendor_mount
from token_emulator.vendors.eightbyeight import handlers
from token_emulator.vendors.eightbyeight.errors import render_error

ROUTES = [
    Route("/api/v1/tokens", handlers.issue_token, methods=["POST"], name="8x8:token"),
    # The vendor page writes https://video-agent.8x8.com//api/v1/tokens; clients copy it.
    Route("//api/v1/tokens", handlers.issue_token, methods=["POST"], name="8x8:token"),
    # The agent iframe opens /?user=<agent email>&token=<auth_token> (FINDINGS.md).
    Route("/", handlers.agent_login, methods=["GET"], name="8x8:agent-login"),
    Route("/guest/{room_id}", handlers.guest, methods=["GET"], name="8x8:guest"),
    Route("/api/v1/call-logs", handlers.call_logs, methods=["GET"], name="8x8:call-logs"),
    Route("/api/v1/calls/{call_id}", handlers.call, methods=["GET"], name="8x8:call"),
]


def mounts() -> list[BaseRoute]:
    # Reporting calls carry x-token and may come from a browser app: permissive CORS.
    return [vendor_mount("/8x8", Router(ROUTES), render_error, cors_expose=[])]
