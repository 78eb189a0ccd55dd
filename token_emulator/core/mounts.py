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

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.core import faults
from token_emulator.core.endpoints import Endpoint, Handler
from token_emulator.core.errors import (
    NOW_KEY,
    EmulatorError,
    ErrorRenderer,
    answer,
    http_exception_handler,
    mark_refusal,
)
from token_emulator.core.faults import ARMED_KEY
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
    """Renders a vendor's refusals that no route rendered: the router's 404 and 405
    (Starlette's ExceptionMiddleware did this, with a wrapper around every message
    sent; nothing here raises once an answer started)."""

    def __init__(self, app: ASGIApp, render_error: ErrorRenderer) -> None:
        self.app = app
        self.render_error = render_error
        self.render_http_exception = http_exception_handler(lambda _request: render_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except EmulatorError as error:
            now = scope.get(NOW_KEY) or 0.0
            response = answer(error, self.render_error, now)
            mark_refusal(Request(scope, receive), response, error.reason)
        except HTTPException as error:
            response = self.render_http_exception(Request(scope, receive), error)
        else:
            return
        await response(scope, receive, send)


class VendorRoute:
    """One vendor route, the innermost layer: the faults aimed at it act first, then its
    handler is called (as Starlette's `request_response` would, without its exception
    wrapper), and a refusal is rendered in the route's shape."""

    __slots__ = ("handler", "name", "render", "vendor_id")

    def __init__(self, handler: Handler, vendor_id: str, name: str, render: ErrorRenderer) -> None:
        self.handler = handler
        self.vendor_id = vendor_id
        self.name = name
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(ARMED_KEY, 1):
            world = scope["state"]["world"]
            fault = await faults.take(world, self.vendor_id, self.name, scope["method"])
            if fault is not None and await faults.act(fault, scope, receive, send, self.render):
                return
        request = Request(scope, receive, send)
        try:
            response = await self.handler(request)
        except EmulatorError as error:
            response = answer(error, self.render, scope.get(NOW_KEY) or 0.0)
            mark_refusal(request, response, error.reason)
        await response(scope, receive, send)


def vendor_router(vendor_id: str, endpoints: Sequence[Endpoint], render: ErrorRenderer) -> Router:
    """A vendor's endpoints as Starlette routes, each behind its VendorRoute."""
    return Router(
        [
            endpoint.route(
                VendorRoute(endpoint.handler, vendor_id, endpoint.name, endpoint.render or render)
            )
            for endpoint in endpoints
        ]
    )


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
