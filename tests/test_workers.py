"""`token-emulator serve --workers 2`: two processes on one port answer, from one world."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import pickle
import re
import select
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.vendors.uneeq.conftest import START_PATH, TOKEN_PATH, sdk_body, token_request
from token_emulator.adapters.uvicorn import STARTUP_FAILURE, NoDelayConfig
from token_emulator.settings import Settings
from token_emulator.testing import EmulatorProcess
from token_emulator.workers import SPREADS_CONNECTIONS, OwnListener, hold_port

# A socket per worker where the kernel spreads connections over them (Linux).
spreading_only = pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="Linux's SO_REUSEPORT only")


@pytest.fixture
def uvicorn_errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog, seeing uvicorn.error's records even where an earlier test's uvicorn
    Config set that logger not to propagate (uvicorn's own logging configuration)."""
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


JSON = "application/json"
WORKER_STARTED = re.compile(r"Started server process \[(\d+)\]")


def _worker_pids(log: Path, count: int, timeout: float = 20.0) -> list[int]:
    """The workers' pids, once `count` of them have finished their start-up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if text.count("Application startup complete") >= count:
            return [int(pid) for pid in WORKER_STARTED.findall(text)]
        time.sleep(0.05)
    raise AssertionError(f"{count} workers did not start:\n{log.read_text()}")


class KeptConnection:
    """One kept-alive connection (http.client on a connected socket): it stays with
    the worker that accepted it."""

    def __init__(self, connected: socket.socket) -> None:
        self.http = http.client.HTTPConnection(*connected.getpeername()[:2], timeout=10)
        self.http.sock = connected

    def ask(
        self, method: str, path: str, body: bytes | str | None = None, **headers: str
    ) -> tuple[int, bytes]:
        self.http.request(method, path, body=body, headers=headers)
        answer = self.http.getresponse()
        return answer.status, answer.read()

    def journal(self) -> list[dict[str, Any]]:
        """The answering worker's journal, newest first."""
        status, body = self.ask("GET", "/_emulator/requests")
        assert status == 200
        entries: list[dict[str, Any]] = json.loads(body)["requests"]
        return entries


def _connect_at_once(port: int, count: int) -> list[KeptConnection]:
    """`count` connections begun together, as a load generator begins its own."""
    begun = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        begun.append(sock)
    waiting = list(begun)
    while waiting:
        _, connected, _ = select.select([], waiting, [], 10)
        assert connected, "connections not made in 10 s"
        waiting = [sock for sock in waiting if sock not in connected]
    for sock in begun:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        sock.settimeout(10)
    return [KeptConnection(sock) for sock in begun]


def _by_worker(connections: list[KeptConnection]) -> list[list[KeptConnection]]:
    """The connections grouped by the worker that accepted each. Each asks for a path
    of its own (a 404 the answering worker journals); two connections reached one
    worker when their workers' journals hold the same paths."""
    for number, connection in enumerate(connections):
        assert connection.ask("GET", f"/uneeq/connection-{number}")[0] == 404
    groups: dict[frozenset[str], list[KeptConnection]] = {}
    for connection in connections:
        paths = frozenset(entry["path"] for entry in connection.journal())
        groups.setdefault(paths, []).append(connection)
    return list(groups.values())


def _routed(connection: KeptConnection) -> list[tuple[str, int, str | None]]:
    """The answering worker's journal without the 404s of the grouping."""
    entries = [entry for entry in connection.journal() if entry["route"]]
    return [(entry["route"], entry["status"], entry["reason"]) for entry in entries]


