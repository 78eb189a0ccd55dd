"""The request journal: every vendor request, its outcome and why.

Bounded in memory and kept per process (a replica shows the requests it
served). The journaling layer of the request path
(token_emulator/request_path/journaling.py) records each entry.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from operator import attrgetter
from typing import Any, NamedTuple

from token_emulator.core.instants import isoformat


class JournalEntry(NamedTuple):
    # A NamedTuple: one is made for every request, and a frozen dataclass costs
    # several times more to make.
    time: float  # by the emulator clock, which tests move back and forth
    vendor: str | None
    route: str | None
    method: str
    path: str
    status: int  # 0: no answer, the connection was dropped (an injected fault)
    reason: str | None
    fault: int | None = None  # the injected fault that forced this answer
    real_time: float = 0.0  # by the machine's clock: when it arrived
    id: int = 0  # the order of arrival in this process (Journal.next_id)

    def as_json(self) -> dict[str, Any]:
        return {
            **self._asdict(),
            "time": isoformat(self.time),
            "real_time": isoformat(self.real_time),
            "forced": self.fault is not None,
        }


_STATUS_FILTER = re.compile(r"[1-5]([0-9]{2}|xx)", re.IGNORECASE)


def is_status_filter(wanted: str) -> bool:
    """An exact status ("401") or a class ("4xx"); ASCII digits only."""
    return _STATUS_FILTER.fullmatch(wanted) is not None


def status_matches(status: int, wanted: str) -> bool:
    if wanted[1:].lower() == "xx":
        return status // 100 == int(wanted[0])
    return str(status) == wanted


class Journal:
    """Kept in the order requests arrive, whatever the emulator clock said (a test moves
    it back and forth). Ids go on rising across clears, so a follower can tell new
    entries from those it has seen."""

    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self.next_id = itertools.count(1).__next__

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
        """Newest first, by arrival."""
        found = []
        # Recorded as each answer ends; a slow answer's entry goes after quicker ones
        # that arrived later, so they are put back in the order they arrived.
        for entry in sorted(self._entries, key=attrgetter("id"), reverse=True):
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
