"""How `serve` runs uvicorn and sets up logging; light to import on purpose.

bench/reference_app.py serves its bare Starlette app with exactly these, and
imports nothing heavier than the settings, so its start-up stays a bare one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from emulator.settings import Settings


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
        # 16 KiB limit on headers still arriving is the one the README documents.
        "http": "h11",
    }


class TurnBufferedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes the lines logged in one turn of the event loop with one write.

    Every vendor request logs a line; writing and flushing each on its own cost
    a system call per request (about a tenth of a token request's server time).
    Lines wait at most until the loop's next turn; outside a running loop they
    are written at once, and logging's shutdown flushes what is left."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: list[str] = []
        self._flush_due = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._lines.append(line)
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
            if lines and self.stream is not None:
                self.stream.write("".join(lines))
                self.stream.flush()


class SecondsOnceFormatter(logging.Formatter):
    """logging's own line, with the date and time up to the second formatted once per
    second rather than for every record (strftime took a tenth of each line)."""

    _second: int | None = None
    _stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = second
        return self.default_msec_format % (self._stamp, record.msecs)


def configure_logging(settings: Settings) -> None:
    # What no line of ours prints is not gathered for every record: the caller's
    # source line (a walk up the stack), the thread and the process (logging HOWTO,
    # "Optimization").
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = TurnBufferedHandler()
    handler.setFormatter(SecondsOnceFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