@pytest.mark.parametrize("named", [True, False], ids=["named database", "temporary database"])
def test_two_workers_share_the_connections_and_one_world(tmp_path: Path, named: bool) -> None:
    log = tmp_path / "serve.log"
    database = tmp_path / "emulator.sqlite3" if named else None
    scratch = tmp_path / "tmp"  # the system's temporary directory, for this serve
    scratch.mkdir()
    server = EmulatorProcess(
        database,
        fixtures=FIXTURES,
        log_path=log,
        extra_args=("--workers", "2"),
        env={"TMPDIR": str(scratch)},
    )
    with server:
        _worker_pids(log, 2)
        # 24 connections made at once and kept, as a load generator's are. On one
        # shared socket the worker that woke first accepted them all; each worker's
        # own socket gets its share (all 24 on one: a chance of 1 in 2**23).
        connections = _connect_at_once(server.port, 24)
        try:
            groups = _by_worker(connections)
            assert len(groups) == 2, [len(group) for group in groups]
            first, second = groups[0][0], groups[1][0]
            request = token_request()
            status, issued = first.ask("POST", TOKEN_PATH, request["content"], **request["headers"])
            assert status == 200
            token = json.loads(issued)["token"]
            first_journal = _routed(first)
            start = json.dumps(sdk_body(token))
            status, started = second.ask("POST", START_PATH, start, **{"content-type": JSON})
            assert status == 200
            session_id = json.loads(started)["id"]
            again = second.ask("POST", START_PATH, start, **{"content-type": JSON})
            second_journal = _routed(second)
            state = json.loads(first.ask("GET", "/_emulator/state/uneeq")[1])
        finally:
            for connection in connections:
                connection.http.close()
    # The second worker redeemed the token the first one issued, exactly once...
    assert again == (401, b"Unauthorized")
    [session] = state["sessions"]
    assert session["id"] == session_id and session["token"] == token
    # ...and each worker's journal holds only the requests it answered.
    assert first_journal == [("uneeq:token", 200, None)]
    assert [entry[:2] for entry in second_journal] == [
        ("uneeq:start-session", 401),
        ("uneeq:start-session", 200),
    ]
    assert second_journal[0][2] is not None
    assert second_journal[0][2].startswith("token already redeemed at ")
    assert session_id in second_journal[0][2]
    assert "Traceback" not in log.read_text()
    # serve made the temporary database for its workers, and removed it when it stopped.
    assert server.process is not None and server.process.returncode == 0
    assert list(scratch.iterdir()) == []
    assert ("the workers share a temporary database" in log.read_text()) is not named


def test_workers_refuse_a_database_in_memory() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "token_emulator",
            "serve",
            "--database",
            ":memory:",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "token-emulator: --workers above 1 needs a shared database (a file or a URL), "
        "not :memory:\n"
    )


def test_the_environment_carries_every_setting_to_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        host="127.0.0.2",
        port=9123,
        fixtures_dir=tmp_path / "fixtures",
        database=str(tmp_path / "db.sqlite3"),
        journal_size=7,
        log_level="warning",
        admin_token="s3cret",
        workers=3,
    )
    for name in list(os.environ):
        if name.startswith("EMULATOR_"):
            monkeypatch.delenv(name)
    for name, value in settings.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env() == settings


def test_worker_connections_get_tcp_nodelay() -> None:
    # uvicorn binds the workers' shared socket with proto 0, so asyncio leaves Nagle's
    # algorithm on and each kept-alive request waited ~40 ms for a delayed ACK. The
    # listening socket now carries TCP_NODELAY, which Linux gives every accepted socket.
    app = "token_emulator.serve:worker_app"
    config = NoDelayConfig(app, factory=True, host="127.0.0.1", port=0)
    with config.bind_socket() as listening:
        listening.listen()
        with socket.create_connection(listening.getsockname()) as _client:
            accepted, _address = listening.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.skipif(
    not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads connections on Linux only"
)
def test_each_worker_listens_on_a_socket_of_its_own_on_the_held_port() -> None:
    with hold_port("127.0.0.1", 0) as held:
        address = held.address
        # The parent's socket only holds the port: nothing is accepted there.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=5).close()
        # What a worker gets from its pickled arguments (uvicorn spawns its workers).
        standing_in = OwnListener(held.family, address)
        first = pickle.loads(pickle.dumps(standing_in))
        second = pickle.loads(pickle.dumps(standing_in))
        with first, second:
            for listening in (first, second):
                assert isinstance(listening, socket.socket)
                assert listening.getsockname() == address
                assert listening.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
                listening.listen()
            accepted = []
            for _ in range(32):
                with socket.create_connection(address, timeout=5):
                    ready, _, _ = select.select([first, second], [], [], 5)
                    for listening in ready:
                        connection, _peer = listening.accept()
                        with connection:
                            nodelay = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                            assert nodelay != 0
                        accepted.append(listening)
        # Both took connections (one taking all 32: a chance of 1 in 2**31).
        assert {id(listening) for listening in accepted} == {id(first), id(second)}


