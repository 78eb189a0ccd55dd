"""The app factory: one Starlette app with the control plane and every vendor mounted.

The request path is assembled here and nowhere else, in the order of
token_emulator/request_path/ (its docstring lists the layers): journaling,
body limit and vendor dispatch around Starlette's router; each vendor's
mounts (vendor_mount below); each route's fault gate and handler. The world
(store, clock, journal) is opened by the lifespan, from the settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import TypedDict

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.adapters.starlette import startup_failure_message
from token_emulator.control.admin import AdminTokenMiddleware, LoginThrottle
from token_emulator.control.routes import ROUTES as CONTROL_ROUTES
from token_emulator.core.errors import (
    EmulatorError,
    ErrorRenderer,
    handle_control_error,
    http_exception_handler,
    one_line,
    render_control_error,
)
from token_emulator.core.scope_keys import RAW_SEND_KEY, VENDOR_KEY
from token_emulator.core.storage import describe_database
from token_emulator.core.storage.schema import SchemaTooNew
from token_emulator.core.vendor import MountPoint, Vendor
from token_emulator.core.world import World
from token_emulator.core.worlds import Worlds
from token_emulator.request_path.body_limit import BodyLimitMiddleware
from token_emulator.request_path.cors import permissive_cors
from token_emulator.request_path.dispatch import VendorDispatch
from token_emulator.request_path.guard import GuardRules, RequestGuard
from token_emulator.request_path.journaling import JournalMiddleware
from token_emulator.request_path.mount_point import MountPointScope
from token_emulator.request_path.vendor_route import VendorRoute
from token_emulator.request_path.vendor_shell import VendorShell
from token_emulator.request_path.worlds import WorldRouting
from token_emulator.settings import Settings
from token_emulator.vendors import all_vendors


class LifespanState(TypedDict):
    world: World  # the default world; a request under /worlds/{name}/ sees its own
    worlds: Worlds
    settings: Settings


def _renderer_for_scope(scope: Scope) -> ErrorRenderer:
    vendor_id = scope.get(VENDOR_KEY)
    world: World = scope["state"]["world"]
    vendor = world.vendor(vendor_id) if vendor_id else None
    return vendor.render_error if vendor is not None else render_control_error


def _renderer_for(request: Request) -> ErrorRenderer:
    return _renderer_for_scope(request.scope)


class StoreUnusable(Exception):
    """The database named could not be opened or set up at start-up: another program's
    database, a server refusing the connection, a file the user may not write. A
    user's mistake, not a bug: its message is the whole report."""


log = logging.getLogger(__name__)
# How often, at most, the worlds' last requests are written down and the stale removed.
UPKEEP_SECONDS = 60.0


def database_refusal(error: BaseException) -> tuple[str, str] | None:
    """What the database, its driver or its server said, as (kind, text), when `error` is
    one of theirs; None for anything else, a bug of ours among them (misusing the
    driver's API is one), which keeps its traceback."""
    if isinstance(error, DBAPIError):
        # SQLAlchemy's own text adds the statement and a link on lines of their own.
        cause: BaseException = error.orig
        kind = type(error).__name__  # SQLAlchemy's class: asyncpg's adapter has one name
    else:
        cause, kind = error, type(error).__name__
    if isinstance(cause, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return None
    if isinstance(error, DBAPIError) or isinstance(cause, sqlite3.DatabaseError):
        return kind, str(cause)
    if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)):
        return kind, str(cause)
    return None


async def _open_world(settings: Settings, vendors: Sequence[Vendor]) -> World:
    named = settings.database or "(a temporary file)"
    shown = describe_database(named) if "://" in named else named  # no password
    try:
        world = await World.open(
            vendors,
            fixtures_dir=settings.fixtures_dir,
            database=settings.database,
            database_is_temporary=settings.database_is_temporary,
            journal_size=settings.journal_size,
            journal_body_limit=settings.journal_body_limit,
            journal_max_bytes=settings.journal_max_bytes,
        )
    except SchemaTooNew as error:
        raise StoreUnusable(f"cannot start on the database {one_line(shown)}: {error}") from None
    except Exception as error:
        refusal = database_refusal(error)
        if refusal is None:
            raise
        log.debug("the database's refusal in full", exc_info=error)
        kind, text = refusal
        raise StoreUnusable(
            f"cannot start on the database {one_line(shown)}: {kind}: {one_line(text)} "
            "(--log-level debug shows where)"
        ) from error
    _log_opening(world)
    return world


def _log_opening(world: World) -> None:
    """The first line the emulator logs names the database and the fixtures it serves;
    then what the start changed in a kept database."""
    assert world.schema is not None
    log.info(
        "serving the fixtures in %s from the database %s",
        world.fixtures_dir,
        world.describe_database(world.schema.describe()),
    )
    if (dropped := world.schema.warning()) is not None:
        log.warning(dropped)
    for vendor_id, changes in world.fixture_changes.items():
        if (report := changes.report(vendor_id)) is not None:
            log.log(*report)


