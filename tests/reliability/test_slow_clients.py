"""Slow and silent clients are closed (adapters/uvicorn.py, GuardedH11Protocol), against
a real `serve`: a request (headers and body) not complete within --header-timeout ends
the connection, a running request is never cut, and connections over the cap are
closed as they arrive, so health answers again however many silent connections a
client opened.

Time here is the machine's: these are the server's own timeouts on real sockets,
which the emulator clock does not govern.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from token_emulator.testing.server import ServerProcess, free_port, serve_command

HEADER_TIMEOUT = 1.5


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closes `sock` (reads b"" or a reset), None if it does not
    within `seconds`."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return time.monotonic() - started
    except ConnectionResetError:
        return time.monotonic() - started
    except TimeoutError:
        return None


@contextlib.contextmanager
def serving(
    tmp_path: Path, *args: str, descriptors: int | None = None
) -> Iterator[tuple[ServerProcess, Path]]:
    port = free_port()
    command = serve_command(
        port=port,
        database=str(tmp_path / "db.sqlite3"),
        fixtures=FIXTURES,
        extra_args=("--header-timeout", str(HEADER_TIMEOUT), *args),
    )
    if descriptors is not None:
        command = ["prlimit", f"--nofile={descriptors}:{descriptors}", *command]
    log = tmp_path / "serve.log"
    with ServerProcess(command, port=port, log_path=log) as server:
        yield server, log


def connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_headers_a_line_a_second_are_cut_off(tmp_path: Path) -> None:
    with serving(tmp_path) as (server, _log):
        sock = connect(server)
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        for number in range(10):
            time.sleep(0.5)
            try:
                sock.sendall(f"x-slow-{number}: 1\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        waited = time.monotonic() - started
        closed = closed or closed_within(sock, 2) is not None
        assert closed and waited < HEADER_TIMEOUT + 2.5, waited
        assert httpx.get(f"{server.url}/_emulator/health").status_code == 200


def test_a_body_a_byte_at_a_time_is_cut_off_too(tmp_path: Path) -> None:
    """The headers complete, then a body of 60,000 bytes announced and sent a byte every
    half second: the whole request has the time limit, so the connection is closed and
    the journal says the client went (status 0, dropped)."""
    with serving(tmp_path) as (server, _log):
        sock = connect(server)
        sock.sendall(
            b"POST /web1on1/v2/auth/token HTTP/1.1\r\nhost: localhost\r\n"
            b"content-type: application/json\r\ncontent-length: 60000\r\n\r\n{"
        )
        started = time.monotonic()
        closed = False
        for _ in range(12):
            time.sleep(0.5)
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        closed = closed or closed_within(sock, 2) is not None
        assert closed and time.monotonic() - started < HEADER_TIMEOUT + 2.5
        [entry] = httpx.get(f"{server.url}/_emulator/requests").json()["requests"]
        assert entry["status"] == 0 and entry["reason"].startswith("client disconnected")


def test_a_silent_connection_is_closed_and_a_kept_alive_one_too(tmp_path: Path) -> None:
    with serving(tmp_path) as (server, _log):
        silent = connect(server)
        after = closed_within(silent, HEADER_TIMEOUT + 3)
        assert after is not None and after >= HEADER_TIMEOUT - 0.2
        kept = connect(server)
        kept.sendall(b"GET /_emulator/health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        assert kept.recv(4096).startswith(b"HTTP/1.1 200 ")
        assert closed_within(kept, HEADER_TIMEOUT + 6) is not None  # idle after its answer


def test_a_running_request_is_never_cut(tmp_path: Path) -> None:
    """Only the headers have a time limit: an answer that takes longer (a delay fault of
    three times the limit) still arrives."""
    with serving(tmp_path) as (server, _log):
        delay = int(HEADER_TIMEOUT * 3 * 1000)
        fault = {"vendor": "8x8", "route": "token", "delay_ms": delay}
        httpx.post(f"{server.url}/_emulator/faults", json=fault).raise_for_status()
        answer = httpx.post(
            f"{server.url}/8x8/api/v1/tokens",
            headers={"Authorization": "Bearer demo-8x8-api-key-TEST-ONLY"},
            timeout=30,
        )
        assert answer.status_code == 200


@pytest.mark.parametrize("workers", ["1", "2"])
def test_silent_connections_past_the_descriptor_limit(tmp_path: Path, workers: str) -> None:
    """1,100 silent connections at a limit of 1,024 descriptors: those over the cap (the
    limit less 64) are closed as they arrive, the rest by the header time limit; health
    answers again within it, and the log grows by less than 1 MB (bench/comparisons/
    2026-12-07-issue-28.md: a traceback per connection the accept loop could not take)."""
    with serving(tmp_path, "--workers", workers, descriptors=1024) as (server, log):
        logged = log.stat().st_size
        opened = []
        for _ in range(1100):
            try:
                opened.append(connect(server))
            except OSError:
                break  # the listening queue is full: the rest is refused at once
        flooded = time.monotonic()
        answered_after = None
        while time.monotonic() - flooded < HEADER_TIMEOUT + 10:
            try:
                if httpx.get(f"{server.url}/_emulator/health", timeout=1).status_code == 200:
                    answered_after = time.monotonic() - flooded
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        for sock in opened:
            sock.close()
        assert answered_after is not None and answered_after < HEADER_TIMEOUT + 3, answered_after
        grown = log.stat().st_size - logged
        assert grown < 1_000_000, grown
        text = log.read_text()
        assert "Traceback" not in text
        # asyncio's accept loop, out of descriptors between a burst of accepts and the
        # cap closing them, is logged at most once a second, with a count.
        accept_lines = [line for line in text.splitlines() if "socket.accept()" in line]
        assert len(accept_lines) <= time.monotonic() - flooded + 2, accept_lines
        assert all("time(s) since the last such line" in line for line in accept_lines)
        if workers == "1":  # two processes share the 1,100 between them, under each cap
            assert "the most this process takes (--max-connections)" in text
