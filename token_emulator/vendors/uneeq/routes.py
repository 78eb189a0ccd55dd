"""UneeQ's routes as data, mounted at /uneeq (any region) and /uneeq/{us,eu,au,sg}."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.core.mounts import vendor_mount
from token_emulator.vendors.uneeq import handlers
from token_emulator.vendors.uneeq.errors import render_error
from token_emulator.vendors.uneeq.models import REGIONS

ROUTES = [
    # Public samples call the token endpoint with and without the slash.
    Route(
        "/api/v1/clients/access/tokens", handlers.issue_token, methods=["POST"], name="uneeq:token"
    ),
    Route(
        "/api/v1/clients/access/tokens/", handlers.issue_token, methods=["POST"], name="uneeq:token"
    ),
    Route(
        "/api/v2/clients/start-session",
        handlers.start_session,
        methods=["POST"],
        name="uneeq:start-session",
    ),
    # uneeq-js calls this one without the /api prefix.
    Route("/v1/jwt/token", handlers.session_jwt, methods=["POST"], name="uneeq:session-jwt"),
]


class _InRegion:
    """Tells the handlers which regional host the request came through (None: any)."""

    def __init__(self, app: ASGIApp, region: str | None) -> None:
        self.app = app
        self.region = region

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[handlers.REGION_KEY] = self.region
        await self.app(scope, receive, send)


def mounts() -> list[BaseRoute]:
    router = Router(ROUTES)
    # Regional prefixes first: "/uneeq" would otherwise swallow "/uneeq/eu/...".
    prefixes = [*((f"/uneeq/{r}", r) for r in REGIONS), ("/uneeq", None)]
    return [
        # uneeq-js calls from the browser and reads the x-auth-token header.
        vendor_mount(prefix, _InRegion(router, region), render_error, cors_expose=["x-auth-token"])
        for prefix, region in prefixes
    ]