async def _keep_up(worlds: Worlds) -> None:
    """Now and then: when each world was last asked is written down, and the worlds
    none asked within their time to live go."""
    interval = min(UPKEEP_SECONDS, worlds.ttl_seconds / 4)
    while True:
        await asyncio.sleep(interval)
        try:
            for name in await worlds.upkeep():
                log.info("world %s deleted: no request for %s s", name, worlds.ttl_seconds)
        except Exception as error:  # the store refused; the next round tries again
            log.warning("world upkeep failed: %s", one_line(str(error)))


def _users_mistake(error: BaseException) -> str | None:
    """A StoreUnusable is reported by its message alone, without the traceback."""
    return str(error) if isinstance(error, StoreUnusable) else None


class EmulatorApp(Starlette):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The server's own `send`, before any middleware wraps it: a dropped-connection
        # fault reaches the server's transport through it (request_path/vendor_route.py).
        scope[RAW_SEND_KEY] = send
        if scope["type"] == "lifespan":
            send = startup_failure_message(send, _users_mistake)
        await super().__call__(scope, receive, send)


def vendor_router(vendor: Vendor) -> Router:
    """The vendor's endpoints as Starlette routes, each behind its VendorRoute."""
    return Router(
        [
            endpoint.route(
                VendorRoute(
                    endpoint.handler,
                    vendor.id,
                    endpoint.name,
                    endpoint.render or vendor.render_error,
                )
            )
            for endpoint in vendor.endpoints
        ]
    )


def vendor_mount(vendor: Vendor, point: MountPoint, router: Router) -> Mount:
    """One mount point of a vendor: CORS where its clients run in browsers, then its
    refusals rendered in its shape, what the mount point tells the handlers, its router.
    Only the layers it needs: each costs every request a call (bench/HISTORY.md,
    "Layers per mount")."""
    app: ASGIApp = router
    if point.scope:
        app = MountPointScope(app, point.scope)
    app = VendorShell(app, vendor.render_error)
    if vendor.cors is not None:
        app = permissive_cors(app, vendor.cors.expose)
    return Mount(point.path, app=app)


def create_app(
    settings: Settings | None = None, vendors: Sequence[Vendor] | None = None
) -> Starlette:
    settings = settings or Settings.from_env()
    chosen = tuple(vendors) if vendors is not None else all_vendors()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[LifespanState]:
        world = await _open_world(settings, chosen)
        worlds = Worlds(world, ttl_seconds=settings.world_ttl_seconds)
        upkeep = asyncio.get_running_loop().create_task(_keep_up(worlds))
        try:
            yield {"world": world, "worlds": worlds, "settings": settings}
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
            try:
                await worlds.close()
            finally:
                await world.close()

    control = list(CONTROL_ROUTES)
    for vendor in chosen:
        extra = vendor.control_routes()
        if extra:
            control.append(Mount(f"/{vendor.id}", routes=extra))
    admin = Middleware(AdminTokenMiddleware, token=settings.admin_token)
    routes: list[BaseRoute] = [Mount("/_emulator", routes=control, middleware=[admin])]
    vendor_mounts: list[Mount] = []
    # The same routes as plain mounts, which a world's routing follows to know whether a
    # path is served before it makes the world (request_path/worlds.py).
    served: list[BaseRoute] = [routes[0]]
    for vendor in chosen:
        router = vendor_router(vendor)  # one for all its mount points
        vendor_mounts += [vendor_mount(vendor, point, router) for point in vendor.served_at]
        served += [Mount(point.path, routes=router.routes) for point in vendor.served_at]
    routes += vendor_mounts
    rules = GuardRules(
        bound_host=settings.host,
        allowed_hosts=settings.allowed_hosts,
        allowed_origins=settings.allowed_origins,
    )
    app = EmulatorApp(
        routes=routes,
        middleware=[
            # Outermost: every layer after it sees the world the path names.
            Middleware(
                WorldRouting,
                first_segments={mount.path.split("/")[1] for mount in vendor_mounts},
                routes=served,
                rules=rules,
                admin_token=settings.admin_token,
            ),
            Middleware(JournalMiddleware),
            # Inside the journal, which journals its refusals in the vendor's shape.
            Middleware(RequestGuard, rules=rules, renderer_for=_renderer_for_scope),
            # Inside the journal, which names the vendor whose shape a 413 takes.
            Middleware(
                BodyLimitMiddleware,
                max_body_bytes=settings.max_body_bytes,
                renderer_for=_renderer_for_scope,
            ),
            Middleware(VendorDispatch, mounts=vendor_mounts),
        ],
        exception_handlers={
            EmulatorError: handle_control_error,
            HTTPException: http_exception_handler(_renderer_for),
        },
        lifespan=lifespan,
    )
    app.state.login_throttle = LoginThrottle()
    return app
