"""Requests per second of the emulator's clock, counted per key, in process memory.

Windows are whole seconds of the emulator clock, like every other time rule,
so a test reaches the limit and leaves it by moving the clock, never by
sleeping. Counts are per process (each replica limits on its own) and bounded:
past `max_keys` callers in one second, new callers are not counted.
"""

from __future__ import annotations

import math


class RateLimiter:
    def __init__(self, max_keys: int = 10_000) -> None:
        self._max_keys = max_keys
        self._second: int | None = None
        self._counts: dict[str, int] = {}

    def hit(self, key: str, now: float, limit: int) -> float | None:
        """Count a request; None if it is within `limit`, else seconds until the next window."""
        if limit <= 0:
            return None
        second = math.floor(now)
        if self._second is None or second > self._second:
            self._second = second
            self._counts.clear()
        # A reading from an earlier second (a request that read the clock just
        # before the window moved on) counts in the current window.
        second = self._second
        count = self._counts.get(key, 0) + 1
        if key in self._counts or len(self._counts) < self._max_keys:
            self._counts[key] = count
        if count > limit:
            return second + 1 - now
        return None

    def clear(self) -> None:
        self._second = None
        self._counts.clear()
