"""How `serve` runs uvicorn and sets up logging; light to import on purpose.

bench/reference_app.py serves its bare Starlette app with exactly these, and
imports nothing heavier than the settings, so its start-up stays a bare one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from typing import Any

from token_emulator.core.every_second import EverySecond
from token_emulator.settings import Settings

# The journal's logger (token_emulator/core/journal.py): one line per vendor request.
REQUEST_LOGGER = "token_emulator.requests"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def guarded_protocol(settings: Settings) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with this process's limits on slow and surplus clients
    (a worker sets its own: workers.begin_worker)."""
    from token_emulator.adapters.uvicorn import GuardedH11Protocol

    GuardedH11Protocol.configure(settings.header_timeout, settings.max_connections)
    return GuardedH11Protocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run's keyword arguments, but for the app and the worker count."""
    # log_config=None keeps uvicorn on our logging set-up; its access log is
    # replaced by the journal's line, which carries the refusal reason.
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "log_level": settings.log_level,
        "access_log": False,
        "lifespan": "on",
        # h11 even where httptools is installed (uvicorn[standard] in a test venv): its
        # 16 KiB limit on headers still arriving is the one the README documents; with
        # a time limit on them and a cap on connections (adapters/uvicorn.py).
        "http": guarded_protocol(settings),
        # HTTPS on the same port (serve --tls), with what serve made or was given.
        **(
            {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key}
            if settings.tls_cert is not None
            else {}
        ),
    }


class TurnBufferedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes the request lines logged in one turn of the event loop with one write.

    Every vendor request logs a line; writing and flushing each on its own cost
    a system call per request (bench/HISTORY.md, "Request log lines").
    Request lines wait at most until the loop's next turn. Any other record
    (uvicorn's start and shutdown, warnings) is written at once with whatever
    waits before it: uvicorn ends a SIGTERM'd server by raising the signal
    again, and a process killed that way runs no atexit flush.

    A stream that fails (a closed pipe, a full disk) is reported once on stderr,
    the way logging reports a failed write, and the lines are dropped: a
    callback that raised on every turn would spin the loop."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: list[str] = []
        self._flush_due = False
        self._failed = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._add(line, waits=record.name == REQUEST_LOGGER)

    def write_request_line(self, level: int, message: str) -> None:
        """The line `emit` would write for a request logger record of `message`, made
        without the record: for the journal, once request_line_handler said this
        handler alone takes the request logger's records. logging's record, handler
        chain and formatter cost several times more (bench/HISTORY.md, "Request log
        lines")."""
        formatter = self.formatter
        assert isinstance(formatter, SecondsOnceFormatter)
        created = time.time()
        fields = {
            "asctime": formatter.stamp(created),
            "levelname": logging.getLevelName(level),
            "name": REQUEST_LOGGER,
            "message": message,
        }
        with self.lock or contextlib.nullcontext():
            self._add(LOG_FORMAT % fields + self.terminator, waits=True)

    def _add(self, line: str, *, waits: bool) -> None:
        self._lines.append(line)
        if not waits:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if not self._flush_due:
            self._flush_due = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        with self.lock or contextlib.nullcontext():
            lines, self._lines = self._lines, []
            self._flush_due = False
            if not lines or self.stream is None:
                return
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except Exception as error:  # whatever the stream raised: it failed
                self._report(error, len(lines))

    def _report(self, error: Exception, dropped: int) -> None:
        if self._failed or not logging.raiseExceptions:
            return
        self._failed = True
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"--- Logging error ---\n{type(error).__name__}: {error}: "
                f"{dropped} log line(s) dropped; later failures of this stream are not reported\n"
            )


class SecondsOnceFormatter(logging.Formatter):
    """logging's own line, with the date and time up to the second formatted once per
    second rather than for every record (bench/HISTORY.md, "Request log lines")."""

    _second: int | None = None
    _stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        return self.stamp(record.created)

    def stamp(self, created: float) -> str:
        """`%(asctime)s` of a record created at `created` (time.time())."""
        second = int(created)
        if second != self._second:
            self._stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = second
        # The milliseconds as LogRecord computes its msecs.
        return self.default_msec_format % (self._stamp, int((created - second) * 1000))


def configure_logging(settings: Settings) -> None:
    # What no line of ours prints is not gathered for every record: the caller's
    # source line (a walk up the stack), the thread and the process (logging HOWTO,
    # "Optimization").
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = TurnBufferedHandler()
    handler.setFormatter(SecondsOnceFormatter(LOG_FORMAT))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    logging.getLogger("asyncio").addFilter(OncePerSecond(ACCEPT_FAILED))


# What asyncio logs, with a traceback, each time accept() finds no descriptor left.
ACCEPT_FAILED = "socket.accept() out of system resource"


class OncePerSecond(logging.Filter):
    """Lets one record starting with `message` through per second, saying how many there
    were, without its traceback: asyncio's accept loop logs one, with a traceback, per
    connection it cannot take for want of a descriptor, up to the listening backlog
    per turn (bench/comparisons/2026-12-07-issue-28.md)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self.every_second = EverySecond()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.message):
            return True
        count = self.every_second.due()
        if count is None:
            return False
        problem = record.exc_info[1] if record.exc_info else None
        record.msg = "%s, %d time(s) since the last such line: %s"
        record.args = (self.message, count, problem)
        record.exc_info = None
        record.exc_text = None
        return True


def request_line_handler(logger: logging.Logger, level: int) -> TurnBufferedHandler | None:
    """The TurnBufferedHandler that alone receives `logger`'s records at `level`, with
    serve's own format and no filter on the way; None when logging is set up any
    other way (a test's capturing handler, a filter, another format or date
    format, a record factory of its own), and records must go through logging."""
    found: TurnBufferedHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or type(handler) is not TurnBufferedHandler:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if found is None or found.filters or level < found.level:
        return None
    formatter = found.formatter
    if (
        type(formatter) is not SecondsOnceFormatter
        or formatter._fmt != LOG_FORMAT
        or formatter.datefmt is not None
        or logging.getLogRecordFactory() is not logging.LogRecord  # one that rewrites records
    ):
        return None
    return found


# Collect the youngest objects every this many allocations (CPython's default: 700).
YOUNG_COLLECTION_THRESHOLD = 10_000


def settle_garbage_collector() -> None:
    """Once the app is built, before it serves: keep the garbage collector off what
    start-up made, and let it run less often.

    Start-up leaves tens of thousands of tracked objects that live as long as the
    process (modules, SQLAlchemy's tables and statements, the fixtures), and every
    full collection walked them all: the p99 of every token request under load
    (bench/HISTORY.md, "Garbage collector"). `gc.freeze` moves them out of the
    collector's sight (they are freed as usual when unreferenced; a cycle among
    them would stay). A request allocates a few hundred containers, so collecting
    the youngest every 700 ran a collection every few requests.

    No collection first: it finds next to nothing to free (frozen with the rest,
    a few hundred bytes) and would lengthen every start."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
