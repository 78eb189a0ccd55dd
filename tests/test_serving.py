"""serving.TurnBufferedHandler: request lines wait one loop turn; nothing else waits;
a stream that fails is reported once and never stalls the server."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest

from emulator.serving import REQUEST_LOGGER, TurnBufferedHandler


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
