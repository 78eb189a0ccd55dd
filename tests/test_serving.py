"""serving.TurnBufferedHandler: request lines wait one loop turn; nothing else waits;
a stream that fails is reported once and never stalls the server."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import subprocess
import sys

import pytest

from token_emulator.serving import (
    LOG_FORMAT,
    REQUEST_LOGGER,
    YOUNG_COLLECTION_THRESHOLD,
    SecondsOnceFormatter,
    TurnBufferedHandler,
    request_line_handler,
)


class BrokenPipe(io.StringIO):
    """A stream whose reader has gone (say, `serve | head`)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def record(name: str, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, None, None)


def handler_on(stream: io.StringIO) -> TurnBufferedHandler:
    handler = TurnBufferedHandler()
    handler.setStream(stream)
    return handler


def test_request_lines_wait_for_the_next_turn_and_other_lines_take_them_along() -> None:
    stream = io.StringIO()
    handler = handler_on(stream)

    async def serving() -> None:
        handler.handle(record(REQUEST_LOGGER, "first request"))
        handler.handle(record(REQUEST_LOGGER, "second request"))
        assert stream.getvalue() == ""  # one write per loop turn
        await asyncio.sleep(0)
        assert stream.getvalue() == "first request\nsecond request\n"
        handler.handle(record(REQUEST_LOGGER, "third request"))
        handler.handle(record("uvicorn.error", "Shutting down"))
        # Written at once, in order, with the request line that waited before it.
        assert stream.getvalue().endswith("third request\nShutting down\n")

    asyncio.run(serving())


def test_a_broken_stream_is_reported_once_and_the_loop_goes_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = handler_on(BrokenPipe())
    failures: list[dict[str, object]] = []

    async def serving() -> int:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, c: failures.append(c))
        for index in range(3):
            handler.handle(record(REQUEST_LOGGER, f"request {index}"))
            await asyncio.sleep(0)
        handler.handle(record("uvicorn.error", "Shutting down"))
        # Count the callbacks the loop runs in a few turns: a flush that raised and
        # logged its own failure would reschedule itself on every one.
        turns = 0
        for _ in range(20):
            await asyncio.sleep(0)
            turns += 1
        return turns

    assert asyncio.run(serving()) == 20
    assert failures == []
    assert not handler._lines, "dropped, not piled up"
    reports = capsys.readouterr().err
    assert reports.count("--- Logging error ---") == 1
    assert "BrokenPipeError" in reports and "1 log line(s) dropped" in reports


def serve_logging(stream: io.StringIO) -> tuple[logging.Logger, TurnBufferedHandler]:
    """A request logger under its own root, set up as configure_logging sets up serve."""
    root = logging.RootLogger(logging.INFO)
    manager = logging.Manager(root)
    handler = handler_on(stream)
    handler.setFormatter(SecondsOnceFormatter(LOG_FORMAT))
    root.addHandler(handler)
    return manager.getLogger(REQUEST_LOGGER), handler


def test_the_journal_writes_its_line_straight_to_serves_handler_as_logging_would() -> None:
    stream = io.StringIO()
    logger, handler = serve_logging(stream)
    assert request_line_handler(logger, logging.INFO) is handler

    async def serving() -> None:
        handler.write_request_line(logging.INFO, "uneeq:token POST /uneeq/x -> 200")
        logger.info("%s", "uneeq:token POST /uneeq/x -> 200")
        await asyncio.sleep(0)

    asyncio.run(serving())
    direct, through_logging = stream.getvalue().splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    for line in (direct, through_logging):
        assert re.fullmatch(
            stamp + " INFO token_emulator.requests: uneeq:token POST /uneeq/x -> 200", line
        )
    assert direct[:19] <= through_logging[:19]


def test_any_other_logging_set_up_gets_the_journals_records() -> None:
    """A test's capturing handler, a filter, another format or date format, a record
    factory: records go through logging."""
    stream = io.StringIO()
    logger, handler = serve_logging(stream)
    captured = logging.Handler()
    logger.addHandler(captured)
    assert request_line_handler(logger, logging.INFO) is None
    logger.removeHandler(captured)
    handler.addFilter(lambda _record: True)
    assert request_line_handler(logger, logging.INFO) is None
    handler.filters.clear()
    logger.parent.addFilter(lambda _record: True)  # type: ignore[union-attr]
    assert request_line_handler(logger, logging.INFO) is None
    logger.parent.filters.clear()  # type: ignore[union-attr]
    handler.setFormatter(SecondsOnceFormatter("%(levelname)s %(message)s"))
    assert request_line_handler(logger, logging.INFO) is None
    handler.setFormatter(SecondsOnceFormatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    assert request_line_handler(logger, logging.INFO) is None
    handler.setFormatter(SecondsOnceFormatter(LOG_FORMAT))
    plain = logging.getLogRecordFactory()
    logging.setLogRecordFactory(lambda *args, **kwargs: plain(*args, **kwargs))
    try:
        assert request_line_handler(logger, logging.INFO) is None
    finally:
        logging.setLogRecordFactory(plain)
    handler.setLevel(logging.WARNING)
    assert request_line_handler(logger, logging.INFO) is None
    handler.setLevel(logging.NOTSET)
    logger.propagate = False  # reaches no handler at all: logging's last resort decides
    assert request_line_handler(logger, logging.INFO) is None


def test_caplog_sees_the_journals_lines(caplog: pytest.LogCaptureFixture) -> None:
    from token_emulator.core.journal import JournalEntry
    from token_emulator.request_path.journaling import log_entry

    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    log_entry(JournalEntry(0.0, "uneeq", "uneeq:token", "POST", "/uneeq/x", 401, "bad JWT"))
    assert caplog.messages == ["uneeq:token POST /uneeq/x -> 401 (bad JWT)"]


def printed_by_fresh_interpreter(*lines: str) -> str:
    """What a new Python process running `lines` prints: serve's process-wide set-up
    (the garbage collector, the root logger) is checked there, not in pytest's."""
    done = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_settling_the_garbage_collector_freezes_start_up_and_collects_less_often() -> None:
    printed = printed_by_fresh_interpreter(
        "import gc",
        "from token_emulator.app import create_app",
        "from token_emulator.serving import settle_garbage_collector",
        "create_app()",
        "settle_garbage_collector()",  # as `serve` calls it, once the app is built
        "print(gc.get_freeze_count(), *gc.get_threshold())",
    )
    frozen, young, older, oldest = map(int, printed.split())
    assert frozen > 10_000  # modules, tables, statements: out of every collection's walk
    assert (young, older, oldest) == (YOUNG_COLLECTION_THRESHOLD, 10, 10)


def test_serves_own_logging_set_up_takes_the_direct_path() -> None:
    printed = printed_by_fresh_interpreter(
        "import logging",
        "from token_emulator.serving import REQUEST_LOGGER, configure_logging",
        "from token_emulator.serving import request_line_handler",
        "from token_emulator.settings import Settings",
        "configure_logging(Settings())",
        "found = request_line_handler(logging.getLogger(REQUEST_LOGGER), logging.INFO)",
        "print(found is logging.getLogger().handlers[0])",
    )
    assert printed.strip() == "True"
