"""The app factory: one Starlette app with the control plane and every vendor mounted."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TypedDict

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from emulator.control.admin import AdminTokenMiddleware
from emulator.control.routes import ROUTES as CONTROL_ROUTES
from emulator.core.errors import (
    EmulatorError,
    ErrorRenderer,
    handle_emulator_error,
    http_exception_handler,
    render_control_error,
)
from emulator.core.faults import RAW_SEND_KEY, gate_routes
from emulator.core.journal import VENDOR_KEY, JournalMiddleware
from emulator.core.limits import BodyLimitMiddleware
from emulator.core.vendor import Vendor
from emulator.core.world import World
from emulator.settings import Settings
from emulator.vendors import all_vendors


class LifespanState(TypedDict):
    world: World


def _renderer_for_scope(scope: Scope) -> ErrorRenderer:
    vendor_id = scope.get(VENDOR_KEY)
    world: World = scope["state"]["world"]
    vendor = world.vendor(vendor_id) if vendor_id else None
    return vendor.render_error if vendor is not None else render_control_error


def _renderer_for(request: Request) -> ErrorRenderer:
    return _renderer_for_scope(request.scope)


class EmulatorApp(Starlette):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The server's own `send`, before any middleware wraps it: a dropped-connection
        # fault reaches the server's transport through it (core/faults.py).
        scope[RAW_SEND_KEY] = send
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None, vendors: Sequence[Vendor] | None = None
) -> Starlette:
    settings = settings or Settings.from_env()
    chosen = tuple(vendors) if vendors is not None else all_vendors()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[LifespanState]:
        world = await World.open(settings, chosen)
        try:
            yield {"world": world}
        finally:
            await world.close()

    control = list(CONTROL_ROUTES)
    for vendor in chosen:
        extra = vendor.control_routes()
        if extra:
            control.append(Mount(f"/{vendor.id}", routes=extra))
    admin = Middleware(AdminTokenMiddleware, token=settings.admin_token)
    routes = [Mount("/_emulator", routes=control, middleware=[admin])]
    for vendor in chosen:
        for mount in vendor.mounts():
            gate_routes(mount, vendor)  # injected faults act on each route
            routes.append(mount)
    return EmulatorApp(
        routes=routes,
        middleware=[
            Middleware(JournalMiddleware),
            # Inside the journal, which names the vendor whose shape a 413 takes.
            Middleware(
                BodyLimitMiddleware,
                max_body_bytes=settings.max_body_bytes,
                renderer_for=_renderer_for_scope,
            ),
        ],
        exception_handlers={
            EmulatorError: handle_emulator_error,
            HTTPException: http_exception_handler(_renderer_for),
        },
        lifespan=lifespan,
    )
