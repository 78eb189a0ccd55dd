"""The app factory: one Starlette app with the control plane and every vendor mounted."""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TypedDict

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.control.admin import AdminTokenMiddleware
from token_emulator.control.routes import ROUTES as CONTROL_ROUTES
from token_emulator.core.errors import (
    EmulatorError,
    ErrorRenderer,
    handle_control_error,
    http_exception_handler,
    one_line,
    render_control_error,
)
from token_emulator.core.faults import RAW_SEND_KEY
from token_emulator.core.journal import VENDOR_KEY, JournalMiddleware
from token_emulator.core.limits import BodyLimitMiddleware
from token_emulator.core.schema import SchemaTooNew
from token_emulator.core.store import describe_database
from token_emulator.core.vendor import Vendor
from token_emulator.core.world import World
from token_emulator.settings import Settings
from token_emulator.vendors import all_vendors


class LifespanState(TypedDict):
    world: World


def _renderer_for_scope(scope: Scope) -> ErrorRenderer:
    vendor_id = scope.get(VENDOR_KEY)
    world: World = scope["state"]["world"]
    vendor = world.vendor(vendor_id) if vendor_id else None
    return vendor.render_error if vendor is not None else render_control_error


def _renderer_for(request: Request) -> ErrorRenderer:
    return _renderer_for_scope(request.scope)


class VendorDispatch:
    """Innermost of the app's middleware: a vendor request goes straight to the vendor
    mount its path names (by its first two segments, then its first: UneeQ's
    `/uneeq/eu` before `/uneeq`), instead of through the app-wide exception layer and
    a match against every vendor's routes; each mount renders its own refusals
    (core/mounts.py). A path no mount takes goes on to Starlette's router, which
    answers it as before."""

    def __init__(self, app: ASGIApp, mounts: Sequence[Mount]) -> None:
        self.app = app
        self.by_prefix = {mount.path: mount for mount in mounts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(VENDOR_KEY):
            segments = scope["path"].split("/", 3)
            mount = self.by_prefix.get("/".join(segments[:3])) or self.by_prefix.get(
                "/".join(segments[:2])
            )
            if mount is not None:
                match, child_scope = mount.matches(scope)
                if match is Match.FULL:
                    scope["route"] = mount
                    scope.update(child_scope)
                    await mount.handle(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class StoreUnusable(Exception):
    """The database named could not be opened or set up at start-up: another program's
    database, a server refusing the connection, a file the user may not write. A
    user's mistake, not a bug: its message is the whole report."""


log = logging.getLogger(__name__)


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
        world = await World.open(settings, vendors)
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
        world.settings.fixtures_dir,
        world.describe_database(world.schema.describe()),
    )
    if (dropped := world.schema.warning()) is not None:
        log.warning(dropped)
    for vendor_id, changes in world.fixture_changes.items():
        if (report := changes.report(vendor_id)) is not None:
            log.log(*report)


def _startup_failures_in_one_line(send: Send) -> Send:
    """The lifespan's `send`, with a StoreUnusable reported by its message alone.

    Starlette reports a failed start-up with the whole traceback, which uvicorn logs;
    it sends that report from the `except` block that caught the error, so the error
    is the one being handled while it is sent."""

    async def sending(message: Message) -> None:
        failure = sys.exc_info()[1]
        if message["type"] == "lifespan.startup.failed" and isinstance(failure, StoreUnusable):
            message = {**message, "message": str(failure)}
        await send(message)

    return sending


class EmulatorApp(Starlette):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The server's own `send`, before any middleware wraps it: a dropped-connection
        # fault reaches the server's transport through it (core/faults.py).
        scope[RAW_SEND_KEY] = send
        if scope["type"] == "lifespan":
            send = _startup_failures_in_one_line(send)
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None, vendors: Sequence[Vendor] | None = None
) -> Starlette:
    settings = settings or Settings.from_env()
    chosen = tuple(vendors) if vendors is not None else all_vendors()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[LifespanState]:
        world = await _open_world(settings, chosen)
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
    routes: list[BaseRoute] = [Mount("/_emulator", routes=control, middleware=[admin])]
    vendor_mounts: list[Mount] = []
    for vendor in chosen:
        for mount in vendor.mounts():
            routes.append(mount)
            if isinstance(mount, Mount):
                vendor_mounts.append(mount)
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
            Middleware(VendorDispatch, mounts=vendor_mounts),
        ],
        exception_handlers={
            EmulatorError: handle_control_error,
            HTTPException: http_exception_handler(_renderer_for),
        },
        lifespan=lifespan,
    )
