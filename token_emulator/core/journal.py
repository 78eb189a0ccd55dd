"""The request journal: every vendor request, its outcome and why.

Bounded in memory and kept per process (a replica shows the requests it
served). The journaling layer of the request path
(token_emulator/request_path/journaling.py) records each entry.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from operator import attrgetter
from typing import Any, NamedTuple

from token_emulator.core.exchange import Recorded
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
    # What was sent and answered (a vendor request's; None for a refused control call).
    exchange: Recorded | None = None

    def as_json(self, *, bodies: bool = False, reveal: bool = False) -> dict[str, Any]:
        """The entry; with `bodies`, its request's headers and body and its answer's,
        secrets masked unless `reveal` (core/exchange.py)."""
        shown = self._asdict()
        del shown["exchange"]
        shown.update(
            time=isoformat(self.time),
            real_time=isoformat(self.real_time),
            forced=self.fault is not None,
        )
        if bodies and self.exchange is not None:
            shown.update(self.exchange.as_json(reveal=reveal))
        return shown


_STATUS_FILTER = re.compile(r"[1-5]([0-9]{2}|xx)", re.IGNORECASE)


def is_status_filter(wanted: str) -> bool:
    """An exact status ("401") or a class ("4xx"); ASCII digits only."""
    return _STATUS_FILTER.fullmatch(wanted) is not None


def status_matches(status: int, wanted: str) -> bool:
    if wanted[1:].lower() == "xx":
        return status // 100 == int(wanted[0])
    return str(status) == wanted


# Each body's first bytes kept (--journal-body-limit), and the most bodies and headers
# the journal holds in all.
DEFAULT_BODY_LIMIT = 64 * 1024
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class Journal:
    """Kept in the order requests arrive, whatever the emulator clock said (a test moves
    it back and forth). Ids go on rising across clears, so a follower can tell new
    entries from those it has seen."""

    def __init__(
        self,
        size: int,
        *,
        body_limit: int = DEFAULT_BODY_LIMIT,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._entries: deque[JournalEntry] = deque()
        self._size = size
        self.body_limit = body_limit  # the bytes of each body kept (journaling.py)
        self.max_bytes = max_bytes  # of bodies and headers kept, in all
        self._bytes = 0
        self.next_id = itertools.count(1).__next__

    @property
    def size(self) -> int:
        return self._size

    def record(self, entry: JournalEntry) -> None:
        """Kept; the oldest go while more than `size` entries, or `max_bytes` of bodies
        and headers, are held (so memory stays flat however large the requests)."""
        held = entry.exchange.held if entry.exchange is not None else 0
        self._entries.append(entry)
        self._bytes += held
        while len(self._entries) > self._size or (
            self._bytes > self.max_bytes and len(self._entries) > 1
        ):
            gone = self._entries.popleft()
            if gone.exchange is not None:
                self._bytes -= gone.exchange.held

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def entry(self, number: int) -> JournalEntry | None:
        for entry in self._entries:
            if entry.id == number:
                return entry
        return None

    def entries(
        self,
        *,
        vendor: str | None = None,
        route: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        method: str | None = None,
        since: float | None = None,
        until: float | None = None,
        body: dict[str, str] | None = None,
    ) -> list[JournalEntry]:
        """Newest first, by arrival. `since` and `until` bound the emulator time it was
        answered at; `body` matches fields of the request's JSON body by dotted path."""
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
            if method is not None and entry.method != method.upper():
                continue
            if (since is not None and entry.time < since) or (
                until is not None and entry.time > until
            ):
                continue
            if body and not body_matches(entry, body):
                continue
            found.append(entry)
            if limit is not None and len(found) >= limit:
                break
        return found


MISSING = object()  # no field at that path


def field_at(document: Any, path: str) -> Any:
    """The value at a dotted path (`session.sid`, `items.0.id`), or MISSING."""
    for step in path.split("."):
        if isinstance(document, dict) and step in document:
            document = document[step]
        elif isinstance(document, list) and step.isdigit() and int(step) < len(document):
            document = document[int(step)]
        else:
            return MISSING
    return document


def shown_as_text(value: Any) -> str:
    """How a body's field compares with a filter's text: a string as it is, anything
    else as JSON (`true`, `3`, `null`)."""
    return value if isinstance(value, str) else json.dumps(value)


def body_matches(entry: JournalEntry, wanted: dict[str, str]) -> bool:
    if entry.exchange is None:
        return False
    document = entry.exchange.request_json()
    for path, expected in wanted.items():
        value = field_at(document, path)
        if value is MISSING or shown_as_text(value) != expected:
            return False
    return True
