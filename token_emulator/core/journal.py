"""The request journal: every vendor request, its outcome and why.

Bounded in memory and kept per process (a replica shows the requests it
served). The middleware also reads the emulator clock once per request, so a
request sees one instant throughout, and writes the log line.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.core.errors import NOW_KEY, REASON_KEY, clip, one_line
from token_emulator.core.faults import ARMED_KEY, DROPPED_KEY, FORCED_KEY
from token_emulator.core.instants import isoformat
from token_emulator.serving import REQUEST_LOGGER, request_line_handler

if TYPE_CHECKING:
    from token_emulator.core.world import World

VENDOR_KEY = "token_emulator.vendor"
# Control reads that succeed are polled (healthchecks; the dashboard, every second),
# so they are logged at debug only; control calls that change the world stay at info.
QUIET_CONTROL_METHODS = frozenset({"GET", "HEAD"})
log = logging.getLogger(REQUEST_LOGGER)


class JournalEntry(NamedTuple):
    # A NamedTuple: one is made for every request, and a frozen dataclass costs
    # several times more to make.
    time: float
    vendor: str | None
    route: str | None
    method: str
    path: str
    status: int  # 0: no answer, the connection was dropped (an injected fault)
    reason: str | None
    fault: int | None = None  # the injected fault that forced this answer

    def as_json(self) -> dict[str, Any]:
        return {**self._asdict(), "time": isoformat(self.time), "forced": self.fault is not None}


_STATUS_FILTER = re.compile(r"[1-5]([0-9]{2}|xx)", re.IGNORECASE)


def is_status_filter(wanted: str) -> bool:
    """An exact status ("401") or a class ("4xx"); ASCII digits only."""
    return _STATUS_FILTER.fullmatch(wanted) is not None


def status_matches(status: int, wanted: str) -> bool:
    if wanted[1:].lower() == "xx":
        return status // 100 == int(wanted[0])
    return str(status) == wanted


class Journal:
    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def entries(
        self,
        *,
        vendor: str | None = None,
        route: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Newest first."""
        found = []
        for entry in reversed(self._entries):
            if vendor is not None and entry.vendor != vendor:
                continue
            if route is not None and entry.route not in (route, f"{entry.vendor}:{route}"):
                continue
            if status is not None and not status_matches(entry.status, status):
                continue
            found.append(entry)
            if limit is not None and len(found) >= limit:
                break
        return found


class JournalMiddleware:
    """Outermost of our middleware: clock reading in, journal entry and log line out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        world: World = scope["state"]["world"]
        path: str = scope["path"]
        first = path.split("/", 2)[1] if path.count("/") else ""
        control = first == "_emulator"
        vendor = first if world.vendor(first) is not None else None
        scope[VENDOR_KEY] = vendor
        # Control calls need no clock reading; vendor calls all do.
        now = None
        if not control:
            reading, scope[ARMED_KEY] = await world.request_reading()
            now = reading.now
        scope[NOW_KEY] = now
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        except Exception as error:
            scope.setdefault(REASON_KEY, clip(f"internal error: {type(error).__name__}: {error}"))
            raise
        finally:
            route = scope.get("route")
            entry = JournalEntry(
                time=now if now is not None else 0.0,
                vendor=vendor,
                route=route.name if isinstance(route, Route) else None,
                method=scope["method"],
                path=clip(path),
                status=0 if scope.get(DROPPED_KEY) else status,
                reason=scope.get(REASON_KEY),
                fault=scope.get(FORCED_KEY),
            )
            if control:
                # Logged, not journaled: polling the journal would fill it.
                quiet = entry.method in QUIET_CONTROL_METHODS and entry.status < 400
                log_entry(entry, logging.DEBUG if quiet else logging.INFO)
            else:
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
