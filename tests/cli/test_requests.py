"""`token-emulator requests`: the journal as a table or JSON, and `--follow`."""

from __future__ import annotations

import io
import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.cli.conftest import Cli
from token_emulator.qa.journal import StatusLine, new_entries
from token_emulator.testing import uneeq_token

HEADER = ["REAL", "TIME", "EMULATOR", "TIME", "VENDOR", "ROUTE", "METHOD", "STATUS", "REASON"]


def some_traffic(url: str) -> None:
    """A 200, a 401 and a 404 for the journal, oldest first."""
    with httpx.Client(base_url=url) as http:
        uneeq_token(http)
        http.post("/unifize/application/token")  # no assertion: 401
        http.get("/8x8/nowhere")


def test_table_oldest_first(cli: Cli, url: str) -> None:
    some_traffic(url)
    ran = cli("requests", "--url", url)
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0].split() == HEADER
    rows = [line.split(None, 6) for line in lines[1:]]
    assert [row[2:6] for row in rows] == [
        ["uneeq", "uneeq:token", "POST", "200"],
        ["unifize", "unifize:token", "POST", "401"],
        ["8x8", "/8x8/nowhere", "GET", "404"],  # no route matched: the path
    ]
    assert rows[1][6] == "missing Authorization header (Authorization: Bearer <token>)"
    assert rows[0][0].endswith("Z") and rows[0][1].endswith("Z") and len(rows) == 3


def test_filters_limit_and_json(cli: Cli, url: str) -> None:
    some_traffic(url)
    refusals = cli("requests", "--status", "4xx", "--json", "--url", url)
    entries = json.loads(refusals.out)["requests"]
    assert [(e["vendor"], e["status"]) for e in entries] == [("8x8", 404), ("unifize", 401)]
    assert set(entries[0]) == {
        "id", "time", "real_time", "vendor", "route", "method", "path", "status", "reason",
        "fault", "forced",
    }  # fmt: skip
    one = cli("requests", "--vendor", "unifize", "--route", "token", "--url", url)
    assert [line.split()[2] for line in one.out.splitlines()[1:]] == ["unifize"]
    newest = cli("requests", "--limit", "1", "--url", url)
    assert len(newest.out.splitlines()) == 2 and "/8x8/nowhere" in newest.out
    none = cli("requests", "--status", "500", "--url", url)
    assert none.out == "no requests match\n"
    bad = cli("requests", "--status", "4x", "--url", url)
    assert (bad.code, bad.err) == (
        1,
        "token-emulator: status must be a code (401) or a class (4xx) (HTTP 400)\n",
    )
    assert cli("requests", "--limit", "0", "--url", url).code == 2


def test_empty_journal(cli: Cli, url: str) -> None:
    assert cli("requests", "--url", url).out == "no requests in the journal\n"


def test_forced_and_dropped_entries(cli: Cli, url: str) -> None:
    cli("fault", "add", "--vendor", "uneeq", "--route", "token", "--status", "500", "--url", url)
    cli("fault", "add", "--vendor", "uneeq", "--route", "token", "--drop", "--url", url)
    for _ in range(2):
        assert cli("token", "uneeq", "--url", url).code == 1
    rows = [line.split(None, 6) for line in cli("requests", "--url", url).out.splitlines()[1:]]
    assert [" ".join(" ".join(row[5:]).split()) for row in rows] == [
        "500 (fault 1) status 500 forced by fault #1",
        "dropped (fault 2) connection dropped by fault #2",
    ]


def test_hostile_paths_stay_on_one_row(cli: Cli, url: str) -> None:
    httpx.get(f"{url}/uneeq/x%0A2026-01-01%09forged%0D")
    lines = cli("requests", "--url", url).out.splitlines()
    assert len(lines) == 2
    assert "/uneeq/x\\n2026-01-01 forged\\r" in lines[1]


def test_follow_shows_the_journal_then_waits(cli: Cli, url: str) -> None:
    some_traffic(url)
    ran = cli(
        "requests",
        "--follow",
        "--limit",
        "2",
        "--interval",
        "0.01",
        "--max-polls",
        "3",
        "--url",
        url,
    )
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0].split() == HEADER
    assert [line.split()[2] for line in lines[1:]] == ["unifize", "8x8"]  # the 2 newest
    assert ran.err == (
        f"waiting for new requests at {url} (polling, every 0.01s; Ctrl-C to stop)\n"
    )


def test_follow_json_lines(cli: Cli, url: str) -> None:
    some_traffic(url)
    ran = cli("requests", "--follow", "--json", "--max-polls", "1", "--url", url)
    entries = [json.loads(line) for line in ran.out.splitlines()]
    assert [entry["status"] for entry in entries] == [200, 401, 404]


@pytest.mark.parametrize(
    ("seen", "current", "new"),
    [
        (set(), [], []),
        (set(), [1], [1]),
        ({1}, [1, 2], [2]),
        ({1, 2}, [1, 2], []),
        ({1, 2, 3}, [2, 3, 4, 5], [4, 5]),  # the full journal dropped 1
        ({1, 2}, [7], [7]),  # emptied by a reset, then a new request: ids go on rising
        ({1, 3}, [1, 2, 3, 4], [2, 4]),  # 2 arrived before 3 and answered after it
        ({1, 2}, [], []),
    ],
)
def test_new_entries(seen: set[int], current: list[int], new: list[int]) -> None:
    entries = [{"id": number, "status": 200} for number in current]
    assert new_entries(seen, entries) == [{"id": number, "status": 200} for number in new]


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str]) -> str:
    while True:
        line = lines.get(timeout=30)  # raises queue.Empty rather than hanging the run
        seen.append(line)
        if text in line:
            return line


def test_follow_prints_a_new_request_and_stops_on_ctrl_c(url: str) -> None:
    """The installed script, as a person runs it: a new row appears; Ctrl-C exits 0."""
    script = shutil.which("token-emulator", path=str(Path(sys.executable).parent))
    assert script
    with httpx.Client(base_url=url) as http:
        uneeq_token(http)
    process = subprocess.Popen(
        [script, "requests", "--follow", "--interval", "0.05", "--url", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None and process.stderr is not None
    for stream, into in ((process.stdout, out), (process.stderr, err)):
        threading.Thread(target=_lines, args=(stream, into), daemon=True).start()
    printed: list[str] = []
    try:
        _wait_for(err, "waiting for new requests", [])
        first = _wait_for(out, "uneeq:token", printed)
        assert printed[0].split() == HEADER and " 200" in first
        httpx.post(f"{url}/unifize/application/token")
        row = _wait_for(out, "unifize:token", printed)
        assert "401" in row and "missing Authorization header" in row
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    rest = []
    while not err.empty():
        rest.append(err.get())
    assert "stopped following" in rest[-1:] or "stopped following" in "\n".join(rest)
    assert not any("Traceback" in line for line in rest)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_waiting_line_is_redrawn_on_a_terminal() -> None:
    terminal = Terminal()
    status = StatusLine(terminal)
    status.show("waiting (polling)")
    status.show("waiting (polled 2 times)")
    status.clear()
    status.clear()  # nothing left to clear
    assert terminal.getvalue() == (
        "\r\033[Kwaiting (polling)\r\033[Kwaiting (polled 2 times)\r\033[K"
    )


def test_waiting_line_is_said_once_elsewhere() -> None:
    stream = io.StringIO()
    status = StatusLine(stream)
    for polls in range(3):
        status.show(f"waiting ({polls})")
        status.clear()
    assert stream.getvalue() == "waiting (0)\n"
