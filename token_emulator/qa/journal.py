"""`requests`: the request journal as a table, once or followed as it grows."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any, TextIO

from token_emulator.client import TokenEmulator
from token_emulator.control import api
from token_emulator.qa.options import positive_seconds, remote_options, wants_json
from token_emulator.qa.output import note, print_json, table
from token_emulator.qa.remote import Target

# When each request arrived by the machine's clock, and what the emulator clock said then
# (tests move it back and forth, so the rows are in the order of arrival, not of that).
HEADERS = ["REAL TIME", "EMULATOR TIME", "VENDOR", "ROUTE", "METHOD", "STATUS", "REASON"]
# Followed rows arrive one batch at a time, so their columns cannot be sized to the
# content: these fit the usual values (an ISO time, `8x8:agent-login`, a dropped fault).
FOLLOW_WIDTHS = [24, 24, 7, 27, 7, 18]
DEFAULT_LIMIT = 50
DEFAULT_FOLLOW_LIMIT = 10


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> None:
    parser = commands.add_parser(
        name,
        parents=[remote_options()],
        help=help,
        description="The journal in the order requests arrived, oldest first like a log "
        "(--json: the API's answer, newest first), with the real time of each and the "
        "emulator clock's. ROUTE is the route's name, or the path when no route matched.",
    )
    parser.add_argument("--vendor", help="only this vendor's requests")
    parser.add_argument("--route", help="only this route (token or uneeq:token)")
    parser.add_argument("--status", help="only this status (401) or class (4xx)")
    parser.add_argument(
        "--limit",
        type=int,
        help=f"the newest N (default {DEFAULT_LIMIT}; {DEFAULT_FOLLOW_LIMIT} before following)",
    )
    parser.add_argument(
        "--follow", action="store_true", help="keep watching; print new requests as they come"
    )
    parser.add_argument(
        "--interval",
        type=positive_seconds,
        default=1.0,
        help="seconds between polls when following (default 1)",
    )
    parser.add_argument(
        "--max-polls", type=int, help="stop following after N polls (for scripts and tests)"
    )
    parser.set_defaults(handler=_requests, parser=parser)


def _requests(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.max_polls is not None and args.max_polls < 1:
        parser.error("--max-polls must be at least 1")
    filters = {
        name: getattr(args, name)
        for name in ("vendor", "route", "status")
        if getattr(args, name) is not None
    }
    target = Target.from_args(args)
    with target.client() as emulator:
        if args.follow:
            return follow(
                emulator,
                filters,
                limit=args.limit or DEFAULT_FOLLOW_LIMIT,
                interval=args.interval,
                max_polls=args.max_polls,
                as_json=wants_json(args),
            )
        answer = emulator.call(
            api.REQUESTS, params={**filters, "limit": str(args.limit or DEFAULT_LIMIT)}
        )
    if wants_json(args):
        print_json(answer)
    elif answer["requests"]:
        for line in table(HEADERS, [row(entry) for entry in reversed(answer["requests"])]):
            print(line)
    else:
        print("no requests match" if filters else "no requests in the journal")
    return 0


def status_text(entry: dict[str, Any]) -> str:
    text = "dropped" if entry.get("status") == 0 else str(entry.get("status"))
    if entry.get("fault") is not None:
        text += f" (fault {entry['fault']})"
    return text


def row(entry: dict[str, Any]) -> list[Any]:
    return [
        entry.get("real_time"),
        entry.get("time"),
        entry.get("vendor"),
        entry.get("route") or entry.get("path"),
        entry.get("method"),
        status_text(entry),
        entry.get("reason") or "",
    ]


def new_entries(seen: set[int], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of `current` (oldest first) whose ids the previous poll did not show.
    Ids go on rising across a reset, so what a reset emptied is never shown twice; an
    answer still running at one poll is shown at the next, in its place by arrival."""
    return [entry for entry in current if entry.get("id") not in seen]


class StatusLine:
    """The "waiting" line on stderr: redrawn in place on a terminal, said once otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.shown = False

    def show(self, text: str) -> None:
        if self.live:
            self.stream.write(f"\r\033[K{text}")
            self.stream.flush()
        elif not self.shown:
            print(text, file=self.stream, flush=True)
        self.shown = True

    def clear(self) -> None:
        if self.live and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def follow(
    emulator: TokenEmulator,
    filters: dict[str, str],
    *,
    limit: int,
    interval: float,
    max_polls: int | None,
    as_json: bool,
) -> int:
    """Poll the journal every `interval` seconds and print what is new; Ctrl-C ends it (0).

    Ctrl-C only asks to stop: the poll under way finishes, then the loop ends. Raised in
    the middle of the HTTP client's work, a KeyboardInterrupt could leave its connection
    pool locked, and closing the client then waited forever."""
    status = StatusLine(sys.stderr)
    seen: set[int] = set()
    polls = 0
    stop = threading.Event()
    previous = _ask_to_stop_on_ctrl_c(stop)
    try:
        while not stop.is_set():
            answer = emulator.call(api.REQUESTS, params=filters)
            current = list(reversed(answer["requests"]))
            fresh = new_entries(seen, current)
            if polls == 0:
                fresh = fresh[-limit:]
            seen = {entry.get("id") for entry in current}
            polls += 1
            status.clear()
            _print_entries(fresh, header=polls == 1, as_json=as_json)
            waited = f"polled {polls} times" if polls > 1 else "polling"
            status.show(
                f"waiting for new requests at {emulator.url} "
                f"({waited}, every {interval:g}s; Ctrl-C to stop)"
            )
            if max_polls is not None and polls >= max_polls:
                break
            stop.wait(interval)
    except KeyboardInterrupt:  # not the main thread: no handler of ours
        stop.set()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        status.clear()  # the emulator went away, say: its message starts a clean line
    if stop.is_set():
        note("stopped following")
    return 0


def _ask_to_stop_on_ctrl_c(stop: threading.Event) -> Any:
    """SIGINT sets `stop`; the handler it replaces, or None where none can be set (a
    thread other than the main one)."""
    try:
        return signal.signal(signal.SIGINT, lambda _signal, _frame: stop.set())
    except ValueError:
        return None


def _print_entries(entries: list[dict[str, Any]], *, header: bool, as_json: bool) -> None:
    if as_json:
        for entry in entries:
            print(json.dumps(entry, ensure_ascii=False), flush=True)
        return
    lines = table(HEADERS, [row(entry) for entry in entries], FOLLOW_WIDTHS)
    for line in lines if header else lines[1:]:
        print(line, flush=True)
