"""A count of repeated events, said at most once a second: how the server reports a
flood (connections closed over the cap, accept errors) without flooding its log."""

from __future__ import annotations

from token_emulator.core.instants import real_time


class EverySecond:
    """Counts events and says, at most once a second, how many there were since it last
    said: a flood of the same event must not become a flood of log lines."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0

    def due(self) -> int | None:
        """Count one; the count to report when a line is due, else None."""
        self.count += 1
        now = real_time()
        if now - self.last < 1.0:
            return None
        count, self.count, self.last = self.count, 0, now
        return count
