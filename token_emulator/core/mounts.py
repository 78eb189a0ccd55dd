"""How a vendor's routes are mounted: its own error rendering, and CORS where browsers call.

Refusals are rendered inside the mount, so that the CORS middleware around
them adds its headers to every answer, 404 and 405 included; a browser then
sees the vendor's status instead of an opaque network error.

Every layer a request passes costs it a call on the way in and, for layers
that watch the answer, one per message on the way out; a token request is a
few hundred microseconds, so a mount is kept to the layers it needs: CORS
where browsers call, one `VendorShell` that renders refusals, the vendor's
router, and per route the fault gate and a plain call of the handler.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.core.errors import (
    REASON_HEADER,
    EmulatorError,
    ErrorRenderer,
    handle_emulator_error,
    http_exception_handler,
)


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
    around every message sent: ~5 % of a token request's server CPU over HTTP.
    tests/core/test_mounts.py holds the two to the same answers."""

    __slots__ = ("app", "cors")

    def __init__(self, cors: CORSMiddleware) -> None:
        self.cors = cors
        self.app = cors.app  # what the middleware wraps

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
                message["headers"] = _vary_on_origin(list(message.get("headers", ())))
            await send(message)

        await self.app(scope, receive, send_varying)


def _vary_on_origin(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """What CORSMiddleware.send does to an answer to a request without an Origin:
    `Vary: Origin`, joined to the answer's `vary` headers (in place). Its
    MutableHeaders matches names exactly, lowercase, as ASGI writes them; a `Vary`
    spelt otherwise gets a `vary: Origin` beside it, from it and from us alike."""
    for name, _value in raw:
        if name == b"vary":
            headers = MutableHeaders(raw=raw)
            headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
            return raw
    raw.append((b"vary", b"Origin"))
    return raw


class VendorShell:
    """Renders a vendor's refusals in its own shape: EmulatorError from its handlers,
    and the router's 404 and 405 (Starlette's ExceptionMiddleware did this, with a
    wrapper around every message sent; nothing here raises once an answer started)."""

    def __init__(self, app: ASGIApp, render_error: ErrorRenderer) -> None:
        self.app = app
        self.render_http_exception = http_exception_handler(lambda _request: render_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except EmulatorError as error:
            response = await handle_emulator_error(Request(scope, receive), error)
        except HTTPException as error:
            response = self.render_http_exception(Request(scope, receive), error)
        else:
            return
        await response(scope, receive, send)


class Endpoint:
    """A route's handler called as Starlette's `request_response` would, without its
    exception wrapper: a refusal goes up to the VendorShell, which renders it alike."""

    __slots__ = ("handler",)

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive, send))
        await response(scope, receive, send)


def endpoint_app(route: Route) -> ASGIApp:
    """What runs a vendor route: its async handler called directly; anything else
    (a sync function, an ASGI app) as Starlette set it up."""
    if inspect.iscoroutinefunction(route.endpoint):
        return Endpoint(route.endpoint)
    return route.app


def vendor_mount(
    prefix: str,
    app: ASGIApp,
    render_error: ErrorRenderer,
    *,
    cors_expose: Sequence[str] | None = None,
) -> Mount:
    """Mount `app` at `prefix`; `cors_expose` (even empty) turns permissive CORS on."""
    handled: ASGIApp = VendorShell(app, render_error)
    if cors_expose is not None:
        handled = permissive_cors(handled, cors_expose)
    return Mount(prefix, app=handled)
