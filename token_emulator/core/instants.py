"""Instants as the emulator writes and reads them, and the machine's real time.

Float seconds since the epoch, shown as ISO-8601 in UTC with a `Z`. Light on
purpose: clients (the QA commands, a flow signing an assertion) need these
without the store. The emulator's own now is core/clock.py's: this real time
plus the stored offset, or the instant it was frozen at.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

# The range the clock may be moved within: every instant in it, plus the
# longest lifetime a fixture may set, still formats as an ISO-8601 year.
EARLIEST = 0.0
LATEST = datetime(9000, 1, 1, tzinfo=UTC).timestamp()


def real_time() -> float:
    """The machine's clock: the only place anything reads it."""
    return time.time()


def check_range(instant: float) -> float:
    if not (EARLIEST <= instant <= LATEST):
        raise ValueError("the clock stays between 1970-01-01 and 9000-01-01")
    return instant


def isoformat(instant: float, *, milliseconds: bool = True) -> str:
    """ISO-8601 in UTC with a `Z`, as the vendors write it."""
    spec = "milliseconds" if milliseconds else "seconds"
    stamp = datetime.fromtimestamp(instant, UTC).isoformat(timespec=spec)
    return stamp.replace("+00:00", "Z")


def described(instant: float) -> str:
    """An instant a client sent, for a reason: ISO-8601 with the epoch seconds as sent in
    brackets (`2026-12-07T08:00:00.000Z [1796630400]`), since the client wrote those."""
    try:
        epoch = f"{instant:.15g}"
    except OverflowError:  # an integer too large for a float
        return f"a number of {len(str(instant))} digits (beyond any calendar's years)"
    try:
        return f"{isoformat(instant)} [{epoch}]"
    except (ValueError, OverflowError, OSError):  # beyond any calendar's years
        return f"[{epoch}] (beyond the years ISO-8601 can write)"


def parse_instant(text: str) -> float:
    """ISO-8601 to an instant; a time without an offset is read as UTC."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