@pytest.mark.skipif(
    not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads connections on Linux only"
)
def test_a_port_something_listens_on_stops_the_start(
    uvicorn_errors: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as plain:
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        with pytest.raises(SystemExit) as stopped:
            hold_port("127.0.0.1", plain.getsockname()[1])
    assert stopped.value.code == STARTUP_FAILURE
    assert "Address already in use" in uvicorn_errors.text
    # Another `serve --workers`' sockets, which would take ours in, are refused alike.
    with hold_port("127.0.0.1", 0) as held:
        address = held.address
        with pickle.loads(pickle.dumps(OwnListener(held.family, address))) as listening:
            listening.listen()
            with pytest.raises(SystemExit):
                hold_port("127.0.0.1", address[1])


@spreading_only
def test_a_second_serve_starting_on_the_port_is_refused_before_any_worker_listens(
    uvicorn_errors: pytest.LogCaptureFixture,
) -> None:
    # The first one holds the port, its workers not listening yet: the check that
    # something listens passes, and only the claim on the port's name stops the second.
    with hold_port("127.0.0.1", 0) as first:
        port = first.address[1]
        with pytest.raises(SystemExit) as stopped:
            hold_port("127.0.0.1", port)
        assert stopped.value.code == STARTUP_FAILURE
        assert f"another serve --workers holds port {port}" in uvicorn_errors.text
    # Once the first is gone, the port is free again.
    with hold_port("127.0.0.1", port) as again:
        assert again.address[1] == port


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's reaper may be slow, or absent in a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's prctl only")
@pytest.mark.parametrize("named", [True, False], ids=["named database", "temporary database"])
def test_workers_stop_when_serve_is_killed_outright(tmp_path: Path, named: bool) -> None:
    """SIGKILL gives the supervisor no chance to stop its workers: each stops itself
    (workers.end_with_parent), gracefully, and the port is free for the next serve;
    the last worker out removes the temporary database serve made for them."""
    log = tmp_path / "serve.log"
    database = tmp_path / "emulator.sqlite3" if named else None
    scratch = tmp_path / "tmp"  # the system's temporary directory, for this serve
    scratch.mkdir()
    server = EmulatorProcess(
        database,
        fixtures=FIXTURES,
        log_path=log,
        extra_args=("--workers", "2"),
        env={"TMPDIR": str(scratch)},
    )
    with server:
        workers = _worker_pids(log, 2)
        assert server.process is not None
        server.process.kill()
        server.process.wait(10)
        deadline = time.monotonic() + 20
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        still = [pid for pid in workers if _running(pid)]
        for pid in still:  # leave nothing behind, whatever the assertion says
            with contextlib.suppress(OSError):  # and only a worker: never a reused pid
                if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, 9)
        assert not still, log.read_text()[-3000:]
        assert log.read_text().count("Finished server process") == 2, "each stopped gracefully"
        with hold_port("127.0.0.1", server.port) as again:  # nothing serves the port now
            assert again.address[1] == server.port
    assert list(scratch.iterdir()) == []


def test_a_worker_that_cannot_start_stops_serve_with_an_error(tmp_path: Path) -> None:
    # The parent checks the settings and that the database is a SQLite file, not what
    # it holds: another program's database, with a table of the emulator's name but
    # other columns, fails in each worker's start-up.
    database = tmp_path / "emulator.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as other:
        other.execute("CREATE TABLE emulator_clock (something_else TEXT NOT NULL)")
        other.commit()
    command = [sys.executable, "-m", "token_emulator", "serve", "--port", "0", "--workers", "2"]
    done = subprocess.run(
        [*command, "--database", str(database)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == STARTUP_FAILURE, done.stderr[-2000:]
    assert "failed to start, stopping the parent process" in done.stderr
    assert "Traceback" not in done.stderr, "the store's refusal is one line (token_emulator/app.py)"
