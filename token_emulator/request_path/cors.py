"""CORS for the vendors whose clients run in browsers: Starlette's CORSMiddleware,
permissive, for every request that carries an `Origin`.

Refusals are rendered inside this layer (vendor_shell.py, vendor_route.py), so it
adds its headers to every answer, 404 and 405 included: a browser then sees the
vendor's status instead of an opaque network error.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.adapters.starlette import vary_on_origin, wrapped_app
from token_emulator.core.headers import REASON_HEADER


def permissive_cors(app: ASGIApp, expose: Sequence[str] = ()) -> ASGIApp:
    # Echo any origin (a regex, not "*") so credentialed requests work too.
    cors = CORSMiddleware(
        app,
        allow_origin_regex=".*",
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=[*expose, REASON_HEADER],
    )
    return CorsWhereOrigin(cors)


class CorsWhereOrigin:
    """Starlette's CORSMiddleware for every request that carries an `Origin` header.

    A request without one (a server's call; CORS is only for requests with an
    Origin) gets from us what that middleware would give it, `Vary: Origin` on
    the answer, without its reading of the request's headers and its wrapper
    around every message sent (bench/HISTORY.md, "CORS only where an Origin is").
    tests/request_path/test_cors.py holds the two to the same answers."""

    __slots__ = ("app", "cors")

    def __init__(self, cors: CORSMiddleware) -> None:
        self.cors = cors
        self.app = wrapped_app(cors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.cors(scope, receive, send)
            return
        for name, _value in scope["headers"]:
            if name == b"origin":  # ASGI header names are lowercase, as Headers expects
                await self.cors(scope, receive, send)
                return

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A copy, as the middleware's: the response object's list stays as it was.
                message["headers"] = vary_on_origin(list(message.get("headers", ())))
            await send(message)

        await self.app(scope, receive, send_varying)
