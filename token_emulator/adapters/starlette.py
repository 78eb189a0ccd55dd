"""What the emulator relies on in Starlette beyond its documented API.

- The route a request matched is in `scope["route"]` (its Router puts it
  there): the journal names a request by it, and vendor dispatch, which goes
  straight to a vendor's mount, puts it there the same way.
- CORSMiddleware keeps the app it wraps as `.app`, and for a request without
  an `Origin` only adds `Vary: Origin` to the answer: request_path/cors.py skips
  the middleware for such requests and does that itself.
- A failed lifespan start-up is reported by sending `lifespan.startup.failed`
  from inside the `except` block that caught the error, with the traceback
  as its message: the error is the one being handled while it is sent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Scope, Send

# The releases this module was checked against: >= the first, < the second.
CHECKED_AGAINST = ("1.7", "1.11")


def route_name_of(scope: Scope) -> str | None:
    """The name of the route the request matched; None before routing, when none did,
    or when only a mount did (a path no route of the vendor takes)."""
    route = scope.get("route")
    return route.name if isinstance(route, Route) else None


def route_path(scope: Scope) -> str:
    """The path below the scope's root path (a world's prefix, request_path/worlds.py):
    what Starlette's routes match, as its own `get_route_path` does."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :]
    return path


def served(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    """Whether a route among `routes` (mounts followed into their own routes) takes the
    request's path, whatever its method: what the router would not answer 404."""
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            if served(route.routes, {**scope, **child}):
                return True
            continue
        return True
    return False


def enter_route(scope: Scope, route: BaseRoute, child_scope: Scope) -> None:
    """What Starlette's Router does to the scope of a request it hands to `route`."""
    scope["route"] = route
    scope.update(child_scope)


def wrapped_app(cors: CORSMiddleware) -> ASGIApp:
    """The app CORSMiddleware hands requests to."""
    app: ASGIApp = cors.app
    return app


def vary_on_origin(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
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


def startup_failure_message(send: Send, message_of: Callable[[BaseException], str | None]) -> Send:
    """The lifespan's `send`, with a failed start-up reported by `message_of(error)`
    instead of the whole traceback, where it gives one (a user's mistake, whose
    message is the whole report); other failures keep their traceback."""

    async def sending(message: Message) -> None:
        failure: Any = sys.exc_info()[1]
        if message["type"] == "lifespan.startup.failed" and failure is not None:
            text = message_of(failure)
            if text is not None:
                message = {**message, "message": text}
        await send(message)

    return sending
