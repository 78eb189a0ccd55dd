"""The outermost layer of the request path: the clock read once on the way in, the
journal entry and the log line on the way out.

A vendor request reads the emulator clock once, so it sees one instant
throughout (NOW_KEY), and learns whether any fault is armed (ARMED_KEY).
Control calls need no clock: they are logged, not journaled (polling the
journal would fill it), unless a guard refused them (another site's page, a
foreign Host, no admin token).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.adapters.starlette import route_name_of, route_path
from token_emulator.core.errors import clip, one_line
from token_emulator.core.exchange import Exchange
from token_emulator.core.instants import real_time
from token_emulator.core.journal import JournalEntry
from token_emulator.core.scope_keys import (
    ARMED_KEY,
    CONTROL_REFUSED_KEY,
    DROPPED_KEY,
    FORCED_KEY,
    NOW_KEY,
    REASON_KEY,
    VENDOR_KEY,
)
from token_emulator.core.world import World
from token_emulator.serving import REQUEST_LOGGER, request_line_handler

# Control reads that succeed are polled (healthchecks; the dashboard, every second),
# so they are logged at debug only; control calls that change the world stay at info.
QUIET_CONTROL_METHODS = frozenset({"GET", "HEAD"})
log = logging.getLogger(REQUEST_LOGGER)


class JournalMiddleware:
    """Clock reading in, journal entry and log line out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        world: World = scope["state"]["world"]
        path: str = scope["path"]
        below = route_path(scope)  # under a world's prefix (worlds.py), what routes see
        first = below.split("/", 2)[1] if below.count("/") else ""
        control = first == "_emulator"
        vendor = first if world.vendor(first) is not None else None
        scope[VENDOR_KEY] = vendor
        # Control calls need no clock reading; vendor calls all do.
        now = None
        real = 0.0
        arrival = 0
        if not control:
            arrival = world.journal.next_id()  # now: the journal's order is arrival's
            reading, scope[ARMED_KEY] = await world.request_reading()
            now = reading.now
            real = now - reading.offset_seconds  # the machine's clock, read with it
        scope[NOW_KEY] = now
        status = 500
        # What was sent and answered, kept as it passes (core/exchange.py): vendor
        # requests only; a control call's status is all its log line needs.
        exchange = None
        if not control:
            exchange = Exchange(scope, receive, send, world.journal.body_limit)
            inner_receive: Receive = exchange.receive
            inner_send: Send = exchange.send
        else:
            inner_receive = receive

            async def inner_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

        try:
            await self.app(scope, inner_receive, inner_send)
        except Exception as error:
            scope.setdefault(REASON_KEY, clip(f"internal error: {type(error).__name__}: {error}"))
            raise
        finally:
            recorded = None
            if exchange is not None:
                status = exchange.status
                recorded = exchange.recorded(bool(scope.get(DROPPED_KEY)), real_time() - real)
            entry = JournalEntry(
                time=now if now is not None else 0.0,
                vendor=vendor,
                route=route_name_of(scope),
                method=scope["method"],
                path=clip(path),
                status=0 if scope.get(DROPPED_KEY) else status,
                reason=scope.get(REASON_KEY),
                fault=scope.get(FORCED_KEY),
                real_time=real,
                id=arrival,
                exchange=recorded,
            )
            if control and not scope.get(CONTROL_REFUSED_KEY):
                # Logged, not journaled: polling the journal would fill it.
                quiet = entry.method in QUIET_CONTROL_METHODS and entry.status < 400
                log_entry(entry, logging.DEBUG if quiet else logging.INFO)
            else:
                if control:  # refused by a guard: journaled, at the emulator's time too
                    reading = await world.clock.read()
                    entry = entry._replace(
                        time=reading.now,
                        real_time=reading.now - reading.offset_seconds,
                        id=world.journal.next_id(),
                    )
                world.journal.record(entry)
                log_entry(entry)


def log_entry(entry: JournalEntry, level: int = logging.INFO) -> None:
    if not log.isEnabledFor(level):
        return
    outcome = f" ({one_line(entry.reason)})" if entry.reason else ""
    line = (
        f"{entry.route or '-'} {one_line(entry.method)} {one_line(entry.path)} "
        f"-> {entry.status}{outcome}"
    )
    handler = request_line_handler(log, level)
    if handler is not None:
        handler.write_request_line(level, line)  # serve's own set-up: the same line, sooner
    else:
        log.log(level, "%s", line)
